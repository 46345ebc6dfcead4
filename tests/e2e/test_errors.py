"""Every error code of SPEC §6 over real sockets: one error per refused command,
the right code, the request id echoed, and the connection and room unharmed."""

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from blazing.errors import DependencyUnavailable, ErrorCode
from blazing.wiring import Running
from tests.conftest import ClientFactory, ServerFactory, token_for
from tests.e2e.helpers import open_room, start_game
from tests.support.client import WsClient

_counter = iter(range(1, 10**6))


async def refused(client: WsClient, code: ErrorCode, type_: str | None = None,
                  raw: str | bytes | None = None, **fields: Any) -> dict[str, Any]:
    """Send one bad command and check it yields exactly one error of ``code``."""
    request_id = f"req-{next(_counter)}"
    if raw is not None:
        await client.send_raw(raw)
    else:
        assert type_ is not None
        await client.send(type_, request_id=request_id, **fields)
    error = await client.expect("error")
    assert error["code"] == code, error
    if raw is None:
        assert error["request_id"] == request_id
    # A barrier through the same path: nothing else was caused by the refusal.
    marker = len(client.log)
    await client.send("list_rooms")
    await client.expect("room_list")
    assert [m for m in client.log[marker:] if m["type"] == "error"] == []
    return error


async def test_gateway_level_refusals(server: Running, connect: ClientFactory) -> None:
    alice = await connect(server, 1, "alice")
    await refused(alice, ErrorCode.INVALID_MESSAGE, raw="{not json")
    await refused(alice, ErrorCode.INVALID_MESSAGE, raw=b"\x00binary")
    await refused(alice, ErrorCode.INVALID_MESSAGE, "ready")
    await refused(alice, ErrorCode.UNKNOWN_TYPE, "teleport")
    await refused(alice, ErrorCode.USER_MISMATCH, "create_room", user_id=2,
                  game_type="bigger_dice", room_name="Mine")
    await refused(alice, ErrorCode.MESSAGE_TOO_LARGE, "chat_send", room_id="r",
                  text="x" * 20_000)
    assert not alice.closed.is_set()


async def test_unauthenticated_sockets_may_only_auth_and_ping(server: Running,
                                                              connect: ClientFactory) -> None:
    anon = await connect(server, 0, authenticated=False)
    await anon.send("list_rooms", request_id="r1")
    error = await anon.expect_error("UNAUTHORIZED")
    assert error["request_id"] == "r1"
    await anon.send("ping")
    await anon.expect("pong")


async def test_room_rule_refusals(server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    carol, dave = await connect(server, 3, "carol"), await connect(server, 4, "dave")
    await refused(alice, ErrorCode.INVALID_GAME_TYPE, "create_room", game_type="chess",
                  room_name="Chess")
    await refused(alice, ErrorCode.ROOM_NOT_FOUND, "join_room", room_name="Nowhere")
    await refused(alice, ErrorCode.ROOM_NOT_FOUND, "rejoin_room", room_id="room_doesnotexist")
    room_id = await open_room(alice, bob, "Full house")
    await refused(carol, ErrorCode.ROOM_NAME_TAKEN, "create_room", game_type="bigger_dice",
                  room_name="FULL HOUSE")
    await refused(alice, ErrorCode.ALREADY_IN_ROOM, "create_room", game_type="bigger_dice",
                  room_name="Second")
    await refused(carol, ErrorCode.ROOM_FULL, "join_room", room_id=room_id)
    await refused(carol, ErrorCode.NOT_IN_ROOM, "ready", room_id=room_id)
    await refused(carol, ErrorCode.NOT_IN_ROOM, "rejoin_room", room_id=room_id)
    await refused(alice, ErrorCode.GAME_NOT_IN_PROGRESS, "bigger_dice.roll", room_id=room_id)
    await refused(alice, ErrorCode.ALREADY_IN_ROOM, "spectate", room_id=room_id)
    await alice.send("ready", room_id=room_id)
    await bob.send("ready", room_id=room_id)
    started = await alice.expect("game_started")
    await carol.send("spectate", room_id=room_id)
    await carol.expect("room_state")
    await refused(carol, ErrorCode.NOT_A_PLAYER, "bigger_dice.roll", room_id=room_id)
    await refused(dave, ErrorCode.NOT_A_PLAYER, "bigger_dice.roll", room_id=room_id)
    await refused(dave, ErrorCode.GAME_ALREADY_STARTED, "join_room", room_id=room_id)
    waiting = bob if started["first_turn"] == 1 else alice
    await refused(waiting, ErrorCode.NOT_YOUR_TURN, "bigger_dice.roll", room_id=room_id)
    # None of it touched the game: the right player can still roll.
    mover = alice if waiting is bob else bob
    await mover.send("bigger_dice.roll", room_id=room_id)
    await carol.expect("bigger_dice.rolled", player_id=started["first_turn"])


async def test_spectator_limit(make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(spectator_limit=1)
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    carol, dave = await connect(server, 3, "carol"), await connect(server, 4, "dave")
    room_id = await open_room(alice, bob)
    await carol.send("spectate", room_id=room_id)
    await carol.expect("room_state")
    await refused(dave, ErrorCode.SPECTATOR_LIMIT, "spectate", room_id=room_id)


async def test_rate_limit_then_flood_close(make_server: ServerFactory,
                                           connect: ClientFactory) -> None:
    server = await make_server(rate_per_second=1.0, rate_burst=3.0, flood_close_after=5)
    eve = await connect(server, 5, "eve")
    bystander = await connect(server, 6, "bystander")
    for _ in range(12):
        if eve.closed.is_set():
            break
        await eve.send("ping")
    await eve.expect_error("RATE_LIMITED")
    assert await eve.wait_closed() == 4429
    await bystander.send("ping")
    await bystander.expect("pong")
    # 4429 means "do not reconnect": a flooder that does is refused for a while.
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await WsClient.connect(server.ws_url, token=token_for(5, "eve"))
    assert refused.value.status == 429
    # ... and the connection ends with the refusal, so retrying costs a new connection
    # (which the per-address connect limit counts), not one more request on this one.
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(f"GET /ws/games?token={token_for(5, 'eve')} HTTP/1.1\r\n"
                 "Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "\r\n".encode())
    async with asyncio.timeout(5):
        answer = await reader.read()  # to the end: the server closes
    writer.close()
    assert answer.startswith(b"HTTP/1.1 429") and b"Connection: close" in answer


async def test_the_flood_penalty_holds_whichever_way_the_user_signs_in(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(rate_per_second=1.0, rate_burst=3.0, flood_close_after=5)
    eve = await connect(server, 5, "eve")
    for _ in range(12):
        if eve.closed.is_set():
            break
        await eve.send("ping")
    assert await eve.wait_closed() == 4429
    # No token at the upgrade, then an `auth` message: refused too, as the user's.
    anon = await connect(server, 0, authenticated=False)
    await anon.send("auth", token=token_for(5, "eve"))
    assert await anon.wait_closed() == 4429
    assert "authenticated" not in anon.types()
    # Someone else signs in this way as usual.
    other = await connect(server, 0, authenticated=False)
    await other.send("auth", token=token_for(6, "frank"))
    await other.expect("authenticated")


async def test_the_chat_limit_is_per_user_in_each_room(make_server: ServerFactory,
                                                       connect: ClientFactory) -> None:
    server = await make_server(chat_limit=2)
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    carol = await connect(server, 3, "carol")
    first = await open_room(alice, bob, "First")
    await carol.send("create_room", game_type="bigger_dice", room_name="Second")
    second = (await carol.expect("room_created"))["room_id"]
    await alice.send("spectate", room_id=second)
    await alice.expect("room_state", room_id=second)
    for text in ("one", "two"):
        await alice.send("chat_send", room_id=first, text=text)
        await alice.expect("chat_message", text=text, room_id=first)
    await refused(alice, ErrorCode.RATE_LIMITED, "chat_send", room_id=first, text="three")
    await alice.send("chat_send", room_id=second, text="elsewhere")
    await alice.expect("chat_message", text="elsewhere", room_id=second)


async def test_chat_rate_limit(make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(chat_limit=2)
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id = await open_room(alice, bob)
    for text in ("one", "two"):
        await alice.send("chat_send", room_id=room_id, text=text)
        await alice.expect("chat_message", text=text)
    await refused(alice, ErrorCode.RATE_LIMITED, "chat_send", room_id=room_id, text="three")


async def test_a_store_outage_is_service_unavailable_and_changes_nothing(
        server: Running, connect: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    mover = alice if first == 1 else bob

    async def down(*args: object) -> None:
        raise DependencyUnavailable("store is down")

    monkeypatch.setattr(server.store, "commit", down)
    await mover.send("bigger_dice.roll", room_id=room_id, request_id="during-outage")
    error = await mover.expect_error("SERVICE_UNAVAILABLE")
    assert error["request_id"] == "during-outage"
    monkeypatch.undo()
    await mover.send("rejoin_room", room_id=room_id)
    state = await mover.expect("room_state")
    assert state["room"]["turn_number"] == 1 and state["room"]["current_turn"] == first
    await mover.send("bigger_dice.roll", room_id=room_id)
    await mover.expect("bigger_dice.rolled", player_id=first)


async def test_a_bus_outage_at_the_gateway_is_service_unavailable_with_the_request_id(
        server: Running, connect: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = await connect(server, 1, "alice")
    assert server.gateway is not None

    async def down(*args: object) -> None:
        raise DependencyUnavailable("bus is down")

    monkeypatch.setattr(server.gateway._bus, "publish", down)
    await alice.send("list_rooms", request_id="bus-down")
    error = await alice.expect_error("SERVICE_UNAVAILABLE")
    assert error["request_id"] == "bus-down"


async def test_an_unexpected_fault_is_internal_error_and_the_server_goes_on(
        server: Running, connect: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = await connect(server, 1, "alice")

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(server.store, "load", broken)
    await alice.send("create_room", game_type="bigger_dice", room_name="Boom",
                     request_id="bug")
    assert (await alice.expect_error("INTERNAL_ERROR"))["request_id"] == "bug"
    monkeypatch.undo()
    await alice.send("create_room", game_type="bigger_dice", room_name="Fine")
    await alice.expect("room_created")


async def test_friends_refusals(server: Running, connect: ClientFactory) -> None:
    """Passwords, invite codes, host controls and rematch: each refusal its own code."""
    host, guest = await connect(server, 1, "host"), await connect(server, 2, "guest")
    third = await connect(server, 3, "third")
    await host.send("create_room", game_type="bigger_dice", room_name="Locked",
                    password="open sesame")
    room_id = (await host.expect("room_created"))["room_id"]
    await refused(guest, ErrorCode.PASSWORD_REQUIRED, "join_room", room_id=room_id)
    await refused(guest, ErrorCode.WRONG_PASSWORD, "join_room", room_id=room_id,
                  password="guess")
    await refused(third, ErrorCode.NOT_HOST, "kick", room_id=room_id, target_user_id=1)
    await refused(host, ErrorCode.CANNOT_TARGET_SELF, "kick", room_id=room_id,
                  target_user_id=1)
    await guest.send("join_room", room_id=room_id, password="open sesame")
    await guest.expect("room_state", room_id=room_id)
    await host.send("set_spectating", room_id=room_id, allowed=False)
    await host.expect("spectating_changed")
    await refused(third, ErrorCode.SPECTATORS_CLOSED, "spectate", room_id=room_id,
                  password="open sesame")
    await host.send("mute", room_id=room_id, target_user_id=2)
    await guest.expect("mute_changed")
    await refused(guest, ErrorCode.MUTED, "chat_send", room_id=room_id, text="hey")
    await host.send("kick", room_id=room_id, target_user_id=2)
    await guest.expect("player_kicked")
    await refused(guest, ErrorCode.KICKED, "rejoin_room", room_id=room_id)
    await refused(guest, ErrorCode.REMATCH_UNAVAILABLE, "rematch", room_id=room_id)
    guesser = await connect(server, 4, "guesser")
    for _ in range(5):  # the attempt limit: then even the right password is refused
        await refused(guesser, ErrorCode.WRONG_PASSWORD, "join_room", room_id=room_id,
                      password="wrong")
    await refused(guesser, ErrorCode.TOO_MANY_ATTEMPTS, "join_room", room_id=room_id,
                  password="open sesame")


def test_every_error_code_is_exercised_here() -> None:
    source = Path(__file__).read_text()
    for code in ErrorCode:
        assert f"ErrorCode.{code.name}" in source or f'"{code.value}"' in source, code
    assert json  # imported for raw frames
