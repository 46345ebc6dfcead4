"""The history port and the document it stores (SPEC §9, collection
``game_history``: one document per finished or abandoned game)."""

from datetime import datetime
from typing import Any, Protocol, Self

import msgspec

from blazing.games.record import MoveRecord
from blazing.ids import RoomId, UserId
from blazing.records.cursor import BoardCursor, HistoryCursor
from blazing.records.model import PlayerGame, RatedGame, Rating, RatingUpdate

RECORD_VERSION = 2  # 2: game_id, seats, setup_draws and moves (a replayable record)


class PlayerResult(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UserId
    username: str
    final_score: int
    is_winner: bool


class ChatEntry(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UserId
    username: str
    text: str
    sent_at: datetime


class GameRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One finished game. Records written before version 2 have no ``game_id``
    (their room id stands for it), ``moves`` or ``setup_draws``: they read, but do not
    replay."""

    room_id: RoomId
    room_name: str
    game_type: str
    players: list[PlayerResult]
    winner_id: UserId | None
    reason: str
    rounds: list[dict[str, Any]]
    chat: list[ChatEntry]
    started_at: datetime | None
    finished_at: datetime
    duration_seconds: float
    game_id: str = ""  # "<room id>.<game number in the room>"
    seats: int = 0  # the table's seats (the game's only option today)
    setup_draws: list[int] = []
    moves: list[MoveRecord] = []
    version: int = 1

    @property
    def key(self) -> str:
        """The record's id: ``game_id``, or the room id of a record before version 2."""
        return self.game_id or self.room_id


def player_games(game: GameRecord) -> list[PlayerGame]:
    """Each player's line of ``game`` (what stats and history lists are served from)."""
    return [PlayerGame(user_id=p.user_id, game_id=game.key, game_type=game.game_type,
                       finished_at=game.finished_at,
                       outcome="abandoned" if game.winner_id is None
                       else "won" if p.user_id == game.winner_id else "lost",
                       duration_seconds=game.duration_seconds)
               for p in game.players]


class HistoryStore(Protocol):
    """Raises ``DependencyUnavailable`` when the backend cannot be reached."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def record(self, game: GameRecord) -> None:
        """Store a finished game under its key (``game_id``; the room id of a record
        before version 2) with its players' lines; recording it again replaces it."""
        ...

    async def for_user(self, user_id: UserId, limit: int,
                       game_type: str | None = None) -> list[GameRecord]:
        """The user's games (of ``game_type``, if given), newest first. ``user_id`` must
        fit a signed 64-bit integer, as every stored id does (the HTTP API refuses others
        with 400)."""
        ...

    async def get(self, game_or_room_id: str) -> GameRecord | None:
        """The game with that key or, for a room id, the room's latest game."""
        ...

    async def games_page(self, user_id: UserId, limit: int, game_type: str | None = None,
                         after: HistoryCursor | None = None) -> list[GameRecord]:
        """Up to ``limit`` of the user's games, newest first (ties: greater game id
        first), starting after ``after``."""
        ...

    async def player_games(self, user_id: UserId) -> list[PlayerGame]:
        """Every game line of the user, in no particular order."""
        ...

    async def rate(self, game: RatedGame) -> RatingUpdate:
        """Apply ``game`` to its players' ratings exactly once, however often and in
        whatever order games are delivered (idempotent on ``game.game_id``); returns
        the update as stored (the first delivery's)."""
        ...

    async def rating_update(self, game_id: str) -> RatingUpdate | None:
        """The rating change a game made, once it was rated."""
        ...

    async def leaderboard(self, game_type: str, limit: int,
                          after: BoardCursor | None = None) -> list[Rating]:
        """Up to ``limit`` ratings of ``game_type`` by ordinal (highest first; ties by
        lower user id), starting after ``after``."""
        ...

    async def ratings_of(self, user_id: UserId) -> list[Rating]:
        """The user's rating in every game type they were rated in."""
        ...

    async def rank(self, rating: Rating) -> int:
        """``rating``'s 1-based position on its game type's leaderboard."""
        ...

    async def ping(self) -> None: ...
