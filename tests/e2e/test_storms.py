"""Connection storms and slow handshakes beside a running game: the game plays
to the end, and the server's bookkeeping returns to what it was."""

import asyncio

import aiohttp

from blazing.wiring import Running
from tests.conftest import ClientFactory, token_for
from tests.e2e.helpers import play_to_the_end, start_game

STALLED = 300
STORM = 500


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


async def test_a_connection_storm_does_not_starve_a_game_or_leak(
        server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    assert server.gateway is not None
    baseline = server.gateway.connection_count

    async def connect_and_leave(n: int, http: aiohttp.ClientSession) -> None:
        token = token_for(10_000 + n, f"storm{n}")
        async with http.ws_connect(server.ws_url, params={"token": token}) as ws:
            await ws.receive()  # authenticated
            await ws.send_str('{"type":"list_rooms"}')

    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200)) as http:
        storm = asyncio.gather(*(connect_and_leave(n, http) for n in range(STORM)))
        ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
        await storm
    assert ended["reason"] == "won"
    async with asyncio.timeout(10):  # the server notices the closes shortly after
        while server.gateway.connection_count != baseline:  # noqa: ASYNC110 - poll, deadline
            await asyncio.sleep(0.02)
    assert server.gateway.hub.socket_count == baseline
