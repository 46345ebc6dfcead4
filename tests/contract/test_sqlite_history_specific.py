"""What SqliteHistory promises beyond the port: a database of an earlier schema is
moved forward at start."""

import sqlite3
from pathlib import Path

import msgspec

from blazing.history.sqlite import SqliteHistory
from blazing.ids import UserId
from tests.contract.test_history import record, user
from tests.contract.test_records import rated

FIRST_SCHEMA = """
CREATE TABLE game_history (room_id TEXT PRIMARY KEY, finished_at TEXT NOT NULL,
                           document TEXT NOT NULL);
CREATE TABLE game_history_players (user_id INTEGER NOT NULL, finished_at TEXT NOT NULL,
    room_id TEXT NOT NULL REFERENCES game_history(room_id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id));
"""


async def test_a_first_schema_database_is_moved_to_game_keys(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    me = user()
    old = msgspec.structs.replace(record([me, user()], 2, winner=me), game_id="", version=1,
                                  moves=[], setup_draws=[], seats=0)
    newer = record([me, user()], 5)  # written by the first schema's code, keyed by room
    with sqlite3.connect(path) as db:
        db.executescript(FIRST_SCHEMA)
        for game in (old, newer):
            db.execute("INSERT INTO game_history VALUES (?, ?, ?)",
                       (game.room_id, game.finished_at.isoformat(),
                        msgspec.json.encode(game).decode()))
    async with SqliteHistory(str(path)) as history:
        assert await history.get(old.room_id) == old
        assert await history.get(newer.room_id) == newer
        assert await history.get(newer.game_id) == newer
        assert await history.for_user(UserId(me), 5) == [newer, old]
        assert sorted(g.outcome for g in await history.player_games(UserId(me))) == \
            ["abandoned", "won"]
    with sqlite3.connect(path) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "game_history" not in names and "game_history_players" not in names


async def test_ratings_from_before_rank_buckets_are_counted_at_start(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    a, b = user(), user()
    async with SqliteHistory(str(path)) as history:
        await history.rate(rated([a, b]))
    with sqlite3.connect(path) as db:  # as a build without buckets left it
        db.execute("DROP TABLE rating_buckets")
        db.execute("DROP INDEX ratings_bucket")
        db.execute("ALTER TABLE ratings DROP COLUMN bucket")
    async with SqliteHistory(str(path)) as history:
        board = await history.leaderboard("bigger_dice", 10)
        assert [r.user_id for r in board] == [a, b]
        assert [await history.rank(r) for r in board] == [1, 2]
