"""The SQLite side of players' records: the tables beside ``games``, the migration of
the first schema, and the statements of the records methods of
:class:`~blazing.history.sqlite.SqliteHistory` (each runs on its one connection, off
the event loop, in one transaction where it writes).

A rank is the count of ratings above one: counting them in the index grows with the
rank (a mid-table player of 100,000 counts 50,000 entries), so ratings are also
counted per bucket of ordinal (``rating_buckets``, width 1/:data:`BUCKETS_PER_POINT`,
kept in the rating's transaction): a rank sums the few hundred buckets above and
counts within its own.

Times are stored as fixed-width UTC text (``2026-03-01T12:00:00.000000Z``) so that
text order is time order in the indexes.
"""

import math
import sqlite3
from datetime import UTC, datetime

import msgspec

from blazing.history.base import GameRecord, player_games
from blazing.ids import UserId
from blazing.records import ratings
from blazing.records.cursor import BoardCursor, HistoryCursor
from blazing.records.model import PlayerGame, RatedGame, Rating, RatingUpdate

SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    game_id     TEXT PRIMARY KEY,
    room_id     TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    document    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS games_by_room ON games (room_id, finished_at DESC);
CREATE TABLE IF NOT EXISTS player_games (
    user_id     INTEGER NOT NULL,
    game_id     TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    game_type   TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    duration    REAL NOT NULL,
    PRIMARY KEY (user_id, game_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS player_games_by_time
    ON player_games (user_id, finished_at DESC, game_id DESC);
CREATE INDEX IF NOT EXISTS player_games_by_type
    ON player_games (user_id, game_type, finished_at DESC, game_id DESC);
CREATE TABLE IF NOT EXISTS ratings (
    game_type TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    username  TEXT NOT NULL,
    mu        REAL NOT NULL,
    sigma     REAL NOT NULL,
    ordinal   REAL NOT NULL,
    games     INTEGER NOT NULL,
    rev       INTEGER NOT NULL,
    last_game TEXT NOT NULL,
    bucket    INTEGER NOT NULL,
    PRIMARY KEY (game_type, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ratings_board ON ratings (game_type, ordinal DESC, user_id);
CREATE INDEX IF NOT EXISTS ratings_bucket
    ON ratings (game_type, bucket, ordinal DESC, user_id);
CREATE TABLE IF NOT EXISTS rating_buckets (
    game_type TEXT NOT NULL,
    bucket    INTEGER NOT NULL,
    players   INTEGER NOT NULL,
    PRIMARY KEY (game_type, bucket)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ratings_by_user ON ratings (user_id);
CREATE TABLE IF NOT EXISTS rating_updates (
    game_id  TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
"""

_game_decoder = msgspec.json.Decoder(GameRecord)
_update_decoder = msgspec.json.Decoder(RatingUpdate)
_RATING_COLUMNS = "user_id, username, game_type, mu, sigma, ordinal, games, rev, last_game"
BUCKETS_PER_POINT = 10


def bucket(ordinal: float) -> int:
    return math.floor(ordinal * BUCKETS_PER_POINT)


def rating_row(r: Rating) -> tuple[object, ...]:
    """A ``ratings`` row, in the table's column order."""
    return (r.game_type, r.user_id, r.username, r.mu, r.sigma, r.ordinal, r.games, r.rev,
            r.last_game, bucket(r.ordinal))


def count_bucket(db: sqlite3.Connection, game_type: str, ordinal: float, step: int) -> None:
    db.execute("INSERT INTO rating_buckets VALUES (?, ?, ?) ON CONFLICT DO UPDATE "
               "SET players = players + excluded.players",
               (game_type, bucket(ordinal), step))


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # reads the "Z" (and is ~30x faster than strptime)


def create(db: sqlite3.Connection) -> None:
    """Create the tables; move the first schema's ``game_history`` (keyed by room)
    into them once, then drop it."""
    _add_buckets(db)
    db.executescript(SCHEMA)
    old = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'game_history'").fetchone()
    if old is None:
        return
    with db:
        db.execute("BEGIN")
        for (document,) in db.execute("SELECT document FROM game_history").fetchall():
            write_game(db, _game_decoder.decode(document), replace=False)
        db.execute("DROP TABLE IF EXISTS game_history_players")
        db.execute("DROP TABLE game_history")


def _add_buckets(db: sqlite3.Connection) -> None:
    """Ratings written before they were counted per bucket (a development build):
    give them their bucket and count them."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(ratings)")]
    if not columns or "bucket" in columns:
        return
    with db:
        db.execute("BEGIN")
        db.execute("ALTER TABLE ratings ADD COLUMN bucket INTEGER NOT NULL DEFAULT 0")
        rows = db.execute("SELECT game_type, user_id, ordinal FROM ratings").fetchall()
        db.executemany("UPDATE ratings SET bucket = ? WHERE game_type = ? AND user_id = ?",
                       [(bucket(o), g, u) for g, u, o in rows])
        db.execute("CREATE TABLE IF NOT EXISTS rating_buckets (game_type TEXT NOT NULL, "
                   "bucket INTEGER NOT NULL, players INTEGER NOT NULL, "
                   "PRIMARY KEY (game_type, bucket)) WITHOUT ROWID")
        db.execute("DELETE FROM rating_buckets")
        db.execute("INSERT INTO rating_buckets SELECT game_type, bucket, COUNT(*) "
                   "FROM ratings GROUP BY game_type, bucket")


def write_game(db: sqlite3.Connection, game: GameRecord, *, replace: bool = True) -> None:
    """Insert (or replace) a game and its players' lines; call inside a transaction."""
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    finished = stamp(game.finished_at)
    db.execute(f"{verb} INTO games VALUES (?, ?, ?, ?)",
               (game.key, game.room_id, finished, msgspec.json.encode(game).decode()))
    db.executemany(f"{verb} INTO player_games VALUES (?, ?, ?, ?, ?, ?)", [
        (line.user_id, line.game_id, finished, line.game_type, line.outcome,
         line.duration_seconds) for line in player_games(game)])


def get(db: sqlite3.Connection, key: str) -> GameRecord | None:
    row = db.execute("SELECT document FROM games WHERE game_id = ?", (key,)).fetchone()
    if row is None:  # a room id: the room's latest game
        row = db.execute("SELECT document FROM games WHERE room_id = ? "
                         "ORDER BY finished_at DESC, game_id DESC LIMIT 1", (key,)).fetchone()
    return None if row is None else _game_decoder.decode(row[0])


def games_page(db: sqlite3.Connection, user_id: UserId, limit: int, game_type: str | None,
               after: HistoryCursor | None) -> list[GameRecord]:
    where: list[str] = ["p.user_id = ?"]
    args: list[object] = [user_id]
    if game_type is not None:
        where.append("p.game_type = ?")
        args.append(game_type)
    if after is not None:
        where.append("(p.finished_at, p.game_id) < (?, ?)")
        args += [stamp(after.finished_at), after.game_id]
    rows = db.execute(
        "SELECT g.document FROM player_games p JOIN games g ON g.game_id = p.game_id "
        f"WHERE {' AND '.join(where)} ORDER BY p.finished_at DESC, p.game_id DESC LIMIT ?",
        (*args, limit)).fetchall()
    return [_game_decoder.decode(row[0]) for row in rows]


def lines_of(db: sqlite3.Connection, user_id: UserId) -> list[PlayerGame]:
    rows = db.execute("SELECT game_id, game_type, finished_at, outcome, duration "
                      "FROM player_games WHERE user_id = ?", (user_id,)).fetchall()
    return [PlayerGame(user_id=user_id, game_id=g, game_type=t, finished_at=_time(f),
                       outcome=o, duration_seconds=d) for g, t, f, o, d in rows]


def _rating(row: tuple[object, ...]) -> Rating:
    return msgspec.convert(dict(zip(_RATING_COLUMNS.split(", "), row, strict=True)), Rating)


def rate(db: sqlite3.Connection, game: RatedGame) -> RatingUpdate:
    """One transaction: the update is computed and every rating moved, or nothing."""
    with db:
        db.execute("BEGIN IMMEDIATE")
        done = rating_update(db, game.game_id)
        if done is not None:
            return done
        current: dict[UserId, Rating] = {}
        for p in game.placements:
            row = db.execute(f"SELECT {_RATING_COLUMNS} FROM ratings "
                             "WHERE game_type = ? AND user_id = ?",
                             (game.game_type, p.user_id)).fetchone()
            if row is not None:
                current[p.user_id] = _rating(row)
        update = ratings.rate(game, current)
        db.execute("INSERT INTO rating_updates VALUES (?, ?)",
                   (game.game_id, msgspec.json.encode(update).decode()))
        for change in update.changes:
            before = current.get(change.user_id) or ratings.new_rating(
                change.user_id, change.username, game.game_type)
            r = ratings.applied(before, change, game.game_id)
            db.execute("INSERT OR REPLACE INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       rating_row(r))
            if change.user_id in current:
                count_bucket(db, game.game_type, before.ordinal, -1)
            count_bucket(db, game.game_type, r.ordinal, +1)
        return update


def rating_update(db: sqlite3.Connection, game_id: str) -> RatingUpdate | None:
    row = db.execute("SELECT document FROM rating_updates WHERE game_id = ?",
                     (game_id,)).fetchone()
    return None if row is None else _update_decoder.decode(row[0])


def leaderboard(db: sqlite3.Connection, game_type: str, limit: int,
                after: BoardCursor | None) -> list[Rating]:
    where = "game_type = ?"
    args: list[object] = [game_type]
    if after is not None:
        # Descending ordinal, ascending id: "after" is a lower ordinal, or the same
        # ordinal and a greater id. Written as a bound on ordinal so that the index
        # seeks to it (an OR of the two would scan from the top).
        where += " AND ordinal <= ? AND NOT (ordinal = ? AND user_id <= ?)"
        args += [after.ordinal, after.ordinal, after.user_id]
    rows = db.execute(f"SELECT {_RATING_COLUMNS} FROM ratings WHERE {where} "
                      "ORDER BY ordinal DESC, user_id LIMIT ?", (*args, limit)).fetchall()
    return [_rating(row) for row in rows]


def ratings_of(db: sqlite3.Connection, user_id: UserId) -> list[Rating]:
    rows = db.execute(f"SELECT {_RATING_COLUMNS} FROM ratings WHERE user_id = ? "
                      "ORDER BY game_type", (user_id,)).fetchall()
    return [_rating(row) for row in rows]


def rank(db: sqlite3.Connection, rating: Rating) -> int:
    """1 + the ratings above: whole buckets above, then within the rating's own."""
    mine = bucket(rating.ordinal)
    above = db.execute("SELECT COALESCE(SUM(players), 0) FROM rating_buckets "
                       "WHERE game_type = ? AND bucket > ?",
                       (rating.game_type, mine)).fetchone()[0]
    beside = db.execute("SELECT COUNT(*) FROM ratings WHERE game_type = ? AND bucket = ? "
                        "AND (ordinal > ? OR (ordinal = ? AND user_id < ?))",
                        (rating.game_type, mine, rating.ordinal, rating.ordinal,
                         rating.user_id)).fetchone()[0]
    return int(above) + int(beside) + 1
