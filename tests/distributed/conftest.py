"""Fixtures for the multi-process tests; they need the real services."""

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from tests.contract.conftest import unavailable
from tests.distributed.cluster import KAFKA, REDIS_DB, Cluster

pytestmark = pytest.mark.services


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    for service, (host, port) in {"kafka": KAFKA.split(":"), "redis": ("127.0.0.1", "6379"),
                                  "mongo": ("127.0.0.1", "27017")}.items():
        if not _reachable(host, int(port)):
            unavailable(service, f"{host}:{port} refused")
    import redis.asyncio as aioredis
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    client = aioredis.Redis(db=REDIS_DB)
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
