"""The multi-process load generator.

The coordinator (this process) forks one worker process per share of the
load. Each worker runs its scenario on its own event loop (uvloop when
installed), pinned to the load-generator core and binding its own source
address, and talks to the coordinator over one queue: ``phase`` (reached a
barrier), ``progress`` (counters), ``result`` and ``failed``. Barriers are
released by the coordinator when every live worker has reached them, after it
has taken its own measurements for that moment (e.g. the server's RSS).

Everything is bounded: each worker stops itself at its deadline, and the
coordinator kills workers that outlive theirs, on error, and on Ctrl-C.
"""

import asyncio
import multiprocessing
import queue
import signal
import time
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

from blazing.bench import procs
from blazing.bench.scenarios import SCENARIOS
from blazing.bench.scenarios.common import WorkerContext, WorkerSpec
from blazing.bench.scenarios.spec import Result, Scenario

PROGRESS_EVERY = 0.5  # seconds between a worker's progress reports
BARRIER_POLL = 0.002
DEATH_DRAIN = 3.0  # seconds to wait for the result of a worker that has exited
KILL_SLACK = 30.0  # beyond the workers' own deadline

Hook = Callable[[str], dict[str, float]]  # barrier name -> measurements to record
ProgressSink = Callable[[dict[str, int], float], None]  # summed counters, elapsed


class LoadError(Exception):
    """The load generator could not complete a run (message says why)."""


@dataclass(slots=True)
class Outcome:
    results: list[Result]
    marks: dict[str, float]  # barrier times and the hook's measurements


def run(scenario: Scenario, specs: list[WorkerSpec], *, hook: Hook,
        progress: ProgressSink, cores: set[int] | None) -> Outcome:
    """Run ``scenario`` with one worker per spec; blocks until all are done."""
    # fork: the coordinator runs no event loop and no threads, and `python -m
    # blazing` cannot be re-imported by spawn (its __main__ runs at import).
    context = multiprocessing.get_context("fork")
    inbox: multiprocessing.Queue[tuple[Any, ...]] = context.Queue()
    barriers = {name: context.Event() for name in scenario.phases}
    workers = [context.Process(target=_worker, name=f"bench-{scenario.name}-{spec.index}",
                               args=(scenario.name, spec, inbox, barriers, cores), daemon=True)
               for spec in specs]
    started = time.monotonic()
    kill_at = started + max(spec.deadline_s for spec in specs) + KILL_SLACK
    reached: dict[str, dict[int, float]] = {name: {} for name in scenario.phases}
    results: dict[int, Result] = {}
    latest: dict[int, dict[str, int]] = {}
    marks: dict[str, float] = {}
    dead_since: dict[int, float] = {}
    next_barrier = 0
    clean = False
    for worker in workers:
        worker.start()
    try:
        while len(results) < len(workers):
            now = time.monotonic()
            if now > kill_at:
                raise LoadError(f"{scenario.name}: workers still running "
                                f"{kill_at - started:.0f}s after the start")
            try:
                message = inbox.get(timeout=0.25)
            except queue.Empty:
                _check_dead(workers, results, dead_since)
            else:
                kind, index = message[0], message[1]
                if kind == "progress":
                    latest[index] = message[2]
                elif kind == "phase":
                    reached[message[2]][index] = message[3]
                elif kind == "result":
                    results[index] = message[2]
                    latest[index] = {**message[2].counters, "errors": message[2].errors}
                elif kind == "failed":
                    raise LoadError(f"{scenario.name} worker {index} failed:\n{message[2]}")
            while next_barrier < len(scenario.phases):
                name = scenario.phases[next_barrier]
                if any(i not in results and i not in reached[name] for i in range(len(workers))):
                    break
                marks[f"{name}_reached"] = max(reached[name].values(), default=time.monotonic())
                marks.update(hook(name))
                marks[f"{name}_released"] = time.monotonic()
                barriers[name].set()
                next_barrier += 1
            progress(_sum(latest.values()), time.monotonic() - started)
        clean = True
    finally:
        for worker in workers:
            worker.join(timeout=5.0 if clean else 0.5)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=2.0)
        inbox.close()
        inbox.cancel_join_thread()
    return Outcome([results[i] for i in sorted(results)], marks)


def _check_dead(workers: list[Any], results: dict[int, Result],
                dead_since: dict[int, float]) -> None:
    now = time.monotonic()
    for i, worker in enumerate(workers):
        if i in results or worker.exitcode is None:
            continue
        since = dead_since.setdefault(i, now)
        if now - since > DEATH_DRAIN:
            raise LoadError(f"worker {i} exited with code {worker.exitcode} and no result")


def _sum(snapshots: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for snapshot in snapshots:
        for key, value in snapshot.items():
            total[key] = total.get(key, 0) + value
    return total


# --- the worker process ---------------------------------------------------------------

def _worker(scenario_name: str, spec: WorkerSpec, outbox: "multiprocessing.Queue[Any]",
            barriers: dict[str, MpEvent], cores: set[int] | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides when to stop
    procs.die_with_parent(signal.SIGKILL)
    procs.pin(cores)
    procs.raise_fd_limit()
    try:
        scenario = SCENARIOS[scenario_name]

        async def wait_barrier(name: str) -> None:
            outbox.put(("phase", spec.index, name, time.monotonic()))
            barrier = barriers[name]
            while not barrier.is_set():
                if ctx.remaining <= 0:
                    raise TimeoutError(f"barrier {name!r} not released in time")
                await asyncio.sleep(BARRIER_POLL)

        ctx = WorkerContext(spec, wait_barrier)
        _run_loop(_main(scenario, ctx, outbox))
        outbox.put(("result", spec.index, Result.of(ctx)))
    except BaseException:
        outbox.put(("failed", spec.index, traceback.format_exc()))


async def _main(scenario: Scenario, ctx: WorkerContext,
                outbox: "multiprocessing.Queue[Any]") -> None:
    async def report() -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            outbox.put(("progress", ctx.spec.index, ctx.stats.snapshot()))

    reporter = asyncio.create_task(report())
    try:
        await asyncio.wait_for(scenario.run(ctx), ctx.spec.deadline_s)
    except TimeoutError as exc:
        ctx.stats.error(f"worker {ctx.spec.index}: {str(exc) or 'deadline reached'}")
    except (OSError, ValueError) as exc:
        ctx.stats.error(f"worker {ctx.spec.index}: {type(exc).__name__}: {exc}")
    finally:
        reporter.cancel()


def _run_loop(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main)
