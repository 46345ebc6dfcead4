"""The bus port: keyed publish, and group subscriptions with at-least-once
delivery (a consumer commits after it has handled a message).

Within one group every message goes to one subscriber; every group sees every
message. Messages with the same key stay in order.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, Self


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    value: bytes


class Subscription(Protocol):
    def __aiter__(self) -> "Subscription": ...

    async def __anext__(self) -> Message: ...

    async def commit(self) -> None:
        """Mark everything received so far as handled."""
        ...

    async def close(self) -> None: ...


class Bus(Protocol):
    """Raises ``DependencyUnavailable`` when the broker cannot take a message."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def publish(self, topic: str, key: str, value: bytes) -> None: ...

    async def subscribe(self, topic: str, group: str) -> Subscription:
        """Join ``group`` on ``topic``; returns once the subscription receives."""
        ...

    async def ping(self) -> None:
        """Raise ``DependencyUnavailable`` unless the broker answers."""
        ...


async def consume(subscription: Subscription, handle: Callable[[bytes], Awaitable[object]]
                  ) -> None:
    """Feed every message to ``handle`` and commit after it; close when done.

    ``handle`` must not raise for a bad message (it reports and moves on), so one
    poison message cannot stop the loop or be redelivered forever.
    """
    try:
        async for message in subscription:
            await handle(message.value)
            await subscription.commit()
    finally:
        await subscription.close()
