"""Liveness notices a loop that ends; stop_tasks stops a task even when it swallows
a cancellation (as asyncio.wait_for does on Python 3.11 when the awaited operation
completes at the same moment)."""

import asyncio

import pytest

from blazing.errors import DependencyUnavailable
from blazing.supervision import Liveness, stop_tasks


async def test_a_watched_task_that_fails_fails_the_process() -> None:
    liveness = Liveness()

    async def loop() -> None:
        raise DependencyUnavailable("the consumer is fenced")

    liveness.watch(asyncio.create_task(loop()), "command consumer")
    await asyncio.wait_for(liveness.failed.wait(), 1)
    assert liveness.reason is not None and "command consumer stopped" in liveness.reason
    with pytest.raises(DependencyUnavailable):
        liveness.check()


async def test_a_watched_task_that_returns_fails_the_process_too() -> None:
    liveness = Liveness()

    async def loop() -> None:
        return None  # a loop that should run forever stopped quietly

    liveness.watch(asyncio.create_task(loop()), "timer loop")
    await asyncio.wait_for(liveness.failed.wait(), 1)
    assert liveness.reason == "timer loop stopped"


async def test_stopping_watched_tasks_on_purpose_is_not_a_failure() -> None:
    liveness = Liveness()
    task = asyncio.create_task(asyncio.sleep(3600))
    liveness.watch(task, "sleeper")
    await stop_tasks([task], liveness=liveness)
    await asyncio.sleep(0)  # done callbacks run
    assert task.cancelled() and liveness.reason is None
    liveness.check()


async def test_stop_tasks_cancels_again_a_task_that_swallowed_the_cancellation() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1  # drops the first one, as wait_for may

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_tasks([task], within=2.0), 3)
    assert task.cancelled() and swallowed == 1
