"""Backends for the contract suites. Each port's suite runs against every
adapter listed here; real-server adapters join when their service is reachable
(and, with CI=true, a missing service fails the run instead of skipping).

Real servers come from ``TEST_REDIS_URL`` (default DB 15, away from the default
DB), ``TEST_KAFKA_URL`` and ``TEST_MONGO_URL`` (by default on the ports of
tests/services_env.py); their tests carry the ``services`` mark (``pytest -m "not
services"`` leaves them out). Drivers are imported inside the factories, so the
embedded install runs the memory suites.
"""

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from blazing.bus.memory import MemoryBus
from blazing.history.sqlite import SqliteHistory
from blazing.state.memory import MemoryPresence, MemoryRoomStore
from blazing.state.sqlite import SqliteRoomStore
from tests.services_env import KAFKA_BOOTSTRAP, MONGO_BASE, REDIS_BASE
from tests.support.optional import require_modules

Factory = Callable[[], AbstractAsyncContextManager[Any]]

REDIS_URL = os.environ.get("TEST_REDIS_URL", f"{REDIS_BASE}/15")
KAFKA_URL = os.environ.get("TEST_KAFKA_URL", f"kafka://{KAFKA_BOOTSTRAP}")
MONGO_URL = os.environ.get("TEST_MONGO_URL", f"{MONGO_BASE}/blazing_test")
KAFKA_TEST_PARTITIONS = 3  # >1, so per-key order across partitions is exercised


def unavailable(service: str, reason: str) -> None:
    """A backend's server is not reachable: fail in CI, skip with a reason locally."""
    message = f"{service} is not reachable ({reason}); start it with `scripts/services up`"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@cache
def _probe(host: str, port: int) -> str | None:
    """Why ``host:port`` does not accept a TCP connection within 1 s (None if it does).
    Cached: one probe per server and test session."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return None
    except OSError as exc:
        return f"{host}:{port}: {exc}"


def require(service: str, url: str, default_port: int) -> None:
    """Skip (or, in CI, fail) the current test unless the server of ``url`` answers."""
    first = urlparse(url).netloc.split(",")[0].rsplit("@", 1)[-1]
    host, _, port = first.rpartition(":") if ":" in first else (first, "", "")
    reason = _probe(host or "127.0.0.1", int(port or default_port))
    if reason is not None:
        unavailable(service, reason)


def kafka_bootstrap() -> str:
    return urlparse(KAFKA_URL).netloc


_redis_flushed = False


def _flush_test_redis_once() -> None:
    """Start each run with an empty test database, so rooms of earlier runs that never
    ended (they have no TTL) do not pile up."""
    global _redis_flushed
    if not _redis_flushed:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        _redis_flushed = True


def redis_store() -> AbstractAsyncContextManager[Any]:
    require_modules("redis")
    require("redis", REDIS_URL, 6379)
    _flush_test_redis_once()
    from blazing.state.redis import RedisRoomStore

    return RedisRoomStore(REDIS_URL)


def redis_presence() -> AbstractAsyncContextManager[Any]:
    require_modules("redis")
    require("redis", REDIS_URL, 6379)
    from blazing.state.redis import RedisPresence

    return RedisPresence(REDIS_URL)


class TopicMakingBus:
    """A :class:`KafkaBus` that creates each topic it is first asked about (with
    ``partitions`` partitions) and deletes those topics when it closes: the broker
    does not auto-create topics, and every test uses fresh ones."""

    def __init__(self, bootstrap: str, partitions: int = KAFKA_TEST_PARTITIONS,
                 **options: Any) -> None:
        from blazing.bus.kafka import KafkaBus

        self.bus = KafkaBus(bootstrap, client_id="blazing-tests", **options)
        self._bootstrap, self.partitions = bootstrap, partitions
        self._topics: set[str] = set()
        self._admin: Any = None

    async def __aenter__(self) -> "TopicMakingBus":
        from aiokafka.admin import AIOKafkaAdminClient

        await self.bus.__aenter__()
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap,
                                          request_timeout_ms=10_000)
        await self._admin.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.bus.__aexit__(*exc)
        if self._topics:
            await self._admin.delete_topics(sorted(self._topics))
        await self._admin.close()

    async def ensure_topic(self, topic: str) -> None:
        from aiokafka.admin import NewTopic

        if topic not in self._topics:
            await self._admin.create_topics([NewTopic(topic, self.partitions, 1)])
            self._topics.add(topic)

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        await self.ensure_topic(topic)
        await self.bus.publish(topic, key, value)

    async def publish_many(self, topic: str, messages: list[tuple[str, bytes]]) -> None:
        await self.ensure_topic(topic)
        await self.bus.publish_many(topic, messages)

    async def subscribe(self, topic: str, group: str) -> Any:
        await self.ensure_topic(topic)
        return await self.bus.subscribe(topic, group)

    async def ping(self) -> None:
        await self.bus.ping()


def kafka_bus() -> AbstractAsyncContextManager[Any]:
    require_modules("aiokafka")
    require("kafka", KAFKA_URL, 9092)
    return TopicMakingBus(kafka_bootstrap())


@asynccontextmanager
async def mongo_history() -> AsyncIterator[Any]:
    """A database of its own per test, dropped after: a shared one grows with every
    run, and a MongoDB-protocol server without the indexes' help slows down with it."""
    require_modules("pymongo")
    require("mongo", MONGO_URL, 27017)
    from blazing.history.mongo import MongoHistory

    url = f"{MONGO_URL}_{uuid.uuid4().hex[:8]}"
    try:
        async with MongoHistory(url) as history:
            yield history
    finally:
        await asyncio.to_thread(drop_database, url)


def drop_database(url: str) -> None:
    """Drop the database ``url`` names (for test and benchmark clean-up)."""
    from pymongo import MongoClient

    with MongoClient(url, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(urlparse(url).path.lstrip("/"))


@asynccontextmanager
async def sqlite_store() -> AsyncIterator[Any]:
    """A file of its own per test (WAL needs a file; ``:memory:`` would not show what a
    restart keeps)."""
    with tempfile.TemporaryDirectory(prefix="blazing-state-") as folder:
        async with SqliteRoomStore(str(Path(folder) / "state.db")) as store:
            yield store


STORE_BACKENDS: dict[str, Factory] = {"memory": MemoryRoomStore, "redis": redis_store,
                                      "sqlite": sqlite_store}
PRESENCE_BACKENDS: dict[str, Factory] = {"memory": MemoryPresence, "redis": redis_presence}
BUS_BACKENDS: dict[str, Factory] = {"memory": MemoryBus, "kafka": kafka_bus}
HISTORY_BACKENDS: dict[str, Factory] = {"sqlite": lambda: SqliteHistory(":memory:"),
                                        "mongo": mongo_history}
REAL_BACKENDS = frozenset({"redis", "kafka", "mongo"})


def backend_params(factories: dict[str, Factory]) -> list[Any]:
    """One fixture param per backend; the real ones carry the ``services`` mark."""
    return [pytest.param(name, marks=pytest.mark.services if name in REAL_BACKENDS else (),
                         id=name)
            for name in sorted(factories)]


async def _open(factories: dict[str, Factory], name: str) -> AsyncIterator[Any]:
    async with factories[name]() as adapter:
        yield adapter


@pytest.fixture(params=backend_params(STORE_BACKENDS))
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(STORE_BACKENDS, request.param):
        yield adapter


@pytest.fixture(params=backend_params(PRESENCE_BACKENDS))
async def presence(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(PRESENCE_BACKENDS, request.param):
        yield adapter


@pytest.fixture(params=backend_params(BUS_BACKENDS))
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(BUS_BACKENDS, request.param):
        yield adapter


@pytest.fixture(params=backend_params(HISTORY_BACKENDS))
async def history(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(HISTORY_BACKENDS, request.param):
        yield adapter
