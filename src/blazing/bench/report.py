"""What a benchmark run produces: a progress line while it runs (stderr), a
table (stdout), a JSON document for machines and a PNG chart beside it."""

import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from blazing.bench.stats import aligned, number, spread

SCHEMA = "blazing-bench/1"


@dataclass(frozen=True, slots=True)
class Metric:
    label: str
    unit: str
    better: str  # "higher" or "lower"


METRICS: dict[str, Metric] = {
    "rtt_p50_us": Metric("roll→rolled p50", "µs", "lower"),
    "rtt_p90_us": Metric("roll→rolled p90", "µs", "lower"),
    "rtt_p99_us": Metric("roll→rolled p99", "µs", "lower"),
    "rtt_p999_us": Metric("roll→rolled p99.9", "µs", "lower"),
    "rtt_max_us": Metric("roll→rolled max", "µs", "lower"),
    "rolls_per_s": Metric("rolls/s", "/s", "higher"),
    "commands_per_s": Metric("commands/s", "/s", "higher"),
    "deliveries_per_s": Metric("event deliveries/s", "/s", "higher"),
    "games_per_s": Metric("games finished/s", "/s", "higher"),
    "connect_per_s": Metric("connects/s", "/s", "higher"),
    "connect_p50_us": Metric("connect+auth p50", "µs", "lower"),
    "connect_p99_us": Metric("connect+auth p99", "µs", "lower"),
    "kib_per_conn": Metric("server RSS per socket", "KiB", "lower"),
    "rss_held_kib": Metric("server RSS loaded", "KiB", "lower"),
    "ping_p50_us": Metric("ping→pong p50", "µs", "lower"),
    "ping_p99_us": Metric("ping→pong p99", "µs", "lower"),
    "ping_max_us": Metric("ping→pong max", "µs", "lower"),
    "cycles_per_s": Metric("churn cycles/s", "/s", "higher"),
    "connects_per_s": Metric("connects/s", "/s", "higher"),
    "rejoin_p50_us": Metric("rejoin→room_state p50", "µs", "lower"),
    "rejoin_p99_us": Metric("rejoin→room_state p99", "µs", "lower"),
    "rejoin_max_us": Metric("rejoin→room_state max", "µs", "lower"),
    "server_cpu_pct": Metric("server CPU", "% of a core", "lower"),
    "loadgen_cpu_pct": Metric("load generator CPU", "% of a core", "lower"),
    "other_cpu_pct": Metric("other processes CPU", "% of a core", "lower"),
    "rooms_playing": Metric("rooms playing at the action", "", "higher"),
    "partitions_moved": Metric("partitions moved", "", "lower"),
    "rooms_moved": Metric("rooms whose partition moved", "", "lower"),
    "action_s": Metric("action took", "s", "lower"),
    "pause_moved_p50_ms": Metric("pause of moved rooms p50", "ms", "lower"),
    "pause_moved_max_ms": Metric("pause of moved rooms max", "ms", "lower"),
    "pause_kept_p50_ms": Metric("pause of other rooms p50", "ms", "lower"),
    "pause_kept_max_ms": Metric("pause of other rooms max", "ms", "lower"),
    "pause_before_p50_ms": Metric("longest gap before the action p50", "ms", "lower"),
    "pause_before_max_ms": Metric("longest gap before the action max", "ms", "lower"),
    # distributed runs only (rows left out where no target has them)
    "redis_in_per_cmd": Metric("Redis bytes in per command", "B", "lower"),
    "redis_out_per_cmd": Metric("Redis bytes out per command", "B", "lower"),
    "redis_cmds_per_cmd": Metric("Redis commands per command", "", "lower"),
    "kafka_msgs_per_cmd": Metric("Kafka messages per command", "", "lower"),
    "kafka_bytes_per_cmd": Metric("Kafka bytes per command", "B", "lower"),
    "redis_keys_left": Metric("Redis keys left after the run", "", "lower"),
    "kafka_topics_left": Metric("Kafka topics left after the run", "", "lower"),
    "mongo_databases_left": Metric("Mongo databases left after the run", "", "lower"),
}

STORE_ROWS = ("redis_in_per_cmd", "redis_out_per_cmd", "redis_cmds_per_cmd",
              "kafka_msgs_per_cmd", "kafka_bytes_per_cmd", "redis_keys_left",
              "kafka_topics_left", "mongo_databases_left")
OPTIONAL_ROWS = frozenset(STORE_ROWS)

TABLE_ROWS: dict[str, tuple[str, ...]] = {
    "latency": ("rtt_p50_us", "rtt_p90_us", "rtt_p99_us", "rtt_p999_us", "rtt_max_us",
                "rolls_per_s", "server_cpu_pct", "loadgen_cpu_pct", "other_cpu_pct",
                *STORE_ROWS),
    "games": ("commands_per_s", "deliveries_per_s", "rolls_per_s", "games_per_s",
              "rtt_p50_us", "rtt_p99_us", "rtt_p999_us", "rtt_max_us", "server_cpu_pct",
              "loadgen_cpu_pct", "other_cpu_pct", *STORE_ROWS),
    "connections": ("connect_per_s", "connect_p50_us", "connect_p99_us", "kib_per_conn",
                    "rss_held_kib", "ping_p50_us", "ping_p99_us", "ping_max_us",
                    "server_cpu_pct", "loadgen_cpu_pct", "other_cpu_pct", *STORE_ROWS),
    "churn": ("cycles_per_s", "connects_per_s", "rejoin_p50_us", "rejoin_p99_us",
              "rejoin_max_us", "connect_p99_us", "server_cpu_pct", "loadgen_cpu_pct",
              "other_cpu_pct", *STORE_ROWS),
    "reassign": ("rolls_per_s", "rooms_playing", "partitions_moved", "rooms_moved", "action_s",
                 "pause_moved_p50_ms", "pause_moved_max_ms", "pause_kept_p50_ms",
                 "pause_kept_max_ms", "pause_before_p50_ms", "pause_before_max_ms",
                 "rtt_p50_us", "rtt_p99_us", "server_cpu_pct", *STORE_ROWS),
}

# The figures drawn as bars in the chart and listed in the headline ratios.
HEADLINE: dict[str, tuple[str, ...]] = {
    "latency": ("rtt_p50_us", "rtt_p99_us"),
    "games": ("deliveries_per_s", "rtt_p99_us"),
    "connections": ("kib_per_conn", "connect_per_s", "ping_p99_us"),
    "churn": ("rejoin_p99_us",),
    "reassign": ("pause_moved_max_ms",),
}


# --- machine ------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu_model": _cpuinfo_model(),
        "mem_total_kib": _meminfo("MemTotal"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "kernel": platform.release(),
        "platform": platform.platform(),
        "loadavg_at_start": list(os.getloadavg()),
        "packages": {},
    }
    for name in ("aiohttp", "msgspec", "uvloop", "picows", "matplotlib", "PyJWT"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            info["packages"][name] = metadata.version(name)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5, check=False,
                                cwd=Path(__file__).resolve().parent)
        if commit.returncode == 0:
            info["git_commit"] = commit.stdout.strip()
    return info


def _cpuinfo_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _meminfo(key: str) -> int | None:
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


# --- collecting -----------------------------------------------------------------------

@dataclass(slots=True)
class Run:
    repeat: int
    metrics: dict[str, float]
    errors: int
    error_texts: list[str]
    cdf: dict[str, list[tuple[float, float]]]
    seconds: float
    server: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # capacity model, leftovers


@dataclass(slots=True)
class Case:
    label: str
    scenario: str
    params: dict[str, Any]
    runs: dict[str, list[Run]] = field(default_factory=dict)  # target -> runs


class Collector:
    def __init__(self, machine: dict[str, Any], settings: dict[str, Any],
                 notes: list[str]) -> None:
        self.machine, self.settings, self.notes = machine, settings, notes
        self.cases: list[Case] = []
        self.started = datetime.now(UTC)
        self.partial = False

    def case(self, label: str, scenario: str, params: dict[str, Any]) -> Case:
        case = Case(label, scenario, params)
        self.cases.append(case)
        return case

    @property
    def errors(self) -> int:
        return sum(run.errors for case in self.cases for runs in case.runs.values()
                   for run in runs)

    def document(self) -> dict[str, Any]:
        cases = []
        for case in self.cases:
            targets: dict[str, Any] = {}
            for target, runs in case.runs.items():
                keys = sorted({k for run in runs for k in run.metrics})
                targets[target] = {
                    "runs": [{"repeat": r.repeat, "metrics": r.metrics, "errors": r.errors,
                              "error_texts": r.error_texts, "seconds": r.seconds,
                              "server": r.server, **r.details,
                              "cdf": {k: [list(p) for p in v] for k, v in r.cdf.items()}}
                             for r in runs],
                    "summary": {k: spread([r.metrics.get(k, math.nan) for r in runs])
                                for k in keys},
                    "errors": sum(r.errors for r in runs),
                }
            cases.append({"case": case.label, "scenario": case.scenario,
                          "params": case.params, "targets": targets,
                          "ratios": ratios(targets)})
        document: dict[str, Any] = _clean({
            "schema": SCHEMA,
            "started_at": self.started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "partial": self.partial,
            "machine": self.machine,
            "settings": self.settings,
            "notes": self.notes,
            "cases": cases,
        })
        return document


def ratios(targets: dict[str, Any]) -> dict[str, dict[str, float]]:
    """blazing ÷ each baseline, on the medians."""
    ours = targets.get("blazing")
    if ours is None:
        return {}
    out: dict[str, dict[str, float]] = {}
    for name, data in targets.items():
        if name == "blazing":
            continue
        out[name] = {}
        for key, mine in ours["summary"].items():
            theirs = data["summary"].get(key)
            if theirs is None:
                continue
            a, b = mine["median"], theirs["median"]
            if not (math.isnan(a) or math.isnan(b)) and b != 0:
                out[name][key] = a / b
    return out


def _clean(value: Any) -> Any:
    """NaN/inf become null, so the JSON is strict."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n")


# --- the table ------------------------------------------------------------------------

def _cell(summary: dict[str, float] | None, repeats: int) -> str:
    if summary is None or summary["median"] is None:
        return "–"
    if repeats <= 1:
        return number(summary["median"])
    return f"{number(summary['median'])} [{number(summary['min'])}–{number(summary['max'])}]"


def table(document: dict[str, Any]) -> str:
    lines: list[str] = []
    for case in document["cases"]:
        targets = case["targets"]
        if not targets:
            continue
        names = ["blazing", *[t for t in targets if t != "blazing"]]
        names = [n for n in names if n in targets]
        repeats = max(len(t["runs"]) for t in targets.values())
        header = ["metric"]
        for name in names:
            header.append(name)
            if name != "blazing" and "blazing" in targets:
                header.append("ratio")
        rows: list[list[str]] = [header]
        for key in TABLE_ROWS.get(case["scenario"], ()):
            if key in OPTIONAL_ROWS and not any(
                    key in run["metrics"] for n in names for run in targets[n]["runs"]):
                continue  # not measured (e.g. not distributed); NaN ones show as "–"
            metric = METRICS[key]
            row = [f"{metric.label} ({metric.unit})" if metric.unit else metric.label]
            for name in names:
                row.append(_cell(targets[name]["summary"].get(key), repeats))
                if name != "blazing" and "blazing" in targets:
                    ratio = case["ratios"].get(name, {}).get(key)
                    row.append("–" if ratio is None else f"{ratio:.2f}×")
            rows.append(row)
        errors = ["errors"]
        for name in names:
            errors.append(str(targets[name]["errors"]))
            if name != "blazing" and "blazing" in targets:
                errors.append("")
        rows.append(errors)
        spread_note = (f"{repeats} runs each: median [min–max]" if repeats > 1
                       else "1 run each")
        lines.append(f"\n{case['case']}  ({spread_note})")
        lines.extend(aligned(rows))
    if document["notes"]:
        lines.append("\nnotes:")
        lines.extend(f"  - {note}" for note in document["notes"])
    lines.append("\nratio = blazing ÷ baseline (medians): for rates below 1 is the share of "
                 "the ceiling reached; for latencies and memory, how many times the floor.")
    return "\n".join(lines) + "\n"


def capacity_tables(document: dict[str, Any]) -> str:
    """The capacity table of each distributed case (from its last run)."""
    from blazing.bench.capacity import table as capacity_table

    out = []
    for case in document["cases"]:
        runs = case["targets"].get("blazing", {}).get("runs", [])
        measured = [run for run in runs if run.get("capacity")]
        if measured:
            run = measured[-1]
            which = f" (run {run['repeat'] + 1} of {len(runs)})" if len(runs) > 1 else ""
            out.append(capacity_table(case["case"] + which, run["capacity"]))
    return "".join(out)


SCALE_OUT = (("commands_per_s", "commands/s"), ("rtt_p50_us", "p50 µs"),
             ("rtt_p99_us", "p99 µs"), ("rtt_max_us", "max µs"),
             ("server_cpu_pct", "servers CPU %"))


def scale_out_table(document: dict[str, Any]) -> str:
    """One row per distributed configuration, when more than one was run."""
    rows = [["case", "gateways", "services", *[h for _, h in SCALE_OUT], "errors"]]
    for case in document["cases"]:
        params = case["params"]
        ours = case["targets"].get("blazing")
        if "gateways" not in params or ours is None:
            continue
        label = case["case"].rsplit(" · ", 1)[0]
        summary = ours["summary"]
        rows.append([label, str(params["gateways"]), str(params["services"]),
                     *[number((summary.get(k) or {}).get("median")) for k, _ in SCALE_OUT],
                     str(ours["errors"])])
    if len(rows) <= 2:
        return ""
    lines = ["\nscale-out (medians; which processes share a core: notes above)",
             *aligned(rows)]
    return "\n".join(lines) + "\n"


# --- progress ---------------------------------------------------------------------------

class Progress:
    """One live status line on a terminal; a line every few seconds otherwise."""

    KEYS = ("connects", "sent", "received", "rolls", "games", "pings", "cycles", "errors")

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.quiet = quiet
        self.label = ""
        self._shown = 0.0
        self._width = 0

    def start(self, label: str) -> None:
        self.label = label
        self._shown = 0.0

    def update(self, counters: dict[str, int], elapsed: float) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if now - self._shown < (0.25 if self.tty else 5.0):
            return
        self._shown = now
        parts = " ".join(f"{k}={counters[k]:,}" for k in self.KEYS if k in counters)
        text = f"  {self.label}  {elapsed:6.1f}s  {parts}"
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def line(self, text: str) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()
