"""Client → server commands (SPEC §2), one Struct per ``type``: the platform's own.

Every command may carry ``user_id`` (checked against the token, never trusted)
and ``request_id`` (echoed on the error it causes). Unknown fields are ignored,
so the seed's clients that also send ``username``/``avatar_id`` keep working.

A game's moves subclass :class:`GameCommand` in the game's own module; the union of
every command on the wire is assembled from the game registry (:mod:`blazing.codec`).
"""

from typing import Annotated, Literal

import msgspec

RequestId = Annotated[str, msgspec.Meta(max_length=64)]
ClaimedUserId = int | str
RoomIdField = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# Raw lengths before trimming; codec.validate applies the trimmed limits.
RawName = Annotated[str, msgspec.Meta(max_length=256)]
RawText = Annotated[str, msgspec.Meta(max_length=2000)]
Visibility = Literal["public", "private"]
# A room password as typed (not trimmed); only its hash is kept.
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
InviteCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
TargetUserId = Annotated[int, msgspec.Meta(gt=0, le=2**63 - 1)]
GameType = Annotated[str, msgspec.Meta(max_length=64)]
Seats = Annotated[int, msgspec.Meta(ge=1, le=64)]


class Command(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    user_id: ClaimedUserId | None = None
    request_id: RequestId | None = None


class GameCommand(Command, frozen=True):
    """A move in a room's game; subclasses are tagged ``<game_type>.<verb>``."""

    room_id: RoomIdField


class Auth(Command, frozen=True, tag="auth"):
    username: str | None = None
    avatar_id: int | None = None
    token: Annotated[str, msgspec.Meta(max_length=8192)] | None = None


class Ping(Command, frozen=True, tag="ping"):
    pass


class ListRooms(Command, frozen=True, tag="list_rooms"):
    game_type: GameType | None = None
    free_seat: bool = False  # only rooms with a seat to take


class CreateRoom(Command, frozen=True, tag="create_room"):
    game_type: GameType
    room_name: RawName
    # Seats; each game says which counts it takes (the rules check the range).
    max_players: Seats | None = None
    visibility: Visibility = "public"  # private: never listed, joined by invite code
    password: Password | None = None
    username: str | None = None
    avatar_id: int | None = None


class JoinRoom(Command, frozen=True, tag="join_room"):
    """By ``room_name`` (public rooms), ``room_id`` or ``invite_code``."""

    room_name: RawName | None = None
    room_id: RoomIdField | None = None
    invite_code: InviteCode | None = None
    password: Password | None = None


class LeaveRoom(Command, frozen=True, tag="leave_room"):
    room_id: RoomIdField


class RejoinRoom(Command, frozen=True, tag="rejoin_room"):
    room_id: RoomIdField


class Ready(Command, frozen=True, tag="ready"):
    room_id: RoomIdField


class Spectate(Command, frozen=True, tag="spectate"):
    room_id: RoomIdField
    invite_code: InviteCode | None = None  # a private room's
    password: Password | None = None


class LeaveSpectate(Command, frozen=True, tag="leave_spectate"):
    room_id: RoomIdField


class ChatSend(Command, frozen=True, tag="chat_send"):
    room_id: RoomIdField
    text: RawText


class QuickPlay(Command, frozen=True, tag="quick_play"):
    """Seat me at the oldest open public table of this kind, or open one."""

    game_type: GameType
    max_players: Seats | None = None


class QuickPlayCancel(Command, frozen=True, tag="quick_play_cancel"):
    """Leave the table quick play seated me at, while it waits for players."""


class Rematch(Command, frozen=True, tag="rematch"):
    room_id: RoomIdField


class Kick(Command, frozen=True, tag="kick"):
    room_id: RoomIdField
    target_user_id: TargetUserId


class RenewInvite(Command, frozen=True, tag="renew_invite"):
    room_id: RoomIdField


class SetSpectating(Command, frozen=True, tag="set_spectating"):
    """The host opens or closes the room to new spectators."""

    room_id: RoomIdField
    allowed: bool


class Mute(Command, frozen=True, tag="mute"):
    """The host mutes (or unmutes) a user in the room's chat."""

    room_id: RoomIdField
    target_user_id: TargetUserId
    muted: bool = True


# The platform's own commands (games add theirs through the registry).
CORE_COMMANDS: tuple[type[Command], ...] = (
    Auth, Ping, ListRooms, CreateRoom, JoinRoom, LeaveRoom, RejoinRoom, Ready, Spectate,
    LeaveSpectate, ChatSend, QuickPlay, QuickPlayCancel, Rematch, Kick, RenewInvite,
    SetSpectating, Mute,
)
