"""What each command costs a distributed system, from its own counters.

At the two barriers that open and close a case's measured window the coordinator
scrapes every process's ``/metrics`` (the ``blazing_command_*`` counters of
blazing.accounting) and Redis's ``INFO stats``; the differences, divided by the
commands handled, give the capacity model: CPU µs in the gateway and in the game
service, Kafka messages and bytes, Redis round trips and bytes, history writes,
per command type, and the store traffic per accepted command.

``INFO stats`` counts the whole Redis server (every database and client): run the
bench against a Redis nobody else uses while it runs for exact figures.
"""

import contextlib
import math
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from blazing.bench.servers import Server
from blazing.bench.stats import aligned, number

Labels = tuple[tuple[str, str], ...]
Samples = dict[tuple[str, Labels], float]

WANTED = ("blazing_command_", "blazing_commands_total")
REDIS_STATS = ("total_net_input_bytes", "total_net_output_bytes", "total_commands_processed")
NONE, UNPUBLISHED = "(none)", "(unpublished)"

# (column, heading, unit) of the capacity table, per command of a type
COLUMNS: tuple[tuple[str, str], ...] = (
    ("commands", "commands"),
    ("gateway_cpu_us", "gw CPU µs"),
    ("service_cpu_us", "svc CPU µs"),
    ("kafka_messages", "Kafka msgs"),
    ("kafka_bytes", "Kafka B"),
    ("redis_calls", "Redis calls"),
    ("redis_bytes_sent", "Redis B out"),
    ("redis_bytes_received", "Redis B in"),
    ("history_writes", "history writes"),
)


def scrape(url: str) -> Samples:
    """The blazing_command* samples of one process (empty if it does not answer)."""
    out: Samples = {}
    with contextlib.suppress(urllib.error.URLError, OSError, ValueError), \
            urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name.startswith(WANTED):
                    out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def redis_stats(url: str) -> dict[str, float]:
    """Redis's traffic counters so far (empty if it cannot be asked)."""
    try:
        import redis
    except ImportError:
        return {}
    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        with client:
            info = client.info("stats")
    except redis.RedisError:
        return {}
    return {key: float(info[key]) for key in REDIS_STATS if key in info}


@dataclass(slots=True)
class Snapshot:
    metrics: dict[str, Samples] = field(default_factory=dict)  # process name -> samples
    redis: dict[str, float] = field(default_factory=dict)


def snapshot(server: Server) -> Snapshot:
    shot = Snapshot({name: scrape(url) for name, url in server.metrics})
    if server.state_url is not None:
        shot.redis = redis_stats(server.state_url)
    return shot


def _delta(before: Samples, after: Samples) -> Samples:
    return {key: value - before.get(key, 0.0) for key, value in after.items()}


def _by_type(samples: Samples, name: str, **labels: str) -> dict[str, float]:
    """``name`` summed per ``type`` label over the samples matching ``labels``."""
    out: dict[str, float] = {}
    wanted = set(labels.items())
    for (metric, got), value in samples.items():
        if metric != name or not wanted <= set(got):
            continue
        kind = dict(got).get("type", "")
        out[kind] = out.get(kind, 0.0) + value
    return out


def measure(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """The capacity model of one window: per command type, and per accepted command."""
    gateway: Samples = {}
    service: Samples = {}
    for name, samples in after.metrics.items():
        delta = _delta(before.metrics.get(name, {}), samples)
        into = gateway if name.startswith("gateway") else service
        for key, value in delta.items():
            into[key] = into.get(key, 0.0) + value
    accepted = sum(_by_type(gateway, "blazing_commands_total").values())
    gw_handled = _by_type(gateway, "blazing_command_handled_total")
    svc_handled = _by_type(service, "blazing_command_handled_total")

    def both(name: str, **labels: str) -> tuple[dict[str, float], dict[str, float]]:
        return _by_type(gateway, name, **labels), _by_type(service, name, **labels)

    cpu = both("blazing_command_cpu_seconds_total")
    messages = both("blazing_command_bus_messages_total")
    size = both("blazing_command_bus_bytes_total")
    calls = both("blazing_command_store_calls_total")
    sent = both("blazing_command_store_bytes_total", direction="sent")
    received = both("blazing_command_store_bytes_total", direction="received")
    history = both("blazing_command_history_writes_total")
    kinds = sorted(set(gw_handled) | set(svc_handled) | set(cpu[1]) | set(history[1]))

    def per(pair: tuple[dict[str, float], dict[str, float]], kind: str,
            count: float, scale: float = 1.0) -> float:
        total = pair[0].get(kind, 0.0) + pair[1].get(kind, 0.0)
        return total * scale / count if count else math.nan

    rows: dict[str, dict[str, float]] = {}
    for kind in kinds:
        if kind in (NONE, UNPUBLISHED):
            continue
        count = svc_handled.get(kind, 0.0) or gw_handled.get(kind, 0.0)
        gw_count = gw_handled.get(kind, 0.0)
        svc_count = svc_handled.get(kind, 0.0)
        rows[kind] = {
            "commands": count,
            "gateway_cpu_us": (cpu[0].get(kind, 0.0) * 1e6 / gw_count) if gw_count
            else math.nan,
            "service_cpu_us": (cpu[1].get(kind, 0.0) * 1e6 / svc_count) if svc_count
            else math.nan,
            "kafka_messages": per(messages, kind, count),
            "kafka_bytes": per(size, kind, count),
            "redis_calls": per(calls, kind, count),
            "redis_bytes_sent": per(sent, kind, count),
            "redis_bytes_received": per(received, kind, count),
            "history_writes": per(history, kind, count),
        }

    def everything(pair: tuple[dict[str, float], dict[str, float]], side: int | None = None,
                   scale: float = 1.0) -> float:
        parts = pair if side is None else (pair[side],)
        total = sum(sum(part.values()) for part in parts)
        return total * scale / accepted if accepted else math.nan

    # Everything the processes did (background work included), per accepted command.
    rows["all, per accepted command"] = {
        "commands": accepted,
        "gateway_cpu_us": everything(cpu, 0, 1e6),
        "service_cpu_us": everything(cpu, 1, 1e6),
        "kafka_messages": everything(messages),
        "kafka_bytes": everything(size),
        "redis_calls": everything(calls),
        "redis_bytes_sent": everything(sent),
        "redis_bytes_received": everything(received),
        "history_writes": everything(history),
    }
    store: dict[str, float] = {}
    if before.redis and after.redis and accepted:
        store = {
            "redis_in_per_cmd": (after.redis["total_net_input_bytes"]
                                 - before.redis["total_net_input_bytes"]) / accepted,
            "redis_out_per_cmd": (after.redis["total_net_output_bytes"]
                                  - before.redis["total_net_output_bytes"]) / accepted,
            "redis_cmds_per_cmd": (after.redis["total_commands_processed"]
                                   - before.redis["total_commands_processed"]) / accepted,
        }
    if accepted:
        store["kafka_msgs_per_cmd"] = rows["all, per accepted command"]["kafka_messages"]
        store["kafka_bytes_per_cmd"] = rows["all, per accepted command"]["kafka_bytes"]
    return {"accepted": accepted, "per_type": rows, "store_per_command": store}


def table(label: str, capacity: dict[str, Any]) -> str:
    """The capacity table of one case."""

    def cell(value: float | None) -> str:
        if value is not None and 0 < abs(value) < 0.1:
            return f"{value:.4f}"  # e.g. history writes: one per game
        return number(value)

    rows = [["type", *[heading for _, heading in COLUMNS]]]
    for kind, figures in capacity["per_type"].items():
        rows.append([kind, *[cell(figures.get(key)) for key, _ in COLUMNS]])
    lines = [f"\ncapacity: {label}  (per command of each type, over the measured window; "
             "the last row: everything, background work included, per accepted command)",
             *aligned(rows)]
    store = capacity.get("store_per_command", {})
    if "redis_in_per_cmd" in store:
        lines.append(
            f"  Redis INFO stats per accepted command: {number(store['redis_in_per_cmd'])} "
            f"bytes in, {number(store['redis_out_per_cmd'])} bytes out, "
            f"{number(store['redis_cmds_per_cmd'])} commands (the whole Redis server)")
    return "\n".join(lines) + "\n"
