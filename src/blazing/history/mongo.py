"""Game history in MongoDB (PyMongo's native async API), collection ``game_history``.

One document per game, its ``_id`` the game's key (``game_id``; the room id of a
record before version 2), so recording a game again replaces it (``replace_one`` by
``_id`` with upsert) and a rematch in the same room is a new document. Lists, stats
and ratings use the collections of :mod:`blazing.history.mongo_records`. Documents of
the first schema (an ObjectId ``_id``, unique by room) are moved to their key once, at
start.

Datetimes are stored as BSON dates, which hold milliseconds: a time read back
equals the one recorded when it had no finer part (sub-millisecond digits are
truncated by the server format, not by this module).

Only operations FerretDB v1 also supports are used (no transactions, change
streams or TTL indexes), so the same code runs on FerretDB and on ``mongod``.
FerretDB v1 cannot store an array directly inside an array; such arrays are
stored wrapped (see :data:`ARRAY_FIELD`).
"""

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Self

import msgspec
from bson.int64 import Int64
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

from blazing import accounting
from blazing.errors import DependencyUnavailable, ServerFault
from blazing.history.base import GameRecord
from blazing.history.mongo_docs import Document, put_by_id
from blazing.history.mongo_records import MongoRecords
from blazing.ids import UserId
from blazing.records.cursor import BoardCursor, HistoryCursor
from blazing.records.model import PlayerGame, RatedGame, Rating, RatingUpdate

COLLECTION = "game_history"
SCHEMA_MARK = {"_id": "game_history", "version": 2}  # in collection ``schema``
ROOM_GAMES_PROBED = 1000  # a room's games looked for by id, for a link by room id
DEFAULT_DATABASE = "blazing"
DEFAULT_TIMEOUT_MS = 3000
# How long a reply may take. A server that takes a request and never answers must not
# hold its caller (the game service's timer loop records finished games) for good;
# generous, as creating an index over many documents at start takes a while.
REPLY_TIMEOUT_MS = 10_000
# FerretDB v1 rejects an array directly inside an array ("nested arrays are not
# supported"). The games' own records avoid them, but a record is free-form per game,
# so any such inner array is stored wrapped in a one-field document and unwrapped on
# reading, on every server, so documents look the same on FerretDB and mongod.
ARRAY_FIELD = "__array__"


@contextlib.contextmanager
def _unavailable_on_error(what: str) -> Iterator[None]:
    """Turn a driver failure into the port's ``DependencyUnavailable``."""
    try:
        yield
    except PyMongoError as exc:
        raise DependencyUnavailable(f"mongodb {what}: {exc}") from exc


def _escape(value: Any, in_array: bool = False) -> Any:
    """Wrap every array that sits directly in an array as ``{ARRAY_FIELD: [...]}``."""
    if isinstance(value, list):
        items = [_escape(v, True) for v in value]
        return {ARRAY_FIELD: items} if in_array else items
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


def _unescape(value: Any) -> Any:
    """Undo :func:`_escape`, and give every integer back as a plain ``int``: PyMongo
    reads an integer past 32 bits as ``bson.Int64`` (an ``int`` subclass), which
    msgspec, and so the history API, refuses to encode. Typed fields are converted
    anyway; the free-form ``rounds`` are not, so it is done here for all."""
    if isinstance(value, Int64):
        return int(value)
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get(ARRAY_FIELD), list):
            return _unescape(value[ARRAY_FIELD])
        return {k: _unescape(v) for k, v in value.items()}
    return value


def _document(game: GameRecord) -> Document:
    # Datetimes stay datetime objects so they are stored as BSON dates.
    doc: Document = _escape(msgspec.to_builtins(game, builtin_types=(datetime,)))
    return doc


def _record(doc: Document) -> GameRecord:
    doc.pop("_id", None)
    try:
        return msgspec.convert(_unescape(doc), GameRecord)
    except msgspec.ValidationError as exc:
        raise ServerFault(f"stored game does not decode: {exc}") from exc


class MongoHistory:
    """The :class:`~blazing.history.base.HistoryStore` port on MongoDB."""

    def __init__(self, url: str, *, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        """``url`` is ``mongodb://host:port/database`` (database defaults to
        ``blazing``); ``timeout_ms`` bounds server selection and connecting, so an
        outage surfaces as ``DependencyUnavailable`` quickly; a reply that does not
        come within :data:`REPLY_TIMEOUT_MS` is one too."""
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url,
            tz_aware=True,
            tzinfo=UTC,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            # Not timeoutMS: with it, server selection waits that long too, and an
            # outage takes longer to show.
            socketTimeoutMS=REPLY_TIMEOUT_MS,
        )
        database = self._client.get_default_database(DEFAULT_DATABASE)
        self._games: AsyncCollection[Document] = database[COLLECTION]
        self._schema: AsyncCollection[Document] = database["schema"]
        self._records = MongoRecords(database)

    async def __aenter__(self) -> Self:
        """Connect, make sure the indexes exist and move first-schema documents
        (idempotent)."""
        try:
            with _unavailable_on_error("create indexes"):
                with contextlib.suppress(OperationFailure):  # a rematch shares the room
                    await self._games.drop_index("room_id_unique")
                await self._games.create_index(
                    [("room_id", ASCENDING), ("finished_at", DESCENDING)], name="room_games")
                await self._games.create_index(  # SPEC §9's index of the document
                    [("players.user_id", ASCENDING), ("finished_at", DESCENDING)],
                    name="player_games")
                await self._records.create_indexes()
                await self._migrate()
        except BaseException:
            await self._client.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()

    async def _migrate(self) -> None:
        """Give each first-schema document its key as ``_id``, and its players' lines."""
        if await self._schema.find_one({"_id": SCHEMA_MARK["_id"]}) is not None:
            return
        async for doc in self._games.find({}):
            if not isinstance(doc["_id"], str):
                old_id = doc.pop("_id")
                key = doc.get("game_id") or doc["room_id"]
                # Moved as stored (not decoded and encoded again), then its lines.
                await put_by_id(self._games, key, doc)
                await self._records.write_lines(_record(doc))
                await self._games.delete_one({"_id": old_id})
        with contextlib.suppress(DuplicateKeyError):
            await self._schema.insert_one(dict(SCHEMA_MARK))

    async def record(self, game: GameRecord) -> None:
        """Store ``game`` under its key, replacing an earlier record of it, then its
        players' lines (so a game listed for a player can always be read)."""
        doc = _document(game)
        doc["_id"] = game.key
        with _unavailable_on_error("record"):
            await put_by_id(self._games, game.key, doc)
            await self._records.write_lines(game)
        accounting.history_written()

    async def for_user(self, user_id: UserId, limit: int,
                       game_type: str | None = None) -> list[GameRecord]:
        """The user's games, newest first."""
        return await self.games_page(user_id, limit, game_type)

    async def get(self, game_or_room_id: str) -> GameRecord | None:
        """By ``_id``; a room id finds the room's latest game by looking up its game
        ids in turn (on FerretDB only a lookup by ``_id`` uses an index)."""
        with _unavailable_on_error("get"):
            doc = await self._games.find_one({"_id": game_or_room_id})
            if doc is None and "." not in game_or_room_id:
                for number in range(1, ROOM_GAMES_PROBED + 1):
                    found = await self._games.find_one({"_id": f"{game_or_room_id}.{number}"})
                    if found is None:
                        break
                    doc = found
        return None if doc is None else _record(doc)

    async def games_page(self, user_id: UserId, limit: int, game_type: str | None = None,
                         after: HistoryCursor | None = None) -> list[GameRecord]:
        if limit <= 0:
            return []
        with _unavailable_on_error("games_page"):
            ids = await self._records.page_ids(user_id, limit, game_type, after)
            # One lookup by _id each, side by side: FerretDB serves only those from an
            # index ($in scans the collection there).
            docs = await asyncio.gather(*(self._games.find_one({"_id": i}) for i in ids))
        return [_record(doc) for doc in docs if doc is not None]

    async def player_games(self, user_id: UserId) -> list[PlayerGame]:
        with _unavailable_on_error("player_games"):
            return await self._records.lines_of(user_id)

    async def rate(self, game: RatedGame) -> RatingUpdate:
        with _unavailable_on_error("rate"):
            return await self._records.rate(game)

    async def rating_update(self, game_id: str) -> RatingUpdate | None:
        with _unavailable_on_error("rating_update"):
            return await self._records.rating_update(game_id)

    async def leaderboard(self, game_type: str, limit: int,
                          after: BoardCursor | None = None) -> list[Rating]:
        with _unavailable_on_error("leaderboard"):
            return await self._records.leaderboard(game_type, limit, after)

    async def ratings_of(self, user_id: UserId) -> list[Rating]:
        with _unavailable_on_error("ratings_of"):
            return await self._records.ratings_of(user_id)

    async def rank(self, rating: Rating) -> int:
        with _unavailable_on_error("rank"):
            return await self._records.rank(rating)

    async def ping(self) -> None:
        with _unavailable_on_error("ping"):
            await self._client.admin.command("ping")
