"""What KafkaBus promises beyond the Bus contract: partitions are shared by a
group's members, non-gateway groups start at the beginning, uncommitted messages
come again, and a missing broker or topic is ``DependencyUnavailable`` in bounded
time."""

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.optional import require_modules

require_modules("aiokafka")

from blazing.bus.kafka import KafkaBus
from blazing.errors import DependencyUnavailable
from tests.contract.conftest import KAFKA_URL, TopicMakingBus, kafka_bootstrap, require
from tests.contract.test_bus import TIMEOUT, take, topic

pytestmark = pytest.mark.services


@pytest.fixture
async def kafka() -> AsyncIterator[TopicMakingBus]:
    require("kafka", KAFKA_URL, 9092)
    async with TopicMakingBus(kafka_bootstrap()) as bus:
        yield bus


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_two_members_of_a_group_split_the_partitions(kafka: TopicMakingBus) -> None:
    name = topic()
    members = [await kafka.subscribe(name, "service"), await kafka.subscribe(name, "service")]
    per_member: list[list[bytes]] = [[], []]
    for n in range(60):
        await kafka.publish(name, f"room_{n}", b"m%d" % n)
    done = asyncio.Event()

    async def drain(index: int) -> None:
        async for message in members[index]:
            per_member[index].append(message.value)
            if sum(map(len, per_member)) == 60:
                done.set()

    tasks = [asyncio.create_task(drain(i)) for i in range(2)]
    try:
        async with asyncio.timeout(TIMEOUT):
            await done.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert all(per_member), "each member owns some of the 3 partitions"
    assert not set(per_member[0]) & set(per_member[1])
    for member in members:
        await member.close()


async def test_a_member_without_partitions_still_subscribes(kafka: TopicMakingBus) -> None:
    name = topic()
    kafka.partitions = 1  # one partition for two members
    first = await kafka.subscribe(name, "service")
    second = await kafka.subscribe(name, "service")  # returns with no partition
    await kafka.publish(name, "room_a", b"only")
    got: list[bytes] = []
    arrived = asyncio.Event()

    async def drain(subscription: Any) -> None:
        async for message in subscription:
            got.append(message.value)
            arrived.set()

    tasks = [asyncio.create_task(drain(s)) for s in (first, second)]
    try:
        async with asyncio.timeout(TIMEOUT):
            await arrived.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert got == [b"only"]
    await first.close()
    await second.close()


async def test_a_service_group_starts_from_the_first_message(kafka: TopicMakingBus) -> None:
    name = topic()
    for n in range(3):
        await kafka.publish(name, "room_a", b"queued%d" % n)
    subscription = await kafka.subscribe(name, "service")
    assert [v for _, v in await take(subscription, 3)] == [b"queued0", b"queued1", b"queued2"]
    await subscription.close()


async def test_uncommitted_messages_come_again_to_the_next_member(
        kafka: TopicMakingBus) -> None:
    name = topic()
    first = await kafka.subscribe(name, "service")
    for n in range(3):
        await kafka.publish(name, "room_a", b"m%d" % n)
    async with asyncio.timeout(TIMEOUT):
        assert (await anext(first)).value == b"m0"
        await first.commit()
        assert (await anext(first)).value == b"m1"  # received, never committed
    await first.close()
    second = await kafka.subscribe(name, "service")
    assert [v for _, v in await take(second, 2)] == [b"m1", b"m2"]
    await second.close()


async def test_an_unreachable_broker_is_unavailable_at_start() -> None:
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable):
        async with KafkaBus(f"127.0.0.1:{closed_port()}", subscribe_timeout=5.0):
            pass
    assert time.monotonic() - started < 10


async def test_publishing_to_a_missing_topic_is_unavailable_in_bounded_time() -> None:
    require("kafka", KAFKA_URL, 9092)
    async with KafkaBus(kafka_bootstrap(), request_timeout=1.0, publish_timeout=3.0) as bus:
        started = time.monotonic()
        with pytest.raises(DependencyUnavailable):
            await bus.publish("test.missing." + uuid.uuid4().hex, "k", b"v")
        assert time.monotonic() - started < 5


async def test_subscribing_to_a_missing_topic_is_unavailable_in_bounded_time() -> None:
    require("kafka", KAFKA_URL, 9092)
    async with KafkaBus(kafka_bootstrap(), subscribe_timeout=2.0) as bus:
        started = time.monotonic()
        with pytest.raises(DependencyUnavailable):
            await bus.subscribe("test.missing." + uuid.uuid4().hex, "service")
        assert time.monotonic() - started < 5


async def test_a_bus_that_is_not_started_is_unavailable() -> None:
    bus = KafkaBus("127.0.0.1:9")
    with pytest.raises(DependencyUnavailable):
        await bus.publish("t", "k", b"v")
    with pytest.raises(DependencyUnavailable):
        await bus.ping()


async def test_missing_topics_are_created_at_start_and_existing_ones_kept() -> None:
    require("kafka", KAFKA_URL, 9092)
    from aiokafka.admin import AIOKafkaAdminClient

    names = [f"test.ensure.{uuid.uuid4().hex[:10]}.{n}" for n in range(2)]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    try:
        for _ in range(2):  # the second start finds them and creates nothing
            async with KafkaBus(kafka_bootstrap(), ensure_topics=names,
                                topic_partitions=3) as bus:
                await bus.publish(names[0], "k", b"v")  # would fail on a missing topic
        described = await admin.describe_topics(names)
        assert sorted(t["topic"] for t in described) == sorted(names)
        assert all(len(t["partitions"]) == 3 for t in described)
    finally:
        await admin.delete_topics(names)
        await admin.close()


HANDOVER_BATCH = 20  # messages a member may hand over unhandled at a rebalance


class Flow:
    """Messages published steadily over many keys, and who handled each."""

    def __init__(self, kafka: TopicMakingBus, name: str) -> None:
        self.kafka, self.name = kafka, name
        self.sent: list[bytes] = []
        self.handled: dict[str, set[bytes]] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def handler(self, member: str) -> Any:
        seen = self.handled.setdefault(member, set())

        async def handle(value: bytes) -> None:
            await asyncio.sleep(0.001)  # a handler takes a moment: batches are in flight
            seen.add(value)

        return handle

    def start(self) -> None:
        async def publish() -> None:
            n = 0
            while not self._stop.is_set() and n < 20_000:
                value = b"m%d" % n
                await self.kafka.publish(self.name, f"room_{n % 48}", value)
                self.sent.append(value)
                n += 1
                await asyncio.sleep(0.002)

        self._task = asyncio.create_task(publish())

    async def stop(self) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task

    def count(self, member: str) -> int:
        return len(self.handled.get(member, ()))

    def missing(self) -> set[bytes]:
        done: set[bytes] = set().union(*self.handled.values())
        return set(self.sent) - done


async def until(predicate: Any, timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - a poll with a deadline
            await asyncio.sleep(0.02)


async def test_a_member_that_loses_partitions_to_a_joiner_keeps_consuming_and_leaves_cleanly(
        kafka: TopicMakingBus) -> None:
    """A rebalance takes partitions away from a busy member: it must hand over what
    it handled and go on with what it keeps (it used to commit offsets of partitions
    it no longer owned, and its consume loop died of it, unnoticed), and its close
    must leave the group so the others take its partitions at once."""
    from blazing.bus.base import consume

    name, group = topic(), f"service-{uuid.uuid4().hex[:8]}"
    kafka.partitions = 6
    kafka.bus.commit_interval = 60.0  # no commit but those of the rebalance and the close
    flow = Flow(kafka, name)
    first = await kafka.subscribe(name, group)
    first_task = asyncio.create_task(consume(first, flow.handler("first"),
                                             concurrent_keys=True))
    flow.start()
    try:
        await until(lambda: flow.count("first") > 200)
        second = await kafka.subscribe(name, group)  # rebalance: first loses partitions
        second_task = asyncio.create_task(consume(second, flow.handler("second"),
                                                  concurrent_keys=True))
        settled = flow.count("first")
        await until(lambda: flow.count("second") > 200 and flow.count("first") > settled + 200)
        assert not first_task.done(), first_task.exception()
        first_task.cancel()  # the first member stops: its close leaves the group
        await asyncio.gather(first_task, return_exceptions=True)
        left = len(flow.sent)
        await until(lambda: flow.count("second") > 200 and all(
            v in flow.handled["second"] for v in flow.sent[left:left + 100]), timeout=6.0)
        await flow.stop()
        await until(lambda: not flow.missing())
        assert not second_task.done(), second_task.exception()
        # What the first member handled was committed as it let go: the others do not
        # get it again (beyond a batch caught mid-way), at the join nor at the leave.
        again = flow.handled["first"] & flow.handled["second"]
        print(f"\n{len(again)} messages handled by both members")
        assert len(again) <= 2 * HANDOVER_BATCH
    finally:
        if not flow._stop.is_set():
            await flow.stop()
        for task in (first_task, locals().get("second_task")):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


async def ping_failure(kafka: TopicMakingBus) -> str | None:
    """Why the bus is not ready, or None if it is."""
    try:
        await kafka.ping()
    except DependencyUnavailable as exc:
        return str(exc)
    return None


async def test_a_consumer_whose_commits_hang_says_so_and_is_replaced(
        kafka: TopicMakingBus, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a broker crash a consumer's group coordinator lookup can stay stuck: its
    commits never complete, though the broker answers. Commits must not hold the
    consume loop meanwhile, readiness must say so, and the consumer is replaced."""
    import blazing.bus.kafka as kafka_module
    from blazing.bus.base import consume

    monkeypatch.setattr(kafka_module, "COMMIT_STALL_SECONDS", 1.0)
    monkeypatch.setattr(kafka_module, "PROBE_SECONDS", 0.2)
    monkeypatch.setattr(kafka_module, "BROKER_BACK_SECONDS", 1.5)
    kafka.bus.request_timeout = 0.5
    kafka.bus.commit_interval = 0.0
    name, group = topic(), f"service-{uuid.uuid4().hex[:8]}"
    subscription = await kafka.subscribe(name, group)
    stuck = subscription._consumer

    attempts = 0

    async def never_answers(offsets: Any) -> None:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(3600)

    monkeypatch.setattr(stuck, "commit", never_answers)
    broker_answers = False

    async def answers() -> bool:
        return broker_answers

    # First an outage: commits fail because the broker is away, not because the
    # consumer is stuck, so it is kept however long that lasts.
    monkeypatch.setattr(kafka.bus, "broker_answers", answers)
    handled: list[bytes] = []

    async def handle(value: bytes) -> None:
        handled.append(value)

    task = asyncio.create_task(consume(subscription, handle))
    try:
        sent = 0

        async def publish_until(predicate: Any, within: float) -> None:
            nonlocal sent
            async with asyncio.timeout(within):
                while not predicate():
                    await kafka.publish(name, "room_a", b"m%d" % sent)
                    sent += 1
                    await asyncio.sleep(0.05)

        # Messages keep flowing although every commit hangs.
        await publish_until(lambda: len(handled) >= 20, within=TIMEOUT)
        # Readiness says so once commits have failed for COMMIT_STALL_SECONDS.
        async with asyncio.timeout(TIMEOUT):
            while (why := await ping_failure(kafka)) is None:  # noqa: ASYNC110 - polled
                await asyncio.sleep(0.1)  # polling, with the deadline above
        assert "has not committed" in why
        # Many more commits than BROKER_BACK_SECONDS holds fail meanwhile: still kept.
        failed = attempts
        await publish_until(lambda: attempts >= failed + 6, within=TIMEOUT)
        assert subscription._consumer is stuck
        broker_answers = True  # the broker is back, the commits still hang: replaced
        await publish_until(lambda: subscription._consumer is not stuck, within=TIMEOUT)
        before = len(handled)
        await publish_until(lambda: len(handled) >= before + 10, within=TIMEOUT)
        await kafka.ping()  # the new consumer commits: ready again
        assert not task.done()
        # Nothing the old consumer handled is handed out again by the new one, though
        # none of it was ever committed: a command must not be applied twice.
        assert len(handled) == len(set(handled))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
