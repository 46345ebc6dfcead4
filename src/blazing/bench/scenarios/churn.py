"""``churn``: at a steady rate, a pair of players connects, opens a room, gets
ready, rolls a little; the guest's connection drops, it reconnects and sends
``rejoin_room`` (the time to its ``room_state`` is sampled), then leaves
(forfeit) and both disconnect. Each cycle uses fresh users."""

import asyncio
import time
from typing import Any

from blazing.bench import stats
from blazing.bench.scenarios.common import WorkerContext, cancel_all, command, sleep_until
from blazing.bench.scenarios.play import ROOM_STATE, forfeit, open_room, play, start_game
from blazing.bench.scenarios.spec import Result, Split, merged, total

PHASES = ("setup", "end")
FINISH_GRACE = 20.0  # cycles still running when the launching stops get this long


def split(params: dict[str, Any], workers: int) -> Split:
    workers = max(1, workers)
    return [{**params, "rate": float(params["rate"]) / workers} for _ in range(workers)]


async def run(ctx: WorkerContext) -> None:
    params, base, tag = ctx.spec.params, ctx.spec.user_base, ctx.spec.tag
    rate, duration = float(params["rate"]), float(params["duration"])
    max_inflight, rolls = int(params["max_inflight"]), int(params["rolls"])
    await ctx.phase("setup")
    start = time.monotonic()

    async def cycle(i: int) -> None:
        host_id, guest_id = base + 2 * i + 1, base + 2 * i + 2
        host = guest = None
        try:
            host = await ctx.connect(host_id)
            guest = await ctx.connect(guest_id)
            room_id = await open_room([host, guest], f"{tag}-{ctx.spec.index}-c{i}")
            first = await start_game([host, guest], room_id)
            await play({host_id: host, guest_id: guest}, room_id, first, series="roll",
                       max_moves=rolls)
            guest.abort()  # the network drops
            guest = await ctx.connect(guest_id)
            sent = time.perf_counter_ns()
            await guest.request(command("rejoin_room", room_id=room_id), ROOM_STATE,
                                room_id=room_id)
            ctx.stats.sample("rejoin", time.perf_counter_ns() - sent)
            await forfeit(guest, host, room_id)
            await asyncio.gather(host.close_and_wait(), guest.close_and_wait())
            ctx.stats.add("cycles")
            ctx.mark("last_cycle")
        except (TimeoutError, ConnectionError, OSError, ValueError) as exc:
            ctx.stats.error(f"cycle {i}: {type(exc).__name__}: {exc}")
            for peer in (host, guest):
                if peer is not None:
                    peer.abort()

    running: set[asyncio.Task[None]] = set()
    launched = skipped = 0
    for i in range(int(params["max_cycles"])):
        due = start + i / rate
        if due >= start + duration:
            break
        await sleep_until(due)
        if len(running) >= max_inflight:
            skipped += 1  # the server is behind: this slot is lost, not queued
            continue
        task = asyncio.create_task(cycle(i))
        running.add(task)
        task.add_done_callback(running.discard)
        launched += 1
    ctx.mark("launch_end")
    if running:
        await asyncio.wait(set(running), timeout=FINISH_GRACE)
    if running:
        ctx.stats.error(f"{len(running)} cycles unfinished {FINISH_GRACE}s after the last start")
        await cancel_all(list(running))
    ctx.extra = {"launched": launched, "skipped": skipped}
    await ctx.phase("end")


def summarize(results: list[Result], marks: dict[str, float]) -> dict[str, float]:
    start = marks["setup_released"]
    ends = [r.marks.get("last_cycle", start) for r in results]
    seconds = max(ends) - start
    cycles = total(results, "cycles")
    out = {
        "cycles": float(cycles),
        "cycles_per_s": stats.rate(cycles, seconds),
        "connects_per_s": stats.rate(total(results, "connects"), seconds),
        "skipped": float(sum(int(r.extra.get("skipped", 0)) for r in results)),
    }
    out.update(stats.latency_metrics(merged(results, "rejoin"), "rejoin"))
    out.update(stats.latency_metrics(merged(results, "connect"), "connect"))
    return out


CDF_SERIES = ("rejoin", "connect")
