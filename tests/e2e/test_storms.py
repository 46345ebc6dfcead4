"""Connection storms and slow handshakes beside a running game: the game plays
to the end, and the server's bookkeeping returns to what it was."""

import asyncio

import aiohttp
from prometheus_client import REGISTRY

from blazing.wiring import Running
from tests.conftest import ClientFactory, ServerFactory, token_for
from tests.e2e.helpers import play_to_the_end, start_game

STALLED = 300
STORM = 500


def _refused(reason: str) -> float:
    return REGISTRY.get_sample_value("blazing_refused_connections_total",
                                     {"reason": reason}) or 0.0


async def test_slow_handshakes_do_not_starve_a_game(server: Running,
                                                    connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    stalled = []
    for _ in range(STALLED):  # slowloris: half a request line each, then nothing
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /ws/games HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr")
        await writer.drain()
        stalled.append((reader, writer))
    try:
        ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
        assert ended["reason"] == "won"
    finally:
        for _, writer in stalled:
            writer.close()


async def test_a_connection_that_never_finishes_its_headers_is_cut(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(handshake_timeout=0.3)
    alice = await connect(server, 1, "alice")  # handshakes in time
    cut_before = _refused("handshake_timeout")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /ws/games HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
    await writer.drain()
    async with asyncio.timeout(5):
        assert await reader.read() == b""  # the server hung up
    writer.close()
    assert _refused("handshake_timeout") == cut_before + 1
    # alice is past the deadline too, but her handshake was complete: not cut.
    await alice.send("list_rooms")
    await alice.expect("room_list")


async def _storm(server: Running, http: aiohttp.ClientSession) -> list[int]:
    """STORM clients connect, list the rooms and leave; returns each one's HTTP status."""

    async def connect_and_leave(n: int) -> int:
        token = token_for(10_000 + n, f"storm{n}")
        try:
            async with http.ws_connect(server.ws_url, params={"token": token}) as ws:
                await ws.receive()  # authenticated
                await ws.send_str('{"type":"list_rooms"}')
                return 101
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status

    return await asyncio.gather(*(connect_and_leave(n) for n in range(STORM)))


async def _back_to(server: Running, baseline: int) -> None:
    assert server.gateway is not None
    async with asyncio.timeout(10):  # the server notices the closes shortly after
        while server.gateway.connection_count != baseline:  # noqa: ASYNC110 - poll, deadline
            await asyncio.sleep(0.02)
    assert server.gateway.hub.socket_count == baseline


async def test_a_connection_storm_does_not_starve_a_game_or_leak(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    # As if the storm came from many addresses: no per-address connect limit.
    server = await make_server(max_connects_per_ip=0)
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    assert server.gateway is not None
    baseline = server.gateway.connection_count
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:
        storm = asyncio.ensure_future(_storm(server, http))
        ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
        statuses = await storm
    assert ended["reason"] == "won"
    assert statuses == [101] * STORM
    await _back_to(server, baseline)


async def test_a_storm_from_one_address_is_refused_at_accept(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(max_connects_per_ip=20)  # 40 at once, then 20 a second
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    assert server.gateway is not None
    baseline = server.gateway.connection_count
    refused_before = _refused("connect_rate")
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:
        storm = asyncio.ensure_future(_storm(server, http))
        ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
        statuses = await storm
    assert ended["reason"] == "won"
    assert set(statuses) == {101, 429}
    assert statuses.count(429) == _refused("connect_rate") - refused_before
    await _back_to(server, baseline)
