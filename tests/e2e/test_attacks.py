"""Hostile clients over real sockets: spoofing, races, slow readers, fuzz while
others play. Every attack is refused with its code and the others play on."""

import asyncio
import json
import random
import socket
import struct
from base64 import b64encode
from typing import Any

import msgspec
import pytest
from prometheus_client import REGISTRY

from blazing.codec import CLIENT_TYPES
from blazing.games import registry
from blazing.wiring import Running
from tests.conftest import ClientFactory, ServerFactory, token_for
from tests.e2e.helpers import open_room, play_to_the_end, start_game

FIELDS_FOR = {
    "auth": {}, "ping": {}, "list_rooms": {},
    "create_room": {"game_type": "bigger_dice", "room_name": "Spoof"},
    "join_room": {"room_name": "Spoof"}, "leave_room": {"room_id": "room_x"},
    "rejoin_room": {"room_id": "room_x"}, "ready": {"room_id": "room_x"},
    "spectate": {"room_id": "room_x"}, "leave_spectate": {"room_id": "room_x"},
    "chat_send": {"room_id": "room_x", "text": "hi"},
    "quick_play": {"game_type": "bigger_dice"}, "quick_play_cancel": {},
    "rematch": {"room_id": "room_x"}, "renew_invite": {"room_id": "room_x"},
    "kick": {"room_id": "room_x", "target_user_id": 5},
    "mute": {"room_id": "room_x", "target_user_id": 5},
    "set_spectating": {"room_id": "room_x", "allowed": False},
}


def fields_for(command: str) -> dict[str, Any]:
    """Valid fields for any command: the platform's from the table above, a game's
    move built from its struct (so a new game needs no entry here)."""
    if command in FIELDS_FOR:
        return dict(FIELDS_FOR[command])
    game = registry.for_command(command)
    assert game is not None, command
    move = next(c for c in game.commands if c.__struct_config__.tag == command)
    samples: dict[Any, Any] = {str: "x", int: 0, bool: False}
    return {f.name: "room_x" if f.name == "room_id" else samples[f.type]
            for f in msgspec.structs.fields(move) if f.required}


@pytest.mark.parametrize("command", sorted(CLIENT_TYPES))
async def test_claiming_another_user_id_is_refused_in_every_command(
        server: Running, connect: ClientFactory, command: str) -> None:
    mallory = await connect(server, 66, "mallory")
    fields = fields_for(command)
    await mallory.send(command, user_id=1, request_id="spoof", **fields)
    error = await mallory.expect("error")
    assert error["code"] == "USER_MISMATCH" and error["request_id"] == "spoof"
    await mallory.send(command, user_id="1", **fields)  # numeric string, same thing
    assert (await mallory.expect("error"))["code"] == "USER_MISMATCH"


async def test_one_user_joining_from_two_tabs_at_once_takes_one_seat(
        server: Running, connect: ClientFactory) -> None:
    alice = await connect(server, 1, "alice")
    tabs = [await connect(server, 2, "bob"), await connect(server, 2, "bob")]
    await alice.send("create_room", game_type="bigger_dice", room_name="Tabs")
    room_id = (await alice.expect("room_created"))["room_id"]
    await asyncio.gather(*(t.send("join_room", room_id=room_id) for t in tabs))
    await alice.expect("room_joined", room_id=room_id)
    waits = [asyncio.create_task(t.expect("error")) for t in tabs]
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    assert [t.result()["code"] for t in done] == ["ALREADY_IN_ROOM"]
    await alice.send("rejoin_room", room_id=room_id)
    state = await alice.expect("room_state", room_id=room_id, seq=2)
    assert [p["user_id"] for p in state["room"]["players"]] == [1, 2]


async def test_leave_while_rolling_ends_consistently_for_everyone(
        server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    carol = await connect(server, 3, "carol")
    room_id, first = await start_game(alice, bob)
    await carol.send("spectate", room_id=room_id)
    await carol.expect("room_state")
    roller, leaver = (alice, bob) if first == 1 else (bob, alice)
    await asyncio.gather(roller.send("bigger_dice.roll", room_id=room_id),
                         leaver.send("leave_room", room_id=room_id))
    ended = [await c.expect("game_ended", room_id=room_id) for c in (alice, bob, carol)]
    assert ended[0] == ended[1] == ended[2]
    assert ended[0]["reason"] == "forfeit"
    assert ended[0]["winner_id"] == (1 if roller is alice else 2)


async def test_a_client_that_stops_reading_is_closed_with_4409_and_others_play_on(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    # Many rooms make every room_list large (~60 KiB), so a reader that stalls fills
    # its kernel buffers and then its queue quickly.
    server, slow = await _stalled_reader_beside_a_full_lobby(
        make_server, connect, outbound_queue_bytes=1024 * 1024)
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob, "Busy table")
    request = _masked_text(json.dumps({"type": "list_rooms"}).encode())
    slow_closes = REGISTRY.get_sample_value("blazing_slow_consumer_closes_total") or 0.0
    # Ask until the server gives up on this reader (bounded: at most ~60 MiB of answers;
    # loopback's kernel buffers alone can take a few MiB before the queue even starts).
    for _ in range(1000):
        if (REGISTRY.get_sample_value("blazing_slow_consumer_closes_total") or 0.0) > \
                slow_closes or not await asyncio.to_thread(slow.send, request):
            break
    code = await asyncio.to_thread(slow.close_code)
    # The server decided: one more slow-consumer close. Whether the close frame itself
    # reaches a peer that does not read is best effort (if the peer's unread requests
    # are still in the server's socket, closing it is a TCP reset that drops it).
    assert REGISTRY.get_sample_value("blazing_slow_consumer_closes_total") == slow_closes + 1
    assert slow.closed_by_server and code in (4409, None)
    ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
    assert ended["reason"] == "won"


async def _stalled_reader_beside_a_full_lobby(
        make_server: ServerFactory, connect: ClientFactory,
        outbound_queue_bytes: int) -> tuple[Running, "_StalledReader"]:
    """A server with 150 waiting rooms (every room_list is then ~60 KiB) and a raw
    client that is connected but does not read."""
    # 150 makers connect from one address at once: no per-address connect limit here.
    server = await make_server(outbound_queue_bytes=outbound_queue_bytes, rate_per_second=1000,
                               rate_burst=1000, max_connects_per_ip=0)
    makers = [await connect(server, 1000 + n, f"maker{n}") for n in range(150)]
    for n, maker in enumerate(makers):
        await maker.send("create_room", game_type="bigger_dice", room_name=f"Room {n}")
    for maker in makers:
        await maker.expect("room_created")
    reader = _StalledReader(server.port, token_for(7, "sloth"))
    await asyncio.to_thread(reader.connect)
    return server, reader


async def test_a_reader_that_pauses_and_reads_on_loses_nothing(
        make_server: ServerFactory, connect: ClientFactory) -> None:
    # A queue long enough to hold what the kernel buffers cannot: the socket is slow
    # for a while, not too slow, so everything must arrive, in order.
    _, reader = await _stalled_reader_beside_a_full_lobby(
        make_server, connect, outbound_queue_bytes=128 * 1024 * 1024)
    requests = 200  # ~12 MiB of answers, far more than loopback buffers take
    for n in range(requests):
        frame = json.dumps({"type": "list_rooms", "request_id": str(n)}).encode()
        assert await asyncio.to_thread(reader.send, _masked_text(frame))
    frames = await asyncio.to_thread(reader.read_frames, requests + 1)
    types = [json.loads(payload)["type"] for opcode, payload in frames if opcode == 0x1]
    assert types == ["authenticated"] + ["room_list"] * requests
    assert all(len(json.loads(p)["rooms"]) == 150 for _, p in frames[1:])


async def test_garbage_on_one_socket_does_not_disturb_a_game(
        server: Running, connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await start_game(alice, bob)
    fuzzer = await connect(server, 9, "fuzzer")
    rng = random.Random(5)
    samples = [b"{", b"[]", b"null", b'{"type":"ready","room_id":7}', b"\xff\xfe",
               b'{"type":"bigger_dice.roll","room_id":"' + room_id.encode() + b'"}',
               b'{"type":"leave_room","room_id":"' + room_id.encode() + b'"}',
               json.dumps({"type": "chat_send", "room_id": room_id, "text": "\u202e" * 3}
                          ).encode()]
    for _ in range(30):
        frame = rng.choice(samples)
        if rng.random() < 0.5:
            await fuzzer.send_raw(frame.decode(errors="replace"))
        else:
            await fuzzer.send_raw(frame)
    ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
    assert ended["reason"] == "won"
    assert not fuzzer.closed.is_set()
    assert all(m["code"] in ("INVALID_MESSAGE", "NOT_A_PLAYER", "NOT_IN_ROOM",
                             "GAME_NOT_IN_PROGRESS")
               for m in fuzzer.log if m["type"] == "error")


async def test_state_is_unharmed_by_a_refused_command(server: Running,
                                                      connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id = await open_room(alice, bob)
    await alice.send("rejoin_room", room_id=room_id)
    before = (await alice.expect("room_state", room_id=room_id, seq=2))["room"]
    await bob.send("bigger_dice.roll", room_id=room_id)
    await bob.expect_error("GAME_NOT_IN_PROGRESS")
    await alice.send("rejoin_room", room_id=room_id)
    after = (await alice.expect("room_state", room_id=room_id, seq=2))["room"]
    assert after == before


class _StalledReader:
    """A raw WebSocket client that sends but never reads (blocking socket, in a thread)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.sock = socket.socket()
        self.closed_by_server = False

    def connect(self) -> None:
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", self.port))
        key = b64encode(b"0123456789abcdef").decode()
        self.sock.sendall((f"GET /ws/games?token={self.token} HTTP/1.1\r\nHost: x\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0]
        self.sock.settimeout(2)

    def send(self, frame: bytes) -> bool:
        try:
            self.sock.sendall(frame)
        except OSError:
            return False
        return True

    def read_frames(self, count: int) -> list[tuple[int, bytes]]:
        """Read (blocking, 10 s per read) until ``count`` whole frames have arrived."""
        self.sock.settimeout(10)
        data, frames, pos = bytearray(), [], 0
        while len(frames) < count:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError(f"closed after {len(frames)} frames")
            data += chunk
            while (frame := _frame_at(data, pos)) is not None:
                opcode, payload, pos = frame
                frames.append((opcode, payload))
        return frames

    def close_code(self) -> int | None:
        """Read until the server closes; the close frame's code, if one arrived."""
        self.sock.settimeout(10)
        data = b""
        try:
            while chunk := self.sock.recv(1 << 20):
                data += chunk
            self.closed_by_server = True  # end of stream
        except TimeoutError:
            pass  # still open: the server did not close it
        except OSError:
            self.closed_by_server = True  # reset
        return _last_close_code(data)


def _masked_text(payload: bytes) -> bytes:
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def _frame_at(data: bytearray, pos: int) -> tuple[int, bytes, int] | None:
    """The whole server frame at ``pos`` (opcode, payload, next position), if it is in."""
    if pos + 2 > len(data):
        return None
    opcode, length, start = data[pos] & 0x0F, data[pos + 1] & 0x7F, pos + 2
    if length == 126:
        if start + 2 > len(data):
            return None
        length, start = struct.unpack(">H", data[start:start + 2])[0], start + 2
    elif length == 127:
        if start + 8 > len(data):
            return None
        length, start = struct.unpack(">Q", data[start:start + 8])[0], start + 8
    if start + length > len(data):
        return None
    return opcode, bytes(data[start:start + length]), start + length


def _last_close_code(data: bytes) -> int | None:
    """Walk server frames (unmasked) and return the close frame's code."""
    pos, code = 0, None
    while pos + 2 <= len(data):
        opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
        pos += 2
        if length == 126:
            length = struct.unpack(">H", data[pos:pos + 2])[0]
            pos += 2
        elif length == 127:
            length = struct.unpack(">Q", data[pos:pos + 8])[0]
            pos += 8
        if opcode == 0x8 and length >= 2:
            code = struct.unpack(">H", data[pos:pos + 2])[0]
        pos += length
    return code
