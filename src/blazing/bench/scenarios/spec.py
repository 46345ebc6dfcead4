"""The shape of a scenario and of what its workers hand back."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from blazing.bench.scenarios.common import WorkerContext

Split = list[dict[str, Any]]  # one params dict per worker


@dataclass(slots=True)
class Result:
    """One worker's outcome (sent back to the coordinator, so picklable)."""

    index: int
    counters: dict[str, int]
    samples: dict[str, list[int]]
    errors: int
    error_texts: list[str]
    marks: dict[str, float]  # time.monotonic(), comparable across processes on Linux
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: WorkerContext) -> "Result":
        s = ctx.stats
        return cls(ctx.spec.index, dict(s.counters), s.samples, s.errors, list(s.error_texts),
                   dict(ctx.marks), dict(ctx.extra))


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    phases: tuple[str, ...]  # barriers, in the order the workers reach them
    split: Callable[[dict[str, Any], int], Split]
    run: Callable[[WorkerContext], Awaitable[None]]
    # (worker results, coordinator marks and measurements) -> metrics
    summarize: Callable[[list[Result], dict[str, float]], dict[str, float]]
    cdf_series: tuple[str, ...] = ()
    # the barriers that open and close the measured window (CPU use is taken there)
    window: tuple[str, str] = ("setup", "end")


def merged(results: list[Result], series: str) -> list[int]:
    out: list[int] = []
    for result in results:
        out.extend(result.samples.get(series, ()))
    return out


def total(results: list[Result], counter: str) -> int:
    return sum(r.counters.get(counter, 0) for r in results)


def even_shares(count: int, workers: int) -> list[int]:
    """``count`` split into at most ``workers`` non-empty shares."""
    workers = max(1, min(workers, count))
    return [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
