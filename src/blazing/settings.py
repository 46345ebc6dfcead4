"""Settings: one frozen object built from flags and environment variables.

Every option is declared once in ``OPTIONS`` (flag, env var, default, help), so
``--help``, the README's table and the parser cannot drift apart. A flag wins
over its env var, which wins over the default.
"""

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


def data_dir() -> Path:
    """Where the embedded mode keeps its files: ``$XDG_DATA_HOME/blazing``."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "blazing"


def default_history_url() -> str:
    return f"sqlite:///{data_dir() / 'history.db'}"


def default_state_url() -> str:
    return f"sqlite:///{data_dir() / 'state.db'}"


@dataclass(frozen=True, slots=True)
class Option:
    name: str  # field name; the flag is --name-with-dashes
    env: str
    type: type
    default: Any
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("host", "HOST", str, "127.0.0.1", "address to listen on"),
    Option("port", "PORT", int, 8000, "TCP port to listen on (0: pick a free one)"),
    Option("bus_url", "BUS_URL", str, "memory://", "message bus: memory:// or kafka://host:port"),
    Option("state_url", "STATE_URL", str, None,
           "room state: sqlite:///path.db (kept across restarts), memory:// (lost at exit) or "
           "redis://host:port/db (with presence) (default: sqlite under $XDG_DATA_HOME/blazing)"),
    Option("history_url", "HISTORY_URL", str, None,
           "game history: sqlite:///path.db, sqlite:///:memory: or mongodb://host:port/db "
           "(default: sqlite under $XDG_DATA_HOME/blazing)"),
    Option("jwt_secret", "JWT_SECRET", str, None,
           "HS256 secret for tokens (if unset, serve makes a random one for dev login and "
           "keeps it beside a SQLite state file)"),
    Option("jwt_public_key", "JWT_PUBLIC_KEY", str, None,
           "PEM file with the public key, for RS256/ES256 tokens"),
    Option("jwt_algorithm", "JWT_ALGORITHM", str, "HS256",
           "the only token algorithm accepted: HS256, RS256 or ES256"),
    Option("jwt_issuer", "JWT_ISSUER", str, None, "required `iss` claim, if set"),
    Option("jwt_audience", "JWT_AUDIENCE", str, None, "required `aud` claim, if set"),
    Option("dev_login", "DEV_LOGIN", bool, True,
           "offer POST /api/dev/login (username → cookie) for local play"),
    Option("turn_seconds", "TURN_SECONDS", float, 30.0,
           "turn deadline; when it passes the server rolls for the player"),
    Option("grace_seconds", "GRACE_SECONDS", float, 60.0,
           "how long a dropped player may rejoin before forfeiting"),
    Option("ready_seconds", "READY_SECONDS", float, 60.0,
           "once every seat is taken, how long players have to get ready before an "
           "unready one loses the seat"),
    Option("retention_seconds", "RETENTION_SECONDS", float, 600.0,
           "how long an ended room stays readable for late rejoins"),
    Option("spectator_limit", "SPECTATOR_LIMIT", int, 50, "spectators per room"),
    Option("chat_limit", "CHAT_LIMIT", int, 5, "chat messages per user per window, in each room"),
    Option("chat_window_seconds", "CHAT_WINDOW_SECONDS", float, 10.0, "chat rate window"),
    Option("max_frame_bytes", "MAX_FRAME_BYTES", int, 16384,
           "largest accepted frame; larger gets MESSAGE_TOO_LARGE, repeatedly 4413"),
    Option("rate_per_second", "RATE_PER_SECOND", float, 20.0, "per-socket command rate"),
    Option("rate_burst", "RATE_BURST", float, 40.0, "per-socket command burst"),
    Option("flood_close_after", "FLOOD_CLOSE_AFTER", int, 20,
           "rate-limited frames in a row before closing with 4429"),
    Option("auth_timeout", "AUTH_TIMEOUT", float, 10.0,
           "seconds a socket may stay unauthenticated (then 4401)"),
    Option("idle_timeout", "IDLE_TIMEOUT", float, 75.0,
           "seconds without an inbound frame before closing with 4408"),
    Option("outbound_queue_bytes", "OUTBOUND_QUEUE_BYTES", int, 1024 * 1024,
           "bytes of events (and of WebSocket pongs) a socket may leave unread before it is "
           "closed as too slow (4409)"),
    Option("max_sockets_per_user", "MAX_SOCKETS_PER_USER", int, 8, "open sockets per user"),
    Option("max_sockets_per_ip", "MAX_SOCKETS_PER_IP", int, 1000,
           "open connections (HTTP and WebSocket) per client address; more get HTTP 429 "
           "at accept (0: no limit)"),
    Option("max_connects_per_ip", "MAX_CONNECTS_PER_IP", float, 50.0,
           "new connections per second per client address, with 2 s of burst; more get "
           "HTTP 429 at accept (0: no limit)"),
    Option("handshake_timeout", "HANDSHAKE_TIMEOUT", float, 10.0,
           "seconds a new connection has to send its request headers (0: no limit)"),
    Option("ws_transport", "WS_TRANSPORT", str, "picows",
           "what carries /ws/games on the same port: picows (less memory and CPU per "
           "socket) or aiohttp"),
    Option("allowed_origins", "ALLOWED_ORIGINS", str, "",
           "comma-separated Origin allow-list for /ws/games (empty: the gateway's own "
           "origin only; *: any)"),
    Option("timer_interval", "TIMER_INTERVAL", float, 0.1,
           "how often the game service looks for due timers"),
    Option("gateway_id", "GATEWAY_ID", str, None, "this gateway's id (default: random)"),
    Option("gateway_ttl", "GATEWAY_TTL", float, 15.0,
           "seconds a gateway counts as alive after its last heartbeat (sent every third of "
           "this); then a game service releases its sockets and their players drop"),
    Option("crash_at", "CRASH_AT", str, None,
           "for fault tests only: the game service kills itself (SIGKILL) when it gets "
           "there: history_written (a game's history is written, its ratings not yet)"),
    Option("topic_prefix", "TOPIC_PREFIX", str, "",
           "prefix for the bus topics and the game-service group (to share a broker)"),
    Option("topic_partitions", "TOPIC_PARTITIONS", int, 6,
           "partitions of each bus topic a process creates when the broker lacks it: at "
           "most this many game services share the commands (existing topics keep theirs)"),
    Option("instance_id", "INSTANCE_ID", str, None,
           "this process's stable name in its Kafka consumer group (static membership): "
           "a replacement started under the same name within the session timeout takes "
           "its partitions back without pausing the other members; unique among live "
           "processes, e.g. a StatefulSet pod's name (default: dynamic membership; a "
           "gateway with GATEWAY_ID uses that)"),
    Option("shutdown_timeout", "SHUTDOWN_TIMEOUT", float, 25.0,
           "seconds from SIGTERM to exit at the latest: a shutdown that takes longer "
           "(a dependency that does not answer) ends with exit status 1"),
    Option("log_level", "LOG_LEVEL", str, "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Option("log_format", "LOG_FORMAT", str, "text", "text or json"),
)


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    bus_url: str = "memory://"
    state_url: str | None = None
    history_url: str | None = None
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_algorithm: str = "HS256"
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    dev_login: bool = True
    turn_seconds: float = 30.0
    grace_seconds: float = 60.0
    ready_seconds: float = 60.0
    retention_seconds: float = 600.0
    spectator_limit: int = 50
    chat_limit: int = 5
    chat_window_seconds: float = 10.0
    max_frame_bytes: int = 16384
    rate_per_second: float = 20.0
    rate_burst: float = 40.0
    flood_close_after: int = 20
    auth_timeout: float = 10.0
    idle_timeout: float = 75.0
    outbound_queue_bytes: int = 1024 * 1024
    max_sockets_per_user: int = 8
    max_sockets_per_ip: int = 1000
    max_connects_per_ip: float = 50.0
    handshake_timeout: float = 10.0
    ws_transport: str = "picows"
    allowed_origins: str = ""
    timer_interval: float = 0.1
    gateway_id: str | None = None
    gateway_ttl: float = 15.0
    crash_at: str | None = None
    topic_prefix: str = ""
    topic_partitions: int = 6
    instance_id: str | None = None
    shutdown_timeout: float = 25.0
    log_level: str = "INFO"
    log_format: str = "text"

    @property
    def resolved_history_url(self) -> str:
        return self.history_url or default_history_url()

    @property
    def resolved_state_url(self) -> str:
        return self.state_url or default_state_url()

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(o.strip() for o in self.allowed_origins.split(",") if o.strip())


assert [o.name for o in OPTIONS] == [f.name for f in fields(Settings)], "OPTIONS out of step"
assert all(getattr(Settings(), o.name) == o.default for o in OPTIONS), "defaults out of step"


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def add_arguments(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    """Add a flag per option (or per option in ``names``), with its env var in the help."""
    for opt in OPTIONS:
        if names is not None and opt.name not in names:
            continue
        flag = "--" + opt.name.replace("_", "-")
        shown = "random" if opt.default is None and opt.name == "gateway_id" else opt.default
        help_text = f"{opt.help} [env {opt.env}; default {shown!r}]"
        if opt.type is bool:
            parser.add_argument(flag, dest=opt.name, action=argparse.BooleanOptionalAction,
                                default=None, help=help_text)
        else:
            parser.add_argument(flag, dest=opt.name, type=opt.type, default=None,
                                help=help_text, metavar=opt.env)


def from_sources(args: argparse.Namespace | None = None,
                 environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for opt in OPTIONS:
        flag_value = getattr(args, opt.name, None) if args is not None else None
        if flag_value is not None:
            values[opt.name] = flag_value
        elif opt.env in env and env[opt.env] != "":
            raw = env[opt.env]
            values[opt.name] = _parse_bool(raw) if opt.type is bool else opt.type(raw)
    return Settings(**values)
