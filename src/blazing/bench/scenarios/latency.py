"""``latency``: one game at a time, two players rolling as soon as it is their
turn; the round trip roll → own ``rolled``. New room per game (a game ends at
10 round wins) until ``rolls`` round trips are measured or the time runs out."""

import time
from typing import Any

from blazing.bench import stats
from blazing.bench.scenarios.common import WorkerContext
from blazing.bench.scenarios.play import forfeit, open_room, play, start_game
from blazing.bench.scenarios.spec import Result, Split, merged, total

PHASES = ("setup", "end")


def split(params: dict[str, Any], workers: int) -> Split:
    return [dict(params)]  # one game at a time: one worker


async def run(ctx: WorkerContext) -> None:
    params, base = ctx.spec.params, ctx.spec.user_base
    target = int(params["rolls"])
    a = await ctx.connect(base + 1)
    b = await ctx.connect(base + 2)
    players = {a.user_id: a, b.user_id: b}
    await ctx.phase("setup")
    deadline = time.monotonic() + float(params["time_limit"])

    def enough() -> bool:
        return ctx.stats.counters.get("rolls", 0) >= target or time.monotonic() > deadline

    game = 0
    while not enough():
        host, guest = (a, b) if game % 2 == 0 else (b, a)
        room_id = await open_room(host, guest, f"{ctx.spec.tag}-l{game}")
        first = await start_game(host, guest, room_id)
        if not await play(players, room_id, first, should_stop=enough):
            await forfeit(guest, host, room_id)
        game += 1
    await ctx.phase("end")
    for peer in (a, b):
        await peer.close_and_wait()


def summarize(results: list[Result], marks: dict[str, float]) -> dict[str, float]:
    samples = merged(results, "rtt")
    seconds = marks["end_reached"] - marks["setup_released"]
    out = stats.latency_metrics(samples, "rtt")
    out["rolls"] = float(len(samples))
    out["rolls_per_s"] = stats.rate(len(samples), seconds)
    out["games"] = float(total(results, "games"))
    return out


CDF_SERIES = ("rtt",)
