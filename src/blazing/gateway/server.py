"""The WebSocket transport: the one module that touches aiohttp's WebSocket.

Each socket gets a :class:`Session` (protocol logic), a bounded outbound queue
and one writer task. Events come off the bus into the :class:`Hub`, which
pushes the same bytes to every recipient's queue.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web

from blazing import metrics
from blazing.bus.base import Bus, consume
from blazing.errors import DependencyUnavailable, ErrorCode
from blazing.gateway.auth import AuthError, Identity, TokenVerifier
from blazing.gateway.hub import Hub
from blazing.gateway.session import CloseCode, GatewayLimits, Reaction, Session
from blazing.ids import GatewayId, SocketId, UserId
from blazing.protocol.codec import encode
from blazing.protocol.envelope import (
    Actor,
    Envelope,
    Topics,
    UserDisconnected,
    encode_envelope,
)
from blazing.state.base import PresenceStore

log = logging.getLogger(__name__)

AUTH_COOKIE = "auth_token"
SWEEP_INTERVAL = 1.0
PING_INTERVAL = 30.0  # WebSocket ping frames, to find dead TCP peers
CLOSE_FLUSH_TIMEOUT = 10.0  # how long a closing socket may take to take its last frames
CLOSE_HANDSHAKE_TIMEOUT = 2.0
FLOOD_PENALTY_SECONDS = 10.0  # a user closed for flooding cannot reconnect for this long


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    limits: GatewayLimits = field(default_factory=GatewayLimits)
    topics: Topics = field(default_factory=Topics)
    # Empty: only the gateway's own origin (a browser's Origin must name the Host it
    # connected to); "*": any origin; else exactly these origins.
    allowed_origins: frozenset[str] = frozenset()
    sweep_interval: float = SWEEP_INTERVAL


class Connection:
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
        metrics.CLOSES.labels(str(code)).inc()
        if code == CloseCode.TOO_SLOW:
            # Drop the backlog the peer is not reading, but never cancel a frame in
            # flight: half a frame would garble the stream before the close frame.
            metrics.SLOW_CLOSES.inc()
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


def _refusal(status: type[web.HTTPException], text: str) -> web.Response:
    """A refused upgrade that also ends the connection: a client retrying over one
    kept-alive connection would skip the per-address connect limit at accept."""
    response = web.Response(status=status.status_code, text=text)
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


class Gateway:
    """Accepts sockets, feeds their sessions, and fans bus events out to them."""

    def __init__(
        self,
        *,
        bus: Bus,
        presence: PresenceStore,
        verifier: TokenVerifier,
        gateway_id: GatewayId | None = None,
        options: GatewayOptions | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus, self._presence, self._verifier = bus, presence, verifier
        self.gateway_id = gateway_id or GatewayId("gw-" + secrets.token_hex(4))
        self._options = options or GatewayOptions()
        self._limits = self._options.limits
        self._monotonic = monotonic
        self.hub = Hub()
        self._connections: dict[SocketId, Connection] = {}
        self._penalties: dict[UserId, float] = {}  # user -> monotonic end of flood penalty
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = True

    async def __aenter__(self) -> "Gateway":
        topics = self._options.topics
        subscription = await self._bus.subscribe(topics.events, f"gateway-{self.gateway_id}")
        self._tasks = [
            asyncio.create_task(consume(subscription, self._deliver), name="gateway-events"),
            asyncio.create_task(self._sweep(), name="gateway-sweeper"),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def shutdown(self) -> None:
        """Stop accepting and close every socket with 1001."""
        self._accepting = False
        connections = list(self._connections.values())
        for conn in connections:
            conn.close_soon(CloseCode.GOING_AWAY, "server shutting down")
        for conn in connections:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=CloseCode.GOING_AWAY,
                                                     message=b"server shutting down"), 2)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def _deliver(self, data: bytes) -> None:
        self.hub.deliver(data)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self._options.sweep_interval)
            now = self._monotonic()
            for conn in list(self._connections.values()):
                expired = conn.session.timeout(now)
                if expired is not None:
                    conn.close_soon(*expired)
            for user in [u for u, until in self._penalties.items() if until <= now]:
                del self._penalties[user]

    # --- the socket handler ----------------------------------------------------------

    def _origin_allowed(self, request: web.Request) -> bool:
        """Stop other sites' pages from opening sockets with a visitor's cookie."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser: nothing to hijack
        allowed = self._options.allowed_origins
        if "*" in allowed:
            return True
        if allowed:
            return origin in allowed
        return urlsplit(origin).netloc.lower() == request.host.lower()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self._origin_allowed(request):
            return _refusal(web.HTTPForbidden, "origin not allowed")
        if not self._accepting:
            return _refusal(web.HTTPServiceUnavailable, "shutting down")
        identity, failure = self._identity_from(request)
        if identity is not None and self._penalties.get(identity.user_id, 0.0) > \
                self._monotonic():
            # Flooded recently (4429 means "do not reconnect"): refuse before the
            # upgrade, where it costs the least.
            return _refusal(web.HTTPTooManyRequests, "flooding; wait before reconnecting")
        ws = GameSocket(
            max_msg_size=self._limits.hard_frame_bytes * 16,
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
        session = Session(socket_id=SocketId("sock_" + secrets.token_urlsafe(9)),
                          gateway_id=self.gateway_id, verifier=self._verifier,
                          limits=self._limits, now=self._monotonic())
        conn = Connection(ws, session, self._limits.outbound_queue)
        self._connections[conn.socket_id] = conn
        metrics.CONNECTIONS.inc()
        try:
            if identity is not None:
                await self._react(conn, session.sign_in(identity))
            await self._read(conn)
        finally:
            metrics.CONNECTIONS.dec()
            await self._drop(conn)
        return ws

    def _identity_from(self, request: web.Request) -> tuple[Identity | None, str | None]:
        cookie = request.cookies.get(AUTH_COOKIE)
        query = request.query.get("token")
        identities = []
        for token in (cookie, query):
            if token:
                try:
                    identities.append(self._verifier.verify(token))
                except AuthError as exc:
                    return None, str(exc)
        if len({i.user_id for i in identities}) > 1:
            return None, "cookie and query tokens name different users"
        return (identities[0] if identities else None), None

    async def _read(self, conn: Connection) -> None:
        ws, session = conn.ws, conn.session
        async for msg in ws:
            now = self._monotonic()
            if msg.type == WSMsgType.TEXT:
                reaction = session.on_text(msg.data, now)
            elif msg.type == WSMsgType.BINARY:
                reaction = session.on_binary(now)
            else:
                break
            await self._react(conn, reaction)
            if conn.close_requested is not None:
                break
        if ws.exception() is not None and conn.close_requested is None:
            log.info("socket %s closed: %s", conn.socket_id, ws.exception())

    async def _react(self, conn: Connection, reaction: Reaction) -> None:
        session = conn.session
        if reaction.authenticated is not None:
            await self._admit(conn, reaction.authenticated)
            if conn.close_requested is not None:
                return
        for data in reaction.replies:
            conn.push(data)
        if reaction.refresh_presence and session.identity is not None:
            with contextlib.suppress(DependencyUnavailable):
                await self._presence.refresh(session.identity.user_id)
        if reaction.watch_lobby:
            self.hub.watch_lobby(conn)
        for key, envelope in reaction.publish:
            try:
                with metrics.PUBLISH_COMMAND.time():
                    await self._bus.publish(self._options.topics.commands, key, envelope)
                metrics.commands_of(reaction.command_type or "").inc()
            except DependencyUnavailable:
                conn.push(session.error_frame(ErrorCode.SERVICE_UNAVAILABLE,
                                              "the game service cannot be reached; try again"))
        if reaction.close is not None:
            conn.close_soon(*reaction.close)

    async def _admit(self, conn: Connection, identity: Identity) -> None:
        if self.hub.sockets_of(identity.user_id) >= self._limits.max_sockets_per_user:
            conn.close_soon(CloseCode.FLOOD, "too many connections for this user")
            return
        self.hub.add(identity.user_id, conn)
        conn.admitted = True
        try:
            await self._presence.socket_opened(identity.user_id, conn.socket_id)
        except DependencyUnavailable:
            log.warning("presence not recorded for user %s", identity.user_id)

    async def _drop(self, conn: Connection) -> None:
        self._connections.pop(conn.socket_id, None)
        await conn.finish()
        identity = conn.session.identity
        if identity is not None and conn.admitted and conn.close_requested is not None and \
                conn.close_requested[0] == CloseCode.FLOOD:
            self._penalties[identity.user_id] = self._monotonic() + FLOOD_PENALTY_SECONDS
        if identity is None or not conn.admitted:
            return
        self.hub.remove(identity.user_id, conn)
        try:
            last = await self._presence.socket_closed(identity.user_id, conn.socket_id)
            if last:
                await self._publish_disconnect(conn, identity)
        except DependencyUnavailable:
            log.warning("disconnect of user %s not recorded", identity.user_id)

    async def _publish_disconnect(self, conn: Connection, identity: Identity) -> None:
        actor = Actor(user_id=identity.user_id, username=identity.username,
                      avatar_id=identity.avatar_id, socket_id=conn.socket_id,
                      gateway_id=self.gateway_id)
        payload = UserDisconnected(user_id=identity.user_id, at=datetime.now(UTC))
        envelope = Envelope(event_id=secrets.token_hex(16), event_type="user_disconnected",
                            timestamp=payload.at, actor=actor, audience=None,
                            payload=msgspec.Raw(encode(payload)))
        await self._bus.publish(self._options.topics.commands, f"user:{identity.user_id}",
                                encode_envelope(envelope))
