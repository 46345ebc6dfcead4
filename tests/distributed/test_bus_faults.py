"""The Kafka bus through a broker restart under load: the producer must work again
within seconds of the broker's return, and ``ping`` (readiness) must not say
ready while it does not."""

import asyncio
import time
import uuid

import pytest

from blazing.bus.kafka import KafkaBus
from blazing.errors import DependencyUnavailable
from tests.distributed.cluster import KAFKA
from tests.distributed.test_outages import services

pytestmark = pytest.mark.services
PARTITIONS = 6
KEYS = [f"room_{n}" for n in range(48)]  # every partition gets some
RECOVERY = 30.0  # seconds from the broker's return to a working producer


async def publish_everywhere(bus: KafkaBus, topic: str) -> None:
    """One message per key, so every partition must take one."""
    await bus.publish_many(topic, [(key, b"probe") for key in KEYS])


async def test_a_producer_busy_through_a_broker_restart_works_again_once_it_is_back() -> None:
    topic = f"test.restart.{uuid.uuid4().hex[:10]}"
    async with KafkaBus(KAFKA, ensure_topics=[topic], topic_partitions=PARTITIONS) as bus:
        stop = asyncio.Event()
        failures: list[str] = []

        async def load(n: int) -> None:
            while not stop.is_set():
                try:
                    await bus.publish_many(topic, [(KEYS[(n + i) % len(KEYS)], b"x" * 200)
                                                   for i in range(5)])
                except DependencyUnavailable as exc:
                    failures.append(str(exc))
                    await asyncio.sleep(0.05)  # back off like a caller retrying

        loaders = [asyncio.create_task(load(n)) for n in range(20)]
        try:
            await asyncio.sleep(1.0)  # the load is under way (batches in flight)
            await services("restart", "kafka")
            back = time.monotonic()
            # Ready means working: from the first moment ping says ready, a
            # publish to every partition goes through.
            async with asyncio.timeout(RECOVERY):
                while True:
                    try:
                        await bus.ping()
                        break
                    except DependencyUnavailable:
                        await asyncio.sleep(0.2)
            ready = time.monotonic()
            async with asyncio.timeout(RECOVERY):
                while True:
                    try:
                        await publish_everywhere(bus, topic)
                        break
                    except DependencyUnavailable:
                        await asyncio.sleep(0.2)
            working = time.monotonic()
            print(f"\nready {ready - back:.1f} s and working {working - back:.1f} s after the "
                  f"broker was back; {len(failures)} failed sends under load")
            # And it stays working: three rounds in a row, no failure.
            for _ in range(3):
                await publish_everywhere(bus, topic)
            assert working - ready < 5.0, "said ready while sends still failed"
        finally:
            stop.set()
            await asyncio.gather(*loaders, return_exceptions=True)
