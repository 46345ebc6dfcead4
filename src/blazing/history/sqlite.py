"""SQLite history for the embedded mode (standard ``sqlite3``, off the event loop).

Table ``games`` holds each game's document as JSON under its game id; a side table
holds one line per player per game so history lists and stats are index scans (the
analogue of ``player_games`` in MongoDB). Ratings live beside them; the schema and
the records statements are in :mod:`blazing.history.sqlite_records`.
"""

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Self, TypeVar

from blazing import accounting
from blazing.errors import DependencyUnavailable
from blazing.history import sqlite_records as sql
from blazing.history.base import GameRecord
from blazing.ids import UserId
from blazing.records.cursor import BoardCursor, HistoryCursor
from blazing.records.model import PlayerGame, RatedGame, Rating, RatingUpdate

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
        # As the room store: a commit survives the process being killed; only a power
        # loss or an OS crash may take the last ones. FULL made every finished game wait
        # for a disk flush, and the rooms' commits stalled behind it on the same disk.
        db.execute("PRAGMA synchronous=NORMAL")
        sql.create(db)
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
        def write(db: sqlite3.Connection) -> None:
            with db:
                db.execute("BEGIN")
                sql.write_game(db, game)

        await self._run(write)
        accounting.history_written()

    async def for_user(self, user_id: UserId, limit: int,
                       game_type: str | None = None) -> list[GameRecord]:
        return await self.games_page(user_id, limit, game_type)

    async def get(self, game_or_room_id: str) -> GameRecord | None:
        return await self._run(lambda db: sql.get(db, game_or_room_id))

    async def games_page(self, user_id: UserId, limit: int, game_type: str | None = None,
                         after: HistoryCursor | None = None) -> list[GameRecord]:
        return await self._run(lambda db: sql.games_page(db, user_id, limit, game_type, after))

    async def player_games(self, user_id: UserId) -> list[PlayerGame]:
        return await self._run(lambda db: sql.lines_of(db, user_id))

    async def rate(self, game: RatedGame) -> RatingUpdate:
        return await self._run(lambda db: sql.rate(db, game))

    async def rating_update(self, game_id: str) -> RatingUpdate | None:
        return await self._run(lambda db: sql.rating_update(db, game_id))

    async def leaderboard(self, game_type: str, limit: int,
                          after: BoardCursor | None = None) -> list[Rating]:
        return await self._run(lambda db: sql.leaderboard(db, game_type, limit, after))

    async def ratings_of(self, user_id: UserId) -> list[Rating]:
        return await self._run(lambda db: sql.ratings_of(db, user_id))

    async def rank(self, rating: Rating) -> int:
        return await self._run(lambda db: sql.rank(db, rating))

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
