"""Contract of the Bus port, for every adapter."""

import asyncio
import contextlib
import uuid
from typing import Any

from blazing.bus.base import consume

TIMEOUT = 20.0


async def take(subscription: Any, count: int) -> list[tuple[str, bytes]]:
    got = []
    async with asyncio.timeout(TIMEOUT):
        async for message in subscription:
            got.append((message.key, message.value))
            if len(got) == count:
                break
    await subscription.commit()
    return got


def topic() -> str:
    return "test." + uuid.uuid4().hex[:12]


async def test_messages_with_one_key_arrive_in_order(bus: Any) -> None:
    name = topic()
    subscription = await bus.subscribe(name, "g1")
    for n in range(50):
        await bus.publish(name, "room_a", str(n).encode())
    got = await take(subscription, 50)
    assert [v for _, v in got] == [str(n).encode() for n in range(50)]
    assert {k for k, _ in got} == {"room_a"}
    await subscription.close()


async def test_every_group_sees_every_message(bus: Any) -> None:
    name = topic()
    first = await bus.subscribe(name, "gateway-a")
    second = await bus.subscribe(name, "gateway-b")
    for n in range(5):
        await bus.publish(name, f"k{n}", b"m%d" % n)
    assert sorted(v for _, v in await take(first, 5)) == [b"m%d" % n for n in range(5)]
    assert sorted(v for _, v in await take(second, 5)) == [b"m%d" % n for n in range(5)]
    await first.close()
    await second.close()


async def test_ping_answers(bus: Any) -> None:
    await bus.ping()


async def test_each_key_keeps_its_order_when_keys_are_interleaved(bus: Any) -> None:
    name = topic()
    subscription = await bus.subscribe(name, "g1")
    keys = [f"room_{k}" for k in range(10)]
    for n in range(20):
        for key in keys:
            await bus.publish(name, key, f"{key}:{n}".encode())
    got = await take(subscription, 200)
    for key in keys:
        assert [v for k, v in got if k == key] == [f"{key}:{n}".encode() for n in range(20)]
    await subscription.close()


async def test_members_of_one_group_share_the_messages_without_duplicates(bus: Any) -> None:
    name = topic()
    members = [await bus.subscribe(name, "service"), await bus.subscribe(name, "service")]
    sent = {b"m%d" % n for n in range(60)}
    for n in range(60):
        await bus.publish(name, f"room_{n % 30}", b"m%d" % n)
    received: list[bytes] = []
    all_in = asyncio.Event()

    async def drain(subscription: Any) -> None:
        async for message in subscription:
            received.append(message.value)
            await subscription.commit()
            if set(received) == sent:
                all_in.set()

    tasks = [asyncio.create_task(drain(m)) for m in members]
    try:
        async with asyncio.timeout(TIMEOUT):
            await all_in.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(received) == sorted(sent)  # every message once, none twice
    for member in members:
        await member.close()


async def test_a_committed_message_is_not_delivered_to_its_group_again(bus: Any) -> None:
    name = topic()
    first = await bus.subscribe(name, "service")
    for n in range(3):
        await bus.publish(name, "room_a", b"old%d" % n)
    assert [v for _, v in await take(first, 3)] == [b"old0", b"old1", b"old2"]
    await first.close()
    second = await bus.subscribe(name, "service")
    await bus.publish(name, "room_a", b"new")
    assert await take(second, 1) == [("room_a", b"new")]
    await second.close()


async def test_a_gateway_group_receives_only_what_is_published_after_it_joins(
        bus: Any) -> None:
    name = topic()
    await bus.publish(name, "room_a", b"before")
    subscription = await bus.subscribe(name, "gateway-late")
    await bus.publish(name, "room_a", b"after")
    assert await take(subscription, 1) == [("room_a", b"after")]
    await subscription.close()


async def test_a_closed_subscription_stops_iterating(bus: Any) -> None:
    name = topic()
    subscription = await bus.subscribe(name, "g1")
    await subscription.close()
    await subscription.close()  # closing twice is harmless
    async with asyncio.timeout(TIMEOUT):
        assert [m async for m in subscription] == []


async def test_publish_many_keeps_order_and_batches_come_in_order(bus: Any) -> None:
    name = topic()
    subscription = await bus.subscribe(name, "batch")
    await bus.publish_many(name, [("room_b", b"b%d" % n) for n in range(30)])
    got: list[bytes] = []
    async with asyncio.timeout(TIMEOUT):
        while len(got) < 30:
            batch = await subscription.next_batch(8)
            assert 1 <= len(batch) <= 8
            assert {m.key for m in batch} == {"room_b"}
            got.extend(m.value for m in batch)
    assert got == [b"b%d" % n for n in range(30)]
    await subscription.commit()
    await subscription.close()


async def test_consume_handles_keys_concurrently_but_each_key_in_order(bus: Any) -> None:
    name = topic()
    subscription = await bus.subscribe(name, "consume")
    await bus.publish_many(name, [(f"room_{n % 3}", b"%d:%d" % (n % 3, n)) for n in range(30)])
    seen: dict[bytes, list[int]] = {}
    done = asyncio.Event()

    async def handle(value: bytes) -> None:
        room, number = value.split(b":")
        await asyncio.sleep(0)  # let other keys interleave
        seen.setdefault(room, []).append(int(number))
        if sum(len(v) for v in seen.values()) == 30:
            done.set()

    task = asyncio.create_task(consume(subscription, handle, concurrent_keys=True))
    async with asyncio.timeout(TIMEOUT):
        await done.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    for room, numbers in seen.items():
        assert numbers == sorted(numbers), room
    assert sorted(n for v in seen.values() for n in v) == list(range(30))
