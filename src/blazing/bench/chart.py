"""The PNG chart (needs matplotlib; imported only when it is installed):
latency CDFs, throughput bars with the spread of the repeats, and every
headline figure as a ratio to the raw baselines."""

import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]

from blazing.bench.report import HEADLINE, METRICS

COLORS = {"blazing": "#d9480f", "raw-aiohttp": "#1c7ed6", "raw-picows": "#2f9e44"}


def _median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    scored = [r for r in runs if r["metrics"].get(key) is not None]
    if not scored:
        return None
    scored.sort(key=lambda r: r["metrics"][key])
    return scored[len(scored) // 2]


def _cdf_panel(axis: Any, cases: list[dict[str, Any]], series: str, title: str) -> bool:
    drawn = False
    styles = ["-", "--", ":", "-."]
    for n, case in enumerate(cases):
        for target, data in case["targets"].items():
            run = _median_run(data["runs"], f"{series}_p50_us")
            points = run["cdf"].get(series) if run else None
            if not points:
                continue
            xs = [max(p[1], 1e-3) for p in points]
            ys = [p[0] for p in points]
            label = target if len(cases) == 1 else f"{case['case']} · {target}"
            axis.plot(xs, ys, styles[n % len(styles)], color=COLORS.get(target, "#666"),
                      label=label, marker=".", markersize=3)
            drawn = True
    if drawn:
        axis.set_xscale("log")
        axis.set_xlabel("µs (log)")
        axis.set_ylabel("percentile")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    return drawn


def _throughput_panel(axis: Any, cases: list[dict[str, Any]]) -> bool:
    groups: list[tuple[str, dict[str, dict[str, float]]]] = []
    for case in cases:
        key = {"games": "deliveries_per_s", "churn": "cycles_per_s",
               "connections": "connect_per_s", "latency": "rolls_per_s",
               "reassign": "rolls_per_s"}[case["scenario"]]
        values = {t: d["summary"][key] for t, d in case["targets"].items()
                  if d["summary"].get(key, {}).get("median") is not None}
        if values:
            groups.append((f"{case['case']}\n{METRICS[key].label}", values))
    if not groups:
        return False
    targets = sorted({t for _, v in groups for t in v}, key=lambda t: (t != "blazing", t))
    width = 0.8 / len(targets)
    for i, target in enumerate(targets):
        xs, heights, low, high = [], [], [], []
        for g, (_, values) in enumerate(groups):
            s = values.get(target)
            if s is None:
                continue
            xs.append(g + (i - (len(targets) - 1) / 2) * width)
            heights.append(s["median"])
            low.append(s["median"] - (s["min"] if s["min"] is not None else s["median"]))
            high.append((s["max"] if s["max"] is not None else s["median"]) - s["median"])
        axis.bar(xs, heights, width, yerr=[low, high], capsize=3, label=target,
                 color=COLORS.get(target, "#666"))
    axis.set_xticks(range(len(groups)), [g[0] for g in groups], fontsize=7, rotation=20,
                    ha="right")
    axis.set_yscale("log")
    axis.set_ylabel("per second (log); whiskers: min–max of the repeats")
    axis.set_title("Throughput")
    axis.grid(True, axis="y", which="both", alpha=0.3)
    axis.legend(fontsize=7)
    return True


def _ratio_panel(axis: Any, cases: list[dict[str, Any]]) -> bool:
    labels, values, colors = [], [], []
    for case in cases:
        for key in HEADLINE.get(case["scenario"], ()):
            for baseline, ratio_map in case["ratios"].items():
                ratio = ratio_map.get(key)
                if ratio is None or ratio <= 0:
                    continue
                labels.append(f"{case['case']}: {METRICS[key].label} vs {baseline}")
                values.append(ratio)
                colors.append(COLORS.get(baseline, "#666"))
    if not values:
        return False
    ys = range(len(values))
    axis.barh(list(ys), values, color=colors)
    axis.set_yticks(list(ys), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.axvline(1.0, color="black", linewidth=1)
    axis.set_xlabel("blazing ÷ baseline (log; rates: <1 is below the ceiling; "
                    "latency/memory: >1 is above the floor)", fontsize=7)
    axis.set_title("Ratios to the raw baselines")
    axis.grid(True, axis="x", which="both", alpha=0.3)
    return True


def draw(document: dict[str, Any], path: Path) -> None:
    cases = document["cases"]
    figure, axes = plt.subplots(2, 2, figsize=(15, 10))
    panels = [
        _cdf_panel(axes[0][0], [c for c in cases if c["scenario"] == "latency"], "rtt",
                   "latency: roll → own rolled (one game)"),
        _cdf_panel(axes[0][1], [c for c in cases if c["scenario"] == "games"], "rtt",
                   "games: roll → own rolled under load"),
        _throughput_panel(axes[1][0], cases),
        _ratio_panel(axes[1][1], cases),
    ]
    for axis, drawn in zip([axes[0][0], axes[0][1], axes[1][0], axes[1][1]], panels,
                           strict=True):
        if not drawn:
            axis.axis("off")
    machine = document["machine"]
    memory = machine.get("mem_total_kib") or 0
    figure.suptitle(
        f"blazing bench · {document['started_at'][:16]} · {machine.get('cpu_model')} · "
        f"{machine.get('nproc')} CPUs · {math.ceil(memory / 1048576)} GiB · "
        f"Python {machine.get('python')}", fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
