"""The bus port: keyed publish, and group subscriptions with at-least-once
delivery (a consumer commits after it has handled a message).

Within one group every message goes to one subscriber; every group sees every
message. Messages with the same key stay in order.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    value: bytes


class Subscription(Protocol):
    def __aiter__(self) -> "Subscription": ...

    async def __anext__(self) -> Message: ...

    async def next_batch(self, max_messages: int) -> list[Message]:
        """Wait for at least one message, then return up to ``max_messages`` that are
        already there (in order). An empty list means the subscription was closed."""
        ...

    async def commit(self) -> None:
        """Mark everything received so far as handled."""
        ...

    async def close(self) -> None: ...


class Bus(Protocol):
    """Raises ``DependencyUnavailable`` when the broker cannot take a message."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def publish(self, topic: str, key: str, value: bytes) -> None: ...

    async def publish_many(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish (key, value) pairs in order, waiting once for all of them."""
        ...

    async def subscribe(self, topic: str, group: str) -> Subscription:
        """Join ``group`` on ``topic``; returns once the subscription receives."""
        ...

    async def ping(self) -> None:
        """Raise ``DependencyUnavailable`` unless the broker answers."""
        ...


BATCH = 256  # messages taken off a subscription at once


async def consume(subscription: Subscription, handle: Callable[[bytes], Awaitable[object]],
                  *, concurrent_keys: bool = False) -> None:
    """Feed every message to ``handle``; commit after each batch; close when done.

    With ``concurrent_keys`` the messages of one batch are grouped by key: each
    key's messages are handled in order, different keys at the same time (rooms
    do not wait for each other). The batch is committed only once all of it was
    handled, so a crash redelivers rather than loses. ``handle`` must not raise
    for a bad message (it reports and moves on), so one poison message cannot
    stop the loop or be redelivered forever.
    """
    try:
        while batch := await subscription.next_batch(BATCH):
            if concurrent_keys and len(batch) > 1:
                by_key: dict[str, list[bytes]] = {}
                for message in batch:
                    by_key.setdefault(message.key, []).append(message.value)
                await asyncio.gather(*(_in_order(handle, values)
                                       for values in by_key.values()))
            else:
                await _in_order(handle, [m.value for m in batch])
            await subscription.commit()
    finally:
        await subscription.close()


async def _in_order(handle: Callable[[bytes], Awaitable[object]], values: list[bytes]) -> None:
    for value in values:
        await handle(value)
