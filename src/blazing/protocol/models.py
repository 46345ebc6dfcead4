"""Data types shared by several wire messages (SPEC §3, the seed's data types)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from blazing.ids import RoomId, UserId


class RoomStatus(StrEnum):
    WAITING = "waiting"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    ABANDONED = "abandoned"


class GamePlayer(msgspec.Struct, frozen=True, kw_only=True):
    """A seated player as the seed defines it, plus the connection extension."""

    user_id: UserId
    username: str
    avatar_id: int | None
    score: int
    is_ready: bool
    joined_at: datetime
    # Extension: set while the player's grace period after a drop runs.
    disconnected_until: datetime | None = None
    # Extension: left a game in progress that goes on without them (3+ players); their
    # seat and score stay, they no longer play.
    left: bool = False


class UserRef(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UserId
    username: str


class ChatEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A chat line as a client sees it in ``room_state.chat``."""

    user_id: UserId
    username: str
    text: str
    sent_at: datetime
    channel: str  # "room": everyone reads it; "spectators": the spectators' own


class GameRoom(msgspec.Struct, frozen=True, kw_only=True):
    """The full room as sent in ``room_state``: the seed's fields plus extensions."""

    room_id: RoomId
    room_name: str
    game_type: str
    status: RoomStatus
    host_id: UserId
    players: list[GamePlayer]
    spectators: list[UserId]
    current_turn: UserId | None
    turn_number: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    winner_id: UserId | None
    # Extensions (SPEC §3).
    seq: int
    max_players: int
    turn_deadline: datetime | None
    spectator_users: list[UserRef]
    end_reason: str | None
    game_state: Any  # the game's view for this viewer (e.g. bigger_dice rounds)
    visibility: str = "public"
    has_password: bool = False
    invite_code: str | None = None  # the host's copy only
    spectators_open: bool = True
    ready_deadline: datetime | None = None  # seats of the unready are freed then
    rematch: list[UserId] = []  # players who asked for a rematch of the ended game
    rematch_open: bool = True  # False once a player left the ended game
    muted: list[UserId] = []
    chat: list[ChatEntry] = []  # recent lines this viewer may read, oldest first


class RoomSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One lobby row."""

    room_id: RoomId
    room_name: str
    game_type: str
    status: RoomStatus
    host_id: UserId
    host_username: str
    players: list[UserRef]
    player_count: int
    max_players: int
    spectator_count: int
    created_at: datetime
    has_password: bool = False  # the lobby shows a lock
    spectators_open: bool = True
