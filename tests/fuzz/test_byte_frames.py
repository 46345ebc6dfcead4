"""Byte-level frames over real sockets, the same sequence against both transports:
random opcodes (reserved ones too), FIN and reserved bits, masked or not, text that
is and is not UTF-8, binary, control frames in and out of place, fragments, CLOSE
frames well and badly formed. Each transport closes with the same code (or stays
open the same way), only with codes the protocol names, never logs at ERROR, and a
game beside the fuzz finishes.

A sequence is a run of frames no server refuses, then one random frame: when one
read holds a frame breaking the framing and, before it, a message the session
refuses, picows (which checks framing as it parses) and aiohttp (message by
message) may name either fault first; one random frame per sequence keeps the
comparison exact."""

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from blazing.games.base import RandomRng
from blazing.settings import Settings
from blazing.wiring import Running, embedded
from tests.conftest import SECRET, token_for
from tests.e2e.helpers import play_to_the_end, start_game
from tests.support.client import WsClient
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

SEQUENCES = 80
# Codes a server may close with for what a peer sends (None: still open at the end).
ALLOWED = {1000, 1002, 1007, 4401, 4413, 4429, None}
TEXTS = [b'{"type":"ping"}', b'{"type":"list_rooms"}', b'{"type":"ping","x":"\xff"}',
         b"\xc3\x28", b'{"type":', b'"ping"}', "é€😀".encode(), "😀".encode()[:2], b"{}",
         b'{"type":"create_room","game_type":"bigger_dice","room_name":"\xe2\x80\xae"}']


def random_frame(rng: random.Random) -> bytes:
    kind = rng.random()
    masked = rng.random() > 0.05
    rsv = rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x20, 0x10])
    fin = rng.random() > 0.2
    if kind < 0.35:
        return frame(OP_TEXT, rng.choice(TEXTS), fin=fin, masked=masked, rsv=rsv)
    if kind < 0.5:
        return frame(OP_CONTINUATION, rng.choice(TEXTS), fin=fin, masked=masked, rsv=rsv)
    if kind < 0.6:
        size = rng.choice([0, 3, 20_000, 70_000])
        return frame(OP_BINARY, bytes(rng.randrange(256) for _ in range(min(size, 64)))
                     * max(1, size // 64), fin=fin, masked=masked, rsv=rsv)
    if kind < 0.8:
        payload = bytes(rng.randrange(256) for _ in range(rng.choice([0, 5, 125, 126])))
        return frame(rng.choice([OP_PING, OP_PONG]), payload, fin=rng.random() > 0.1,
                     masked=masked, rsv=rsv)
    if kind < 0.85:
        payload = rng.choice([b"", b"\x03", b"\x03\xe8", b"\x03\xe8bye", b"\x03\xe8\xff",
                              b"\x00\x00", b"\x0f\xa0"])
        return frame(OP_CLOSE, payload, masked=masked)
    return frame(rng.choice([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), b"x", masked=masked)


BENIGN_TEXTS = [b'{"type":"ping"}', b'{"type":"list_rooms"}', b"{}", "é€😀".encode(),
                b'{"type":"nope"}']


def benign_frame(rng: random.Random) -> bytes:
    """A frame (or a whole fragmented message) that neither transport refuses."""
    kind = rng.random()
    if kind < 0.4:
        return frame(OP_TEXT, rng.choice(BENIGN_TEXTS))
    if kind < 0.55:
        return frame(OP_BINARY, b"\x00" * rng.choice([0, 1, 100]))
    if kind < 0.8:
        return frame(rng.choice([OP_PING, OP_PONG]), b"p" * rng.randrange(0, 126))
    message = '{"type":"ping","request_id":"frag-é€😀"}'.encode()
    cuts = sorted(rng.sample(range(1, len(message)), 2))  # anywhere, mid-character too
    parts = [message[:cuts[0]], message[cuts[0]:cuts[1]], message[cuts[1]:]]
    return (frame(OP_TEXT, parts[0], fin=False) + frame(OP_PING, b"between")
            + frame(OP_CONTINUATION, parts[1], fin=False)
            + frame(OP_CONTINUATION, parts[2]))


def random_sequence(rng: random.Random) -> list[bytes]:
    return [benign_frame(rng) for _ in range(rng.randrange(0, 8))] + [random_frame(rng)]


async def answer(server: Running, frames: list[bytes], signed_in: bool) -> int | None:
    socket = await RawSocket.open(server.port,
                                  token=token_for(77, "fuzz") if signed_in else None)
    assert socket.upgraded, socket.head
    if signed_in:
        await socket.expect_json("authenticated")
    socket.send(b"".join(frames))
    # A marker the server answers with an error that echoes its request id.
    socket.send(frame(OP_TEXT, b'{"type":"marker","request_id":"end"}'))
    code: int | None = None
    while (received := await socket.next_frame(10)) is not None:
        if received.opcode == OP_CLOSE:
            code = received.close_code
            break
        if received.opcode == OP_TEXT and received.json().get("request_id") == "end":
            break  # everything before the marker was handled and it stayed open
    await socket.close()
    return code


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[dict[str, Running]]:
    async with AsyncExitStack() as stack:
        running = {}
        for transport in ("aiohttp", "picows"):
            settings = Settings(port=0, history_url="sqlite:///:memory:",
                                state_url=f"sqlite:///{tmp_path / transport}.db",
                                jwt_secret=SECRET, timer_interval=0.02, ws_transport=transport,
                                max_connects_per_ip=0)
            running[transport] = await stack.enter_async_context(
                embedded(settings, rng=RandomRng.seeded(3)))
        yield running


async def test_byte_level_frames_get_the_same_answer_from_both_transports(
        servers: dict[str, Running], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    game_server = servers["picows"]
    alice = await WsClient.connect(game_server.ws_url, "alice", token=token_for(1, "alice"))
    bob = await WsClient.connect(game_server.ws_url, "bob", token=token_for(2, "bob"))
    room_id, first = await start_game(alice, bob)
    rng = random.Random(11)
    differences = []
    seen: set[int | None] = set()
    for number in range(SEQUENCES):
        frames = random_sequence(rng)
        signed_in = number % 2 == 1
        codes = await asyncio.gather(*(answer(server, frames, signed_in)
                                       for server in servers.values()))
        assert set(codes) <= ALLOWED, (codes, frames)
        seen.update(codes)
        if codes[0] != codes[1]:
            differences.append((number, codes, [f[:12] for f in frames]))
    assert not differences, differences
    assert {1000, 1002, 1007, None} <= seen, seen  # the run reached each kind of answer
    loud = [f"{r.name}: {r.getMessage()}" for r in caplog.records
            if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, loud
    ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
    assert ended["reason"] == "won"
    await alice.close()
    await bob.close()
