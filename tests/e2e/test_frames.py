"""Frames no client library would send, over raw sockets, on both transports: each
class of bad frame gets the same answer from aiohttp and picows, nothing the peer
sends puts a traceback or an ERROR line in the log, and other players carry on."""

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import cast

import msgspec
import pytest

from blazing.gateway.server import Link
from blazing.ids import UserId
from blazing.protocol.envelope import Audience, AudienceType, Envelope, encode_envelope
from blazing.wiring import Running
from tests.conftest import ClientFactory, ServerFactory, token_for
from tests.support import raw
from tests.support.raw import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    RawSocket,
    frame,
)


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a peer sends, the server logs nothing at ERROR (no traceback)."""
    caplog.set_level(logging.DEBUG)
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    loud = [f"{r.name}: {r.getMessage()}" for r in records
            if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, loud


async def signed_in(server: Running, user_id: int = 1) -> RawSocket:
    socket = await RawSocket.open(server.port, token=token_for(user_id, f"user{user_id}"))
    await socket.expect_json("authenticated")
    return socket


async def anonymous(server: Running) -> RawSocket:
    socket = await RawSocket.open(server.port)
    assert socket.upgraded
    return socket


async def still_answers(socket: RawSocket) -> None:
    socket.send(raw.text({"type": "ping", "request_id": "alive"}))
    await socket.expect_json("pong")


# --- text that is not UTF-8 ------------------------------------------------------------


NOT_UTF8 = [b'{"type":"ping","ignored":"\xff"}', b'{"type":"pi\xffng"}', b"\xc3\x28",
            b'{"type":"ping","x":"\xed\xa0\x80"}', b'{"type":"list_rooms","game_type":"\xc0\xaf"}']


@pytest.mark.parametrize("payload", NOT_UTF8)
@pytest.mark.parametrize("sign_in", [False, True], ids=["anonymous", "signed-in"])
async def test_a_text_frame_that_is_not_utf8_fails_the_connection_with_1007(
        server: Running, connect: ClientFactory, payload: bytes, sign_in: bool) -> None:
    bystander = await connect(server, 2, "bystander")
    socket = await (signed_in(server) if sign_in else anonymous(server))
    socket.send(frame(OP_TEXT, payload))
    assert await socket.close_code() == 1007
    await socket.close()
    await bystander.send("ping")
    await bystander.expect("pong")


async def test_utf8_split_across_fragments_is_read_whole(server: Running) -> None:
    socket = await signed_in(server)
    message = '{"type":"ping","request_id":"é€😀"}'.encode()
    cut = message.index("€".encode()) + 1  # inside a multi-byte character
    socket.send(frame(OP_TEXT, message[:cut], fin=False) + frame(OP_CONTINUATION, message[cut:]))
    pong = await socket.expect_json("pong")
    assert pong["type"] == "pong"


# --- binary frames ---------------------------------------------------------------------


async def test_a_large_binary_frame_closes_with_4413_like_a_text_one(server: Running) -> None:
    socket = await signed_in(server)
    socket.send(frame(OP_BINARY, b"\x00" * 200_000))
    assert await socket.close_code() == 4413
    await socket.close()


async def test_binary_frames_over_the_limit_count_towards_4413(server: Running) -> None:
    socket = await signed_in(server)
    for _ in range(2):
        socket.send(frame(OP_BINARY, b"\x00" * 20_000))
        error = await socket.expect_json("error")
        assert error["code"] == "MESSAGE_TOO_LARGE"
    socket.send(frame(OP_BINARY, b"\x00" * 20_000))
    assert await socket.close_code() == 4413
    await socket.close()


async def test_a_fragmented_binary_message_is_measured_whole(server: Running) -> None:
    socket = await signed_in(server)
    parts = [frame(OP_BINARY, b"\x01" * 30_000, fin=False)]
    parts += [frame(OP_CONTINUATION, b"\x01" * 30_000, fin=False) for _ in range(5)]
    socket.send(b"".join(parts) + frame(OP_CONTINUATION, b"\x01"))
    assert await socket.close_code() == 4413
    await socket.close()


async def test_a_small_binary_frame_is_refused_and_the_socket_stays(server: Running) -> None:
    socket = await signed_in(server)
    socket.send(frame(OP_BINARY, b"\x00\x01"))
    assert (await socket.expect_json("error"))["code"] == "INVALID_MESSAGE"
    await still_answers(socket)
    await socket.close()


# --- frames that break RFC 6455 ---------------------------------------------------------

BROKEN = {
    "unmasked": frame(OP_TEXT, b'{"type":"ping"}', masked=False),
    "reserved-bit-1": frame(OP_TEXT, b'{"type":"ping"}', rsv=0x40),
    "reserved-bit-3": frame(OP_BINARY, b"x", rsv=0x10),
    "unknown-opcode": frame(0x3, b"x"),
    "long-control": frame(OP_PING, b"x" * 126),
    "fragmented-control": frame(OP_PING, b"x", fin=False),
    "continuation-first": frame(OP_CONTINUATION, b"x"),
    "new-message-mid-fragment": frame(OP_TEXT, b'{"type":', fin=False)
    + frame(OP_TEXT, b'"ping"}'),
}


@pytest.mark.parametrize("sign_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("data", list(BROKEN.values()), ids=list(BROKEN))
async def test_a_frame_breaking_the_protocol_fails_the_connection_with_1002(
        server: Running, connect: ClientFactory, data: bytes, sign_in: bool) -> None:
    bystander = await connect(server, 2, "bystander")
    socket = await (signed_in(server) if sign_in else anonymous(server))
    socket.send(data)
    assert await socket.close_code() == 1002
    await socket.close()
    await bystander.send("ping")
    await bystander.expect("pong")


async def test_frames_sent_with_the_upgrade_request_are_checked_too(server: Running) -> None:
    """A client that does not wait for the 101 before its first frame."""
    early = frame(OP_TEXT, b'{"type":"ping"}', masked=False)
    socket = await RawSocket.open(server.port, token=token_for(1, "eager"), early=early)
    assert socket.upgraded
    assert await socket.close_code() == 1002
    await socket.close()


# --- control frames ---------------------------------------------------------------------


async def test_a_ping_is_answered_with_its_payload(server: Running) -> None:
    socket = await signed_in(server)
    socket.send(frame(OP_PING, b"hello"))
    while (received := await socket.next_frame()) is not None and received.opcode != OP_PONG:
        pass
    assert received is not None and received.payload == b"hello"
    await still_answers(socket)
    await socket.close()


@pytest.mark.parametrize("sign_in", [False, True], ids=["anonymous", "signed-in"])
async def test_a_control_frame_flood_is_closed_with_4429(
        make_server: ServerFactory, connect: ClientFactory, sign_in: bool) -> None:
    server = await make_server()
    bystander = await connect(server, 2, "bystander")
    socket = await (signed_in(server) if sign_in else anonymous(server))
    socket.send(frame(OP_PING, b"") * 2000)
    assert await socket.close_code() == 4429
    pongs = sum(1 for f in socket.frames if f.opcode == OP_PONG)
    assert pongs <= 40 + 5, pongs  # the burst, and a little refill; not 2,000
    await socket.close()
    await bystander.send("ping")
    await bystander.expect("pong")


async def test_a_pong_flood_is_closed_with_4429(server: Running) -> None:
    socket = await signed_in(server)
    socket.send(frame(OP_PONG, b"") * 2000)
    assert await socket.close_code() == 4429
    await socket.close()


# --- the upgrade request ------------------------------------------------------------------


async def test_an_over_long_query_token_is_a_4401_on_both_transports(server: Running) -> None:
    socket = await RawSocket.open(server.port, token="a" * 9000)
    assert socket.upgraded, socket.head
    assert await socket.close_code() == 4401
    assert socket.frames[-1].payload[2:] == b"token too large"
    await socket.close()


async def test_request_headers_over_16_kib_are_refused_with_431_and_up_to_it_taken(
        server: Running) -> None:
    socket = await RawSocket.open(server.port, token="a" * 40_000)
    assert socket.status == 431, socket.head
    await socket.close()
    for size, status in ((HEAD_LIMIT, 101), (HEAD_LIMIT + 1, 431)):
        padded = await RawSocket.open(server.port, token=token_for(1, "pad"),
                                      headers={"X-Pad": "p" * pad_to(server, size)})
        assert padded.status == status, (size, padded.head[:60])
        await padded.close()


HEAD_LIMIT = 16 * 1024


def pad_to(server: Running, size: int) -> int:
    """The X-Pad value length that makes the whole request head ``size`` bytes."""
    head = (f"GET /ws/games?token={token_for(1, 'pad')} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {raw.KEY}\r\nSec-WebSocket-Version: 13\r\nX-Pad: \r\n\r\n")
    return size - len(head)


# --- a fault of ours ----------------------------------------------------------------------


async def test_a_fault_handling_a_frame_closes_with_1011_and_the_server_goes_on(
        server: Running, connect: ClientFactory, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    assert server.gateway is not None
    victim = await connect(server, 1, "victim")
    original = server.gateway.received

    async def broken(conn: object, text: bytes) -> None:
        if b"boom" in text:
            raise RuntimeError("a bug")
        await original(conn, text)  # type: ignore[arg-type]

    monkeypatch.setattr(server.gateway, "received", broken)
    await victim.send("ping", request_id="boom")
    assert await victim.wait_closed() == 1011
    other = await connect(server, 2, "other")
    await other.send("ping")
    await other.expect("pong")
    # A bug is logged with its traceback (the one ERROR this module allows).
    assert any("a bug" in str(r.exc_info) for r in caplog.records if r.exc_info)
    caplog.clear()  # what the fixture checks, for this test only


# --- frames given together ---------------------------------------------------------------


def _event(user_id: int, n: int, size: int) -> bytes:
    """An event envelope for ``user_id`` whose payload is ``size`` bytes of JSON."""
    head = json.dumps({"type": "probe", "n": n, "pad": ""}).encode()
    payload = head[:-2] + b"x" * (size - len(head)) + b'"}'
    return encode_envelope(Envelope(
        event_id=f"probe-{n}", event_type="probe", timestamp=datetime.now(UTC), actor=None,
        audience=Audience(type=AudienceType.USER, user_ids=[UserId(user_id)]),
        payload=msgspec.Raw(payload)))


# Each length form of a frame header: 7 bits, 16 bits (from 126), 64 bits (from 65,536).
SIZES = [40, 125, 126, 300, 65_535, 65_536, 70_000, 50]


async def test_frames_given_in_one_turn_arrive_whole_and_in_order(server: Running) -> None:
    assert server.gateway is not None
    socket = await signed_in(server, 7)
    for n, size in enumerate(SIZES):  # one turn of the loop: written together
        server.gateway.hub.deliver(_event(7, n, size))
    for n, size in enumerate(SIZES):
        received = await socket.next_frame()
        assert received is not None and received.opcode == OP_TEXT
        assert len(received.payload) == size
        assert received.json()["n"] == n
    await still_answers(socket)


async def test_frames_given_before_a_close_in_the_same_turn_go_before_it(
        server: Running) -> None:
    assert server.gateway is not None
    socket = await signed_in(server, 8)
    (outlet,) = server.gateway.hub.outlets_of(UserId(8))
    for n in range(3):
        server.gateway.hub.deliver(_event(8, n, 200))
    cast(Link, outlet).close_soon(4000, "probe over")
    for n in range(3):
        received = await socket.next_frame()
        assert received is not None and received.opcode == OP_TEXT
        assert received.json()["n"] == n
    received = await socket.next_frame()
    assert received is not None and received.opcode == OP_CLOSE
    assert received.close_code == 4000
