"""Concurrent calls answered by one round trip.

When many rooms' commands are handled at once (a burst), each would make its own
Redis round trip: one request, one reply and the client's per-call overhead each
time. A :class:`Coalescer` collects the calls made while one event-loop iteration
runs and answers all of them with one call of its ``run`` function in the next
iteration (an ``MGET``, or a pipeline), so a burst of N commands costs a few round
trips instead of N. A lone call waits one loop iteration more, nothing else.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Arg = TypeVar("Arg")
Result = TypeVar("Result")


class Coalescer(Generic[Arg, Result]):
    """``await coalescer(arg)`` → the result ``run`` gave for ``arg``.

    ``run`` gets the arguments of every call waiting, in call order, and returns one
    result per argument in the same order; a result that is an exception is raised
    in its caller alone. If ``run`` itself raises, every caller of that batch gets
    the exception.
    """

    def __init__(self, run: Callable[[list[Arg]], Awaitable[list[Result | Exception]]]) -> None:
        self._run = run
        self._waiting: list[tuple[Arg, asyncio.Future[Result]]] = []
        self._running: set[asyncio.Task[None]] = set()  # keeps the batches' tasks alive

    async def __call__(self, arg: Arg) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._flush)  # runs after every callback already queued
        self._waiting.append((arg, future))
        return await future

    def _flush(self) -> None:
        batch, self._waiting = self._waiting, []
        task = asyncio.create_task(self._answer(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, batch: list[tuple[Arg, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run([arg for arg, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue  # its caller was cancelled meanwhile
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
