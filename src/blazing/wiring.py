"""Composition root: reads settings, builds adapters by URL, runs the servers.

The only module that imports adapters; each backend's driver is imported inside
its adapter module, so the embedded install needs none of them.
"""

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

from aiohttp import web

from blazing.bus.base import Bus
from blazing.errors import ConfigError
from blazing.gateway import picows_transport
from blazing.gateway.admission import Admission, AdmissionLimits, ProtocolFactory, listen
from blazing.gateway.auth import JwtConfig, TokenVerifier
from blazing.gateway.server import WS_PATH, Gateway, GatewayOptions
from blazing.gateway.session import GatewayLimits
from blazing.history.base import HistoryStore
from blazing.ids import GatewayId
from blazing.protocol.envelope import Topics
from blazing.rooms.context import Dice, RandomDice, RuleSettings
from blazing.rooms.service import Clock, GameService, ServiceSettings, utc_now
from blazing.settings import Settings
from blazing.state.base import PresenceStore, RoomStore
from blazing.supervision import Liveness
from blazing.web.app import DevLogin, Probe, build_app, build_probe_app

log = logging.getLogger(__name__)


def open_bus(url: str, topics: Sequence[str] = (), instance_id: str | None = None) -> Bus:
    """The bus at ``url``; a broker bus creates ``topics`` at start if they are missing,
    and its consumers join their groups as static members named ``instance_id``."""
    scheme = urlparse(url).scheme
    if scheme == "memory":
        from blazing.bus.memory import MemoryBus

        return MemoryBus()
    if scheme == "kafka":
        from blazing.bus.kafka import KafkaBus

        # kafka://host:port[,host:port...] -> the bootstrap list "host:port,..."
        bootstrap = urlparse(url).netloc
        if not bootstrap:
            raise ConfigError(f"BUS_URL {url!r} needs kafka://host:port[,host:port]")
        return KafkaBus(bootstrap, ensure_topics=topics, instance_id=instance_id)
    raise ConfigError(f"unsupported BUS_URL {url!r} (memory://, kafka://host:port)")


def open_state(url: str, clock: Clock) -> tuple[RoomStore, PresenceStore]:
    scheme = urlparse(url).scheme
    if scheme == "memory":
        from blazing.state.memory import MemoryPresence, MemoryRoomStore

        return MemoryRoomStore(), MemoryPresence(clock)
    if scheme in ("redis", "rediss"):
        from blazing.state.redis import RedisPresence, RedisRoomStore

        # Redis keeps real time for TTLs, so the clock is not used here.
        return RedisRoomStore(url), RedisPresence(url)
    raise ConfigError(f"unsupported STATE_URL {url!r} (memory://, redis://host:port/db)")


def open_history(url: str) -> HistoryStore:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        from blazing.history.sqlite import SqliteHistory

        # sqlite:///relative.db, sqlite:////abs/path.db, sqlite:///:memory:
        path = url[len("sqlite:///"):]
        if not path:
            raise ConfigError("HISTORY_URL sqlite:/// needs a path or :memory:")
        return SqliteHistory(path)
    if parsed.scheme in ("mongodb", "mongodb+srv"):
        from blazing.history.mongo import MongoHistory

        return MongoHistory(url)
    raise ConfigError(
        f"unsupported HISTORY_URL {url!r} (sqlite:///path, mongodb://host:port/db)")


def rule_settings(settings: Settings) -> RuleSettings:
    return RuleSettings(
        turn_seconds=settings.turn_seconds,
        grace_seconds=settings.grace_seconds,
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
        outbound_queue=settings.outbound_queue,
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
    topics = Topics.prefixed(settings.topic_prefix)
    bus = await stack.enter_async_context(open_bus(
        settings.bus_url, [topics.commands, topics.events],
        settings.instance_id or instance_id))
    store, presence = open_state(settings.state_url, clock)
    return Backends(
        bus=bus,
        store=await stack.enter_async_context(store),
        presence=await stack.enter_async_context(presence),
        history=await stack.enter_async_context(open_history(settings.resolved_history_url)),
    )


def _auth(settings: Settings, *, single_process: bool) -> tuple[TokenVerifier, DevLogin | None]:
    """Token verifier and dev login. One process may invent a secret for dev login;
    several gateways must share ``JWT_SECRET`` to accept each other's tokens."""
    dev_secret: str | None = None
    if settings.dev_login and settings.jwt_algorithm == "HS256":
        dev_secret = settings.jwt_secret or (secrets.token_urlsafe(32) if single_process
                                             else None)
    elif settings.dev_login:
        log.warning("dev login needs HS256 tokens; it is off with %s", settings.jwt_algorithm)
    if settings.jwt_algorithm == "HS256" and not (settings.jwt_secret or dev_secret):
        raise ConfigError("set JWT_SECRET (shared by every gateway) to verify tokens")
    verifier = TokenVerifier(jwt_config(settings, dev_secret))
    return verifier, DevLogin(dev_secret) if dev_secret else None


def _service(backends: Backends, settings: Settings, dice: Dice | None,
             clock: Clock, liveness: Liveness) -> GameService:
    return GameService(
        bus=backends.bus, store=backends.store, history=backends.history,
        presence=backends.presence, dice=dice or RandomDice.secure(), clock=clock,
        liveness=liveness,
        settings=ServiceSettings(rules=rule_settings(settings),
                                 timer_interval=settings.timer_interval,
                                 gateway_ttl=settings.gateway_ttl,
                                 topics=Topics.prefixed(settings.topic_prefix)),
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


@asynccontextmanager
async def embedded(
    settings: Settings, *, dice: Dice | None = None, clock: Clock = utc_now,
    liveness: Liveness | None = None,
) -> AsyncIterator[Running]:
    """Gateway and game service in one process (in-memory bus and state by default)."""
    liveness = liveness or Liveness()
    async with AsyncExitStack() as stack:
        backends = await _open_backends(stack, settings, clock)
        service = await stack.enter_async_context(
            _service(backends, settings, dice, clock, liveness))
        yield await _serve_gateway(stack, backends, settings, service, liveness,
                                   single_process=True)


@asynccontextmanager
async def gateway_only(settings: Settings, *,
                       liveness: Liveness | None = None) -> AsyncIterator[Running]:
    """A gateway of the distributed mode: sockets, HTTP and the history API."""
    liveness = liveness or Liveness()
    async with AsyncExitStack() as stack:
        # A gateway restarted under its GATEWAY_ID rejoins its event group at once.
        backends = await _open_backends(stack, settings, utc_now, settings.gateway_id)
        yield await _serve_gateway(stack, backends, settings, None, liveness,
                                   single_process=False)


@asynccontextmanager
async def game_service_only(settings: Settings, *, dice: Dice | None = None,
                            clock: Clock = utc_now,
                            liveness: Liveness | None = None) -> AsyncIterator[Running]:
    """A game service of the distributed mode, with /healthz, /readyz and /metrics."""
    liveness = liveness or Liveness()
    async with AsyncExitStack() as stack:
        backends = await _open_backends(stack, settings, clock)
        service = await stack.enter_async_context(
            _service(backends, settings, dice, clock, liveness))
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
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5)
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
