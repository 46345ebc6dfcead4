"""In-process bus for the embedded mode: one bounded queue per (topic, group).

Subscribers of one group compete for that group's queue, like a Kafka consumer
group; a full queue makes ``publish`` wait, which is the back-pressure.
"""

import asyncio
from collections.abc import Sequence
from typing import Self

from blazing.bus.base import Message

QUEUE_LIMIT = 10_000


class _MemorySubscription:
    def __init__(self, bus: "MemoryBus", topic: str, group: str,
                 queue: asyncio.Queue[Message]) -> None:
        self._bus, self._topic, self._group, self._queue = bus, topic, group, queue
        self._closed = False

    def __aiter__(self) -> "_MemorySubscription":
        return self

    async def __anext__(self) -> Message:
        if self._closed:
            raise StopAsyncIteration
        return await self._queue.get()

    async def next_batch(self, max_messages: int) -> list[Message]:
        if self._closed:
            return []
        batch = [await self._queue.get()]
        while len(batch) < max_messages and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def commit(self) -> None:
        return None

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._bus._leave(self._topic, self._group)


class MemoryBus:
    def __init__(self, queue_limit: int = QUEUE_LIMIT) -> None:
        self._queue_limit = queue_limit
        # topic -> group -> (queue, number of subscribers)
        self._groups: dict[str, dict[str, tuple[asyncio.Queue[Message], int]]] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        message = Message(key, value)
        for queue, _ in list(self._groups.get(topic, {}).values()):
            await queue.put(message)

    async def publish_many(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        for key, value in messages:
            await self.publish(topic, key, value)

    async def subscribe(self, topic: str, group: str) -> _MemorySubscription:
        groups = self._groups.setdefault(topic, {})
        queue, count = groups.get(group, (asyncio.Queue(self._queue_limit), 0))
        groups[group] = (queue, count + 1)
        return _MemorySubscription(self, topic, group, queue)

    def _leave(self, topic: str, group: str) -> None:
        groups = self._groups.get(topic, {})
        queue, count = groups[group]
        if count <= 1:
            del groups[group]  # like a consumer group without members: stop buffering
        else:
            groups[group] = (queue, count - 1)

    async def ping(self) -> None:
        return None
