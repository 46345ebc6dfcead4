"""The servers under test: spawned, pinned, watched, and always killed.

Targets:
- ``blazing`` embedded: ``blazing serve`` on a free port with the load limits
  raised (rate, burst, sockets per user, outbound queue, idle and turn time);
- ``blazing`` distributed: ``blazing game-service`` + ``blazing gateway`` over
  Kafka/Redis/MongoDB URLs (fails clearly while those commands do not exist);
- ``blazing`` at ``--url``: a server someone else started (not spawned);
- ``raw-aiohttp`` / ``raw-picows``: the baseline scripts in ``bench/``.

Each spawned process is pinned with ``taskset -c CORE`` when taskset exists,
logs to a file (no pipe to fill), dies with the harness (PR_SET_PDEATHSIG),
and is stopped with SIGINT, then SIGKILL, by its own pid.
"""

import asyncio
import contextlib
import functools
import importlib.util
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from blazing.bench import procs

# "blazing serve: listening on http://127.0.0.1:PORT", "raw-aiohttp: listening on …",
# "blazing game-service: consuming commands; health and metrics on http://…"
LISTENING = re.compile(rb"(?:listening|metrics) on (?:http|ws)://([0-9a-zA-Z.\-\[\]:]+?):(\d+)")
TOPIC_PARTITIONS = 6  # as scripts/services creates them
START_TIMEOUT = 30.0
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0

# `blazing serve` flags raised for load (defaults are for browsers, not benchmarks)
LOAD_FLAGS: dict[str, str] = {
    "--rate-per-second": "100000",
    "--rate-burst": "100000",
    "--max-sockets-per-user": "64",
    "--max-sockets-per-ip": "20000",  # the load generator puts ~5,000 sockets on one address
    "--max-connects-per-ip": "0",  # ... and opens them as fast as the server takes them
    "--outbound-queue-bytes": str(256 * 1024 * 1024),
    "--idle-timeout": "3600",
    "--turn-seconds": "3600",
    "--log-level": "WARNING",
}

RAW_SCRIPTS = {"raw-aiohttp": "raw_aiohttp.py", "raw-picows": "raw_picows.py"}
RAW_MODULES = {"raw-aiohttp": "aiohttp", "raw-picows": "picows"}


class ServerError(Exception):
    """A server could not be started (message says why, with its log's tail)."""


@dataclass(slots=True)
class Server:
    name: str
    host: str
    port: int
    pid: int | None  # the process whose RSS is measured (None: unknown)
    path: str = "/ws/games"
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    cleanup: Callable[[], None] | None = None  # after the processes stopped
    # More gateways of the same system (several --url): (host, port, pid)
    more: list[tuple[str, int, int | None]] = field(default_factory=list)
    # Distributed: each process's role and /metrics URL, e.g. ("gateway-1", "http://…")
    metrics: list[tuple[str, str]] = field(default_factory=list)
    state_url: str | None = None  # distributed: the Redis database it runs on
    cores: dict[str, int | None] = field(default_factory=dict)  # process -> pinned core
    leftovers: dict[str, float] = field(default_factory=dict)  # what cleanup left behind
    common_args: list[str] = field(default_factory=list)  # a game service's, to add one

    @property
    def endpoints(self) -> list[tuple[str, int]]:
        """Where the load goes: workers are spread over these in turn."""
        return [(self.host, self.port)] + [(host, port) for host, port, _ in self.more]

    @property
    def measured_pids(self) -> list[int]:
        """The processes whose RSS is added up (every gateway whose pid is known)."""
        pids = [self.pid] + [pid for _, _, pid in self.more]
        return [pid for pid in pids if pid is not None]


def bench_dir() -> Path | None:
    """The repository's ``bench/`` folder (raw baselines), if this is a checkout."""
    candidate = Path(__file__).resolve().parents[3] / "bench"
    return candidate if (candidate / "raw_aiohttp.py").exists() else None


def available_baselines(wanted: list[str], directory: Path | None) -> tuple[list[str], list[str]]:
    """(baselines to run, notes on those skipped)."""
    run, notes = [], []
    for name in wanted:
        if directory is None or not (directory / RAW_SCRIPTS[name]).exists():
            notes.append(f"{name} skipped: bench/{RAW_SCRIPTS[name]} not found (run from a "
                         "checkout, or pass --bench-dir)")
        elif importlib.util.find_spec(RAW_MODULES[name]) is None:
            notes.append(f"{name} skipped: {RAW_MODULES[name]} is not installed "
                         f"(pip install {RAW_MODULES[name]})")
        else:
            run.append(name)
    return run, notes


@dataclass(frozen=True, slots=True)
class Topology:
    """How many processes of each kind a distributed system runs."""

    gateways: int = 1
    services: int = 1

    @property
    def label(self) -> str:
        return f"{self.gateways} gw × {self.services} svc"


def place(names: list[str], cores: list[int]) -> dict[str, int | None]:
    """Each process on a core of its own while there are enough, then round robin."""
    if not cores:
        return {name: None for name in names}
    return {name: cores[i % len(cores)] for i, name in enumerate(names)}


def sharing(placed: dict[str, int | None], client_cores: set[int] | None) -> list[str]:
    """Notes on the processes that share a core (with each other or the load generator)."""
    by_core: dict[int, list[str]] = {}
    for name, core in placed.items():
        if core is not None:
            by_core.setdefault(core, []).append(name)
    notes = []
    for core, names in sorted(by_core.items()):
        if client_cores and core in client_cores:
            names = [*names, "the load generator"]
        if len(names) > 1:
            notes.append(f"{', '.join(names)} share core {core}")
    return notes


def taskset(core: int | None) -> list[str]:
    """The command prefix that pins a process to ``core`` (none without taskset)."""
    if core is None or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", str(core)]


class Spawner:
    """Starts servers and guarantees they are stopped (use as a context manager)."""

    def __init__(self, log_dir: Path, core: int | None,
                 cores: list[int] | None = None) -> None:
        """``core``: where a one-process server runs; ``cores``: where the processes of
        a distributed system are placed (default: ``core`` for all)."""
        self.log_dir = log_dir
        self.core = core
        self.cores = cores if cores is not None else ([] if core is None else [core])
        self._live: list[subprocess.Popen[bytes]] = []
        self._log_files: list[IO[bytes]] = []
        self._count = 0

    def __enter__(self) -> "Spawner":
        return self

    def __exit__(self, *exc: object) -> None:
        for process in list(self._live):
            self._stop(process)
        for handle in self._log_files:
            handle.close()

    def _launch(self, name: str, argv: list[str], secret: str | None = None,
                core: int | str | None = "default") -> tuple[subprocess.Popen[bytes], Path]:
        """Start ``argv`` with its output in a log of its own. The JWT secret goes in the
        environment: out of ``ps``, and a secret that starts with ``-`` is not an option."""
        self._count += 1
        env = None if secret is None else {**os.environ, "JWT_SECRET": secret}
        log_path = self.log_dir / f"{self._count:03d}-{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed in __exit__/stop
        self._log_files.append(log)
        process = subprocess.Popen(
            taskset(self.core if isinstance(core, str) else core) + argv,
            stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=procs.child_setup,
            env=env)
        self._live.append(process)
        return process, log_path

    def _wait_listening(self, process: subprocess.Popen[bytes], log_path: Path) -> tuple[str, int]:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            match = LISTENING.search(log_path.read_bytes())
            if match:
                return match.group(1).decode(), int(match.group(2))
            if process.poll() is not None:
                raise ServerError(f"{log_path.stem} exited with {process.returncode}:\n"
                                  f"{tail(log_path)}")
            time.sleep(0.05)
        raise ServerError(f"{log_path.stem} did not say where it listens within "
                          f"{START_TIMEOUT:.0f}s:\n{tail(log_path)}")

    def stop(self, server: Server) -> None:
        for process in reversed(server.processes):
            self._stop(process)
        if server.cleanup is not None:
            cleanup, server.cleanup = server.cleanup, None
            cleanup()

    def _stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        if process in self._live:
            self._live.remove(process)

    # --- targets ---------------------------------------------------------------------

    def embedded(self, secret: str, extra: list[str]) -> Server:
        """``blazing serve`` with its default room store (SQLite), in a fresh file of
        this run (``--server-arg=--state-url=memory://`` for rooms in memory)."""
        data = Path(tempfile.mkdtemp(prefix="blazing-bench-state-"))
        argv = [sys.executable, "-m", "blazing", "serve", "--host", "127.0.0.1", "--port", "0",
                "--history-url", "sqlite:///:memory:",
                "--state-url", f"sqlite:///{data / 'state.db'}", *_flags(LOAD_FLAGS), *extra]
        process, log = self._launch("blazing-serve", argv, secret)
        try:
            host, port = self._wait_listening(process, log)
        except ServerError:
            self._stop(process)
            shutil.rmtree(data, ignore_errors=True)
            raise
        return Server("blazing", host, port, process.pid, processes=[process], logs=[log],
                      cleanup=lambda: shutil.rmtree(data, ignore_errors=True))

    def raw(self, name: str, directory: Path) -> Server:
        script = directory / RAW_SCRIPTS[name]
        process, log = self._launch(name, [sys.executable, str(script), "--port", "0"])
        try:
            host, port = self._wait_listening(process, log)
        except ServerError:
            self._stop(process)
            raise
        return Server(name, host, port, process.pid, processes=[process], logs=[log])

    def distributed(self, secret: str, urls: "DistributedUrls", extra: list[str],
                    topology: Topology = Topology()) -> Server:
        """``topology.services`` game services and ``topology.gateways`` gateways over
        Kafka/Redis/MongoDB, each pinned to a core of ``self.cores`` (its own while there
        are enough). Each run is isolated and cleaned up after: Kafka topics of its own
        (``--topic-prefix``, created here and deleted after), a Mongo database of its own
        (dropped after), and the Redis database of ``urls.state`` claimed for the run
        (refused unless empty) and flushed after, once the bench's own marker is still
        there. What cleanup left behind is in ``server.leftovers``."""
        check_distributed_commands()
        server = Server("blazing", "127.0.0.1", 0, None)
        cleanups: list[Callable[[], None]] = []
        run_id = f"blazing-bench {secrets.token_hex(6)}"

        def clean_up() -> None:
            for cleanup in cleanups:
                cleanup()

        server.cleanup = clean_up
        history = urls.history
        if history.startswith("mongodb://"):
            # A database per run, dropped after: history from earlier runs would make
            # later ones slower (and not comparable).
            history = f"{history}_{secrets.token_hex(4)}"
            cleanups.append(lambda: server.leftovers.update(
                mongo_databases_left=drop_mongo_database(history)))
        stores = ["--bus-url", urls.bus, "--state-url", urls.state, "--history-url", history]
        common = [*stores, "--host", "127.0.0.1", "--port", "0"]
        if urls.bus.startswith("kafka://") and "--topic-prefix" in help_text("gateway"):
            prefix = f"bench-{secrets.token_hex(4)}."
            topics = [prefix + "games.commands", prefix + "games.events"]
            try:
                kafka_topics(urls.bus, create=topics)
            except ServerError:
                clean_up()
                raise
            cleanups.append(lambda: server.leftovers.update(
                kafka_topics_left=kafka_topics(urls.bus, delete=topics)))
            common += ["--topic-prefix", prefix]
        if urls.state.startswith(("redis://", "rediss://")):
            try:
                claim_redis_db(urls.state, run_id)
            except ServerError:
                clean_up()
                raise
            server.state_url = urls.state
            cleanups.append(lambda: server.leftovers.update(
                redis_keys_left=release_redis_db(urls.state, run_id)))
        names = [f"game-service-{i + 1}" for i in range(topology.services)] + \
            [f"gateway-{i + 1}" for i in range(topology.gateways)]
        server.cores = place(names, self.cores)
        try:
            for name in names:
                command = name.rsplit("-", 1)[0]
                flags = _flags(supported_flags(command, LOAD_FLAGS))
                host, port, process = self._start_one(
                    name, [sys.executable, "-m", "blazing", command, *common, *flags, *extra],
                    secret, server)
                server.metrics.append((name, f"http://{host}:{port}/metrics"))
                if command != "gateway":
                    continue
                if server.pid is None:
                    server.host, server.port, server.pid = host, port, process.pid
                else:
                    server.more.append((host, port, process.pid))
        except BaseException:
            self.stop(server)
            raise
        server.common_args = common + _flags(supported_flags("game-service", LOAD_FLAGS)) \
            + list(extra)
        return server

    def _start_one(self, name: str, argv: list[str], secret: str,
                   server: Server) -> tuple[str, int, subprocess.Popen[bytes]]:
        """Start one process of ``server`` on its core; wait until it is ready."""
        process, log = self._launch(name, argv, secret, core=server.cores.get(name))
        server.processes.append(process)
        server.logs.append(log)
        host, port = self._wait_listening(process, log)
        wait_ready(f"http://{host}:{port}/readyz", server.processes, server.logs)
        return host, port, process

    def add_game_service(self, server: Server, secret: str, core: int | None) -> str:
        """One more game service in a running distributed system (reassign scenario);
        returns its name. It does not wait for the group to rebalance."""
        count = sum(1 for name, _ in server.metrics if name.startswith("game-service"))
        name = f"game-service-{count + 1}"
        server.cores[name] = core
        host, port, _ = self._start_one(
            name, [sys.executable, "-m", "blazing", "game-service", *server.common_args],
            secret, server)
        server.metrics.append((name, f"http://{host}:{port}/metrics"))
        return name


ASSIGNED = re.compile(r"kafka partitions assigned: \[([0-9, ]*)\]")


def assigned_partitions(server: Server, name: str) -> list[int]:
    """The partitions the process ``name`` of ``server`` was last given, from its log
    (it logs them at INFO); none if it never said."""
    for log in server.logs:
        if log.stem.endswith("-" + name):
            found = ASSIGNED.findall(log.read_text(errors="replace"))
            if found:
                return [int(p) for p in found[-1].split(",") if p.strip()]
    return []


def claim_redis_db(url: str, run_id: str) -> None:
    """Make the Redis database of ``url`` this run's: it must be empty (or hold only
    what an interrupted bench run left, recognised by its marker, which is flushed);
    the run's marker is set in it."""
    import redis  # distributed runs only

    db = urlparse(url).path.lstrip("/") or "0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        with client:
            size = int(client.dbsize())
            if size:
                owner = client.get(REDIS_MARKER)
                if not isinstance(owner, bytes) or not owner.startswith(b"blazing-bench "):
                    raise ServerError(
                        f"Redis database {db} of {url} holds {size} keys that are not the "
                        "bench's (tests use databases 13 and 15 of the default server): "
                        "give the bench an empty one, --state-url redis://HOST:PORT/DB")
                client.flushdb()  # left by an interrupted bench run
            client.set(REDIS_MARKER, run_id)
    except redis.RedisError as exc:
        raise ServerError(f"cannot reach Redis at {url}: {exc} (is it up? "
                          "scripts/services up)") from exc


# Flushes the database only while it still carries this run's marker (atomically).
_FLUSH_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('FLUSHDB') return 1 end
return 0
"""


def release_redis_db(url: str, run_id: str) -> float:
    """Flush the run's Redis database if it is still the run's; the keys left in it
    (NaN if Redis could not be asked)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        with client:
            client.eval(_FLUSH_IF_OURS, 1, REDIS_MARKER, run_id)
            return float(client.dbsize())
    except redis.RedisError:
        return math.nan


REDIS_MARKER = "blazing-bench:owner"


def drop_mongo_database(url: str) -> float:
    """Drop the database ``url`` names; 1 if it is still there after, 0 if gone, NaN if
    the server could not be asked (a failure only leaves it behind)."""
    from pymongo import MongoClient  # distributed runs only
    from pymongo.errors import PyMongoError

    name = urlparse(url).path.lstrip("/")
    client: MongoClient[dict[str, object]]
    try:
        with MongoClient(url, serverSelectionTimeoutMS=5000) as client:
            client.drop_database(name)
            return float(name in client.list_database_names())
    except PyMongoError:
        return math.nan


DEFAULT_BUS_URL = "kafka://127.0.0.1:9092"
# Claimed per run and flushed after; the tests use databases 13-15.
DEFAULT_STATE_URL = "redis://127.0.0.1:6379/12"
DEFAULT_HISTORY_URL = "mongodb://127.0.0.1:27017/blazing_bench"


@dataclass(frozen=True, slots=True)
class DistributedUrls:
    bus: str = DEFAULT_BUS_URL
    state: str = DEFAULT_STATE_URL
    history: str = DEFAULT_HISTORY_URL


def given(urls: list[str], pids: list[int]) -> Server:
    """Servers started by someone else, e.g. ``ws://127.0.0.1:8000/ws/games``: one, or
    several gateways of one distributed system (the load is spread over them)."""
    targets = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme not in ("ws", "http") or not parsed.hostname or not parsed.port:
            raise ServerError(f"--url must look like ws://127.0.0.1:8000/ws/games, not {url!r}")
        path = parsed.path if parsed.path not in ("", "/") else "/ws/games"
        targets.append((parsed.hostname, parsed.port, path))
    known: list[int | None] = [*pids, *[None] * (len(targets) - len(pids))]
    (host, port, path), first_pid = targets[0], known[0]
    return Server("blazing", host, port, first_pid, path=path,
                  more=[(h, p, pid) for (h, p, _), pid in zip(targets[1:], known[1:],
                                                              strict=True)])


def _flags(values: dict[str, str]) -> list[str]:
    return [part for flag, value in values.items() for part in (flag, value)]


def check_distributed_commands() -> None:
    for command in ("gateway", "game-service"):
        out = subprocess.run([sys.executable, "-m", "blazing", command, "--help"],
                             capture_output=True, text=True, timeout=60, check=False)
        if out.returncode != 0:
            last = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise ServerError(
                f"--mode distributed needs `blazing {command}`, which this installation "
                f"does not have yet ({last}). Use --mode embedded, or start the services "
                "yourself and pass --url.")


@functools.cache
def help_text(command: str) -> str:
    return subprocess.run([sys.executable, "-m", "blazing", command, "--help"],
                          capture_output=True, text=True, timeout=60, check=False).stdout


def supported_flags(command: str, wanted: dict[str, str]) -> dict[str, str]:
    """The subset of ``wanted`` that ``blazing COMMAND --help`` lists."""
    text = help_text(command)
    return {flag: value for flag, value in wanted.items() if flag in text}


def kafka_topics(bus_url: str, *, create: list[str] | None = None,
                 delete: list[str] | None = None) -> float:
    """Create or delete topics (the broker here does not auto-create them). After a
    delete: how many of those topics the broker still lists (NaN: not known)."""
    try:
        from aiokafka.admin import (  # type: ignore[import-untyped]  # no py.typed
            AIOKafkaAdminClient,
            NewTopic,
        )
    except ImportError:
        raise ServerError("distributed mode needs aiokafka: pip install -e '.[distributed]'") \
            from None
    bootstrap = urlparse(bus_url).netloc

    async def admin() -> float:
        client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
        await client.start()
        try:
            if create:
                await client.create_topics([NewTopic(t, TOPIC_PARTITIONS, 1) for t in create])
            if delete:
                await client.delete_topics(delete)
                listed = set(await client.list_topics())
                return float(sum(1 for topic in delete if topic in listed))
            return 0.0
        finally:
            await client.close()

    try:
        return asyncio.run(admin())
    except Exception as exc:
        if create:
            raise ServerError(f"cannot create Kafka topics on {bootstrap}: {exc!r} (is it up? "
                              "scripts/services up)") from exc
        return math.nan  # deleting is best effort: a leftover bench-… topic is harmless


def wait_ready(url: str, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                raise ServerError(f"{log.stem} exited with {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(urllib.error.URLError, OSError), \
                urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise ServerError(f"{url} not ready within {READY_TIMEOUT:.0f}s:\n"
                      + "\n".join(tail(log) for log in logs))


def free_port() -> int:  # kept for callers that need a port before spawning
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])
