"""Server → client events (SPEC §3), one Struct per ``type``.

Room-scoped events carry ``room_id`` and the room's ``seq`` (monotonic from 1)
so a client can spot a gap and resync with ``rejoin_room``. ``seq`` is 0 on
copies sent to lobby watchers, which are not members of the room.
"""

from datetime import datetime

import msgspec

from blazing.ids import RoomId, SocketId, UserId
from blazing.protocol.models import GamePlayer, GameRoom, RoomSummary, UserRef


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    pass


class _RoomEvent(_Event, frozen=True):
    room_id: RoomId
    seq: int


class Authenticated(_Event, frozen=True, tag="authenticated"):
    user_id: UserId
    username: str
    avatar_id: int | None
    socket_id: SocketId


class Pong(_Event, frozen=True, tag="pong"):
    server_time: datetime


class RoomList(_Event, frozen=True, tag="room_list"):
    rooms: list[RoomSummary]


class RoomCreated(_RoomEvent, frozen=True, tag="room_created"):
    room_name: str
    game_type: str
    host_id: UserId
    host_username: str


class RoomJoined(_RoomEvent, frozen=True, tag="room_joined"):
    room_name: str
    player: GamePlayer


class PlayerLeft(_RoomEvent, frozen=True, tag="player_left"):
    user_id: UserId
    username: str


class HostChanged(_RoomEvent, frozen=True, tag="host_changed"):
    """Extension: the host left a waiting room and another player took over."""

    host_id: UserId
    host_username: str


class PlayerRejoined(_RoomEvent, frozen=True, tag="player_rejoined"):
    user_id: UserId
    username: str


class PlayerDisconnected(_RoomEvent, frozen=True, tag="player_disconnected"):
    user_id: UserId
    username: str
    grace_seconds: float
    deadline: datetime


class PlayerReady(_RoomEvent, frozen=True, tag="player_ready"):
    user_id: UserId
    username: str


class RoomState(_RoomEvent, frozen=True, tag="room_state"):
    room: GameRoom


class RoomUpdated(RoomSummary, frozen=True, tag="room_updated", tag_field="type"):
    """Lobby update: the fields are those of RoomSummary."""


class RoomRemoved(_Event, frozen=True, tag="room_removed"):
    room_id: RoomId


class SpectatorJoined(_RoomEvent, frozen=True, tag="spectator_joined"):
    user_id: UserId
    username: str


class SpectatorLeft(_RoomEvent, frozen=True, tag="spectator_left"):
    user_id: UserId
    username: str


class GameStarted(_RoomEvent, frozen=True, tag="game_started"):
    players: list[GamePlayer]
    first_turn: UserId


class TurnChanged(_RoomEvent, frozen=True, tag="turn_changed"):
    current_turn: UserId
    turn_number: int
    turn_deadline: datetime | None


class DiceRolled(_RoomEvent, frozen=True, tag="bigger_dice.rolled"):
    player_id: UserId
    player_username: str
    roll: int
    new_score: int
    auto: bool = False


class RoundResult(_RoomEvent, frozen=True, tag="bigger_dice.round_result"):
    round: int
    player1_id: UserId
    player1_roll: int
    player2_id: UserId
    player2_roll: int
    winner_id: UserId | None
    is_tie: bool


class GameEnded(_RoomEvent, frozen=True, tag="game_ended"):
    winner_id: UserId | None
    winner_username: str | None
    final_scores: list[tuple[UserId, str, int]]
    reason: str  # won | forfeit | disconnected | abandoned


class ChatMessage(_RoomEvent, frozen=True, tag="chat_message"):
    user_id: UserId
    username: str
    text: str
    sent_at: datetime


class Error(_Event, frozen=True, tag="error", omit_defaults=True):
    code: str
    message: str
    socket_id: SocketId
    request_id: str | None = None


ServerEvent = (
    Authenticated
    | Pong
    | RoomList
    | RoomCreated
    | RoomJoined
    | PlayerLeft
    | HostChanged
    | PlayerRejoined
    | PlayerDisconnected
    | PlayerReady
    | RoomState
    | RoomUpdated
    | RoomRemoved
    | SpectatorJoined
    | SpectatorLeft
    | GameStarted
    | TurnChanged
    | DiceRolled
    | RoundResult
    | GameEnded
    | ChatMessage
    | Error
)

SERVER_TYPES: frozenset[str] = frozenset(
    str(cls.__struct_config__.tag) for cls in ServerEvent.__args__
)

__all__ = ["SERVER_TYPES", "ServerEvent", "UserRef"]
