"""SQLite history for the embedded mode (standard ``sqlite3``, off the event loop).

One table holds the document as JSON; a side table indexes it by player so
``for_user`` is an index scan (the analogue of ``players.user_id`` +
``finished_at`` in MongoDB).
"""

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Self, TypeVar

import msgspec

from blazing.errors import DependencyUnavailable
from blazing.history.base import GameRecord
from blazing.ids import RoomId, UserId

_SCHEMA = """
CREATE TABLE IF NOT EXISTS game_history (
    room_id     TEXT PRIMARY KEY,
    finished_at TEXT NOT NULL,
    document    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS game_history_players (
    user_id     INTEGER NOT NULL,
    finished_at TEXT NOT NULL,
    room_id     TEXT NOT NULL REFERENCES game_history(room_id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id)
);
CREATE INDEX IF NOT EXISTS game_history_players_by_time
    ON game_history_players (user_id, finished_at DESC);
"""

_decoder = msgspec.json.Decoder(GameRecord)
T = TypeVar("T")


class SqliteHistory:
    def __init__(self, path: str) -> None:
        """``path`` is a file path or ``:memory:``."""
        self._path = path
        self._db: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()  # one connection, one statement at a time

    async def __aenter__(self) -> Self:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await asyncio.to_thread(self._open)
        return self

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(_SCHEMA)
        return db

    async def __aexit__(self, *exc: object) -> None:
        if self._db is not None:
            async with self._lock:
                await asyncio.to_thread(self._db.close)
            self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise DependencyUnavailable("history store is not open")
        return self._db

    async def record(self, game: GameRecord) -> None:
        document = msgspec.json.encode(game).decode()
        finished = game.finished_at.isoformat()

        def write(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN")
                db.execute("DELETE FROM game_history WHERE room_id = ?", (game.room_id,))
                db.execute("INSERT INTO game_history VALUES (?, ?, ?)",
                           (game.room_id, finished, document))
                db.executemany(
                    "INSERT INTO game_history_players VALUES (?, ?, ?)",
                    [(p.user_id, finished, game.room_id) for p in game.players],
                )

        await self._run(write)

    async def for_user(self, user_id: UserId, limit: int,
                       game_type: str | None = None) -> list[GameRecord]:
        if not 0 < user_id < 2**63 or limit < 1:
            return []  # no such player (and SQLite's integers are 64-bit: it would raise)

        def read(db: sqlite3.Connection) -> list[str]:
            rows = db.execute(
                "SELECT h.document FROM game_history_players p "
                "JOIN game_history h ON h.room_id = p.room_id "
                "WHERE p.user_id = ? AND (? IS NULL OR "
                "json_extract(h.document, '$.game_type') = ?) "
                "ORDER BY p.finished_at DESC, p.room_id LIMIT ?",
                (user_id, game_type, game_type, limit),
            ).fetchall()
            return [row[0] for row in rows]

        return [_decoder.decode(doc) for doc in await self._run(read)]

    async def get(self, room_id: RoomId) -> GameRecord | None:
        def read(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT document FROM game_history WHERE room_id = ?",
                             (room_id,)).fetchone()
            return None if row is None else str(row[0])

        doc = await self._run(read)
        return None if doc is None else _decoder.decode(doc)

    async def ping(self) -> None:
        await self._run(lambda db: db.execute("SELECT 1").fetchone())

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        db = self._conn()
        async with self._lock:
            job = asyncio.ensure_future(asyncio.to_thread(work, db))
            try:
                return await asyncio.shield(job)
            except asyncio.CancelledError:
                # A thread cannot be stopped: keep the lock until it is done, or closing
                # the connection under it crashes the process (seen as a segfault).
                await asyncio.wait({job})
                raise
            except sqlite3.Error as exc:
                raise DependencyUnavailable(f"sqlite: {exc}") from exc
