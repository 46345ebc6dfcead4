"""Percentiles, spreads and CDF points, computed here (no numpy), and how the tables
print figures."""

import math
import statistics
from collections.abc import Sequence

PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9))

# Where the CDF is sampled for the JSON and the chart: dense in the tail.
CDF_POINTS: tuple[float, ...] = (
    0.0, 1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0, 97.5, 99.0,
    99.5, 99.9, 99.95, 99.99, 100.0)


def percentile(ordered: Sequence[int] | Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not ordered:
        return math.nan
    if q <= 0:
        return float(ordered[0])
    rank = math.ceil(q / 100.0 * len(ordered))
    return float(ordered[min(max(rank, 1), len(ordered)) - 1])


def latency_metrics(samples_ns: Sequence[int], prefix: str) -> dict[str, float]:
    """``{prefix}_p50_us`` … ``{prefix}_max_us`` and ``{prefix}_count``."""
    ordered = sorted(samples_ns)
    out: dict[str, float] = {f"{prefix}_count": float(len(ordered))}
    for name, q in PERCENTILES:
        out[f"{prefix}_{name}_us"] = percentile(ordered, q) / 1000.0
    out[f"{prefix}_max_us"] = (ordered[-1] / 1000.0) if ordered else math.nan
    return out


def cdf(samples_ns: Sequence[int]) -> list[tuple[float, float]]:
    """(percentile, microseconds) pairs for a CDF plot."""
    ordered = sorted(samples_ns)
    if not ordered:
        return []
    return [(q, percentile(ordered, q) / 1000.0) for q in CDF_POINTS]


def spread(values: Sequence[float]) -> dict[str, float]:
    """min / median / max of the repeats (NaNs, i.e. not measured, left out)."""
    real = [v for v in values if not math.isnan(v)]
    if not real:
        return {"min": math.nan, "median": math.nan, "max": math.nan}
    return {"min": min(real), "median": float(statistics.median(real)), "max": max(real)}


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.nan


def number(value: float | None) -> str:
    """A figure as the tables print it: no more digits than it is worth."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def aligned(rows: list[list[str]]) -> list[str]:
    """A table's lines: the first column left-aligned, the others right-aligned, a rule
    under the first row (the heading)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(w) if j == 0 else cell.rjust(w)
                                      for j, (cell, w) in enumerate(zip(row, widths,
                                                                        strict=True))))
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return lines
