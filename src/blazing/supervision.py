"""A process's own health, and stopping its background tasks for sure.

- :class:`Liveness` is a one-way switch from "working" to "broken beyond repair".
  Whoever finds that the process can no longer do its work, and cannot repair it
  in place (a consume loop that died, say), calls :meth:`Liveness.fail`; from then
  on ``/healthz`` and ``/readyz`` answer 503 and the process shuts down and exits
  with status 1, so that its supervisor starts a fresh one. A process never goes
  on looking healthy while doing nothing.
- :func:`stop_tasks` cancels tasks and waits for them, cancelling again any task
  that is still running after a cancellation. On Python 3.11 ``asyncio.wait_for``
  (which redis-py awaits on every call) drops a cancellation that arrives just as
  the awaited operation completes, so one ``cancel()`` does not reliably stop a
  loop that talks to Redis; a second one a moment later does.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from blazing.errors import DependencyUnavailable

log = logging.getLogger(__name__)

RECANCEL_INTERVAL = 0.05  # seconds between cancellations of a task that goes on


class Liveness:
    """Whether this process can still work; see the module docstring."""

    def __init__(self) -> None:
        self.failed = asyncio.Event()
        self.reason: str | None = None
        self._watched: set[asyncio.Task[None]] = set()

    def fail(self, reason: str) -> None:
        """Mark the process broken beyond repair (the first reason is kept)."""
        if self.reason is None:
            self.reason = reason
            log.error("this process cannot work any more and will exit: %s", reason)
        self.failed.set()

    def check(self) -> None:
        """A readiness probe: ``DependencyUnavailable`` once the process failed."""
        if self.reason is not None:
            raise DependencyUnavailable(self.reason)

    def watch(self, task: "asyncio.Task[None]", what: str) -> None:
        """``task`` must run until it is cancelled: if it ends any other way (an
        exception, or returning), the process fails with ``what`` as the cause."""
        self._watched.add(task)

        def ended(done: "asyncio.Task[None]") -> None:
            if done not in self._watched or done.cancelled():
                return  # stopped on purpose
            self._watched.discard(done)
            error = done.exception()
            self.fail(f"{what} stopped: {error!r}" if error else f"{what} stopped")

        task.add_done_callback(ended)

    def release(self, tasks: Iterable["asyncio.Task[None]"]) -> None:
        """Stop watching ``tasks`` (their owner is stopping them on purpose)."""
        for task in tasks:
            self._watched.discard(task)


async def stop_tasks(tasks: Iterable["asyncio.Task[None]"], within: float = 5.0,
                     liveness: Liveness | None = None) -> None:
    """Cancel ``tasks`` and wait until each is done, cancelling again every
    :data:`RECANCEL_INTERVAL` a task that goes on; give up (and log) after
    ``within`` seconds. Never raises for the tasks' own errors."""
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    if liveness is not None:
        liveness.release(pending)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - loop.time()
        if left <= 0:
            log.warning("tasks still running after %.1f s: %s", within,
                        sorted(task.get_name() for task in pending))
            return
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_INTERVAL, left))
    for task in tasks:
        if task.done() and not task.cancelled():
            with contextlib.suppress(BaseException):
                task.result()  # retrieved, so asyncio does not log it as never retrieved
