"""The aiohttp WebSocket transport for ``/ws/games`` (``WS_TRANSPORT=aiohttp``).

Each socket gets an :class:`AiohttpLink`: its session, an outbound queue bounded
in bytes and a writer task that exists only while there is something to send.

aiohttp's frame parser accepts unmasked client frames, which RFC 6455 §5.1 says
must fail the connection; :class:`MaskedFramesOnly` walks the frame headers in
front of it and fails them with 1002, as picows does. PINGs are answered here,
not by aiohttp, so that they spend the session's budget like any frame.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WebSocketError, WSCloseCode, WSMsgType, web

from blazing import metrics
from blazing.gateway.server import (
    AUTH_COOKIE,
    CLOSE_FLUSH_TIMEOUT,
    CLOSE_HANDSHAKE_TIMEOUT,
    PING_INTERVAL,
    Gateway,
    Refusal,
    close_reason,
    count_close,
)
from blazing.gateway.session import CloseCode, Session

log = logging.getLogger(__name__)


class AiohttpLink:
    """One accepted socket: its session and its outbound queue.

    The queue is a deque bounded by the bytes it holds; a writer task exists only
    while there is something to send, so an idle socket costs no task (memory per
    socket is what limits a gateway's socket count).
    """

    __slots__ = ("_limit", "_pong", "_queue", "_queued_bytes", "_writer", "admitted",
                 "close_requested", "session", "socket_id", "ws")

    def __init__(self, ws: web.WebSocketResponse, session: Session, queue_bytes: int) -> None:
        self.ws = ws
        self.session = session
        self.socket_id = session.socket_id
        self.close_requested: tuple[int, str] | None = None
        self.admitted = False  # registered in the hub and presence
        # Made on the first push and dropped when drained: an empty deque is ~760
        # bytes, and most sockets are idle most of the time.
        self._queue: deque[bytes] | None = None
        self._queued_bytes = 0
        self._pong: bytes | None = None  # the PONG owed (only the latest is kept)
        self._limit = queue_bytes
        self._writer: asyncio.Task[None] | None = None

    def push(self, data: bytes) -> None:
        if self.close_requested is not None:
            return
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        elif self._queued_bytes + len(data) > self._limit:
            self.close_soon(CloseCode.TOO_SLOW, "outbound queue overflow")
            return
        queue.append(data)
        self._queued_bytes += len(data)
        self._wake()

    def pong(self, payload: bytes) -> None:
        if self.close_requested is None:
            self._pong = payload
            self._wake()

    def _wake(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())

    def close_soon(self, code: int, reason: str) -> None:
        """Close after what is already queued has been written (or, if the queue is
        what overflowed, after the frame in flight: the peer is not reading anyway)."""
        if self.close_requested is not None:
            return
        self.close_requested = (code, reason)
        count_close(code)
        if code == CloseCode.TOO_SLOW:
            # Drop the backlog the peer is not reading, but never cancel a frame in
            # flight: half a frame would garble the stream before the close frame.
            self._queue, self._pong = None, None
        self._wake()  # the writer sends what is queued, then the close frame

    async def _write(self) -> None:
        try:
            while True:
                pong, self._pong = self._pong, None
                if pong is not None:
                    await self.ws.pong(pong)
                queue = self._queue
                if not queue:
                    break
                data = queue.popleft()
                self._queued_bytes -= len(data)
                await self.ws.send_frame(data, WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            return  # the peer went away; the reader notices and cleans up
        finally:
            self._queue, self._queued_bytes = None, 0
        if self.close_requested is not None:
            await self._close(*self.close_requested)
        else:
            self._writer = None  # a finished task keeps its coroutine: let both go

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=close_reason(reason))

    async def finish(self, flush_timeout: float = CLOSE_FLUSH_TIMEOUT) -> None:
        """Stop writing; a requested close first flushes what was queued and the
        close frame (which, for a peer that stopped reading, waits for its buffers)."""
        writer = self._writer
        if writer is None or writer.done():
            return
        if self.close_requested is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(writer), flush_timeout)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer


class MaskedFramesOnly:
    """In front of aiohttp's frame parser: passes bytes on while every client frame
    is masked, and fails the connection with 1002 at the first one that is not.

    It reads only frame headers (2 to 14 bytes per frame) and skips payloads, keeping
    what it needs of a header split across reads.
    """

    __slots__ = ("_failed", "_header", "_parser", "_queue", "_skip")

    def __init__(self, parser: Any, queue: Any) -> None:
        self._parser = parser  # aiohttp's WebSocketReader
        self._queue = queue  # the WebSocketDataQueue it feeds, to fail
        self._skip = 0  # payload bytes of the current frame still to come
        self._header = b""  # a header cut by the end of the last read
        self._failed = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        bad = self._first_unmasked(data)
        if bad is None:
            result: tuple[bool, bytes] = self._parser.feed_data(data)
            return result
        if bad:
            self._parser.feed_data(data[:bad])
        self._failed = True
        metrics.PROTOCOL_ERRORS.inc()
        self._queue.set_exception(WebSocketError(
            WSCloseCode.PROTOCOL_ERROR, "unmasked frame from a client (RFC 6455 5.1)"))
        return True, b""

    def feed_eof(self) -> None:
        self._parser.feed_eof()

    def _first_unmasked(self, data: bytes) -> int | None:
        """Where in ``data`` the first unmasked frame starts, if one does."""
        pos, end = 0, len(data)
        if self._header:
            data = self._header + data
            pos, end, offset = 0, len(data), len(self._header)
            self._header = b""
        else:
            offset = 0
        while True:
            if self._skip:
                step = min(self._skip, end - pos)
                self._skip -= step
                pos += step
            if pos >= end:
                return None
            if end - pos < 2:
                self._header = data[pos:]
                return None
            second = data[pos + 1]
            if not second & 0x80:
                return max(pos - offset, 0)
            length, size = second & 0x7F, 2
            if length == 126:
                size = 4
            elif length == 127:
                size = 10
            if end - pos < size + 4:  # the mask key follows the length
                self._header = data[pos:]
                return None
            if length == 126:
                length = int.from_bytes(data[pos + 2:pos + 4], "big")
            elif length == 127:
                length = int.from_bytes(data[pos + 2:pos + 10], "big")
            pos += size + 4
            self._skip = length


class GameSocket(web.WebSocketResponse):
    """aiohttp closes a frame over ``max_msg_size`` by itself, with 1009; clients of
    this protocol know 4413 as "too large", as for the frames the session refuses.
    Its frame parser is put behind :class:`MaskedFramesOnly`."""

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"",
                    drain: bool = True) -> bool:
        if code == WSCloseCode.MESSAGE_TOO_BIG:
            code, message = CloseCode.MESSAGE_TOO_LARGE, b"frame too large"
        return await super().close(code=code, message=message, drain=drain)

    def _post_start(self, request: web.BaseRequest, protocol: str | None,
                    writer: Any) -> None:
        # aiohttp 3.14 (pinned): the parent makes the parser and gives it to the
        # connection, feeding it at once what the client sent with its upgrade
        # request. That early part is held back and fed through the mask check.
        handler: Any = request.protocol
        early, handler._message_tail = handler._message_tail, b""
        super()._post_start(request, protocol, writer)
        checked = MaskedFramesOnly(handler._payload_parser, self._reader)
        handler._payload_parser = checked
        if early:
            checked.feed_data(early)


def _refusal(refused: Refusal) -> web.Response:
    """A refused upgrade that also ends the connection: a client retrying over one
    kept-alive connection would skip the per-address connect limit at accept."""
    response = web.Response(status=refused.status, text=refused.text)
    response.force_close()
    return response


def websocket_handler(gateway: Gateway) -> Callable[[web.Request],
                                                   Awaitable[web.StreamResponse]]:
    """The aiohttp handler for ``GET /ws/games``."""
    limits = gateway.limits

    async def handle(request: web.Request) -> web.StreamResponse:
        identity, failure = gateway.identity_from(request.cookies.get(AUTH_COOKIE),
                                                  request.query.get("token"))
        refused = gateway.refusal(request.headers.get("Origin"), request.host, identity)
        if refused is not None:
            return _refusal(refused)
        ws = GameSocket(
            # Frames between the limit and this are refused by the session (with an
            # error, or 4413 past hard_frame_bytes); larger ones aiohttp will not read.
            max_msg_size=limits.hard_frame_bytes * 16,
            heartbeat=PING_INTERVAL,
            autoping=False,  # PINGs are answered below, within the session's budget
            compress=False,
            decode_text=False,
            # How long a close waits for the peer's close frame, reading and dropping
            # what it still sends (a flooder keeps sending).
            timeout=CLOSE_HANDSHAKE_TIMEOUT,
        )
        await ws.prepare(request)
        if failure is not None:
            await ws.close(code=CloseCode.UNAUTHENTICATED, message=close_reason(failure))
            return ws
        conn = AiohttpLink(ws, gateway.new_session(), limits.outbound_queue_bytes)
        try:
            await gateway.opened(conn, identity)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await gateway.received(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await gateway.received_binary(conn, len(msg.data))
                elif msg.type == WSMsgType.PING or msg.type == WSMsgType.PONG:
                    gateway.control(conn, msg.data, msg.type == WSMsgType.PING)
                else:
                    break
                if conn.close_requested is not None:
                    break
        except Exception:
            # A bug, not the peer's doing: say so, and end this socket with a code.
            log.exception("socket %s: handling a frame failed", conn.socket_id)
            conn.close_soon(CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            await gateway.closed(conn)
        return ws

    return handle
