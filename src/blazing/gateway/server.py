"""The gateway, whatever carries its sockets: sessions in, bus commands out, bus
events fanned out to sockets.

A transport (``aiohttp_transport`` or ``picows_transport``) owns the WebSocket
and calls :meth:`Gateway.opened`, :meth:`Gateway.received` and
:meth:`Gateway.closed`; the gateway sees each socket only as a :class:`Link`.
Events come off the bus into the :class:`Hub`, which pushes the same bytes to
every recipient.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Protocol
from urllib.parse import urlsplit

from blazing import accounting, metrics
from blazing.bus.base import Bus, consume
from blazing.errors import DependencyUnavailable, ErrorCode
from blazing.gateway.auth import AuthError, Identity, TokenVerifier
from blazing.gateway.hub import Hub
from blazing.gateway.session import CloseCode, GatewayLimits, Reaction, Session
from blazing.ids import GatewayId, SocketId, UserId
from blazing.protocol.envelope import Actor, Topics, released_actor, user_disconnected
from blazing.state.base import PresenceStore
from blazing.supervision import Liveness, stop_tasks

log = logging.getLogger(__name__)

AUTH_COOKIE = "auth_token"
WS_PATH = "/ws/games"  # the one WebSocket endpoint, whatever the transport
SWEEP_INTERVAL = 1.0
PING_INTERVAL = 30.0  # WebSocket ping frames, to find dead TCP peers
CLOSE_FLUSH_TIMEOUT = 10.0  # how long a closing socket may take to take its last frames
CLOSE_HANDSHAKE_TIMEOUT = 2.0
SHUTDOWN_CLOSE_TIMEOUT = 2.0
SHUTDOWN_DRAIN_TIMEOUT = 5.0  # for the closes to be recorded before the stores close
FLOOD_PENALTY_SECONDS = 10.0  # a user closed for flooding cannot reconnect for this long


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    limits: GatewayLimits = field(default_factory=GatewayLimits)
    topics: Topics = field(default_factory=Topics)
    # Empty: only the gateway's own origin (a browser's Origin must name the Host it
    # connected to); "*": any origin; else exactly these origins.
    allowed_origins: frozenset[str] = frozenset()
    sweep_interval: float = SWEEP_INTERVAL
    alive_ttl: float = 15.0  # presence.gateway_alive TTL; the heartbeat runs 3× as often


class Link(Protocol):
    """One accepted socket as the gateway sees it, whatever the transport."""

    socket_id: SocketId
    session: Session
    admitted: bool  # registered in the hub and presence
    close_requested: tuple[int, str] | None

    def push(self, data: bytes) -> None:
        """Queue ``data`` for sending; never blocks (a full queue closes the socket)."""
        ...

    def pong(self, payload: bytes) -> None:
        """Answer a PING; while the peer is not reading, only the latest is kept."""
        ...

    def close_soon(self, code: int, reason: str) -> None:
        """Close after what is already queued (or at once if the queue overflowed)."""
        ...

    async def finish(self, flush_timeout: float = CLOSE_FLUSH_TIMEOUT) -> None:
        """Wait (bounded) for a requested close to be written, then stop writing."""
        ...


def close_reason(reason: str) -> bytes:
    """``reason`` as a close frame can carry it: at most 120 bytes of UTF-8, cut at a
    character boundary (a close reason must be valid UTF-8 too)."""
    return reason.encode()[:120].decode(errors="ignore").encode()


def count_close(code: int) -> None:
    """Count a close the server decided (both transports)."""
    metrics.CLOSES.labels(str(code)).inc()
    if code == CloseCode.TOO_SLOW:
        metrics.SLOW_CLOSES.inc()


@dataclass(frozen=True, slots=True)
class Refusal:
    """An upgrade refused before it happens (the transport answers with HTTP)."""

    status: HTTPStatus
    text: str


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
        liveness: Liveness | None = None,
    ) -> None:
        """``liveness`` learns when a loop of this gateway dies (the process then
        reports it and exits, to be restarted)."""
        self._bus, self._presence, self._verifier = bus, presence, verifier
        self._liveness = liveness or Liveness()
        self.gateway_id = gateway_id or GatewayId("gw-" + secrets.token_hex(4))
        self._options = options or GatewayOptions()
        self._limits = self._options.limits
        self._monotonic = monotonic
        self.hub = Hub()
        self._connections: dict[SocketId, Link] = {}
        self._penalties: dict[UserId, float] = {}  # user -> monotonic end of flood penalty
        self._tasks: list[asyncio.Task[None]] = []
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._accepting = True
        self._dropping = 0  # closes being recorded (hub, presence, user_disconnected)
        self._all_closed = asyncio.Event()  # set when nothing is open or being dropped

    async def __aenter__(self) -> "Gateway":
        topics = self._options.topics
        subscription = await self._bus.subscribe(topics.events, f"gateway-{self.gateway_id}")
        # Sockets left on record by an earlier process with this id are gone.
        await self._release_own_sockets()
        await self._say_alive()
        self._heartbeat_task = asyncio.create_task(self._heartbeat(), name="gateway-heartbeat")
        self._tasks = [
            asyncio.create_task(consume(subscription, self._deliver), name="gateway-events"),
            asyncio.create_task(self._sweep(), name="gateway-sweeper"),
            self._heartbeat_task,
        ]
        for task, what in zip(self._tasks, ("event consumer", "sweeper", "heartbeat"),
                              strict=True):
            self._liveness.watch(task, what)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()
        await stop_tasks(self._tasks, liveness=self._liveness)
        self._tasks = []

    async def shutdown(self) -> None:
        """Stop accepting, close every socket with 1001, and wait (bounded) until every
        close has been recorded: the stores it needs close right after this."""
        self._accepting = False
        connections = list(self._connections.values())
        for conn in connections:
            conn.close_soon(CloseCode.GOING_AWAY, "server shutting down")
        await asyncio.gather(*(conn.finish(SHUTDOWN_CLOSE_TIMEOUT) for conn in connections))
        if self._connections or self._dropping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), SHUTDOWN_DRAIN_TIMEOUT)
        # Whatever close could not be recorded in time, and the registration itself
        # (with the heartbeat stopped first, so that nothing registers it again).
        if self._heartbeat_task is not None:
            await stop_tasks([self._heartbeat_task], liveness=self._liveness)
        await self._release_own_sockets()

    @property
    def limits(self) -> GatewayLimits:
        return self._limits

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def _deliver(self, data: bytes) -> None:
        self.hub.deliver(data)

    async def _say_alive(self) -> bool:
        """Renew this gateway's liveness; False if its sockets were released as dead."""
        try:
            return await self._presence.gateway_alive(self.gateway_id, self._options.alive_ttl)
        except DependencyUnavailable as exc:
            log.warning("gateway heartbeat not recorded: %s", exc)
            return True  # nothing known either way; the next beat tells

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._options.alive_ttl / 3)
            if not await self._say_alive():
                # Our heartbeats failed for longer than the TTL and a game service has
                # released our sockets, so their players were dropped from their games.
                # Make that true: the clients reconnect (1012) and rejoin.
                log.warning("this gateway was taken for dead; closing its sockets")
                for conn in list(self._connections.values()):
                    if conn.admitted:
                        conn.close_soon(CloseCode.SERVICE_RESTART,
                                        "server restarted; reconnect")

    async def _release_own_sockets(self) -> None:
        try:
            offline = await self._presence.release_gateway(self.gateway_id, only_if_dead=False)
            if offline:  # one wait for all, as the game service does for a dead gateway
                await self._bus.publish_many(self._options.topics.commands, [
                    user_disconnected(released_actor(user_id, self.gateway_id),
                                      datetime.now(UTC)) for user_id in offline])
        except DependencyUnavailable as exc:
            log.warning("sockets of gateway %s not released: %s", self.gateway_id, exc)

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

    # --- what transports call ---------------------------------------------------------

    def origin_allowed(self, origin: str | None, host: str) -> bool:
        """Stop other sites' pages from opening sockets with a visitor's cookie."""
        if origin is None:
            return True  # not a browser: nothing to hijack
        allowed = self._options.allowed_origins
        if "*" in allowed:
            return True
        if allowed:
            return origin in allowed
        try:
            netloc = urlsplit(origin).netloc
        except ValueError:  # e.g. "http://[::1": not an origin, so not ours
            return False
        return netloc.lower() == host.lower()

    def identity_from(self, cookie_token: str | None,
                      query_token: str | None) -> tuple[Identity | None, str | None]:
        """The upgrade's identity (or None) and, if a token is bad, why."""
        identities = []
        for token in (cookie_token, query_token):
            if token:
                try:
                    identities.append(self._verifier.verify(token))
                except AuthError as exc:
                    return None, str(exc)
        if len({i.user_id for i in identities}) > 1:
            return None, "cookie and query tokens name different users"
        return (identities[0] if identities else None), None

    def refusal(self, origin: str | None, host: str,
                identity: Identity | None) -> Refusal | None:
        """Why an upgrade is refused before it happens, or None to go ahead."""
        if not self.origin_allowed(origin, host):
            return Refusal(HTTPStatus.FORBIDDEN, "origin not allowed")
        if not self._accepting:
            return Refusal(HTTPStatus.SERVICE_UNAVAILABLE, "shutting down")
        if identity is not None and self._penalised(identity.user_id):
            # Flooded recently (4429 means "do not reconnect"): refuse before the
            # upgrade, where it costs the least.
            return Refusal(HTTPStatus.TOO_MANY_REQUESTS, "flooding; wait before reconnecting")
        return None

    def new_session(self) -> Session:
        return Session(socket_id=SocketId("sock_" + secrets.token_urlsafe(9)),
                       gateway_id=self.gateway_id, verifier=self._verifier,
                       limits=self._limits, now=self._monotonic())

    async def opened(self, conn: Link, identity: Identity | None) -> None:
        """A socket is upgraded; ``identity`` came with the upgrade (or not)."""
        self._connections[conn.socket_id] = conn
        self._all_closed.clear()
        metrics.CONNECTIONS.inc()
        if identity is not None:
            await self._react(conn, conn.session.sign_in(identity))

    async def received(self, conn: Link, text: bytes) -> None:
        """A whole text message (its CPU and traffic counted per command type)."""
        await accounting.metered(accounting.GATEWAY, self._received(conn, text))

    async def _received(self, conn: Link, text: bytes) -> None:
        await self._react(conn, conn.session.on_text(text, self._monotonic()))

    async def received_binary(self, conn: Link, size: int) -> None:
        """A whole binary message of ``size`` bytes (never read: it is refused)."""
        await self._react(conn, conn.session.on_binary(size, self._monotonic()))

    def control(self, conn: Link, payload: bytes, is_ping: bool) -> None:
        """A PING or PONG from the peer: spend its budget, answer a PING within it.
        Synchronous, so a transport can call it from its frame callback."""
        reaction = conn.session.on_control(self._monotonic())
        if reaction.close is not None:
            conn.close_soon(*reaction.close)
        elif reaction.answer_ping and is_ping:
            conn.pong(payload)

    async def oversize(self, conn: Link, size: int) -> None:
        """A frame the transport would not read whole."""
        await self._react(conn, conn.session.on_oversize(size, self._monotonic()))

    async def closed(self, conn: Link) -> None:
        """The socket is gone (either side closed it); forget it."""
        if self._connections.pop(conn.socket_id, None) is not None:
            metrics.CONNECTIONS.dec()
        self._dropping += 1
        try:
            await self._drop(conn)
        finally:
            self._dropping -= 1
            if not self._connections and not self._dropping:
                self._all_closed.set()

    async def _react(self, conn: Link, reaction: Reaction) -> None:
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
        if reaction.command_type is not None:
            accounting.name_command(reaction.command_type)
        for key, envelope in reaction.publish:
            try:
                with metrics.PUBLISH_COMMAND.time():
                    await self._bus.publish(self._options.topics.commands, key, envelope)
                metrics.commands_of(reaction.command_type or "").inc()
            except DependencyUnavailable:
                conn.push(session.error_frame(ErrorCode.SERVICE_UNAVAILABLE,
                                              "the game service cannot be reached; try again",
                                              reaction.request_id))
        if reaction.close is not None:
            conn.close_soon(*reaction.close)

    def _penalised(self, user_id: UserId) -> bool:
        return self._penalties.get(user_id, 0.0) > self._monotonic()

    async def _admit(self, conn: Link, identity: Identity) -> None:
        if self._penalised(identity.user_id):
            # Signed in by an `auth` message rather than at the upgrade: the penalty is
            # the user's, whichever way they sign in.
            conn.close_soon(CloseCode.FLOOD, "flooding; wait before reconnecting")
            return
        if self.hub.sockets_of(identity.user_id) >= self._limits.max_sockets_per_user:
            conn.close_soon(CloseCode.FLOOD, "too many connections for this user")
            return
        self.hub.add(identity.user_id, conn)
        conn.admitted = True
        try:
            await self._presence.socket_opened(identity.user_id, conn.socket_id,
                                              self.gateway_id)
        except DependencyUnavailable:
            log.warning("presence not recorded for user %s", identity.user_id)

    async def _drop(self, conn: Link) -> None:
        await conn.finish()
        identity = conn.session.identity
        if identity is not None and conn.admitted and conn.close_requested is not None and \
                conn.close_requested[0] == CloseCode.FLOOD:
            self._penalties[identity.user_id] = self._monotonic() + FLOOD_PENALTY_SECONDS
        if identity is None or not conn.admitted:
            return
        self.hub.remove(identity.user_id, conn)
        try:
            last = await self._presence.socket_closed(identity.user_id, conn.socket_id,
                                                     self.gateway_id)
            if last:
                await self._publish_disconnect(conn, identity)
        except DependencyUnavailable:
            log.warning("disconnect of user %s not recorded", identity.user_id)

    async def _publish_disconnect(self, conn: Link, identity: Identity) -> None:
        actor = Actor(user_id=identity.user_id, username=identity.username,
                      avatar_id=identity.avatar_id, socket_id=conn.socket_id,
                      gateway_id=self.gateway_id)
        await self._bus.publish(self._options.topics.commands,
                                *user_disconnected(actor, datetime.now(UTC)))
