"""Fill a history store with players and finished games for the records benchmark.

    .venv/bin/python bench/seed_records.py --history-url sqlite:///tmp/records.db
    .venv/bin/python bench/seed_records.py --history-url mongodb://127.0.0.1:27017/records \\
        --games 100000 --players 10000 --max-seconds 1200

Games are Bigger Dice (2-4 seats, 80%) and Tic Tac Toe (20%), one a minute or so over
the last two years, with players drawn so that low user ids play far more often (user
1 plays about 0.05% of all seats: a heavy player for the stats query). Each game is a
version 2 record without moves (the benchmark reads lists, stats and ratings, not
replays); about 1 in 50 is abandoned. Ratings are computed through the same OpenSkill
model the service uses, game by game in finishing order, and written at the end (the
per-game rating updates and the rating log are not seeded).

The store creates its schema and indexes first (as at a server's start); rows are then
written in batches straight through the backend's driver (SQLite: executemany in one
transaction per batch; MongoDB: insert_many), which is what makes a million games take
minutes rather than hours. ``--max-seconds`` stops early and says how far it got.
"""

import argparse
import asyncio
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from blazing.history.base import GameRecord, PlayerResult, player_games
from blazing.ids import RoomId, UserId
from blazing.records import ratings
from blazing.records.model import Rating
from blazing.wiring import open_history

START = datetime(2024, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


def pick_user(rng: random.Random, players: int) -> int:
    return min(players, int(players * rng.random() ** 1.5) + 1)


def games(count: int, players: int, seed: int) -> Iterator[GameRecord]:
    rng = random.Random(seed)
    step = SPAN / count
    for n in range(count):
        game_type = "tic_tac_toe" if rng.random() < 0.2 else "bigger_dice"
        seats = 2 if game_type == "tic_tac_toe" else rng.choice((2, 2, 3, 4))
        users: list[int] = []
        while len(users) < seats:
            u = pick_user(rng, players)
            if u not in users:
                users.append(u)
        winner = None if rng.random() < 0.02 else rng.choice(users)
        target = 5 if game_type == "tic_tac_toe" else 10
        scores = {u: (target if u == winner else rng.randrange(target)) for u in users}
        seconds = float(rng.randint(40, 900))
        finished = START + step * n
        room = f"room_s{n:09d}"
        yield GameRecord(
            room_id=RoomId(room), room_name=f"Table {n}", game_type=game_type,
            players=[PlayerResult(user_id=UserId(u), username=f"player{u}",
                                  final_score=scores[u], is_winner=u == winner)
                     for u in users],
            winner_id=UserId(winner) if winner else None,
            reason="won" if winner else "abandoned", rounds=[], chat=[],
            started_at=finished - timedelta(seconds=seconds), finished_at=finished,
            duration_seconds=seconds, game_id=f"{room}.1", seats=seats, version=2)


def rate_into(table: dict[tuple[str, int], Rating], game: GameRecord) -> None:
    rated = ratings.rated_game(game)
    if rated is None:
        return
    current = {p.user_id: table[(game.game_type, p.user_id)] for p in rated.placements
               if (game.game_type, p.user_id) in table}
    for change in ratings.rate(rated, current).changes:
        before = current.get(change.user_id) or ratings.new_rating(
            change.user_id, change.username, game.game_type)
        table[(game.game_type, change.user_id)] = ratings.applied(before, change,
                                                                  game.game_id)


class SqliteSink:
    def __init__(self, path: str) -> None:
        from blazing.history import sqlite_records as sql

        self._sql = sql
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA synchronous=OFF")  # a seed is rebuilt, not recovered

    def games(self, batch: list[GameRecord]) -> None:
        stamp = self._sql.stamp
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO games VALUES (?, ?, ?, ?)", [
                (g.key, g.room_id, stamp(g.finished_at), msgspec.json.encode(g).decode())
                for g in batch])
            self._db.executemany(
                "INSERT OR REPLACE INTO player_games VALUES (?, ?, ?, ?, ?, ?)",
                [(line.user_id, line.game_id, stamp(line.finished_at), line.game_type,
                  line.outcome, line.duration_seconds)
                 for g in batch for line in player_games(g)])

    def ratings(self, rows: list[Rating]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self._sql.rating_row(r) for r in rows])
            for r in rows:
                self._sql.count_bucket(self._db, r.game_type, r.ordinal, +1)

    def close(self) -> None:
        self._db.close()


class MongoSink:
    def __init__(self, url: str) -> None:
        from pymongo import MongoClient

        from blazing.history import mongo, mongo_records

        self._mongo, self._records = mongo, mongo_records
        self._client: MongoClient[dict[str, Any]] = MongoClient(url)
        self._db = self._client.get_default_database(mongo.DEFAULT_DATABASE)
        # Each player's lines, written at the end as one version per player (the
        # adapter's layout: see blazing.history.mongo_records).
        self._lines: dict[int, list[Any]] = {}

    def games(self, batch: list[GameRecord]) -> None:
        docs = []
        for game in batch:
            doc = self._mongo._document(game)
            doc["_id"] = game.key
            docs.append(doc)
        self._db[self._mongo.COLLECTION].insert_many(docs, ordered=False)
        for game in batch:
            for line in player_games(game):
                self._lines.setdefault(line.user_id, []).append(self._records.line_of(line))

    def ratings(self, rows: list[Rating]) -> None:
        for start in range(0, len(rows), 5000):
            self._db["ratings"].insert_many(
                [self._records._rating_doc(r) for r in rows[start:start + 5000]],
                ordered=False)

    def close(self) -> None:
        lines = self._db["player_lines"]
        users = list(self._lines)
        for start in range(0, len(users), 1000):
            chunk = users[start:start + 1000]
            lines.insert_many([self._records.lines_document(u, 1, self._lines[u])
                               for u in chunk], ordered=False)
            lines.insert_many([{"_id": str(u), "v": 1} for u in chunk], ordered=False)
        self._client.close()


async def create_schema(url: str) -> None:
    async with open_history(url):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history-url", required=True,
                        help="sqlite:///path.db or mongodb://host:port/db (should be empty)")
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--games", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="stop writing games after this long (ratings are still written)")
    args = parser.parse_args()
    started = time.monotonic()
    asyncio.run(create_schema(args.history_url))
    sink: SqliteSink | MongoSink
    if args.history_url.startswith("sqlite:///"):
        sink = SqliteSink(args.history_url.removeprefix("sqlite:///"))
    else:
        sink = MongoSink(args.history_url)
    table: dict[tuple[str, int], Rating] = {}
    written, batch = 0, []
    write_seconds = 0.0
    for game in games(args.games, args.players, args.seed):
        rate_into(table, game)
        batch.append(game)
        if len(batch) == args.batch:
            t = time.monotonic()
            sink.games(batch)
            write_seconds += time.monotonic() - t
            written += len(batch)
            batch = []
            if written % (args.batch * 20) == 0:
                print(f"{written:>9} games  {time.monotonic() - started:7.0f} s", flush=True)
            if time.monotonic() - started > args.max_seconds:
                print(f"stopping at {written} games: --max-seconds reached")
                break
    else:
        if batch:
            sink.games(batch)
            written += len(batch)
    t = time.monotonic()
    sink.ratings(list(table.values()))
    write_seconds += time.monotonic() - t
    sink.close()
    users = {u for _, u in table}
    print(f"seeded {written} games, {len(table)} ratings of {len(users)} rated players "
          f"(of {args.players}) in {time.monotonic() - started:.0f} s "
          f"({write_seconds:.0f} s writing)")


if __name__ == "__main__":
    main()
