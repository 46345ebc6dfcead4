"""``latency``: one game at a time (``game``, with ``seats`` players), each player
moving as soon as it is their turn; the round trip move → own echo (a roll → own
``rolled``). New room per game until ``rolls`` round trips are measured or the
time runs out."""

import time
from typing import Any

from blazing.bench import stats
from blazing.bench.scenarios.common import WorkerContext
from blazing.bench.scenarios.play import leave_all, open_room, play, start_game
from blazing.bench.scenarios.spec import Result, Split, merged, total

PHASES = ("setup", "end")


def split(params: dict[str, Any], workers: int) -> Split:
    return [dict(params)]  # one game at a time: one worker


async def run(ctx: WorkerContext) -> None:
    params, base = ctx.spec.params, ctx.spec.user_base
    target = int(params["rolls"])
    game, seats = str(params.get("game", "bigger_dice")), int(params.get("seats", 2))
    peers = [await ctx.connect(base + 1 + i) for i in range(seats)]
    players = {p.user_id: p for p in peers}
    await ctx.phase("setup")
    deadline = time.monotonic() + float(params["time_limit"])

    def enough() -> bool:
        return ctx.stats.counters.get("rolls", 0) >= target or time.monotonic() > deadline

    played = 0
    while not enough():
        seated = peers[played % seats:] + peers[:played % seats]  # the host rotates
        room_id = await open_room(seated, f"{ctx.spec.tag}-l{played}", game)
        first = await start_game(seated, room_id)
        if not await play(players, room_id, first, game=game, should_stop=enough):
            await leave_all(seated, room_id)
        played += 1
    await ctx.phase("end")
    for peer in peers:
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
