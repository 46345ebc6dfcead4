"""The records HTTP API (public: readable without a token), registered by
:func:`add_routes`:

- ``GET /api/games/history?user_id=&game_type=&limit=&cursor=``: a player's games,
  newest first, one page at a time;
- ``GET /api/games/history/{id}``: one game by game id (or, for old links, a room id:
  the room's latest game);
- ``GET /api/games/{game_id}/replay``: every step of a game rebuilt through its rules;
- ``GET /api/players/{user_id}/stats``: counts, streaks, game time and ratings;
- ``GET /api/players/{user_id}/rating?game_type=``: one rating and its rank;
- ``GET /api/leaderboard?game_type=&limit=&cursor=``: ratings by ordinal.

Every list pages by cursor (``cursor`` in, ``next_cursor`` out, null on the last
page). A parameter out of range or malformed is a 400 with ``{"error": reason}``,
never clamped; a store that cannot be reached is a 503. docs/protocol.md describes
every response.
"""

import re
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from blazing.errors import DependencyUnavailable
from blazing.games import registry
from blazing.history.base import HistoryStore
from blazing.ids import UserId
from blazing.records import cursor, ratings, stats
from blazing.records.cursor import BadCursor, BoardCursor, HistoryCursor
from blazing.records.model import Rating
from blazing.records.replays import NotReplayable, replay_document

LIMIT_MAX = 100
DEFAULT_LIMIT = 20
USER_ID_MAX = 2**63 - 1  # what every store can hold
# A game id is "<room id>.<game number>"; a room id (old links, old records) has no dot.
GAME_ID = re.compile(r"[A-Za-z0-9_-]{1,64}(\.[1-9][0-9]{0,8})?")

Handler = Callable[[web.Request], Awaitable[web.Response]]


class BadRequest(Exception):
    """A parameter the client got wrong; the message names it."""


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=msgspec.json.encode(data), status=status,
                        content_type="application/json")


def _user_id(text: str | None, name: str = "user_id") -> UserId:
    if text is None:
        raise BadRequest(f"{name} is required")
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= USER_ID_MAX:
        raise BadRequest(f"{name} must be an integer from 1 to {USER_ID_MAX}")
    return UserId(int(text))


def _limit(request: web.Request) -> int:
    text = request.query.get("limit", str(DEFAULT_LIMIT))
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= LIMIT_MAX:
        raise BadRequest(f"limit must be an integer from 1 to {LIMIT_MAX}")
    return int(text)


def _game_type(request: web.Request, *, required: bool) -> str | None:
    game_type = request.query.get("game_type")
    if game_type is None:
        if required:
            raise BadRequest("game_type is required")
        return None
    if registry.get(game_type) is None:
        raise BadRequest(f"unknown game_type {game_type[:40]!r}")
    return game_type


def _game_id(request: web.Request, name: str) -> str:
    text = request.match_info[name]
    if GAME_ID.fullmatch(text) is None:
        raise BadRequest(f"{name} is not a game id (<room id>.<number>) or room id")
    return text


def _cursor(request: web.Request, kind: type[Any]) -> Any:
    text = request.query.get("cursor")
    if text is None:
        return None
    try:
        return cursor.decode(text, kind)
    except BadCursor as exc:
        raise BadRequest(str(exc)) from None


def _guarded(handler: Handler) -> Handler:
    """Map a client mistake to 400 and an unreachable store to 503."""

    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except BadRequest as exc:
            return _json({"error": str(exc)}, 400)
        except DependencyUnavailable:
            return _json({"error": "history is unavailable"}, 503)

    return guarded


def _rating(rating: Rating, rank: int | None) -> dict[str, Any]:
    return {"user_id": rating.user_id, "username": rating.username,
            "game_type": rating.game_type, "rated": rank is not None, "rank": rank,
            "mu": rating.mu, "sigma": rating.sigma, "ordinal": rating.ordinal,
            "games": rating.games}


def add_routes(app: web.Application, history: HistoryStore) -> None:
    async def history_list(request: web.Request) -> web.Response:
        user_id = _user_id(request.query.get("user_id"))
        limit = _limit(request)
        game_type = _game_type(request, required=False)
        after: HistoryCursor | None = _cursor(request, HistoryCursor)
        games = await history.games_page(user_id, limit + 1, game_type, after)
        more = len(games) > limit
        games = games[:limit]
        next_cursor = cursor.encode(HistoryCursor(games[-1].finished_at, games[-1].key)) \
            if more else None
        return _json({"games": games, "next_cursor": next_cursor})

    async def history_game(request: web.Request) -> web.Response:
        game = await history.get(_game_id(request, "id"))
        if game is None:
            return _json({"error": "no finished game with that id"}, 404)
        return _json(game)

    async def game_replay(request: web.Request) -> web.Response:
        game_id = _game_id(request, "game_id")
        game = await history.get(game_id)
        if game is None:
            return _json({"error": "no finished game with that id"}, 404)
        try:
            return _json(replay_document(game))
        except NotReplayable as exc:
            return _json({"error": exc.reason, "replayable": False, "game_id": game.key},
                         exc.status)

    async def player_stats(request: web.Request) -> web.Response:
        user_id = _user_id(request.match_info["user_id"])
        counted = stats.player_stats(await history.player_games(user_id))
        rated = {}
        for rating in await history.ratings_of(user_id):
            rated[rating.game_type] = _rating(rating, await history.rank(rating))
        return _json({"user_id": user_id, **msgspec.to_builtins(counted), "ratings": rated})

    async def player_rating(request: web.Request) -> web.Response:
        user_id = _user_id(request.match_info["user_id"])
        game_type = _game_type(request, required=True)
        assert game_type is not None
        mine = next((r for r in await history.ratings_of(user_id)
                     if r.game_type == game_type), None)
        if mine is None:
            return _json(_rating(ratings.new_rating(user_id, "", game_type), None))
        return _json(_rating(mine, await history.rank(mine)))

    async def leaderboard(request: web.Request) -> web.Response:
        game_type = _game_type(request, required=True)
        assert game_type is not None
        limit = _limit(request)
        after: BoardCursor | None = _cursor(request, BoardCursor)
        rows = await history.leaderboard(game_type, limit + 1, after)
        first = 1 if after is None else after.position + 1
        players = [{"rank": first + i, "user_id": r.user_id, "username": r.username,
                    "mu": r.mu, "sigma": r.sigma, "ordinal": r.ordinal, "games": r.games}
                   for i, r in enumerate(rows[:limit])]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = cursor.encode(BoardCursor(last.ordinal, last.user_id,
                                                    first + limit - 1))
        return _json({"game_type": game_type, "players": players, "next_cursor": next_cursor})

    for path, handler in (
        ("/api/games/history", history_list),
        ("/api/games/history/{id}", history_game),
        ("/api/games/{game_id}/replay", game_replay),
        ("/api/players/{user_id}/stats", player_stats),
        ("/api/players/{user_id}/rating", player_rating),
        ("/api/leaderboard", leaderboard),
    ):
        app.router.add_get(path, _guarded(handler))
