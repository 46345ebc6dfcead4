"""The aiohttp WebSocket transport for ``/ws/games``.

Each socket gets an :class:`AiohttpLink`: its session, a bounded outbound
queue and a writer task that exists only while there is something to send.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from blazing.gateway.server import (
    AUTH_COOKIE,
    CLOSE_FLUSH_TIMEOUT,
    CLOSE_HANDSHAKE_TIMEOUT,
    PING_INTERVAL,
    Gateway,
    Refusal,
    count_close,
)
from blazing.gateway.session import CloseCode, Session


class AiohttpLink:
    """One accepted socket: its session and its outbound queue.

    The queue is a bounded deque; a writer task exists only while there is
    something to send, so an idle socket costs no task (memory per socket is
    what limits a gateway's socket count).
    """

    __slots__ = ("_limit", "_queue", "_writer", "admitted", "close_requested", "session",
                 "socket_id", "ws")

    def __init__(self, ws: web.WebSocketResponse, session: Session, queue_size: int) -> None:
        self.ws = ws
        self.session = session
        self.socket_id = session.socket_id
        self.close_requested: tuple[int, str] | None = None
        self.admitted = False  # registered in the hub and presence
        # Made on the first push and dropped when drained: an empty deque is ~760
        # bytes, and most sockets are idle most of the time.
        self._queue: deque[bytes] | None = None
        self._limit = queue_size
        self._writer: asyncio.Task[None] | None = None

    def push(self, data: bytes) -> None:
        if self.close_requested is not None:
            return
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        elif len(queue) >= self._limit:
            self.close_soon(CloseCode.TOO_SLOW, "outbound queue overflow")
            return
        queue.append(data)
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
            self._queue = None
        self._wake()  # the writer sends what is queued, then the close frame

    async def _write(self) -> None:
        try:
            while self._queue:
                await self.ws.send_frame(self._queue.popleft(), WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            return  # the peer went away; the reader notices and cleans up
        finally:
            self._queue = None
        if self.close_requested is not None:
            await self._close(*self.close_requested)
        else:
            self._writer = None  # a finished task keeps its coroutine: let both go

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=reason.encode()[:120])

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


def _refusal(refused: Refusal) -> web.Response:
    """A refused upgrade that also ends the connection: a client retrying over one
    kept-alive connection would skip the per-address connect limit at accept."""
    response = web.Response(status=refused.status, text=refused.text)
    response.force_close()
    return response


class GameSocket(web.WebSocketResponse):
    """aiohttp closes a frame over ``max_msg_size`` by itself, with 1009; clients of
    this protocol know 4413 as "too large", as for the frames the session refuses."""

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"",
                    drain: bool = True) -> bool:
        if code == WSCloseCode.MESSAGE_TOO_BIG:
            code, message = CloseCode.MESSAGE_TOO_LARGE, b"frame too large"
        return await super().close(code=code, message=message, drain=drain)


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
            compress=False,
            decode_text=False,
            # How long a close waits for the peer's close frame, reading and dropping
            # what it still sends (a flooder keeps sending).
            timeout=CLOSE_HANDSHAKE_TIMEOUT,
        )
        await ws.prepare(request)
        if failure is not None:
            await ws.close(code=CloseCode.UNAUTHENTICATED, message=failure.encode()[:120])
            return ws
        conn = AiohttpLink(ws, gateway.new_session(), limits.outbound_queue)
        try:
            await gateway.opened(conn, identity)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await gateway.received(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await gateway.received(conn, None)
                else:
                    break
                if conn.close_requested is not None:
                    break
        finally:
            await gateway.closed(conn)
        return ws

    return handle
