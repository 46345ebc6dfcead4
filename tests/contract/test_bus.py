"""Contract of the Bus port, for every adapter."""

import asyncio
import uuid
from typing import Any

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
