"""The authoritative room state, stored as JSON by every state adapter.

Frozen structs: the pure rules build a new room instead of mutating one, so a
lost compare-and-set can simply re-run them against the fresh state.
"""

from datetime import datetime

import msgspec

from blazing.games.bigger_dice.state import BiggerDiceState
from blazing.ids import RoomId, UserId
from blazing.protocol.models import GamePlayer, RoomStatus

# Union of every registered game's state struct (each has its own tag).
GameState = BiggerDiceState

ACTIVE = frozenset({RoomStatus.WAITING, RoomStatus.IN_PROGRESS})
APPLIED_IDS_KEPT = 64
CHAT_LINES_KEPT = 200


class Spectator(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UserId
    username: str
    avatar_id: int | None
    joined_at: datetime
    disconnected_until: datetime | None = None


class ChatLine(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UserId
    username: str
    text: str
    sent_at: datetime


class Room(msgspec.Struct, frozen=True, kw_only=True):
    room_id: RoomId
    room_name: str
    game_type: str
    status: RoomStatus
    host_id: UserId
    players: tuple[GamePlayer, ...]
    spectators: tuple[Spectator, ...] = ()
    current_turn: UserId | None = None
    turn_number: int = 0
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    winner_id: UserId | None = None
    max_players: int
    # Bookkeeping beyond the seed's fields.
    version: int = 0  # bumped on every write; the compare-and-set token
    seq: int = 0  # last room-event sequence number sent to members
    turn_deadline: datetime | None = None
    end_reason: str | None = None
    expires_at: datetime | None = None  # retention of an ended room
    archive_due: datetime | None = None  # history not yet written; retried until it is
    game_state: GameState | None = None
    chat: tuple[ChatLine, ...] = ()
    applied: tuple[str, ...] = ()  # recent command ids, for redelivery dedup

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def player(self, user_id: UserId) -> GamePlayer | None:
        return next((p for p in self.players if p.user_id == user_id), None)

    def spectator(self, user_id: UserId) -> Spectator | None:
        return next((s for s in self.spectators if s.user_id == user_id), None)

    def member_ids(self) -> list[UserId]:
        return [p.user_id for p in self.players] + [s.user_id for s in self.spectators]

    def player_ids(self) -> list[UserId]:
        return [p.user_id for p in self.players]

    def next_deadline(self) -> datetime | None:
        """The earliest timer this room needs fired, if any."""
        times = [p.disconnected_until for p in self.players if p.disconnected_until]
        times += [s.disconnected_until for s in self.spectators if s.disconnected_until]
        if self.status == RoomStatus.IN_PROGRESS and self.turn_deadline:
            times.append(self.turn_deadline)
        if self.archive_due:
            times.append(self.archive_due)
        elif self.expires_at:  # never expire a room whose history is not written yet
            times.append(self.expires_at)
        return min(times) if times else None


_room_encoder = msgspec.json.Encoder()
_room_decoder = msgspec.json.Decoder(Room)


def encode_room(room: Room) -> bytes:
    return _room_encoder.encode(room)


def decode_room(data: bytes | str) -> Room:
    return _room_decoder.decode(data)
