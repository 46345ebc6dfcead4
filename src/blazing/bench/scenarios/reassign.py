"""``reassign``: paced games (exponential think times, as in ``games``) while the
game services' Kafka partitions move: a second game service starts (``action``
``add``) or one of two is killed with SIGKILL (``kill``), by the coordinator at the
``action`` barrier, ``action_after`` seconds into the window; the tables play on
meanwhile.

Each table's first player notes when every event of its room arrives (the time
on its monotonic clock, which is the machine's). A room's pause is the longest gap
between consecutive events of that room that ends after the action began, over
the rooms that were playing then (as the chaos suite measures a fault's pause);
p50 and max are given for the rooms whose partition moved to another game service
(which the coordinator learns from the services' logs: ``marks["moved_<p>"]``) and
for the others, next to the longest gaps of every room before the action (the
pacing's own gaps)."""

import asyncio
import itertools
import math
import random
import time

from blazing.bench import stats
from blazing.bench.scenarios.common import Event, WorkerContext, cancel_all
from blazing.bench.scenarios.games import connect_tables, think_times
from blazing.bench.scenarios.play import open_room, play, spectate, start_game
from blazing.bench.scenarios.spec import Result, merged

PHASES = ("setup", "action", "window")
STOP_GRACE = 5.0
PARTITIONS = 6  # the bench's topics (servers.TOPIC_PARTITIONS)


def partition_of(room_id: str, partitions: int = PARTITIONS) -> int:
    """The partition Kafka's default partitioner gives the key ``room_id`` (commands
    and events of a room are keyed by its id)."""
    from aiokafka.partitioner import murmur2  # type: ignore[import-untyped]  # no py.typed

    return int((murmur2(room_id.encode()) & 0x7FFFFFFF) % partitions)


async def run(ctx: WorkerContext) -> None:
    params = ctx.spec.params
    games, watchers = int(params["games"]), int(params["spectators"])
    game, seats = str(params.get("game", "bigger_dice")), int(params.get("seats", 2))
    players, spectators = await connect_tables(ctx)
    await ctx.phase("setup")
    window_end = time.monotonic() + float(params["duration"])
    think_s = float(params.get("think_ms", 0.0)) / 1000
    seed = int(params.get("seed", 1))
    seen: dict[str, list[float]] = {}  # room -> arrival times of its events
    ended: dict[str, float] = {}
    stopping = False

    def stop() -> bool:
        return stopping

    def recorder(event: Event) -> None:
        room = event.room_id
        if room is not None:
            now = time.monotonic()
            seen.setdefault(room, []).append(now)
            if event.type == "game_ended":
                ended[room] = now

    async def table(g: int) -> None:
        seated = players[seats * g:seats * (g + 1)]
        seated[0].on_event = recorder
        watching = spectators[g * watchers:(g + 1) * watchers]
        by_id = {p.user_id: p for p in seated}
        pacing = think_times(think_s, random.Random(f"{seed}-{ctx.spec.index}-{g}"))
        try:
            for n in range(100_000):
                if stopping:
                    return
                order = seated[n % seats:] + seated[:n % seats]
                room_id = await open_room(order, f"{ctx.spec.tag}-{ctx.spec.index}-{g}-{n}",
                                          game)
                await spectate(watching, room_id)
                first = await start_game(order, room_id)
                await play(by_id, room_id, first, game=game, should_stop=stop, think=pacing)
        except (TimeoutError, ConnectionError, ValueError) as exc:
            if not stopping:
                ctx.stats.error(f"table {g}: {exc}")

    tasks = [asyncio.create_task(table(g)) for g in range(games)]
    await asyncio.sleep(float(params["action_after"]))
    await ctx.phase("action")  # the coordinator acts; the tables play on
    await asyncio.sleep(max(0.0, window_end - time.monotonic()))
    ctx.mark("window_end")
    stopping = True
    await ctx.phase("window")
    await asyncio.wait(tasks, timeout=STOP_GRACE)
    await cancel_all(tasks)
    for peer in players + spectators:
        peer.abort()
    ctx.extra = {"seen": seen, "ended": ended}


def room_pauses(seen: dict[str, list[float]], ended: dict[str, float], action_at: float,
                window_end: float) -> dict[str, tuple[float, float]]:
    """room -> (longest gap before the action, longest gap ending after it), for the
    rooms that were playing when the action began. A room still unfinished at the end
    of the window has its last silence counted too (a room that never moved again
    paused at least that long)."""
    out = {}
    for room, times in seen.items():
        if not times or times[0] > action_at or ended.get(room, math.inf) < action_at:
            continue
        before = [b - a for a, b in itertools.pairwise(times) if b < action_at]
        after = [b - a for a, b in itertools.pairwise(times) if b >= action_at]
        if room not in ended and window_end > times[-1]:
            after.append(window_end - times[-1])
        if after:
            out[room] = (max(before, default=0.0), max(after))
    return out


def summarize(results: list[Result], marks: dict[str, float]) -> dict[str, float]:
    action_at = marks.get("action_at", marks.get("action_reached", math.nan))
    moved = {int(key[len("moved_"):]) for key in marks if key.startswith("moved_")}
    seen: dict[str, list[float]] = {}
    ended: dict[str, float] = {}
    for result in results:
        seen.update(result.extra.get("seen", {}))
        ended.update(result.extra.get("ended", {}))
    window_end = max(r.marks.get("window_end", 0.0) for r in results)
    pauses = room_pauses(seen, ended, action_at, window_end)
    moved_rooms = [after for room, (_, after) in pauses.items() if partition_of(room) in moved]
    kept_rooms = [after for room, (_, after) in pauses.items()
                  if partition_of(room) not in moved]
    normal = sorted(before for before, _ in pauses.values())
    out: dict[str, float] = {
        "rooms_playing": float(len(pauses)),
        "rooms_moved": float(len(moved_rooms)),
        "partitions_moved": float(len(moved)),
        "action_s": marks.get("action_done", math.nan) - marks.get("action_at", math.nan),
    }
    for name, values in (("moved", sorted(moved_rooms)), ("kept", sorted(kept_rooms)),
                         ("before", normal)):
        out[f"pause_{name}_p50_ms"] = stats.percentile(values, 50) * 1000
        out[f"pause_{name}_max_ms"] = (values[-1] * 1000) if values else math.nan
    out["rolls_per_s"] = stats.rate(sum(r.counters.get("rolls", 0) for r in results),
                                    window_end - marks["setup_released"])
    out.update(stats.latency_metrics(merged(results, "rtt"), "rtt"))
    return out


CDF_SERIES = ("rtt",)
