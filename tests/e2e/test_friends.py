"""Playing with friends over real sockets against the embedded server: private tables
and invite codes, passwords that never travel back, quick play (also when pressed at
the same moment), rematch, kicks, the ready deadline and chat that lasts."""

import asyncio
from typing import Any

from blazing.wiring import Running
from tests.conftest import TIME_UNIT, ClientFactory, ServerFactory
from tests.e2e.helpers import play_to_the_end
from tests.support.client import WsClient


async def create(host: WsClient, name: str, **fields: Any) -> dict[str, Any]:
    """The host's room_created (its room_state, which follows, is consumed too)."""
    await host.send("create_room", game_type="bigger_dice", room_name=name, **fields)
    created = await host.expect("room_created")
    await host.expect("room_state", room_id=created["room_id"])
    return created


async def test_a_private_table_is_joined_by_its_invite_code_only(
        server: Running, connect: ClientFactory) -> None:
    host, friend = await connect(server, 1, "host"), await connect(server, 2, "friend")
    watcher = await connect(server, 3, "watcher")
    await watcher.send("list_rooms")
    await watcher.expect("room_list")
    created = await create(host, "Just us", visibility="private")
    code, room_id = created["invite_code"], created["room_id"]
    assert len(code) == 10 and code.isalnum()
    await friend.send("join_room", room_name="Just us")
    await friend.expect_error("ROOM_NOT_FOUND")
    await friend.send("join_room", room_id=room_id)
    await friend.expect_error("ROOM_NOT_FOUND")
    await friend.send("join_room", invite_code=f"{code[:5].lower()}-{code[5:]}")  # as typed
    state = await friend.expect("room_state", room_id=room_id)
    assert state["room"]["invite_code"] is None and state["room"]["visibility"] == "private"
    await watcher.send("list_rooms")
    listed = await watcher.expect("room_list")
    assert room_id not in [r["room_id"] for r in listed["rooms"]]
    assert not [m for m in watcher.log if m.get("room_id") == room_id]
    await host.send("renew_invite", room_id=room_id)
    renewed = (await host.expect("room_state", room_id=room_id))["room"]["invite_code"]
    assert renewed not in (None, code)
    stranger = await connect(server, 4, "stranger")
    await stranger.send("join_room", invite_code=code)
    await stranger.expect_error("ROOM_NOT_FOUND")


async def test_a_password_never_comes_back_to_anyone(server: Running,
                                                     connect: ClientFactory) -> None:
    host, friend = await connect(server, 1, "host"), await connect(server, 2, "friend")
    watcher = await connect(server, 3, "watcher")
    await watcher.send("list_rooms")
    await watcher.expect("room_list")
    secret = "correct horse battery"
    created = await create(host, "Locked", password=secret)
    await friend.send("join_room", room_id=created["room_id"], password=secret)
    state = await friend.expect("room_state")
    assert state["room"]["has_password"] is True
    row = await watcher.expect("room_updated", room_id=created["room_id"])
    assert row["has_password"] is True
    await friend.send("ready", room_id=created["room_id"])
    await host.expect("player_ready")
    for client in (host, friend, watcher):
        assert secret not in repr(client.log) and "argon2" not in repr(client.log)


async def test_two_players_pressing_quick_play_at_once_meet_at_one_table(
        server: Running, connect: ClientFactory) -> None:
    players = [await connect(server, u, f"p{u}") for u in range(1, 7)]
    await asyncio.gather(*(p.send("quick_play", game_type="bigger_dice") for p in players))
    rooms = [(await p.expect("room_state"))["room_id"] for p in players]
    tables: dict[str, int] = {}
    for room_id in rooms:
        tables[room_id] = tables.get(room_id, 0) + 1
    assert sorted(tables.values()) == [2, 2, 2], tables  # three full tables, none half empty


async def test_quick_play_joins_the_oldest_open_table_and_can_be_cancelled(
        server: Running, connect: ClientFactory) -> None:
    ann, bob = await connect(server, 1, "ann"), await connect(server, 2, "bob")
    cat = await connect(server, 3, "cat")
    first = await create(ann, "Open table", max_players=3)
    await create(bob, "Newer table", max_players=3)
    await cat.send("quick_play", game_type="bigger_dice", max_players=3)
    assert (await cat.expect("room_state"))["room_id"] == first["room_id"]
    await cat.send("quick_play_cancel")
    await cat.expect("player_left", user_id=3)
    await cat.send("quick_play_cancel", request_id="again")
    assert (await cat.expect_error("NOT_IN_ROOM"))["request_id"] == "again"


async def test_a_rematch_plays_again_in_the_same_room_with_its_spectators(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    # Two whole games as fast as the sockets go: past the default command rate.
    server = await make_server(rate_per_second=1000.0, rate_burst=1000.0)
    ann, bob = await connect(server, 1, "ann"), await connect(server, 2, "bob")
    eve = await connect(server, 9, "eve")
    room_id = (await create(ann, "Again"))["room_id"]
    await bob.send("join_room", room_id=room_id)
    await bob.expect("room_state")
    await eve.send("spectate", room_id=room_id)
    await eve.expect("room_state")
    for player in (ann, bob):
        await player.send("ready", room_id=room_id)
    first = (await ann.expect("game_started"))["first_turn"]
    await play_to_the_end({1: ann, 2: bob}, room_id, first, watcher=ann)
    await ann.send("rematch", room_id=room_id)
    asked = await bob.expect("rematch_requested")
    assert asked["waiting_for"] == [2]
    await bob.send("rematch", room_id=room_id)
    again = await ann.expect("game_started", room_id=room_id)  # ann took the first one
    await eve.expect("game_started", room_id=room_id, seq=again["seq"])  # spectators stay
    assert [p["score"] for p in again["players"]] == [0, 0]
    ended = await play_to_the_end({1: ann, 2: bob}, room_id, again["first_turn"], watcher=ann)
    assert ended["reason"] == "won"
    await ann.send("leave_room", room_id=room_id)
    cancelled = await bob.expect("rematch_cancelled")
    assert (cancelled["user_id"], cancelled["reason"]) == (1, "left")


async def test_a_kicked_user_cannot_come_back_even_with_the_invite(
        server: Running, connect: ClientFactory) -> None:
    host, pest = await connect(server, 1, "host"), await connect(server, 2, "pest")
    created = await create(host, "No pests", visibility="private")
    await pest.send("join_room", invite_code=created["invite_code"])
    await pest.expect("room_state")
    await host.send("kick", room_id=created["room_id"], target_user_id=2)
    assert (await pest.expect("player_kicked"))["user_id"] == 2
    for command, fields in (("join_room", {"invite_code": created["invite_code"]}),
                            ("rejoin_room", {"room_id": created["room_id"]}),
                            ("spectate", {"room_id": created["room_id"],
                                          "invite_code": created["invite_code"]})):
        await pest.send(command, **fields)
        await pest.expect_error("KICKED")


async def test_an_unready_player_loses_the_seat_at_the_ready_deadline(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(ready_seconds=2 * TIME_UNIT)
    host, idle = await connect(server, 1, "host"), await connect(server, 2, "idle")
    room_id = (await create(host, "Hurry"))["room_id"]
    await host.send("ready", room_id=room_id)
    await idle.send("join_room", room_id=room_id)
    await idle.expect("room_state")
    left = await host.expect("player_left", user_id=2, timeout=20 * TIME_UNIT)
    assert left["reason"] == "not_ready"


async def test_a_late_spectator_reads_the_recent_chat(server: Running,
                                                      connect: ClientFactory) -> None:
    ann, bob = await connect(server, 1, "ann"), await connect(server, 2, "bob")
    room_id = (await create(ann, "Chatty"))["room_id"]
    await bob.send("join_room", room_id=room_id)
    await bob.expect("room_state")
    for speaker, text in ((ann, "hi"), (bob, "hello"), (ann, "ready?")):
        await speaker.send("chat_send", room_id=room_id, text=text)
        await ann.expect("chat_message", text=text)
    late = await connect(server, 3, "late")
    await late.send("spectate", room_id=room_id)
    chat = (await late.expect("room_state"))["room"]["chat"]
    assert [(c["username"], c["text"]) for c in chat] == [("ann", "hi"), ("bob", "hello"),
                                                          ("ann", "ready?")]


async def test_every_way_back_into_a_room_shows_its_chat_after_moves(
        server: Running, connect: ClientFactory) -> None:
    """Moves are applied to the room without its logs; whatever shows the room
    afterwards (a rejoin, a join, the host's new invite code) still reads them."""
    ann, bob = await connect(server, 1, "ann"), await connect(server, 2, "bob")
    room_id = (await create(ann, "Talk and play", max_players=3))["room_id"]
    await ann.send("chat_send", room_id=room_id, text="welcome")
    await ann.expect("chat_message", text="welcome")
    await ann.send("ready", room_id=room_id)
    await ann.expect("player_ready", user_id=1)
    for sender, command in ((ann, "renew_invite"), (ann, "rejoin_room")):
        await sender.send(command, room_id=room_id)
        state = await sender.expect("room_state")
        assert [c["text"] for c in state["room"]["chat"]] == ["welcome"], command
    await bob.send("join_room", room_id=room_id)
    state = await bob.expect("room_state")
    assert [c["text"] for c in state["room"]["chat"]] == ["welcome"]
