"""Command line: ``blazing serve | gateway | game-service | token | bench``.

Every option is also an environment variable; ``blazing serve --help`` lists
each one with its variable and default.

Stopping: SIGTERM or SIGINT at any moment of a server's life (while it starts, too)
makes it shut down and exit 0; if the shutdown has not finished within
``SHUTDOWN_TIMEOUT`` (a dependency that does not answer), or at a second signal, it
exits at once with status 1. A server that finds itself broken beyond repair (see
:mod:`blazing.supervision`) shuts down the same way and exits with status 1, for its
supervisor to start a fresh one.
"""

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from blazing import logs, settings
from blazing.errors import ConfigError
from blazing.gateway.auth import issue_token
from blazing.supervision import Liveness
from blazing.wiring import Running, embedded, game_service_only, gateway_only


def _run(coro_main: Coroutine[Any, Any, int]) -> int:
    try:
        import uvloop  # optional: 1.1–1.8× faster event loop where it installs
    except ImportError:
        return asyncio.run(coro_main)
    else:
        return uvloop.run(coro_main)


class Runner(Protocol):
    def __call__(self, settings: settings.Settings, *,
                 liveness: Liveness | None = None) -> AbstractAsyncContextManager[Running]: ...


RUNNERS: dict[str, Runner] = {
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


def _exit_now(message: str) -> None:
    """Leave the process at once, whatever its event loop is doing."""
    print(message, file=sys.stderr, flush=True)
    logging.shutdown()
    os._exit(1)


class _Deadline:
    """Exit with status 1 once ``seconds`` have passed since :meth:`start`, from a
    thread of its own: it works even if the event loop is stuck."""

    def __init__(self, command: str, seconds: float) -> None:
        self._command, self._seconds = command, seconds
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(self._seconds, _exit_now, [
                f"blazing {self._command}: not shut down after {self._seconds:g} s "
                "(SHUTDOWN_TIMEOUT); exiting anyway"])
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


async def _serve(command: str, config: settings.Settings) -> int:
    """Run a server until a signal, or until it breaks beyond repair; returns the
    exit status (see the module docstring)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    deadline = _Deadline(command, config.shutdown_timeout)
    serving = False

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            _exit_now(f"blazing {command}: {sig.name} again; exiting at once")
        stop.set()
        deadline.start()
        if not serving and main is not None:
            print(f"blazing {command}: {sig.name} while starting; stopping", flush=True)
            main.cancel()  # whatever start-up awaits (a broker, a group) gives up

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig)
    liveness = Liveness()
    try:
        async with RUNNERS[command](config, liveness=liveness) as running:
            serving = True
            tune_gc()
            _announce(command, config, running)
            failed = asyncio.ensure_future(liveness.failed.wait())
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait([failed, stopped], return_when=asyncio.FIRST_COMPLETED)
            failed.cancel()
            stopped.cancel()
            deadline.start()
            print(f"blazing {command}: shutting down", flush=True)
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        # A start-up dependency may swallow the cancellation and return; either way
        # the process was asked to stop.
    deadline.cancel()
    if liveness.reason is not None:
        print(f"blazing {command}: exiting after a failure: {liveness.reason}",
              file=sys.stderr, flush=True)
        return 1
    return 0


def _announce(command: str, config: settings.Settings, running: Running) -> None:
    where = running.base_url
    if running.gateway is not None:
        print(f"blazing {command}: listening on {where} (play at {where}/games)", flush=True)
    else:
        print(f"blazing {command}: consuming commands; health and metrics on {where}",
              flush=True)
    print(f"blazing {command}: bus {redact(config.bus_url)}, state "
          f"{redact(config.resolved_state_url)}, history {redact(config.resolved_history_url)}",
          flush=True)
    if running.dev_login is not None:
        print(f"blazing {command}: dev login is ON (POST /api/dev/login); turn it off "
              "with --no-dev-login in production", flush=True)


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
                                     "multiplayer games over WebSocket (Bigger Dice, Tic Tac Toe).")
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
            return _run(_serve(args.command, config))
    except ConfigError as exc:
        print(f"blazing: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
