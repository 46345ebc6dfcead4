"""The history port and the document it stores (SPEC §9, collection
``game_history``: one document per finished or abandoned game)."""

from datetime import datetime
from typing import Any, Protocol, Self

import msgspec

from blazing.games.record import MoveRecord
from blazing.ids import RoomId, UserId

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


class HistoryStore(Protocol):
    """Raises ``DependencyUnavailable`` when the backend cannot be reached."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def record(self, game: GameRecord) -> None:
        """Store a finished game; recording the same room again replaces it."""
        ...

    async def for_user(self, user_id: UserId, limit: int,
                       game_type: str | None = None) -> list[GameRecord]:
        """The user's games (of ``game_type``, if given), newest first. ``user_id`` must
        fit a signed 64-bit integer, as every stored id does (the HTTP API refuses others
        with 400)."""
        ...

    async def get(self, room_id: RoomId) -> GameRecord | None: ...

    async def ping(self) -> None: ...
