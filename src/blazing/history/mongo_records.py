"""The MongoDB side of players' records: collections beside ``game_history`` and the
records methods of :class:`~blazing.history.mongo.MongoHistory`.

Every read and write here is by ``_id`` (a scan only as a fallback and at a cache's
first load). FerretDB v1 on SQLite serves nothing else from an index: a filter other
than ``{_id: <string>}``, a sort, ``$in`` or ``$or`` reads and decodes the whole
collection in the proxy, which at a million games takes minutes. So the records keep
their own keyed structures instead of secondary indexes, and run unchanged on mongod:

- ``player_lines``: each player's game lines (game id, type, finish time, outcome,
  duration) as one document per version, ``_id`` "<user>:<n>", sorted by finish time,
  plus a hint ``_id`` "<user>" naming the latest version. A line is added by inserting
  version n + 1 (the unique ``_id`` lets one writer win; the other reads again), then
  moving the hint and deleting version n - 1. Stats and history lists read the latest
  version: the hint, the version it names, and one probe past it (a writer may have
  stopped before moving the hint).
- ``ratings``: one document per player per game type (``_id`` "<type>:<user>"), the
  current rating; ``rating_log``: every rating a player had, ``_id``
  "<type>:<user>:<rev>" with the game that made it; ``rating_updates``: the rating
  change of each rated game, ``_id`` the game id; ``rating_feed``: every rating
  written, in order (``_id`` "feed:<n>"), which leaderboards follow
  (:mod:`blazing.history.mongo_board`).

Exactly once without transactions (FerretDB v1 has none, and updates other than by
``_id`` are not atomic there): a game's update is computed once and stored with an
insert on its game id (a second writer gets a duplicate key and takes the stored one).
Then each player's rating moves by inserting revision ``rev + 1`` into the log; the
unique ``_id`` lets only one writer take a revision, and a writer that finds the game
already in the log after the revision the update was computed from stops. The
``ratings`` document is a view of the log's head, rewritten after each insert and
caught up by any reader that finds the log ahead of it (a writer killed in between);
the feed entry follows the view, and is written again by a retry.
"""

import asyncio
from datetime import datetime

import msgspec
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from blazing.errors import ServerFault
from blazing.games import registry
from blazing.history.base import GameRecord, player_games
from blazing.history.mongo_board import BoardCache, Feed, rating_from
from blazing.history.mongo_docs import Document, put_by_id
from blazing.ids import UserId
from blazing.records import ratings
from blazing.records.cursor import BoardCursor, HistoryCursor
from blazing.records.model import Outcome, PlayerGame, RatedGame, Rating, RatingChange, RatingUpdate

MAX_ATTEMPTS = 32


class Line(msgspec.Struct, frozen=True, array_like=True):
    """One line as stored: ``finished_at`` cut to milliseconds, as BSON dates (and so
    the game documents, which history cursors come from) hold it."""

    game_id: str
    game_type: str
    finished_at: datetime
    outcome: Outcome
    duration_seconds: float


_lines_encoder = msgspec.json.Encoder()
_lines_decoder = msgspec.json.Decoder(list[Line])


def line_of(line: PlayerGame) -> Line:
    at = line.finished_at
    return Line(line.game_id, line.game_type,
                at.replace(microsecond=at.microsecond // 1000 * 1000), line.outcome,
                line.duration_seconds)


def lines_document(user_id: int, version: int, lines: list[Line]) -> Document:
    """Version ``version`` of a player's lines (sorted by finish time). The lines are
    one JSON string, not an array of documents: FerretDB converts each nested
    document field by field, which made a busy player's lines take ~50 ms to read
    where a string takes ~2."""
    return {"_id": f"{user_id}:{version}", "user_id": user_id, "v": version,
            "lines": _lines_encoder.encode(lines).decode()}


def _rating_doc(rating: Rating) -> Document:
    return {"_id": f"{rating.game_type}:{rating.user_id}",
            **msgspec.to_builtins(rating)}


_rating = rating_from


def _update(doc: Document) -> RatingUpdate:
    doc.pop("_id", None)
    for change in doc["changes"]:
        change["user_id"] = int(change["user_id"])
    return msgspec.convert(doc, RatingUpdate, builtin_types=(datetime,))


class MongoRecords:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._lines: AsyncCollection[Document] = database["player_lines"]
        self._ratings: AsyncCollection[Document] = database["ratings"]
        self._log: AsyncCollection[Document] = database["rating_log"]
        self._updates: AsyncCollection[Document] = database["rating_updates"]
        self._feed = Feed(database["rating_feed"])
        self.board = BoardCache(self._ratings, self._feed)

    async def create_indexes(self) -> None:
        # For the fallback look-up of a player's latest lines (and mongod's sake):
        # everything else goes by _id.
        await self._lines.create_index([("user_id", ASCENDING), ("v", DESCENDING)],
                                       name="by_user")

    async def _latest(self, user_id: UserId) -> tuple[int, list[Line]]:
        """The latest version of the player's lines and its entries (0, [] if none)."""
        hint = await self._lines.find_one({"_id": str(user_id)})
        version = int(hint["v"]) if hint is not None else 0
        doc = None
        if version:
            doc = await self._lines.find_one({"_id": f"{user_id}:{version}"})
            if doc is None:  # the hint fell behind deleted versions: look it up
                found = await (self._lines.find({"user_id": user_id})
                               .sort([("v", DESCENDING)]).limit(1).to_list(1))
                doc = found[0] if found else None
                version = int(doc["v"]) if doc is not None else 0
        while True:  # a writer may have stopped before moving the hint
            newer = await self._lines.find_one({"_id": f"{user_id}:{version + 1}"})
            if newer is None:
                break
            doc, version = newer, version + 1
        return version, [] if doc is None else _lines_decoder.decode(doc["lines"])

    async def write_lines(self, game: GameRecord) -> None:
        for line in player_games(game):
            await self._add_line(line)

    async def _add_line(self, line: PlayerGame) -> None:
        user = line.user_id
        for _ in range(MAX_ATTEMPTS):
            version, entries = await self._latest(user)
            entry = line_of(line)
            if entry in entries:
                return  # recorded already
            kept = [e for e in entries if e.game_id != line.game_id]
            kept.append(entry)
            kept.sort(key=lambda e: (e.finished_at, e.game_id))
            try:
                await self._lines.insert_one(lines_document(user, version + 1, kept))
            except DuplicateKeyError:
                continue  # another writer added a line first: read again
            await put_by_id(self._lines, str(user), {"v": version + 1})
            if version > 1:
                await self._lines.delete_one({"_id": f"{user}:{version - 1}"})
            return
        raise ServerFault(f"lines of {user} kept conflicting")

    async def page_ids(self, user_id: UserId, limit: int, game_type: str | None,
                       after: HistoryCursor | None) -> list[str]:
        _, entries = await self._latest(user_id)
        ids = []
        for e in reversed(entries):  # newest first
            if game_type is not None and e.game_type != game_type:
                continue
            if after is not None and \
                    (e.finished_at, e.game_id) >= (after.finished_at, after.game_id):
                continue
            ids.append(e.game_id)
            if len(ids) == limit:
                break
        return ids

    async def lines_of(self, user_id: UserId) -> list[PlayerGame]:
        _, entries = await self._latest(user_id)
        return [PlayerGame(user_id=user_id, game_id=e.game_id, game_type=e.game_type,
                           finished_at=e.finished_at, outcome=e.outcome,
                           duration_seconds=e.duration_seconds) for e in entries]

    # --- ratings -------------------------------------------------------------------

    async def rate(self, game: RatedGame) -> RatingUpdate:
        update = await self._update_for(game)
        for change in update.changes:
            await self._apply(update, change)
        return update

    async def rating_update(self, game_id: str) -> RatingUpdate | None:
        doc = await self._updates.find_one({"_id": game_id})
        return None if doc is None else _update(doc)

    async def _update_for(self, game: RatedGame) -> RatingUpdate:
        """The game's update: the stored one, or computed now and stored first."""
        stored = await self.rating_update(game.game_id)
        if stored is not None:
            return stored
        current = {}
        for p in game.placements:
            rating = await self.current(game.game_type, p.user_id)
            if rating is not None:
                current[p.user_id] = rating
        update = ratings.rate(game, current)
        try:
            await self._updates.insert_one(
                {"_id": game.game_id, **msgspec.to_builtins(update, builtin_types=(datetime,))})
        except DuplicateKeyError:
            stored = await self.rating_update(game.game_id)
            if stored is None:
                raise ServerFault(f"rating update of {game.game_id} vanished") from None
            return stored
        return update

    async def current(self, game_type: str, user_id: UserId) -> Rating | None:
        """The head of the player's rating log (the view, caught up if it lags)."""
        doc = await self._ratings.find_one({"_id": f"{game_type}:{user_id}"})
        view = None if doc is None else _rating(doc)
        rating = view
        while True:
            rev = 0 if rating is None else rating.rev
            entry = await self._log.find_one({"_id": f"{game_type}:{user_id}:{rev + 1}"})
            if entry is None:
                break
            rating = _rating(entry["rating"])
        if rating is not None and rating is not view:
            await self._write_view(rating)
        return rating

    async def _apply(self, update: RatingUpdate, change: RatingChange) -> None:
        game_type, user = update.game_type, change.user_id
        for _ in range(MAX_ATTEMPTS):
            current = await self.current(game_type, user)
            rev = 0 if current is None else current.rev
            # Applied already? Then it sits in the log after the revision it was
            # computed from (usually one look-up, or none).
            for r in range(change.before_rev + 1, rev + 1):
                entry = await self._log.find_one({"_id": f"{game_type}:{user}:{r}"},
                                                 {"game_id": 1})
                if entry is not None and entry["game_id"] == update.game_id:
                    if current is not None and current.last_game == update.game_id:
                        # Its feed entry may be missing (a writer killed after the
                        # view): feeding a rating twice changes nothing.
                        await self._feed.append(current)
                    return
            base = current or ratings.new_rating(user, change.username, game_type)
            step = change if rev == change.before_rev else \
                ratings.rerate_one(update, user, base)
            new = ratings.applied(base, step, update.game_id)
            try:
                await self._log.insert_one({"_id": f"{game_type}:{user}:{new.rev}",
                                            "game_id": update.game_id,
                                            "rating": msgspec.to_builtins(new)})
            except DuplicateKeyError:
                continue  # another writer took this revision: look again
            await self._write_view(new)
            await self._feed.append(new)
            return
        raise ServerFault(f"rating of {user} in {update.game_id} kept conflicting")

    async def _write_view(self, rating: Rating) -> None:
        doc = _rating_doc(rating)
        await put_by_id(self._ratings, doc["_id"], doc)

    async def leaderboard(self, game_type: str, limit: int,
                          after: BoardCursor | None) -> list[Rating]:
        return await self.board.page(game_type, limit, after)

    async def ratings_of(self, user_id: UserId) -> list[Rating]:
        docs = await asyncio.gather(*(self._ratings.find_one({"_id": f"{t}:{user_id}"})
                                      for t in sorted(registry.GAMES)))
        return [_rating(doc) for doc in docs if doc is not None]

    async def rank(self, rating: Rating) -> int:
        return await self.board.rank(rating)
