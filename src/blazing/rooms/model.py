"""The authoritative room state, stored as JSON by every state adapter.

A room's two logs, the current game's ``moves`` and its ``chat``, grow with play;
stores keep them apart from the room's document (appended to, never rewritten), so
a command reads and writes a document of bounded size. A room loaded without them
(:meth:`~blazing.state.base.RoomStore.load` with ``logs=False``, the path of every
move) has them empty; the rules only ever append to them, and
:func:`~blazing.state.base.plan_commit` turns what they appended into the appends.

Frozen structs: the pure rules build a new room instead of mutating one, so a
lost compare-and-set can simply re-run them against the fresh state.

The room knows no game: ``game_state`` is the running game's own tagged struct,
kept encoded and decoded through the game registry by the room rules.
"""

import base64
import hashlib
from datetime import datetime

import msgspec

from blazing.games.record import MoveRecord
from blazing.ids import RoomId, UserId
from blazing.protocol.models import GamePlayer, RoomStatus

NO_GAME = msgspec.Raw(b"null")  # ``game_state`` before the game starts (a Raw has no None)
ROOM_CHANNEL, SPECTATOR_CHANNEL = "room", "spectators"
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
    channel: str = ROOM_CHANNEL  # players write ROOM_CHANNEL, spectators theirs


class Room(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    # First, so a store's script reads the compare-and-set token at the start of the
    # document rather than parsing all of it (omitted while 0: a room not yet written).
    version: int = 0  # bumped on every write; the compare-and-set token
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
    seq: int = 0  # last room-event sequence number sent to members
    turn_deadline: datetime | None = None
    end_reason: str | None = None
    expires_at: datetime | None = None  # retention of an ended room
    archive_due: datetime | None = None  # history not yet written; retried until it is
    game_state: msgspec.Raw = NO_GAME  # the game's state struct, as JSON
    games: int = 0  # games started in this room (the current one's number)
    setup_draws: tuple[int, ...] = ()  # randomness the current game's setup drew
    moves: tuple[MoveRecord, ...] = ()  # the current game's course, for history/replay
    # Playing with friends.
    visibility: str = "public"  # "private": never listed, joined with the invite code
    password_hash: str | None = None  # never sent anywhere
    invite_code: str | None = None  # shown to the host only
    quick: bool = False  # opened by quick play
    kicked: tuple[UserId, ...] = ()  # may not come back while the room lives
    muted: tuple[UserId, ...] = ()
    spectators_open: bool = True
    ready_deadline: datetime | None = None  # all seats taken: the unready lose theirs then
    rematch: tuple[UserId, ...] = ()  # players of the ended game who asked for another
    rematch_open: bool = True  # False once one of them left: no rematch in this room
    chat: tuple[ChatLine, ...] = ()
    # True once the store keeps ``moves`` and ``chat`` apart from this document; a
    # document written before that holds them itself (its next commit moves them).
    logs_apart: bool = False
    applied: tuple[str, ...] = ()  # tokens of recent command ids, for redelivery dedup

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def applied_command(self, command_id: str) -> bool:
        """Whether the room remembers applying ``command_id`` (its token, or the whole
        id as rooms stored before tokens kept it)."""
        return command_token(command_id) in self.applied or command_id in self.applied

    def player(self, user_id: UserId) -> GamePlayer | None:
        return next((p for p in self.players if p.user_id == user_id), None)

    def spectator(self, user_id: UserId) -> Spectator | None:
        return next((s for s in self.spectators if s.user_id == user_id), None)

    def member_ids(self) -> list[UserId]:
        """Who receives the room's events: players still in the game, and spectators."""
        return [p.user_id for p in self.players if not p.left] + \
            [s.user_id for s in self.spectators]

    def player_ids(self) -> list[UserId]:
        """The seated players still in the game (not those who left it mid-game)."""
        return [p.user_id for p in self.players if not p.left]

    @property
    def listed(self) -> bool:
        """Shown in lobbies and joinable by name (private rooms are neither)."""
        return self.visibility == "public"

    @property
    def open_table(self) -> bool:
        """Quick play may seat a stranger here: public, no password, waiting, a free
        seat."""
        return (self.listed and self.password_hash is None
                and self.status == RoomStatus.WAITING and len(self.players) < self.max_players)

    def next_deadline(self) -> datetime | None:
        """The earliest timer this room needs fired, if any."""
        times = [p.disconnected_until for p in self.players
                 if p.disconnected_until and not p.left]
        times += [s.disconnected_until for s in self.spectators if s.disconnected_until]
        if self.status == RoomStatus.IN_PROGRESS and self.turn_deadline:
            times.append(self.turn_deadline)
        if self.status == RoomStatus.WAITING and self.ready_deadline:
            times.append(self.ready_deadline)
        if self.archive_due:
            times.append(self.archive_due)
        elif self.expires_at:  # never expire a room whose history is not written yet
            times.append(self.expires_at)
        return min(times) if times else None


def command_token(command_id: str) -> str:
    """A short stand-in for a command id in ``applied``: 48 bits of its BLAKE2b digest.
    Two of a room's last :data:`APPLIED_IDS_KEPT` commands share one with a chance
    of about 1 in 10^11, and ids are up to 60 characters long (``tick:room_…:N``)."""
    digest = hashlib.blake2b(command_id.encode(), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode()


def without_logs(room: Room) -> Room:
    """The room's document: the room without its moves and chat (kept apart)."""
    if not room.moves and not room.chat and room.logs_apart:
        return room
    return msgspec.structs.replace(room, moves=(), chat=(), logs_apart=True)


_room_encoder = msgspec.json.Encoder()
_room_decoder = msgspec.json.Decoder(Room)


def encode_room(room: Room) -> bytes:
    return _room_encoder.encode(room)


def decode_room(data: bytes | str) -> Room:
    return _room_decoder.decode(data)
