"""The Coalescer: concurrent calls share one run, each gets its own answer."""

import asyncio

import pytest

from blazing.state.coalesce import Coalescer


class Recorder:
    """A ``run`` that records each batch it gets and answers ``arg * 10``, or
    an error for negative arguments."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.started: asyncio.Queue[list[int]] = asyncio.Queue()  # each batch, as it starts
        self.fail_with = fail_with
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, args: list[int]) -> list[int | Exception]:
        self.batches.append(list(args))
        self.started.put_nowait(list(args))
        await self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [ValueError(f"bad {a}") if a < 0 else a * 10 for a in args]


async def test_calls_made_together_share_one_run_and_get_their_own_results() -> None:
    run = Recorder()
    coalescer = Coalescer(run)
    results = await asyncio.gather(*(coalescer(n) for n in range(1, 51)))
    assert results == [n * 10 for n in range(1, 51)]
    assert run.batches == [list(range(1, 51))]


async def test_a_lone_call_is_answered() -> None:
    run = Recorder()
    assert await Coalescer(run)(7) == 70
    assert run.batches == [[7]]


async def test_calls_made_while_a_batch_runs_go_in_the_next_batch() -> None:
    run = Recorder()
    run.release.clear()
    coalescer = Coalescer(run)
    first = asyncio.gather(*(coalescer(n) for n in (1, 2)))
    assert await run.started.get() == [1, 2]  # in flight, held
    second = asyncio.gather(*(coalescer(n) for n in (3, 4)))
    assert await run.started.get() == [3, 4]
    run.release.set()
    assert await first == [10, 20] and await second == [30, 40]
    assert run.batches == [[1, 2], [3, 4]]


async def test_an_error_for_one_argument_reaches_only_its_caller() -> None:
    coalescer = Coalescer(Recorder())
    results = await asyncio.gather(coalescer(1), coalescer(-1), coalescer(2),
                                   return_exceptions=True)
    assert results[0] == 10 and results[2] == 20
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad -1"


async def test_a_failed_run_fails_every_caller_of_that_batch_and_not_the_next() -> None:
    run = Recorder(fail_with=ConnectionError("down"))
    coalescer = Coalescer(run)
    results = await asyncio.gather(coalescer(1), coalescer(2), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    run.fail_with = None
    assert await coalescer(3) == 30


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    run = Recorder()
    run.release.clear()
    coalescer = Coalescer(run)
    leaving = asyncio.create_task(coalescer(1))
    staying = asyncio.create_task(coalescer(2))
    assert await run.started.get() == [1, 2]
    leaving.cancel()
    run.release.set()
    assert await staying == 20
    with pytest.raises(asyncio.CancelledError):
        await leaving
