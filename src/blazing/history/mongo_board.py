"""Leaderboards for the MongoDB adapter, served from memory and kept fresh by a feed.

A leaderboard is a sort of every rating of a game type. FerretDB v1 cannot serve a
sort or a range from an index (it reads and decodes the whole collection for every
such query), so each process that answers leaderboards keeps them in memory: loaded
once from ``ratings`` on first use, then followed through ``rating_feed``, where every
rating written is appended under a dense sequence number (``_id`` "feed:<n>", taken
by insert: the unique ``_id`` gives each writer its own number). Before answering, the
cache reads the entries after the last one it applied (one look-up by ``_id`` when
nothing changed), so a rating written before a request is on the board that answers
it, on every gateway. An entry only replaces an older revision of the same rating,
so feeding one twice, or out of order, changes nothing.

The feed keeps its last :data:`FEED_KEPT` entries; a cache that fell further behind
(idle while that many ratings were written) loads again.
"""

import asyncio
import bisect
import time
from collections.abc import Mapping
from typing import Any

import msgspec
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from blazing.errors import ServerFault
from blazing.history.mongo_docs import Document, put_by_id
from blazing.records.cursor import BoardCursor
from blazing.records.model import Rating

FEED_KEPT = 200_000
RELOAD_OVERLAP = 1_000  # entries read again after a load (a writer may lag its head)
HEAD_CHECK_SECONDS = 5.0
MAX_ATTEMPTS = 64


def rating_from(doc: Mapping[str, Any]) -> Rating:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    fields["user_id"] = int(fields["user_id"])  # bson.Int64 beyond 2**31
    return msgspec.convert(fields, Rating)


class Feed:
    """Every rating written, in order, under dense sequence numbers."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._feed = collection

    async def head(self) -> int:
        """About the last sequence number taken (a hint: it may lag a little)."""
        doc = await self._feed.find_one({"_id": "head"})
        return 0 if doc is None else int(doc["n"])

    async def append(self, rating: Rating) -> None:
        n = await self.head() + 1
        for _ in range(MAX_ATTEMPTS):
            try:
                await self._feed.insert_one({"_id": f"feed:{n}",
                                             "rating": msgspec.to_builtins(rating)})
            except DuplicateKeyError:
                n += 1  # taken by another writer (or the head lagged): the next one
                continue
            await put_by_id(self._feed, "head", {"n": n})
            if n > FEED_KEPT:
                await self._feed.delete_one({"_id": f"feed:{n - FEED_KEPT}"})
            return
        raise ServerFault("rating feed kept conflicting")

    async def entry(self, n: int) -> Rating | None:
        doc = await self._feed.find_one({"_id": f"feed:{n}"})
        return None if doc is None else rating_from(doc["rating"])


class _Board:
    """One game type's ratings, ordered by ordinal (highest first), then user id."""

    def __init__(self) -> None:
        self.keys: list[tuple[float, int]] = []
        self.ratings: dict[int, Rating] = {}

    def put(self, rating: Rating) -> None:
        old = self.ratings.get(rating.user_id)
        if old is not None:
            if old.rev >= rating.rev:
                return
            del self.keys[bisect.bisect_left(self.keys, (-old.ordinal, old.user_id))]
        bisect.insort(self.keys, (-rating.ordinal, rating.user_id))
        self.ratings[rating.user_id] = rating


class BoardCache:
    def __init__(self, ratings: AsyncCollection[Document], feed: Feed) -> None:
        self._ratings = ratings
        self._feed = feed
        self._boards: dict[str, _Board] = {}
        self._applied = -1  # last feed entry applied; -1: not loaded
        self._head_checked = 0.0
        self._lock = asyncio.Lock()

    async def page(self, game_type: str, limit: int,
                   after: BoardCursor | None) -> list[Rating]:
        board = await self._fresh(game_type)
        start = 0 if after is None else \
            bisect.bisect_right(board.keys, (-after.ordinal, after.user_id))
        return [board.ratings[user] for _, user in board.keys[start:start + limit]]

    async def rank(self, rating: Rating) -> int:
        board = await self._fresh(rating.game_type)
        mine = board.ratings.get(rating.user_id, rating)
        return bisect.bisect_left(board.keys, (-mine.ordinal, mine.user_id)) + 1

    async def _fresh(self, game_type: str) -> _Board:
        async with self._lock:
            now = time.monotonic()
            if self._applied >= 0 and now - self._head_checked > HEAD_CHECK_SECONDS:
                self._head_checked = now
                if await self._feed.head() - self._applied > FEED_KEPT - RELOAD_OVERLAP:
                    self._applied = -1  # fell behind what the feed keeps
            if self._applied < 0:
                await self._load()
            while (rating := await self._feed.entry(self._applied + 1)) is not None:
                self._board(rating.game_type).put(rating)
                self._applied += 1
            return self._board(game_type)

    async def _load(self) -> None:
        """Every rating (the one full read), then the feed from a little before the
        head seen first, so nothing written during the read is missed."""
        head = await self._feed.head()
        self._boards = {}
        async for doc in self._ratings.find({}):
            rating = rating_from(doc)
            self._board(rating.game_type).put(rating)
        self._applied = max(0, head - RELOAD_OVERLAP)
        self._head_checked = time.monotonic()

    def _board(self, game_type: str) -> _Board:
        return self._boards.setdefault(game_type, _Board())
