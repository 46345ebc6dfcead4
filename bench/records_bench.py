"""Measure the records API on a seeded store (see bench/seed_records.py).

    .venv/bin/python bench/records_bench.py --history-url sqlite:///tmp/records.db \\
        --players 100000 --requests 1000 [--json out.json]

It serves the real records routes (``blazing.web.records`` over aiohttp, the store
opened as the server opens it) on 127.0.0.1 and sends HTTP requests one at a time
from one client, timing each from send to the last body byte:

- ``stats``: ``/api/players/{u}/stats`` for random players (drawn like the seed, so
  busy players come up often), and ``stats_heaviest`` for user 1;
- ``rating``: ``/api/players/{u}/rating?game_type=bigger_dice`` (with its rank);
- ``board_first``: the leaderboard's first page of 20; ``board_deep``: a page of 20
  after a random player's position (a cursor made from their rating and rank);
- ``history_first``: a player's first page of 20 games; ``history_next``: the page
  after it, by its ``next_cursor``.

Prints p50/p90/p99/max per kind in milliseconds (and writes them as JSON).
"""

import argparse
import asyncio
import json
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from blazing.records import cursor
from blazing.records.cursor import BoardCursor
from blazing.web import records
from blazing.wiring import open_history

Sample = dict[str, list[float]]


def pick_user(rng: random.Random, players: int) -> int:
    return min(players, int(players * rng.random() ** 1.5) + 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(url: str, players: int, requests: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    samples: Sample = {}
    async with open_history(url) as history:
        app = web.Application()
        records.add_routes(app, history)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:

                async def timed(kind: str, path: str) -> Any:
                    started = time.perf_counter()
                    async with http.get(base + path) as response:
                        body = await response.json()
                    samples.setdefault(kind, []).append(
                        (time.perf_counter() - started) * 1000)
                    assert response.status == 200, (path, body)
                    return body

                kinds: list[Callable[[], Awaitable[None]]] = []

                async def stats() -> None:
                    await timed("stats", f"/api/players/{pick_user(rng, players)}/stats")

                async def heaviest() -> None:
                    await timed("stats_heaviest", "/api/players/1/stats")

                async def rating_and_deep_page() -> None:
                    u = pick_user(rng, players)
                    mine = await timed("rating",
                                       f"/api/players/{u}/rating?game_type=bigger_dice")
                    if mine["rated"]:
                        after = cursor.encode(BoardCursor(mine["ordinal"], u, mine["rank"]))
                        await timed("board_deep", "/api/leaderboard?game_type=bigger_dice"
                                    f"&limit=20&cursor={after}")

                async def board_first() -> None:
                    await timed("board_first", "/api/leaderboard?game_type=bigger_dice&limit=20")

                async def history_pages() -> None:
                    u = pick_user(rng, players)
                    page = await timed("history_first",
                                       f"/api/games/history?user_id={u}&limit=20")
                    if page["next_cursor"]:
                        await timed("history_next", f"/api/games/history?user_id={u}"
                                    f"&limit=20&cursor={page['next_cursor']}")

                kinds = [stats, heaviest, rating_and_deep_page, board_first, history_pages]
                for _ in range(5):  # warm the connection and the caches a little
                    for kind in kinds:
                        await kind()
                samples.clear()
                for _ in range(requests):
                    await rng.choice(kinds)()
        finally:
            await runner.cleanup()
    return {kind: {"n": len(v), "p50": percentile(v, 0.5), "p90": percentile(v, 0.9),
                   "p99": percentile(v, 0.99), "max": max(v)}
            for kind, v in sorted(samples.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history-url", required=True)
    parser.add_argument("--players", type=int, default=100_000,
                        help="the --players the store was seeded with")
    parser.add_argument("--requests", type=int, default=1000,
                        help="rounds; each picks one kind (some send two requests)")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    figures = asyncio.run(run(args.history_url, args.players, args.requests, args.seed))
    load_after = os.getloadavg()[0]
    print(f"{'kind':<16}{'n':>6}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, f in figures.items():
        print(f"{kind:<16}{f['n']:>6}{f['p50']:>9.2f}{f['p90']:>9.2f}{f['p99']:>9.2f}"
              f"{f['max']:>9.2f}")
    # The machine is shared: the load says how much of it others took meanwhile.
    print(f"load average (1 min): {load_before:.1f} before, {load_after:.1f} after")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"history_url": args.history_url, "figures": figures,
                       "load_average": [load_before, load_after]}, out, indent=2)


if __name__ == "__main__":
    main()
