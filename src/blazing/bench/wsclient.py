"""A minimal RFC 6455 client on ``asyncio.Protocol`` for the load generator.

The load generator has one core for tens of thousands of sockets, so each
received frame is parsed in ``data_received`` and handed to a plain callback:
no task switch, no queue, no per-message object beyond the payload bytes.
Client frames are masked as the RFC requires (one random key per process; the
XOR is one big-integer operation). Pings from the server are answered; a close
frame is echoed and the socket closed.
"""

import asyncio
import base64
import hashlib
import os
import random
from collections.abc import Callable
from typing import cast

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MASK = os.urandom(4)
_MASK_REPEATED = _MASK * 4096  # enough for 16 KiB frames; longer ones are rare here
_MASK_INTS: dict[int, int] = {}

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
ABNORMAL_CLOSE = 1006


class HandshakeError(Exception):
    """The server did not upgrade the connection (the message carries its status line)."""


def _mask(data: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return data
    key = _MASK_INTS.get(n)
    if key is None:
        repeated = _MASK_REPEATED if n <= len(_MASK_REPEATED) else _MASK * (n // 4 + 1)
        key = int.from_bytes(repeated[:n], "big")
        if n <= 4096:
            _MASK_INTS[n] = key
    return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One masked, final client frame."""
    n = len(payload)
    first = 0x80 | opcode
    if n < 126:
        header = bytes((first, 0x80 | n))
    elif n < 65536:
        header = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + _MASK + _mask(payload)


class WsClient(asyncio.Protocol):
    """One client socket. ``on_message`` gets each text/binary message's bytes."""

    def __init__(self, host: str, port: int, target: str,
                 on_message: Callable[[bytes], None]) -> None:
        key = base64.b64encode(random.getrandbits(128).to_bytes(16, "big"))
        self._expected_accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        self._request = (
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()
        self.on_message = on_message
        self.on_close: Callable[[int], None] | None = None
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int] = loop.create_future()
        self.close_code: int | None = None
        self.close_reason = b""
        self._upgraded = False
        self._close_sent = False
        self._buffer = bytearray()
        self._fragments: list[bytes] | None = None

    # --- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        if self._upgraded:
            if self._buffer:
                self._buffer += data
                self._parse(self._buffer)
            else:
                rest = self._parse(data)
                if rest:
                    self._buffer += rest
            return
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > 65536:
                self._fail(HandshakeError("handshake response too large"))
            return
        head = bytes(self._buffer[:end]).decode("latin-1")
        rest = bytes(self._buffer[end + 4:])
        self._buffer.clear()
        status, _, header_text = head.partition("\r\n")
        headers = {}
        for line in header_text.split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if not status.startswith("HTTP/1.1 101"):
            self._fail(HandshakeError(status))
            return
        if headers.get("sec-websocket-accept", "").encode() != self._expected_accept:
            self._fail(HandshakeError("bad Sec-WebSocket-Accept"))
            return
        self._upgraded = True
        if not self.opened.done():
            self.opened.set_result(None)
        if rest:
            self.data_received(rest)

    def connection_lost(self, exc: Exception | None) -> None:
        code = self.close_code if self.close_code is not None else ABNORMAL_CLOSE
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost before upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(code)
        if self.on_close is not None:
            self.on_close(code)

    # --- frames ----------------------------------------------------------------------

    def _parse(self, buf: bytes | bytearray) -> bytes:
        """Dispatch every complete frame in ``buf``; returns the incomplete tail
        (or, for the internal buffer, trims it in place and returns b"")."""
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if b1 & 0x80:  # servers must not mask
                self._protocol_error()
                return b""
            end = pos + head + length
            if end > n:
                break
            payload = bytes(buf[pos + head:end])
            pos = end
            self._frame(b0 & 0x0F, bool(b0 & 0x80), payload)
            if self.transport is None or self.transport.is_closing():
                return b""
        if isinstance(buf, bytearray):
            del buf[:pos]
            return b""
        return buf[pos:]

    def _frame(self, opcode: int, fin: bool, payload: bytes) -> None:
        if opcode in (OP_TEXT, OP_BINARY):
            if fin:
                self.on_message(payload)
            else:
                self._fragments = [payload]
        elif opcode == OP_CONT:
            if self._fragments is None:
                self._protocol_error()
                return
            self._fragments.append(payload)
            if fin:
                message, self._fragments = b"".join(self._fragments), None
                self.on_message(message)
        elif opcode == OP_PING:
            self._write(encode_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.close_reason = payload[2:]
            if not self._close_sent:
                self._close_sent = True
                self._write(encode_frame(OP_CLOSE, payload[:2]))
            if self.transport is not None:
                self.transport.close()
        # OP_PONG: nothing to do

    def _protocol_error(self) -> None:
        self.close_code = 1002
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, exc: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    # --- API -------------------------------------------------------------------------

    def send(self, text: bytes) -> None:
        """Send one text frame (already encoded JSON)."""
        self._write(encode_frame(OP_TEXT, text))

    @property
    def is_open(self) -> bool:
        return self._upgraded and self.transport is not None and not self.transport.is_closing()

    def close(self, code: int = 1000) -> None:
        """Start the closing handshake; the server then closes the TCP connection."""
        if not self._close_sent:
            self._close_sent = True
            self._write(encode_frame(OP_CLOSE, code.to_bytes(2, "big")))
        if self.transport is not None and not self._upgraded:
            self.transport.abort()

    def abort(self) -> None:
        """Drop the connection without a closing handshake (a lost network)."""
        if self.transport is not None:
            self.transport.abort()

    async def wait_closed(self, within: float) -> None:
        """Wait for the server to close; abort after ``within`` seconds."""
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), within)
        except TimeoutError:
            self.abort()


async def connect(host: str, port: int, target: str, on_message: Callable[[bytes], None], *,
                  local_host: str | None = None, within: float = 10.0) -> WsClient:
    """Open and upgrade one connection (from ``local_host`` if given)."""
    loop = asyncio.get_running_loop()
    local_addr = (local_host, 0) if local_host else None
    _, protocol = await asyncio.wait_for(loop.create_connection(
        lambda: WsClient(host, port, target, on_message), host, port,
        local_addr=local_addr), within)
    try:
        await asyncio.wait_for(asyncio.shield(protocol.opened), within)
    except BaseException:
        protocol.abort()
        raise
    return protocol
