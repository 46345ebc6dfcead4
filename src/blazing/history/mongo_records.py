"""The MongoDB side of players' records: collections beside ``game_history`` and the
records methods of :class:`~blazing.history.mongo.MongoHistory`.

- ``player_games``: one line per player per game (``_id`` "<user>:<game id>"), indexed
  by (user, finished_at, game id) with and without the game type: history lists and
  stats.
- ``ratings``: one document per player per game type (``_id`` "<type>:<user>"), the
  current rating, indexed by (game type, ordinal desc, user) for leaderboards.
- ``rating_log``: every rating a player had, ``_id`` "<type>:<user>:<rev>" with the game
  that made it. Inserting the next revision is the write that counts.
- ``rating_updates``: the rating change of each rated game, ``_id`` the game id.

Exactly once without transactions (FerretDB v1 has none, and updates other than by
``_id`` are not atomic there): a game's update is computed once and stored with an
insert on its game id (a second writer gets a duplicate key and takes the stored one).
Then each player's rating moves by inserting revision ``rev + 1`` into the log; the
unique ``_id`` lets only one writer take a revision, and a writer that finds the game
already in the log after the revision the update was computed from stops. The
``ratings`` document is a view of the log's head, rewritten after each insert and
caught up by any reader that finds the log ahead of it (a writer killed in between).
Every read and write here is by ``_id`` except the indexed list queries.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec
from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from blazing.errors import ServerFault
from blazing.history.base import GameRecord, player_games
from blazing.ids import UserId
from blazing.records import ratings
from blazing.records.cursor import BoardCursor, HistoryCursor
from blazing.records.model import PlayerGame, RatedGame, Rating, RatingChange, RatingUpdate

Document = dict[str, Any]
MAX_ATTEMPTS = 32


def _line_doc(line: PlayerGame) -> Document:
    return {"_id": f"{line.user_id}:{line.game_id}", "user_id": line.user_id,
            "game_id": line.game_id, "game_type": line.game_type,
            "finished_at": line.finished_at, "outcome": line.outcome,
            "duration_seconds": line.duration_seconds}


def _line(doc: Document) -> PlayerGame:
    return PlayerGame(user_id=UserId(int(doc["user_id"])), game_id=str(doc["game_id"]),
                      game_type=str(doc["game_type"]), finished_at=doc["finished_at"],
                      outcome=doc["outcome"], duration_seconds=float(doc["duration_seconds"]))


def _rating_doc(rating: Rating) -> Document:
    return {"_id": f"{rating.game_type}:{rating.user_id}",
            **msgspec.to_builtins(rating)}


def _rating(doc: Mapping[str, Any]) -> Rating:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    fields["user_id"] = int(fields["user_id"])  # bson.Int64 beyond 2**31
    return msgspec.convert(fields, Rating)


def _update(doc: Document) -> RatingUpdate:
    doc.pop("_id", None)
    for change in doc["changes"]:
        change["user_id"] = int(change["user_id"])
    return msgspec.convert(doc, RatingUpdate, builtin_types=(datetime,))


class MongoRecords:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._lines: AsyncCollection[Document] = database["player_games"]
        self._ratings: AsyncCollection[Document] = database["ratings"]
        self._log: AsyncCollection[Document] = database["rating_log"]
        self._updates: AsyncCollection[Document] = database["rating_updates"]

    async def create_indexes(self) -> None:
        await self._lines.create_index(
            [("user_id", ASCENDING), ("finished_at", DESCENDING), ("game_id", DESCENDING)],
            name="by_time")
        await self._lines.create_index(
            [("user_id", ASCENDING), ("game_type", ASCENDING), ("finished_at", DESCENDING),
             ("game_id", DESCENDING)], name="by_type")
        await self._ratings.create_index(
            [("game_type", ASCENDING), ("ordinal", DESCENDING), ("user_id", ASCENDING)],
            name="board")
        await self._ratings.create_index([("user_id", ASCENDING)], name="by_user")

    async def write_lines(self, game: GameRecord) -> None:
        docs = [_line_doc(line) for line in player_games(game)]
        if docs:
            await self._lines.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                                          for d in docs], ordered=False)

    async def page_ids(self, user_id: UserId, limit: int, game_type: str | None,
                       after: HistoryCursor | None) -> list[str]:
        query: Document = {"user_id": user_id}
        if game_type is not None:
            query["game_type"] = game_type
        if after is not None:
            query["$or"] = [{"finished_at": {"$lt": after.finished_at}},
                            {"finished_at": after.finished_at,
                             "game_id": {"$lt": after.game_id}}]
        cursor = (self._lines.find(query, {"game_id": 1})
                  .sort([("finished_at", DESCENDING), ("game_id", DESCENDING)]).limit(limit))
        return [str(doc["game_id"]) for doc in await cursor.to_list(length=limit)]

    async def lines_of(self, user_id: UserId) -> list[PlayerGame]:
        docs = await self._lines.find({"user_id": user_id}).to_list(length=None)
        return [_line(doc) for doc in docs]

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
            return
        raise ServerFault(f"rating of {user} in {update.game_id} kept conflicting")

    async def _write_view(self, rating: Rating) -> None:
        doc = _rating_doc(rating)
        try:
            await self._ratings.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        except DuplicateKeyError:  # two first upserts raced: now it exists
            await self._ratings.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def leaderboard(self, game_type: str, limit: int,
                          after: BoardCursor | None) -> list[Rating]:
        query: Document = {"game_type": game_type}
        if after is not None:
            query["$or"] = [{"ordinal": {"$lt": after.ordinal}},
                            {"ordinal": after.ordinal, "user_id": {"$gt": after.user_id}}]
        cursor = (self._ratings.find(query)
                  .sort([("ordinal", DESCENDING), ("user_id", ASCENDING)]).limit(limit))
        return [_rating(doc) for doc in await cursor.to_list(length=limit)]

    async def ratings_of(self, user_id: UserId) -> list[Rating]:
        docs = await self._ratings.find({"user_id": user_id}).to_list(length=None)
        return sorted((_rating(doc) for doc in docs), key=lambda r: r.game_type)

    async def rank(self, rating: Rating) -> int:
        above = await self._ratings.count_documents({
            "game_type": rating.game_type,
            "$or": [{"ordinal": {"$gt": rating.ordinal}},
                    {"ordinal": rating.ordinal, "user_id": {"$lt": rating.user_id}}]})
        return above + 1
