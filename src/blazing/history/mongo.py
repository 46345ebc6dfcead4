"""Game history in MongoDB (PyMongo's native async API), collection ``game_history``.

One document per game, whose ``_id`` is its ``room_id`` (also kept as a field, under a
unique index), so recording a game again replaces it (``replace_one`` with upsert).
Writes and reads by room go by ``_id``: FerretDB v1 on SQLite looks up only ``_id``
without scanning the collection, and a scan per write made recording a game take
seconds once the history held a few hundred. ``for_user`` is served by the compound
index (``players.user_id`` asc, ``finished_at`` desc). Documents written before
``_id`` was the room id keep theirs and are found by ``room_id``.

Datetimes are stored as BSON dates, which hold milliseconds: a time read back
equals the one recorded when it had no finer part (sub-millisecond digits are
truncated by the server format, not by this module).

Only operations FerretDB v1 also supports are used (no transactions, change
streams or TTL indexes), so the same code runs on FerretDB and on ``mongod``.
FerretDB v1 cannot store an array directly inside an array; such arrays are
stored wrapped (see :data:`ARRAY_FIELD`).
"""

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Self

import msgspec
from bson.int64 import Int64
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from blazing.errors import DependencyUnavailable, ServerFault
from blazing.history.base import GameRecord
from blazing.ids import RoomId, UserId

COLLECTION = "game_history"
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

Document = dict[str, Any]


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

    async def __aenter__(self) -> Self:
        """Connect and make sure the indexes exist (idempotent)."""
        try:
            with _unavailable_on_error("create indexes"):
                await self._games.create_index([("room_id", ASCENDING)], unique=True,
                                               name="room_id_unique")
                await self._games.create_index(
                    [("players.user_id", ASCENDING), ("finished_at", DESCENDING)],
                    name="player_games")
        except BaseException:
            await self._client.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()

    async def record(self, game: GameRecord) -> None:
        """Store ``game``, replacing an earlier record of the same room."""
        doc = _document(game)
        keyed = {"_id": game.room_id, **doc}
        with _unavailable_on_error("record"):
            try:
                await self._games.replace_one({"_id": game.room_id}, keyed, upsert=True)
            except DuplicateKeyError:
                # Two upserts of one new room raced and the other inserted first (now
                # it exists: replace it), or an older document of the room has an
                # _id of its own (replace that one, keeping its _id).
                found = await self._games.replace_one({"_id": game.room_id}, keyed)
                if not found.matched_count:
                    await self._games.replace_one({"room_id": game.room_id}, doc)

    async def for_user(self, user_id: UserId, limit: int) -> list[GameRecord]:
        """The user's games, newest first (ties by room id)."""
        if limit <= 0:
            return []
        with _unavailable_on_error("for_user"):
            cursor = (self._games.find({"players.user_id": user_id}, {"_id": 0})
                      .sort([("finished_at", DESCENDING), ("room_id", ASCENDING)])
                      .limit(limit))
            docs = await cursor.to_list(length=limit)
        return [_record(doc) for doc in docs]

    async def get(self, room_id: RoomId) -> GameRecord | None:
        with _unavailable_on_error("get"):
            doc = await self._games.find_one({"_id": room_id}, {"_id": 0})
            if doc is None:  # perhaps written before _id was the room id
                doc = await self._games.find_one({"room_id": room_id}, {"_id": 0})
        return None if doc is None else _record(doc)

    async def ping(self) -> None:
        with _unavailable_on_error("ping"):
            await self._client.admin.command("ping")
