"""``connections``: C authenticated idle sockets, spread over worker processes
and source addresses, each sending ``ping`` every ``ping_interval`` seconds
(first one at a random moment) for ``hold`` seconds. Connect rate, connect
latency, server RSS per socket (the coordinator reads /proc at the barriers)
and ping round trips under that load."""

import asyncio
import heapq
import random
import time
from typing import Any

from blazing.bench import stats
from blazing.bench.scenarios.common import WorkerContext, connect_many
from blazing.bench.scenarios.spec import Result, Split, even_shares, merged, total

PHASES = ("start", "connected", "held")
PONG_GRACE = 10.0  # after the hold, outstanding pongs get this long


def split(params: dict[str, Any], workers: int) -> Split:
    per_worker = int(params["per_worker"])
    count = int(params["connections"])
    workers = max(workers, -(-count // per_worker))
    return [{**params, "connections": share} for share in even_shares(count, workers)]


async def run(ctx: WorkerContext) -> None:
    params, base = ctx.spec.params, ctx.spec.user_base
    count = int(params["connections"])
    interval, hold = float(params["ping_interval"]), float(params["hold"])
    users = [base + i for i in range(count)]
    tokens = [ctx.token(u) for u in users]  # signing is not part of the connect rate
    await ctx.phase("start")
    peers = await connect_many(ctx, users, int(params["concurrency"]), keep=False,
                               tokens=tokens, tolerant=True)
    ctx.mark("connected_all")
    await ctx.phase("connected")

    hold_end = time.monotonic() + hold
    rng = random.Random(ctx.spec.index)
    due = [(time.monotonic() + rng.uniform(0.0, min(interval, hold)), i)
           for i in range(len(peers))]
    heapq.heapify(due)
    for peer in peers:
        peer.pong_series = "ping"
    pings = 0
    while due and due[0][0] < hold_end:
        at, i = heapq.heappop(due)
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        peer = peers[i]
        if peer.conn is not None and peer.conn.is_open:
            if peer.ping_sent_ns:
                ctx.stats.error(f"user {peer.user_id}: no pong before the next ping")
            peer.ping()
            pings += 1
        heapq.heappush(due, (at + interval, i))
    ctx.stats.add("pings", pings)
    for _ in range(int(PONG_GRACE / 0.05)):
        if not any(p.ping_sent_ns for p in peers):
            break
        await asyncio.sleep(0.05)
    missing = sum(1 for p in peers if p.ping_sent_ns)
    if missing:
        ctx.stats.error(f"{missing} pings without a pong within {PONG_GRACE}s")
    ctx.extra = {"open_at_end": sum(1 for p in peers if p.conn is not None and p.conn.is_open)}
    await ctx.phase("held")
    for peer in peers:
        peer.abort()


def summarize(results: list[Result], marks: dict[str, float]) -> dict[str, float]:
    opened = total(results, "connects")
    seconds = max(r.marks["connected_all"] for r in results) - marks["start_released"]
    out = {
        "connections": float(opened),
        "connect_per_s": stats.rate(opened, seconds),
        "open_at_end": float(sum(int(r.extra.get("open_at_end", 0)) for r in results)),
    }
    out.update(stats.latency_metrics(merged(results, "connect"), "connect"))
    out.update(stats.latency_metrics(merged(results, "ping"), "ping"))
    before, connected, held = (marks.get("rss_start_kib"), marks.get("rss_connected_kib"),
                               marks.get("rss_held_kib"))
    if before is not None and connected is not None and held is not None and opened:
        out.update({
            "rss_before_kib": before,
            "rss_connected_kib": connected,
            "rss_held_kib": held,
            "kib_per_conn": (held - before) / opened,
        })
    return out


CDF_SERIES = ("ping", "connect")
