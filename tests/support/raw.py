"""A raw WebSocket client over asyncio streams: any bytes, any frame, any header.

For tests of what a well-behaved client library would never send (unmasked or
reserved-bit frames, invalid UTF-8 in a text frame, control-frame floods, header
garbage). Every wait has a deadline.
"""

import asyncio
import contextlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True,
          rsv: int = 0) -> bytes:
    """One client frame; ``rsv`` is the reserved bits (0x40, 0x20, 0x10)."""
    first = (0x80 if fin else 0) | rsv | opcode
    mask_bit = 0x80 if masked else 0
    size = len(payload)
    if size < 126:
        head = bytes([first, mask_bit | size])
    elif size < 1 << 16:
        head = bytes([first, mask_bit | 126]) + struct.pack(">H", size)
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack(">Q", size)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + _xor(payload, mask)


def _xor(payload: bytes, mask: bytes) -> bytes:
    key = int.from_bytes(mask * (len(payload) // 4 + 1), "big") >> (8 * (-len(payload) % 4))
    if not payload:
        return b""
    return (int.from_bytes(payload, "big") ^ (key & ((1 << 8 * len(payload)) - 1))
            ).to_bytes(len(payload), "big")


def text(data: dict[str, Any] | bytes) -> bytes:
    return frame(OP_TEXT, data if isinstance(data, bytes) else json.dumps(data).encode())


@dataclass
class ServerFrame:
    opcode: int
    payload: bytes

    @property
    def close_code(self) -> int | None:
        if self.opcode != OP_CLOSE or len(self.payload) < 2:
            return None
        return int(struct.unpack(">H", self.payload[:2])[0])

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.payload)
        return data


@dataclass
class RawSocket:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    status: int
    head: bytes
    frames: list[ServerFrame] = field(default_factory=list)

    @classmethod
    async def open(cls, port: int, *, path: str = "/ws/games", token: str | None = None,
                   headers: dict[str, str] | None = None, raw_headers: bytes = b"",
                   early: bytes = b"", timeout: float = 5.0) -> "RawSocket":
        """Send an upgrade request (``raw_headers`` are added as they are, and ``early``
        is sent right after the request, before the answer) and read the response
        head (101 or a refusal)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
        target = path + (f"?token={token}" if token is not None else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {KEY}",
                 "Sec-WebSocket-Version: 13"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n").encode() + raw_headers + b"\r\n" + early)
        async with asyncio.timeout(timeout):
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                head = exc.partial
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        return cls(reader, writer, status, head)

    @property
    def upgraded(self) -> bool:
        return self.status == 101

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def next_frame(self, timeout: float = 5.0) -> ServerFrame | None:
        """The next server frame, or None once the server has closed the connection."""
        try:
            async with asyncio.timeout(timeout):
                first, second = await self.reader.readexactly(2)
                size = second & 0x7F
                if size == 126:
                    size = struct.unpack(">H", await self.reader.readexactly(2))[0]
                elif size == 127:
                    size = struct.unpack(">Q", await self.reader.readexactly(8))[0]
                payload = await self.reader.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        received = ServerFrame(first & 0x0F, payload)
        self.frames.append(received)
        return received

    async def expect_json(self, type_: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next text frame of ``type_`` (others are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            received = await self.next_frame(max(deadline - loop.time(), 0.01))
            if received is None:
                raise AssertionError(f"closed while waiting for {type_}: {self.frames[-3:]}")
            if received.opcode == OP_TEXT and received.json().get("type") == type_:
                return received.json()

    async def close_code(self, timeout: float = 5.0) -> int | None:
        """Read until the server's close frame (its code) or the end of the stream
        (None: closed without a close frame)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            received = await self.next_frame(max(deadline - loop.time(), 0.01))
            if received is None:
                return None
            if received.opcode == OP_CLOSE:
                return received.close_code

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
