"""Run gateways and game services as real processes over the real Kafka, Redis
and MongoDB-protocol servers, each test under its own topic prefix, Redis
database and Mongo database."""

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlparse

from tests.conftest import SECRET
from tests.services_env import KAFKA_BOOTSTRAP, MONGO_BASE, REDIS_BASE

KAFKA = os.environ.get("TEST_KAFKA_BOOTSTRAP", KAFKA_BOOTSTRAP)
REDIS = os.environ.get("TEST_REDIS_BASE", REDIS_BASE)
MONGO = os.environ.get("TEST_MONGO_BASE", MONGO_BASE)
REDIS_DB = 13  # the distributed tests own this database and flush it
START_TIMEOUT = 60.0
_LISTENING = re.compile(r"on (http://127\.0\.0\.1:(\d+))")


@dataclass
class Proc:
    """One `blazing` subprocess whose output is kept for diagnosis."""

    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    url: str = ""
    port: int = 0
    output: list[str] = field(default_factory=list)
    launched_at: float = 0.0  # loop time of the launch
    ready_at: float = 0.0  # loop time it said it serves
    _drain: asyncio.Task[None] | None = None
    _listening: asyncio.Event = field(default_factory=asyncio.Event)

    async def launch(self) -> "Proc":
        """Start the process without waiting for it to serve."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "blazing", *self.args,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env})
        self._listening = asyncio.Event()
        self.launched_at = asyncio.get_running_loop().time()
        self._drain = asyncio.create_task(self._keep_reading())
        return self

    async def start(self) -> "Proc":
        """Start the process and wait until it serves."""
        await self.launch()
        assert self.process is not None
        exited = asyncio.ensure_future(self.process.wait())
        listening = asyncio.ensure_future(self._listening.wait())
        try:
            await asyncio.wait([exited, listening], timeout=START_TIMEOUT,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
            listening.cancel()
        if not self._listening.is_set():
            await self.kill()
            raise RuntimeError(f"{self.name} did not start: {''.join(self.output[-30:])}")
        return self

    async def _keep_reading(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace")
            self.output.append(line)
            match = _LISTENING.search(line)
            if match and not self._listening.is_set() and (
                    "listening" in line or "health" in line):
                self.url, self.port = match.group(1), int(match.group(2))
                self.ready_at = asyncio.get_running_loop().time()
                self._listening.set()

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/games"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """kill -9: no cleanup, no goodbye."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, within: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited ``within`` seconds; the exit
        status (negative: the signal that ended it)."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), within)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._drain is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drain), 2)  # its last words
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
        return self.process.returncode if self.process else None


@dataclass
class Cluster:
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}.")
    procs: list[Proc] = field(default_factory=list)
    extra_args: list[str] = field(default_factory=list)
    kafka: str = KAFKA  # the servers it runs over
    redis: str = REDIS
    mongo: str = MONGO

    @property
    def mongo_url(self) -> str:
        return f"{self.mongo}/blazing_{self.prefix.strip('.')}"

    def common_args(self) -> list[str]:
        return [
            "--port", "0",
            "--bus-url", f"kafka://{self.kafka}",
            "--state-url", f"{self.redis}/{REDIS_DB}",
            "--history-url", self.mongo_url,
            "--jwt-secret", SECRET,
            "--topic-prefix", self.prefix,
            "--timer-interval", "0.05",
            *self.extra_args,
        ]

    async def gateway(self, port: int = 0, *extra: str) -> Proc:
        args = ["gateway", *self.common_args(), *extra]
        if port:
            args[args.index("--port") + 1] = str(port)
        proc = await Proc(f"gateway{len(self.procs)}", args).start()
        self.procs.append(proc)
        return proc

    async def game_service(self, *extra: str) -> Proc:
        proc = await Proc(f"service{len(self.procs)}", ["game-service", *self.common_args(),
                                                         *extra]).start()
        self.procs.append(proc)
        return proc

    async def stop_all(self) -> None:
        for proc in self.procs:
            await proc.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{''.join(p.output[-40:])}" for p in self.procs)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.asynccontextmanager
async def running_cluster() -> AsyncIterator[Cluster]:
    """A fresh prefix, topics and Redis database; every process stopped at the end."""
    from tests.contract.conftest import drop_database, unavailable

    for service, url in {"kafka": f"kafka://{KAFKA}", "redis": REDIS,
                         "mongo": MONGO}.items():
        parsed = urlparse(url)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 0
        if not _reachable(host, port):
            unavailable(service, f"{host}:{port} refused")
    import redis.asyncio as aioredis
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    client = aioredis.Redis.from_url(f"{REDIS}/{REDIS_DB}")
    await client.flushdb()
    await client.aclose()
    cluster = Cluster()
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    topics = [cluster.prefix + "games.commands", cluster.prefix + "games.events"]
    await admin.create_topics([NewTopic(t, num_partitions=6, replication_factor=1)
                               for t in topics])
    try:
        yield cluster
    finally:
        await cluster.stop_all()
        print(cluster.logs())  # shown by pytest only when the test failed
        await asyncio.wait_for(admin.delete_topics(topics), 30)
        await admin.close()
        await asyncio.to_thread(drop_database, cluster.mongo_url)
