"""``games``: N concurrent games (``game``, ``seats`` players each) with S spectators
each, played to the end over and over during a fixed window. Commands/s (every
command sent), event deliveries/s (every frame received), moves/s (``rolls``),
games/s, move round trips.

Paced play (``think_ms`` > 0): a player waits a think time drawn from an
exponential distribution with mean ``think_ms`` before each move, so that moves
arrive like a Poisson process rather than in waves; each table draws from its own
RNG seeded with (``seed``, worker, table), so a run's think times are reproducible.
``think_ms`` 0 is a closed loop: every move at once."""

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

from blazing.bench import stats
from blazing.bench.scenarios.common import Peer, WorkerContext, cancel_all, connect_many
from blazing.bench.scenarios.play import open_room, play, spectate, start_game
from blazing.bench.scenarios.spec import Result, Split, even_shares, merged

PHASES = ("setup", "window")
STOP_GRACE = 5.0  # after the window, running rolls get this long to come back


def split(params: dict[str, Any], workers: int) -> Split:
    return [{**params, "games": share} for share in even_shares(int(params["games"]), workers)]


async def connect_tables(ctx: WorkerContext) -> tuple[list[Peer], list[Peer]]:
    """The worker's tables' players (``seats`` a table, in table order) and spectators
    (``spectators`` a table), connected; user ids follow the worker's base."""
    params, base = ctx.spec.params, ctx.spec.user_base
    games, watchers = int(params["games"]), int(params["spectators"])
    seats = int(params.get("seats", 2))
    per_game = seats + watchers
    concurrency = int(params["concurrency"])
    players = await connect_many(
        ctx, [base + g * per_game + i for g in range(games) for i in range(seats)], concurrency)
    spectators = await connect_many(
        ctx, [base + g * per_game + seats + i for g in range(games) for i in range(watchers)],
        concurrency, keep=False)
    return players, spectators


async def run(ctx: WorkerContext) -> None:
    params = ctx.spec.params
    games, watchers = int(params["games"]), int(params["spectators"])
    game, seats = str(params.get("game", "bigger_dice")), int(params.get("seats", 2))
    players, spectators = await connect_tables(ctx)
    peers = players + spectators
    await ctx.phase("setup")

    stopping = False
    before = ctx.stats.snapshot()
    window_end = time.monotonic() + float(params["duration"])
    max_games = int(params["max_games_per_table"])

    def stop() -> bool:
        return stopping

    think_s = float(params.get("think_ms", 0.0)) / 1000
    seed = int(params.get("seed", 1))

    async def table(g: int) -> None:
        seated = players[seats * g:seats * (g + 1)]
        watching = spectators[g * watchers:(g + 1) * watchers]
        by_id = {p.user_id: p for p in seated}
        pacing = think_times(think_s, random.Random(f"{seed}-{ctx.spec.index}-{g}"))
        try:
            for n in range(max_games):
                if stopping:
                    return
                order = seated[n % seats:] + seated[:n % seats]  # the host rotates
                room_id = await open_room(order, f"{ctx.spec.tag}-{ctx.spec.index}-{g}-{n}",
                                          game)
                await spectate(watching, room_id)
                first = await start_game(order, room_id)
                await play(by_id, room_id, first, game=game, should_stop=stop,
                           think=pacing)
        except (TimeoutError, ConnectionError, ValueError) as exc:
            if not stopping:
                ctx.stats.error(f"table {g}: {exc}")

    tables = [asyncio.create_task(table(g)) for g in range(games)]
    done, _ = await asyncio.wait(tables, timeout=max(0.0, window_end - time.monotonic()))
    after = ctx.stats.snapshot()
    ctx.stats.recording = False
    ctx.mark("window_end")
    stopping = True
    await ctx.phase("window")
    pending = [t for t in tables if not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=STOP_GRACE)
    await cancel_all(tables)
    for peer in peers:
        peer.abort()
    ctx.extra = {"window": {k: after.get(k, 0) - before.get(k, 0) for k in after},
                 "tables_finished_early": len(done)}


def think_times(mean_s: float, rng: random.Random) -> Callable[[], float]:
    """Think times in seconds: exponential with mean ``mean_s`` (0: always 0)."""
    if mean_s <= 0:
        return lambda: 0.0
    rate = 1.0 / mean_s
    return lambda: rng.expovariate(rate)


def summarize(results: list[Result], marks: dict[str, float]) -> dict[str, float]:
    seconds = max(r.marks["window_end"] for r in results) - marks["setup_released"]

    def windowed(name: str) -> int:
        return sum(int(r.extra["window"].get(name, 0)) for r in results)

    out = {
        "commands_per_s": stats.rate(windowed("sent"), seconds),
        "deliveries_per_s": stats.rate(windowed("received"), seconds),
        "rolls_per_s": stats.rate(windowed("rolls"), seconds),
        "games_per_s": stats.rate(windowed("games"), seconds),
        "window_s": seconds,
    }
    out.update(stats.latency_metrics(merged(results, "rtt"), "rtt"))
    return out


CDF_SERIES = ("rtt",)
