"""Authentication, timeouts, limits and shutdown over real sockets."""

import asyncio

import aiohttp
import pytest

from blazing.gateway.auth import issue_token
from blazing.settings import Settings
from blazing.wiring import Running, embedded
from tests.conftest import SECRET, TIME_UNIT, ClientFactory, ServerFactory, token_for
from tests.support.client import WsClient


async def test_a_cookie_token_signs_the_socket_in_at_the_upgrade(server: Running) -> None:
    client = await WsClient.connect(server.ws_url, cookie=token_for(11, "kim"))
    try:
        hello = await client.expect("authenticated")
        assert hello["user_id"] == 11 and hello["username"] == "kim"
        assert hello["socket_id"].startswith("sock_")
    finally:
        await client.close()


async def test_the_auth_message_signs_an_anonymous_socket_in(server: Running,
                                                             connect: ClientFactory) -> None:
    anon = await connect(server, 0, authenticated=False)
    await anon.send("auth", token=token_for(12, "lee"), user_id="12")
    assert (await anon.expect("authenticated"))["user_id"] == 12
    await anon.send("list_rooms")
    await anon.expect("room_list")


@pytest.mark.parametrize(
    "token",
    [issue_token(secret=SECRET, user_id=5, username="x", ttl_seconds=-30),
     issue_token(secret="not-the-server-secret-but-long-enough", user_id=5, username="x")],
    ids=["expired", "forged"],
)
async def test_a_bad_token_at_the_upgrade_closes_with_4401_and_a_reason(
        server: Running, token: str) -> None:
    client = await WsClient.connect(server.ws_url, token=token)
    try:
        assert await client.wait_closed() == 4401
        assert client.ws.close_code == 4401
    finally:
        await client.close()


async def test_a_bad_token_in_auth_closes_with_4401(server: Running,
                                                    connect: ClientFactory) -> None:
    anon = await connect(server, 0, authenticated=False)
    await anon.send("auth", token="not.a.jwt")
    assert await anon.wait_closed() == 4401


async def test_cookie_and_query_tokens_for_different_users_are_refused(server: Running) -> None:
    client = await WsClient.connect(server.ws_url, cookie=token_for(1, "a"),
                                    token=token_for(2, "b"))
    try:
        assert await client.wait_closed() == 4401
        assert not [m for m in client.log if m["type"] == "authenticated"]
    finally:
        await client.close()


async def test_an_unauthenticated_socket_is_closed_after_the_auth_deadline(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    server = await make_server(auth_timeout=TIME_UNIT)
    anon = await connect(server, 0, authenticated=False)
    assert await anon.wait_closed(timeout=10 * TIME_UNIT + 3) == 4401


async def test_a_silent_socket_is_closed_with_4408(make_server: ServerFactory,
                                                   connect: ClientFactory) -> None:
    server = await make_server(idle_timeout=2 * TIME_UNIT)
    quiet = await connect(server, 1, "quiet")
    assert await quiet.wait_closed(timeout=10 * TIME_UNIT + 3) == 4408


async def test_sockets_per_user_are_limited(make_server: ServerFactory,
                                            connect: ClientFactory) -> None:
    server = await make_server(max_sockets_per_user=2)
    await connect(server, 1, "tabby")
    await connect(server, 1, "tabby")
    third = await WsClient.connect(server.ws_url, token=token_for(1, "tabby"))
    try:
        assert await third.wait_closed() == 4429
    finally:
        await third.close()


async def test_a_foreign_origin_is_refused_when_an_allow_list_is_set(
        make_server: ServerFactory) -> None:
    server = await make_server(allowed_origins="https://games.example")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await WsClient.connect(server.ws_url, token=token_for(1, "a"),
                               headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    ok = await WsClient.connect(server.ws_url, token=token_for(1, "a"),
                                headers={"Origin": "https://games.example"})
    await ok.expect("authenticated")
    await ok.close()


@pytest.mark.parametrize("transport", ["aiohttp", "picows"])
async def test_shutdown_closes_every_socket_with_1001(transport: str) -> None:
    settings = Settings(port=0, history_url="sqlite:///:memory:", jwt_secret=SECRET,
                        ws_transport=transport)
    async with embedded(settings) as running:
        clients = [await WsClient.connect(running.ws_url, token=token_for(n, f"u{n}"))
                   for n in range(1, 51)]
        for client in clients:
            await client.expect("authenticated")
    # Each close was handled (hub, presence, user_disconnected) before the stores closed.
    assert running.gateway is not None and running.gateway.hub.socket_count == 0
    for client in clients:
        assert await client.wait_closed() == 1001
        await client.close()


async def test_a_foreign_origin_is_refused_by_default_and_the_own_origin_accepted(
        server: Running) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await WsClient.connect(server.ws_url, token=token_for(1, "a"),
                               headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    own = await WsClient.connect(server.ws_url, token=token_for(1, "a"),
                                 headers={"Origin": server.base_url})
    await own.expect("authenticated")
    await own.close()


async def test_any_origin_with_a_star(make_server: ServerFactory) -> None:
    server = await make_server(allowed_origins="*")
    client = await WsClient.connect(server.ws_url, token=token_for(1, "a"),
                                    headers={"Origin": "https://elsewhere.example"})
    await client.expect("authenticated")
    await client.close()


async def test_sockets_per_address_are_limited(make_server: ServerFactory) -> None:
    server = await make_server(max_sockets_per_ip=2)
    first = await WsClient.connect(server.ws_url, token=token_for(1, "a"))
    second = await WsClient.connect(server.ws_url, token=token_for(2, "b"))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await WsClient.connect(server.ws_url, token=token_for(3, "c"))
    assert refused.value.status == 429
    await first.close()
    await first.wait_closed()
    async with asyncio.timeout(5):  # the slot frees once the server sees the close
        while True:
            try:
                third = await WsClient.connect(server.ws_url, token=token_for(3, "c"))
                break
            except aiohttp.WSServerHandshakeError:
                await asyncio.sleep(0.05)
    await third.expect("authenticated")
    await third.close()
    await second.close()


async def test_a_frame_far_over_every_limit_is_closed_as_too_large(
        server: Running, connect: ClientFactory, request: pytest.FixtureRequest) -> None:
    alice = await connect(server, 1, "alice")
    bob = await connect(server, 2, "bob")
    # Larger than even the transport's ceiling (64 x MAX_FRAME_BYTES), which the
    # WebSocket library enforces itself before the session could see the frame:
    # aiohttp's close is turned into 4413; picows closes with the standard 1009.
    await alice.send_raw("x" * (64 * 16384 + 1))
    transport = request.node.callspec.params["make_server"]
    assert await alice.wait_closed() == (4413 if transport == "aiohttp" else 1009)
    await bob.send("list_rooms")
    await bob.expect("room_list")


def _client_frame(first_byte: int, payload: bytes) -> bytes:
    """A masked client frame (short payloads only)."""
    assert len(payload) < 126
    mask = b"\x0a\x0b\x0c\x0d"
    return bytes([first_byte, 0x80 | len(payload)]) + mask + \
        bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _server_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return first & 0x0F, await reader.readexactly(length)


async def test_a_message_sent_in_fragments_is_read_whole(server: Running) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write((f"GET /ws/games?token={token_for(1, 'alice')} HTTP/1.1\r\n"
                  "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  "\r\n").encode())
    async with asyncio.timeout(5):
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 101 " in head.split(b"\r\n")[0]
        assert b'"authenticated"' in (await _server_frame(reader))[1]
        message = b'{"type":"ping","request_id":"in-three-parts"}'
        writer.write(_client_frame(0x01, message[:10])  # text, more to come
                     + _client_frame(0x00, message[10:30])  # continuation
                     + _client_frame(0x80, message[30:]))  # continuation, final
        opcode, payload = await _server_frame(reader)
    assert opcode == 0x1 and b'"pong"' in payload
    writer.close()
