"""Server → client events (SPEC §3), one Struct per ``type``: the platform's own.

Room-scoped events carry ``room_id`` and the room's ``seq`` (monotonic from 1)
so a client can spot a gap and resync with ``rejoin_room``. ``seq`` is 0 on
copies sent to lobby watchers, which are not members of the room, and on events
only some members receive. The rules build room events without them; the room
layer stamps both when it emits (``rooms.tx``).

A game's events subclass :class:`GameEvent` in the game's own module; the union of
every event on the wire is assembled from the game registry (:mod:`blazing.codec`).
"""

from datetime import datetime
from typing import Any

import msgspec

from blazing.ids import RoomId, SocketId, UserId
from blazing.protocol.models import GamePlayer, GameRoom, RoomSummary, UserRef


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    pass


class RoomEvent(Event, frozen=True):
    room_id: RoomId = RoomId("")
    seq: int = 0


class GameEvent(RoomEvent, frozen=True):
    """A fact of a room's game; subclasses are tagged ``<game_type>.<fact>``."""


class Authenticated(Event, frozen=True, tag="authenticated"):
    user_id: UserId
    username: str
    avatar_id: int | None
    socket_id: SocketId


class Pong(Event, frozen=True, tag="pong"):
    server_time: datetime


class RoomList(Event, frozen=True, tag="room_list"):
    rooms: list[RoomSummary]


class RoomCreated(RoomEvent, frozen=True, kw_only=True, tag="room_created"):
    room_name: str
    game_type: str
    host_id: UserId
    host_username: str
    max_players: int  # extension: the seats of the table
    invite_code: str | None = None  # extension: the host's copy only


class RoomJoined(RoomEvent, frozen=True, kw_only=True, tag="room_joined"):
    room_name: str
    player: GamePlayer
    # Extension: set when this join took the last seat (the unready lose their seats
    # then), so the members already seated learn the deadline room_state carries.
    ready_deadline: datetime | None = None


class PlayerLeft(RoomEvent, frozen=True, kw_only=True, tag="player_left"):
    user_id: UserId
    username: str
    reason: str = "left"  # extension: "left", "not_ready" (the ready deadline) or "kicked"
    # Extension: when a game goes on without the player, its public view after that.
    game_state: Any = None


class PlayerKicked(RoomEvent, frozen=True, kw_only=True, tag="player_kicked"):
    """The host removed a player or spectator, who cannot come back."""

    user_id: UserId
    username: str


class SpectatingChanged(RoomEvent, frozen=True, kw_only=True, tag="spectating_changed"):
    allowed: bool


class MuteChanged(RoomEvent, frozen=True, kw_only=True, tag="mute_changed"):
    user_id: UserId
    username: str
    muted: bool


class RematchRequested(RoomEvent, frozen=True, kw_only=True, tag="rematch_requested"):
    user_id: UserId
    username: str
    waiting_for: list[UserId]  # players who have not asked yet


class RematchCancelled(RoomEvent, frozen=True, kw_only=True, tag="rematch_cancelled"):
    user_id: UserId
    username: str
    reason: str  # "left", "playing_elsewhere" or "name_taken"


class HostChanged(RoomEvent, frozen=True, kw_only=True, tag="host_changed"):
    """Extension: the host left a waiting room and another player took over."""

    host_id: UserId
    host_username: str


class PlayerRejoined(RoomEvent, frozen=True, kw_only=True, tag="player_rejoined"):
    user_id: UserId
    username: str


class PlayerDisconnected(RoomEvent, frozen=True, kw_only=True, tag="player_disconnected"):
    user_id: UserId
    username: str
    grace_seconds: float
    deadline: datetime


class PlayerReady(RoomEvent, frozen=True, kw_only=True, tag="player_ready"):
    user_id: UserId
    username: str


class RoomState(RoomEvent, frozen=True, kw_only=True, tag="room_state"):
    room: GameRoom


class RoomUpdated(RoomSummary, frozen=True, tag="room_updated", tag_field="type"):
    """Lobby update: the fields are those of RoomSummary."""


class RoomRemoved(Event, frozen=True, tag="room_removed"):
    room_id: RoomId


class SpectatorJoined(RoomEvent, frozen=True, kw_only=True, tag="spectator_joined"):
    user_id: UserId
    username: str


class SpectatorLeft(RoomEvent, frozen=True, kw_only=True, tag="spectator_left"):
    user_id: UserId
    username: str


class GameStarted(RoomEvent, frozen=True, kw_only=True, tag="game_started"):
    players: list[GamePlayer]
    first_turn: UserId
    game_state: Any = None  # extension: the new game's public view (what spectators see)


class TurnChanged(RoomEvent, frozen=True, kw_only=True, tag="turn_changed"):
    current_turn: UserId
    turn_number: int
    turn_deadline: datetime | None


class GameEnded(RoomEvent, frozen=True, kw_only=True, tag="game_ended"):
    winner_id: UserId | None
    winner_username: str | None
    final_scores: list[tuple[UserId, str, int]]
    reason: str  # won | forfeit | disconnected | abandoned


class ChatMessage(RoomEvent, frozen=True, kw_only=True, tag="chat_message"):
    user_id: UserId
    username: str
    text: str
    sent_at: datetime
    channel: str = "room"  # "spectators": only spectators receive it


class Error(Event, frozen=True, tag="error", omit_defaults=True):
    code: str
    message: str
    socket_id: SocketId
    request_id: str | None = None


# The platform's own events (games add theirs through the registry).
CORE_EVENTS: tuple[type[msgspec.Struct], ...] = (
    Authenticated, Pong, RoomList, RoomCreated, RoomJoined, PlayerLeft, HostChanged,
    PlayerRejoined, PlayerDisconnected, PlayerReady, RoomState, RoomUpdated, RoomRemoved,
    SpectatorJoined, SpectatorLeft, GameStarted, TurnChanged, GameEnded, ChatMessage, Error,
    PlayerKicked, SpectatingChanged, MuteChanged, RematchRequested, RematchCancelled,
)

__all__ = ["CORE_EVENTS", "UserRef"]
