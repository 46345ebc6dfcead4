"""Whole games and room lifecycles over real WebSockets against the embedded server."""

import asyncio

import aiohttp

from blazing.wiring import Running
from tests.conftest import TIME_UNIT, ClientFactory, ServerFactory
from tests.e2e.helpers import open_room, play_to_the_end, start_game


async def test_two_players_and_a_spectator_play_a_whole_game(server: Running,
                                                             connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    carol = await connect(server, 3, "carol")
    room_id, first = await start_game(alice, bob)
    await carol.send("spectate", room_id=room_id)
    state = await carol.expect("room_state", room_id=room_id)
    assert state["room"]["status"] == "in_progress"
    assert [p["user_id"] for p in state["room"]["players"]] == [1, 2]
    await alice.expect("spectator_joined", user_id=3)

    ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
    seen_by_carol = await carol.expect("game_ended", room_id=room_id)
    seen_by_bob = await bob.expect("game_ended", room_id=room_id)
    assert ended == seen_by_carol == seen_by_bob
    assert ended["reason"] == "won"
    scores = {user: score for user, _, score in ended["final_scores"]}
    assert scores[ended["winner_id"]] == 10 and min(scores.values()) < 10
    # Every client saw the same room events in the same order, without gaps
    # (room_state is a snapshot: it carries the seq of the last event it includes).
    room_events = [m for m in alice.log if m.get("room_id") == room_id and m.get("seq")
                   and m["type"] != "room_state"]
    seqs = [m["seq"] for m in room_events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    carol_tail = [m for m in carol.log if m.get("seq", 0) > state["seq"]
                  and m["type"] != "room_state"]
    assert carol_tail == [m for m in room_events if m["seq"] > state["seq"]]


async def fetch_history(http: aiohttp.ClientSession, url: str) -> dict[str, object]:
    """History is written by the service's timer loop just after the end: poll for it."""
    async with asyncio.timeout(10):
        while True:
            async with http.get(url) as response:
                if response.status == 200:
                    return dict(await response.json())
                assert response.status == 404
            await asyncio.sleep(0.02)


async def test_the_finished_game_is_in_history(server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
    async with aiohttp.ClientSession() as http:
        game = await fetch_history(http, f"{server.base_url}/api/games/history/{room_id}")
        async with http.get(f"{server.base_url}/api/games/history",
                            params={"user_id": "2", "limit": "5"}) as response:
            listing = await response.json()
    assert game["winner_id"] == ended["winner_id"] and game["reason"] == "won"
    assert {p["user_id"]: p["final_score"] for p in game["players"]} == {
        u: s for u, _, s in ended["final_scores"]}
    assert len(game["rounds"]) >= 10
    assert [g["room_id"] for g in listing["games"]] == [room_id]


async def test_a_player_drops_and_rejoins_mid_game_with_the_full_state(
        server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    players = {1: alice, 2: bob}
    await players[first].send("bigger_dice.roll", room_id=room_id)
    rolled = await alice.expect("bigger_dice.rolled")
    await bob.close()
    dropped = await alice.expect("player_disconnected", user_id=2)
    assert dropped["grace_seconds"] == 60
    bob = await connect(server, 2, "bob")
    await bob.send("rejoin_room", room_id=room_id)
    state = await bob.expect("room_state", room_id=room_id)
    await alice.expect("player_rejoined", user_id=2)
    room = state["room"]
    assert room["status"] == "in_progress" and room["turn_number"] == 2
    assert room["game_state"]["pending"] == [[first, rolled["roll"]]]
    assert all(p["disconnected_until"] is None for p in room["players"])


async def test_a_refused_command_from_a_dropped_player_changes_nothing_and_rejoin_restores(
        server: Running, connect: ClientFactory) -> None:
    """Every refusal leaves the room as it was, also for a player marked as dropped:
    a command that is refused does not bring them back; one that is applied does."""
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, _first = await start_game(alice, bob)
    await bob.close()
    await alice.expect("player_disconnected", user_id=2)
    bob = await connect(server, 2, "bob")
    await bob.send("ready", room_id=room_id)  # refused: the game is running
    await bob.expect_error("GAME_ALREADY_STARTED")
    await alice.send("rejoin_room", room_id=room_id)
    still = await alice.expect("room_state", room_id=room_id)
    assert [p["disconnected_until"] is not None for p in still["room"]["players"]] == \
        [False, True]
    assert "player_rejoined" not in alice.types()
    await bob.send("rejoin_room", room_id=room_id)
    await alice.expect("player_rejoined", user_id=2)


async def test_grace_expiry_forfeits_the_game(make_server: ServerFactory,
                                              connect: ClientFactory) -> None:
    server = await make_server(grace_seconds=2 * TIME_UNIT)
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    _room_id, _ = await start_game(alice, bob)
    await bob.close()
    await alice.expect("player_disconnected", user_id=2)
    ended = await alice.expect("game_ended", timeout=20 * TIME_UNIT + 5)
    assert ended["reason"] == "disconnected" and ended["winner_id"] == 1


async def test_leaving_mid_game_forfeits(server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, _ = await start_game(alice, bob)
    await bob.send("leave_room", room_id=room_id)
    await alice.expect("player_left", user_id=2)
    ended = await alice.expect("game_ended")
    assert ended["reason"] == "forfeit" and ended["winner_id"] == 1
    # Bob may start a new room at once.
    await bob.send("create_room", game_type="bigger_dice", room_name="Again")
    await bob.expect("room_created")


async def test_the_host_leaving_a_waiting_room_makes_the_guest_host(
        server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id = await open_room(alice, bob)
    await alice.send("leave_room", room_id=room_id)
    changed = await bob.expect("host_changed", room_id=room_id)
    assert changed["host_id"] == 2
    await alice.expect("player_left", user_id=1)
    await bob.send("leave_room", room_id=room_id)
    await bob.expect("player_left", user_id=2)
    # The room is gone: its name is free again.
    await alice.send("create_room", game_type="bigger_dice", room_name="Table 1")
    await alice.expect("room_created")


async def test_the_server_rolls_when_a_turn_deadline_passes(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(turn_seconds=2 * TIME_UNIT)
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    _room_id, first = await start_game(alice, bob)
    rolled = await alice.expect("bigger_dice.rolled", timeout=20 * TIME_UNIT + 5)
    assert rolled["auto"] is True and rolled["player_id"] == first


async def test_chat_reaches_players_and_spectators_as_text(server: Running,
                                                           connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    carol = await connect(server, 3, "carol")
    room_id = await open_room(alice, bob)
    await carol.send("spectate", room_id=room_id)
    await carol.expect("room_state")
    await bob.send("chat_send", room_id=room_id, text="  <b>hi</b> alice  ")
    for client in (alice, bob, carol):
        message = await client.expect("chat_message", room_id=room_id)
        assert message["text"] == "<b>hi</b> alice" and message["username"] == "bob"
    # Spectators have a channel of their own: players never see it.
    dave = await connect(server, 4, "dave")
    await dave.send("spectate", room_id=room_id)
    await dave.expect("room_state")
    await carol.send("chat_send", room_id=room_id, text="go bob")
    seen = await dave.expect("chat_message", user_id=3)
    assert (seen["text"], seen["channel"], seen["seq"]) == ("go bob", "spectators", 0)
    await bob.send("chat_send", room_id=room_id, text="thanks")
    await alice.expect("chat_message", text="thanks")
    assert not [m for m in alice.log + bob.log if m.get("text") == "go bob"]


async def test_two_sockets_of_one_user_both_receive_user_events(
        server: Running, connect: ClientFactory) -> None:
    first_tab = await connect(server, 1, "alice")
    second_tab = await connect(server, 1, "alice")
    bob = await connect(server, 2, "bob")
    await first_tab.send("create_room", game_type="bigger_dice", room_name="Tabs")
    state_1 = await first_tab.expect("room_state")
    state_2 = await second_tab.expect("room_state")
    assert state_1 == state_2
    await bob.send("join_room", room_name="Tabs")
    await first_tab.expect("room_joined", room_id=state_1["room_id"])
    await second_tab.expect("room_joined", room_id=state_1["room_id"])
    # Closing one tab is not a disconnect: the user is still online in the other.
    await first_tab.close()
    await second_tab.send("ready", room_id=state_1["room_id"])
    await bob.expect("player_ready", user_id=1)
    assert not [m for m in bob.log if m["type"] == "player_disconnected"]


async def test_the_lobby_sees_rooms_appear_change_and_go(server: Running,
                                                         connect: ClientFactory) -> None:
    watcher = await connect(server, 9, "watcher")
    await watcher.send("list_rooms")
    assert (await watcher.expect("room_list"))["rooms"] == []
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id = await open_room(alice, bob, "Lobby test")
    created = await watcher.expect("room_created", room_id=room_id)
    assert created["seq"] == 0
    updated = await watcher.expect("room_updated", room_id=room_id, player_count=2)
    assert [p["username"] for p in updated["players"]] == ["alice", "bob"]
    await alice.send("leave_room", room_id=room_id)
    await bob.send("leave_room", room_id=room_id)
    await watcher.expect("room_removed", room_id=room_id)
    await watcher.send("list_rooms")
    assert (await watcher.expect("room_list"))["rooms"] == []


async def test_a_socket_in_a_room_stops_getting_lobby_updates_until_it_lists_again(
        server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    for client in (alice, bob):
        await client.send("list_rooms")
        await client.expect("room_list")
    room_id = await open_room(alice, bob, "Quiet please")  # both got room_state
    watcher = await connect(server, 3, "watcher")
    await watcher.send("list_rooms")
    await watcher.expect("room_list")
    carol = await connect(server, 4, "carol")
    await carol.send("create_room", game_type="bigger_dice", room_name="Elsewhere")
    await watcher.expect("room_created", room_name="Elsewhere")  # the lobby saw it
    await alice.send("rejoin_room", room_id=room_id)  # a barrier on alice's stream
    await alice.expect("room_state", room_id=room_id, seq=2)
    assert not [m for m in alice.log if m.get("room_name") == "Elsewhere"]
    await alice.send("list_rooms")  # back in the lobby
    listed = await alice.expect("room_list")
    assert {r["room_name"] for r in listed["rooms"]} == {"Quiet please", "Elsewhere"}
    await carol.send("leave_room", room_id=(await carol.expect("room_created"))["room_id"])
    await alice.expect("room_removed")
