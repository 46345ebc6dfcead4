"""Composition root: reads settings, builds adapters by URL, runs the servers.

The only module that imports adapters; each backend's driver is imported inside
its adapter module, so the embedded install needs none of them.
"""

import contextlib
import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from aiohttp import web

from blazing import accounting
from blazing.bus.base import Bus
from blazing.errors import ConfigError
from blazing.games.base import RandomRng, Rng
from blazing.gateway import picows_transport
from blazing.gateway.admission import (
    MAX_HEAD,
    Admission,
    AdmissionLimits,
    ProtocolFactory,
    listen,
)
from blazing.gateway.auth import JwtConfig, TokenVerifier
from blazing.gateway.server import WS_PATH, Gateway, GatewayOptions
from blazing.gateway.session import GatewayLimits
from blazing.history.base import HistoryStore
from blazing.ids import GatewayId
from blazing.protocol.envelope import Topics, released_actor, user_disconnected
from blazing.rooms.context import RuleSettings
from blazing.rooms.service import Clock, GameService, ServiceSettings, utc_now
from blazing.settings import Settings
from blazing.state.base import PresenceStore, RoomStore
from blazing.supervision import Liveness
from blazing.web.app import DevLogin, Probe, build_app, build_probe_app

log = logging.getLogger(__name__)


# Client libraries of the distributed backends: the `distributed` extra.
DISTRIBUTED_DRIVERS = frozenset({"aiokafka", "kafka", "redis", "hiredis", "pymongo", "bson"})


@contextlib.contextmanager
def _driver_of(setting: str, scheme: str) -> Iterator[None]:
    """Turn a missing client library into one line that names the extra to install."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in DISTRIBUTED_DRIVERS:
            raise
        raise ConfigError(f"{setting} {scheme}:// needs the client library {exc.name!r}, which "
                          "is not installed: pip install 'blazing[distributed]'") from None


def open_bus(url: str, topics: Sequence[str] = (), instance_id: str | None = None,
             partitions: int = 6) -> Bus:
    """The bus at ``url``; a broker bus creates ``topics`` at start if they are missing
    (``partitions`` each), and its consumers join their groups as static members named
    ``instance_id``."""
    scheme = urlparse(url).scheme
    if scheme == "memory":
        from blazing.bus.memory import MemoryBus

        return MemoryBus()
    if scheme == "kafka":
        with _driver_of("BUS_URL", scheme):
            from blazing.bus.kafka import KafkaBus

        # kafka://host:port[,host:port...] -> the bootstrap list "host:port,..."
        bootstrap = urlparse(url).netloc
        if not bootstrap:
            raise ConfigError(f"BUS_URL {url!r} needs kafka://host:port[,host:port]")
        return KafkaBus(bootstrap, ensure_topics=topics, instance_id=instance_id,
                        topic_partitions=partitions)
    raise ConfigError(f"unsupported BUS_URL {url!r} (memory://, kafka://host:port)")


def _sqlite_path(setting: str, url: str) -> str:
    """sqlite:///relative.db, sqlite:////abs/path.db or sqlite:///:memory: -> the path."""
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
    if not path:
        raise ConfigError(f"{setting} {url!r}: sqlite:/// needs a path or :memory:")
    return path


def open_state(url: str, clock: Clock) -> tuple[RoomStore, PresenceStore]:
    """The room store at ``url`` and the presence store beside it (in memory unless
    Redis: presence only has to be shared when there are several processes)."""
    scheme = urlparse(url).scheme
    if scheme in ("memory", "sqlite"):
        from blazing.state.memory import MemoryPresence, MemoryRoomStore

        if scheme == "memory":
            return MemoryRoomStore(clock), MemoryPresence(clock)
        from blazing.state.sqlite import SqliteRoomStore

        return SqliteRoomStore(_sqlite_path("STATE_URL", url)), MemoryPresence(clock)
    if scheme in ("redis", "rediss"):
        with _driver_of("STATE_URL", scheme):
            from blazing.state.redis import RedisPresence, RedisRoomStore

        accounting.meter_redis()  # round trips and bytes per command type (/metrics)
        # Redis keeps real time for TTLs, so the clock is not used here.
        return RedisRoomStore(url), RedisPresence(url)
    raise ConfigError(f"unsupported STATE_URL {url!r} (sqlite:///path.db, memory://, "
                      "redis://host:port/db)")


def open_history(url: str) -> HistoryStore:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        from blazing.history.sqlite import SqliteHistory

        return SqliteHistory(_sqlite_path("HISTORY_URL", url))
    if parsed.scheme in ("mongodb", "mongodb+srv"):
        with _driver_of("HISTORY_URL", parsed.scheme):
            from blazing.history.mongo import MongoHistory

        return MongoHistory(url)
    raise ConfigError(
        f"unsupported HISTORY_URL {url!r} (sqlite:///path, mongodb://host:port/db)")


def rule_settings(settings: Settings) -> RuleSettings:
    return RuleSettings(
        turn_seconds=settings.turn_seconds,
        grace_seconds=settings.grace_seconds,
        ready_seconds=settings.ready_seconds,
        retention_seconds=settings.retention_seconds,
        spectator_limit=settings.spectator_limit,
        chat_limit=settings.chat_limit,
        chat_window_seconds=settings.chat_window_seconds,
    )


def gateway_options(settings: Settings) -> GatewayOptions:
    limits = GatewayLimits(
        max_frame_bytes=settings.max_frame_bytes,
        hard_frame_bytes=max(4 * settings.max_frame_bytes, settings.max_frame_bytes + 1),
        rate_per_second=settings.rate_per_second,
        burst=settings.rate_burst,
        flood_close_after=settings.flood_close_after,
        auth_timeout=settings.auth_timeout,
        idle_timeout=settings.idle_timeout,
        outbound_queue_bytes=settings.outbound_queue_bytes,
        max_sockets_per_user=settings.max_sockets_per_user,
    )
    return GatewayOptions(limits=limits, allowed_origins=settings.origins,
                          topics=Topics.prefixed(settings.topic_prefix),
                          alive_ttl=settings.gateway_ttl)


def jwt_config(settings: Settings, fallback_secret: str | None = None) -> JwtConfig:
    return JwtConfig(
        algorithm=settings.jwt_algorithm,
        secret=settings.jwt_secret or fallback_secret,
        public_key_path=settings.jwt_public_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


@dataclass(frozen=True, slots=True)
class Running:
    """A started server: where it listens and its parts (for tests and the CLI)."""

    host: str
    port: int
    gateway: Gateway | None
    service: GameService | None
    store: RoomStore
    dev_login: DevLogin | None
    liveness: Liveness

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws/games"


@dataclass(frozen=True, slots=True)
class Backends:
    bus: Bus
    store: RoomStore
    presence: PresenceStore
    history: HistoryStore

    @property
    def probes(self) -> dict[str, Probe]:
        return {"bus": self.bus.ping, "state": self.store.ping, "history": self.history.ping}


# Without history a process still plays games (finished ones are recorded once it is
# back; only the history API fails): it stays ready, marked degraded, so that a load
# balancer does not pull every gateway out because of it.
OPTIONAL_PROBES = frozenset({"history"})


# Periods that loops sleep for (zero or less would spin), and deadlines.
POSITIVE_PERIODS = {"GATEWAY_TTL": "gateway_ttl", "TIMER_INTERVAL": "timer_interval",
                    "SHUTDOWN_TIMEOUT": "shutdown_timeout"}


async def _open_backends(stack: AsyncExitStack, settings: Settings, clock: Clock,
                         instance_id: str | None = None) -> Backends:
    for env, name in POSITIVE_PERIODS.items():
        if not getattr(settings, name) > 0:
            raise ConfigError(f"{env} must be a positive number of seconds")
    if settings.topic_partitions < 1:
        raise ConfigError("TOPIC_PARTITIONS must be at least 1")
    topics = Topics.prefixed(settings.topic_prefix)
    bus = await stack.enter_async_context(open_bus(
        settings.bus_url, [topics.commands, topics.events],
        settings.instance_id or instance_id, settings.topic_partitions))
    store, presence = open_state(settings.resolved_state_url, clock)
    return Backends(
        bus=bus,
        store=await stack.enter_async_context(store),
        presence=await stack.enter_async_context(presence),
        history=await stack.enter_async_context(open_history(settings.resolved_history_url)),
    )


def dev_secret_file(settings: Settings) -> Path | None:
    """Where a process that keeps its rooms in a SQLite file keeps its invented dev-login
    secret, beside that file; None when its state does not outlive it."""
    url = settings.resolved_state_url
    if not url.startswith("sqlite:///"):
        return None
    path = _sqlite_path("STATE_URL", url)
    return None if path == ":memory:" else Path(path + ".dev-login-secret")


def _invented_secret(settings: Settings) -> str:
    """A random secret for dev login. With durable state it is kept (mode 0600), so a
    restart keeps the players signed in along with their games."""
    path = dev_secret_file(settings)
    if path is None:
        return secrets.token_urlsafe(32)
    try:
        kept = path.read_text().strip()
        if kept:
            return kept
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secret + "\n")
    except OSError as exc:
        log.warning("dev-login secret not kept in %s (%s): a restart signs players out",
                    path, exc)
    return secret


def _auth(settings: Settings, *, single_process: bool) -> tuple[TokenVerifier, DevLogin | None]:
    """Token verifier and dev login. One process may invent a secret for dev login;
    several gateways must share ``JWT_SECRET`` to accept each other's tokens."""
    dev_secret: str | None = None
    if settings.dev_login and settings.jwt_algorithm == "HS256":
        dev_secret = settings.jwt_secret or (_invented_secret(settings) if single_process
                                             else None)
    elif settings.dev_login:
        log.warning("dev login needs HS256 tokens; it is off with %s", settings.jwt_algorithm)
    if settings.jwt_algorithm == "HS256" and not (settings.jwt_secret or dev_secret):
        raise ConfigError("set JWT_SECRET (shared by every gateway) to verify tokens")
    verifier = TokenVerifier(jwt_config(settings, dev_secret))
    return verifier, DevLogin(dev_secret) if dev_secret else None


class MeteredGameService(GameService):
    """The game service with each command's CPU and traffic counted by its type."""

    async def handle(self, data: bytes) -> None:
        await accounting.metered(accounting.GAME_SERVICE, super().handle(data),
                                 accounting.command_type_of(data))


def _service(backends: Backends, settings: Settings, rng: Rng | None,
             clock: Clock, liveness: Liveness) -> GameService:
    return MeteredGameService(
        bus=backends.bus, store=backends.store, history=backends.history,
        presence=backends.presence, rng=rng or RandomRng.secure(), clock=clock,
        liveness=liveness,
        settings=ServiceSettings(rules=rule_settings(settings),
                                 timer_interval=settings.timer_interval,
                                 gateway_ttl=settings.gateway_ttl,
                                 crash_at=settings.crash_at,
                                 topics=Topics.prefixed(settings.topic_prefix),
                                 outbox=not settings.bus_url.startswith("memory:")),
    )


async def _serve_gateway(stack: AsyncExitStack, backends: Backends, settings: Settings,
                         service: GameService | None, liveness: Liveness, *,
                         single_process: bool) -> Running:
    """Start a gateway and the HTTP app around it on ``stack``."""
    verifier, dev_login = _auth(settings, single_process=single_process)
    gateway = await stack.enter_async_context(Gateway(
        bus=backends.bus, presence=backends.presence, verifier=verifier,
        gateway_id=GatewayId(settings.gateway_id) if settings.gateway_id else None,
        options=gateway_options(settings), liveness=liveness,
    ))
    app = build_app(gateway=gateway, history=backends.history, verifier=verifier,
                    probes=backends.probes, dev_login=dev_login, liveness=liveness,
                    optional=OPTIONAL_PROBES)
    port = await stack.enter_async_context(_serving(app, settings, gateway))
    return Running(settings.host, port, gateway, service, backends.store, dev_login, liveness)


# Every runner takes the process's Liveness (or makes one): the CLI watches it and
# exits once something in the process broke beyond repair.


async def drop_everyone_left_connected(backends: Backends, topics: Topics,
                                       clock: Clock) -> int:
    """At the start of the one process: every player and spectator its rooms still
    count as connected had their socket in the previous run, which is gone (a
    restart, a crash, ``kill -9``). Drop them as if their last socket had closed, so
    their grace periods run and their opponents see them disconnected; those who
    reconnect and rejoin in time play on. Returns how many users were dropped."""
    rooms = await backends.store.active_rooms(limit=2**31)
    users = sorted({p.user_id for room in rooms for p in room.players
                    if p.disconnected_until is None}
                   | {s.user_id for room in rooms for s in room.spectators
                      if s.disconnected_until is None})
    if users:
        at = clock()
        await backends.bus.publish_many(topics.commands, [
            user_disconnected(released_actor(user, GatewayId("previous-run")), at)
            for user in users])
        log.info("%d players and spectators of the last run dropped until they rejoin",
                 len(users))
    return len(users)


@asynccontextmanager
async def embedded(
    settings: Settings, *, rng: Rng | None = None, clock: Clock = utc_now,
    liveness: Liveness | None = None,
) -> AsyncIterator[Running]:
    """Gateway and game service in one process (in-process bus; rooms in SQLite by
    default, so that they outlive the process)."""
    liveness = liveness or Liveness()
    async with AsyncExitStack() as stack:
        backends = await _open_backends(stack, settings, clock)
        service = await stack.enter_async_context(
            _service(backends, settings, rng, clock, liveness))
        # Before the gateway accepts anyone: no socket of this run can be dropped.
        await drop_everyone_left_connected(backends, Topics.prefixed(settings.topic_prefix),
                                           clock)
        yield await _serve_gateway(stack, backends, settings, service, liveness,
                                   single_process=True)


@asynccontextmanager
async def gateway_only(settings: Settings, *,
                       liveness: Liveness | None = None) -> AsyncIterator[Running]:
    """A gateway of the distributed mode: sockets, HTTP and the history API."""
    liveness = liveness or Liveness()
    accounting.set_process(accounting.GATEWAY)
    async with AsyncExitStack() as stack:
        # A gateway restarted under its GATEWAY_ID rejoins its event group at once.
        backends = await _open_backends(stack, settings, utc_now, settings.gateway_id)
        yield await _serve_gateway(stack, backends, settings, None, liveness,
                                   single_process=False)


@asynccontextmanager
async def game_service_only(settings: Settings, *, rng: Rng | None = None,
                            clock: Clock = utc_now,
                            liveness: Liveness | None = None) -> AsyncIterator[Running]:
    """A game service of the distributed mode, with /healthz, /readyz and /metrics."""
    liveness = liveness or Liveness()
    accounting.set_process(accounting.GAME_SERVICE)
    async with AsyncExitStack() as stack:
        backends = await _open_backends(stack, settings, clock)
        service = await stack.enter_async_context(
            _service(backends, settings, rng, clock, liveness))
        app = build_probe_app(backends.probes, liveness, OPTIONAL_PROBES)
        port = await stack.enter_async_context(_serving(app, settings, None))
        yield Running(settings.host, port, None, service, backends.store, None, liveness)


def admission_limits(settings: Settings) -> AdmissionLimits:
    return AdmissionLimits(max_open_per_address=settings.max_sockets_per_ip,
                           connects_per_second=settings.max_connects_per_ip,
                           handshake_timeout=settings.handshake_timeout)


WS_TRANSPORTS = ("aiohttp", "picows")


def _websocket_protocols(settings: Settings,
                         gateway: Gateway | None) -> ProtocolFactory | None:
    """The protocol factory for /ws/games when it is not aiohttp's."""
    if gateway is None or settings.ws_transport == "aiohttp":
        return None
    if settings.ws_transport not in WS_TRANSPORTS:
        raise ConfigError(f"WS_TRANSPORT must be one of {', '.join(WS_TRANSPORTS)}, "
                          f"not {settings.ws_transport!r}")
    return picows_transport.protocol_factory(gateway)


@asynccontextmanager
async def _serving(app: web.Application, settings: Settings,
                   gateway: Gateway | None) -> AsyncIterator[int]:
    websocket = _websocket_protocols(settings, gateway)
    # The request limits of the admission layer, so that both transports take the same
    # requests (an 8 KiB token in the query is over aiohttp's default line limit).
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5,
                           max_line_size=MAX_HEAD, max_field_size=MAX_HEAD)
    await runner.setup()
    assert runner.server is not None
    # Not a TCPSite: every connection passes the per-address admission first, and
    # WebSocket upgrades may go to another transport on the same port.
    listener = await listen(runner.server, Admission(admission_limits(settings)),
                            settings.host, settings.port, websocket=websocket,
                            ws_path=WS_PATH)
    try:
        yield int(listener.sockets[0].getsockname()[1])
    finally:
        listener.close()
        if gateway is not None:
            with contextlib.suppress(Exception):
                await gateway.shutdown()  # 1001 to every socket before the server stops
        await runner.cleanup()
        with contextlib.suppress(Exception):
            await listener.wait_closed()
