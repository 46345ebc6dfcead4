"""Command line: ``blazing serve | gateway | game-service | token | bench``.

Every option is also an environment variable; ``blazing serve --help`` lists
each one with its variable and default.
"""

import argparse
import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit, urlunsplit

from blazing import logs, settings
from blazing.errors import ConfigError
from blazing.gateway.auth import issue_token
from blazing.wiring import Running, embedded, game_service_only, gateway_only


def _run(coro_main: "asyncio.Future[None] | object") -> None:
    try:
        import uvloop  # optional: 1.1–1.8× faster event loop where it installs
    except ImportError:
        asyncio.run(coro_main)  # type: ignore[arg-type]
    else:
        uvloop.run(coro_main)  # type: ignore[arg-type]


RUNNERS: dict[str, Callable[[settings.Settings], AbstractAsyncContextManager[Running]]] = {
    "serve": embedded,
    "gateway": gateway_only,
    "game-service": game_service_only,
}


def redact(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def tune_gc() -> None:
    """Keep the cyclic garbage collector from stalling a busy server.

    A gateway holds ~90 long-lived objects per socket; with the default
    thresholds a full collection at 19,000 sockets walks 1.7 M objects and
    pauses the loop for up to a second (seen as ping p99 in the benchmark).
    Objects alive after start-up are frozen out of collection, and collections
    run less often: most garbage here is freed by reference counting anyway.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


async def _serve(command: str, config: settings.Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with RUNNERS[command](config) as running:
        tune_gc()
        where = running.base_url
        if running.gateway is not None:
            print(f"blazing {command}: listening on {where} (play at {where}/games)",
                  flush=True)
        else:
            print(f"blazing {command}: consuming commands; health and metrics on {where}",
                  flush=True)
        print(f"blazing {command}: bus {redact(config.bus_url)}, state "
              f"{redact(config.resolved_state_url)}, history {redact(config.resolved_history_url)}",
              flush=True)
        if running.dev_login is not None:
            print(f"blazing {command}: dev login is ON (POST /api/dev/login); turn it off "
                  "with --no-dev-login in production", flush=True)
        await stop.wait()
        print(f"blazing {command}: shutting down", flush=True)


def _token(args: argparse.Namespace) -> int:
    secret = args.secret or settings.from_sources().jwt_secret
    if not secret:
        print("blazing token: give --secret or set JWT_SECRET", file=sys.stderr)
        return 2
    print(issue_token(secret=secret, user_id=args.user_id, username=args.username,
                      avatar_id=args.avatar_id, ttl_seconds=args.ttl, issuer=args.issuer,
                      audience=args.audience))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blazing", description="Real-time turn-based "
                                     "multiplayer games over WebSocket (Bigger Dice).")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="run gateway and game service in one process (embedded mode)",
        description="Embedded mode: in-process bus, in-memory state, SQLite history.")
    settings.add_arguments(serve)
    gateway = commands.add_parser(
        "gateway", help="run one gateway of the distributed mode",
        description="WebSockets, the page and the HTTP API; talks to game services over "
        "the bus (BUS_URL=kafka://...) and reads presence from STATE_URL=redis://...")
    settings.add_arguments(gateway)
    service = commands.add_parser(
        "game-service", help="run one game service of the distributed mode",
        description="Consumes games.commands, keeps rooms in STATE_URL=redis://..., "
        "publishes games.events, records history in HISTORY_URL=mongodb://...; serves "
        "/healthz, /readyz and /metrics on --port.")
    settings.add_arguments(service)
    commands.add_parser("bench", help="load-test a running or spawned server "
                        "(`blazing bench --help`)", add_help=False)
    token = commands.add_parser("token", help="print a signed HS256 token for scripts")
    token.add_argument("--user-id", type=int, required=True, help="the `sub` claim")
    token.add_argument("--username", required=True, help="the `username` claim")
    token.add_argument("--avatar-id", type=int, default=None, help="the `avatar_id` claim")
    token.add_argument("--secret", default=None, help="HS256 secret [env JWT_SECRET]")
    token.add_argument("--ttl", type=float, default=3600, help="seconds until `exp`")
    token.add_argument("--issuer", default=None, help="the `iss` claim")
    token.add_argument("--audience", default=None, help="the `aud` claim")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from blazing.bench.cli import main as bench_main  # the load generator's own options

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "token":
        return _token(args)
    config = settings.from_sources(args)
    logs.configure(config.log_level, config.log_format)
    try:
        if args.command in RUNNERS:
            _run(_serve(args.command, config))
    except ConfigError as exc:
        print(f"blazing: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
