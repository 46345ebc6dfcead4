"""Client → server commands (SPEC §2), one Struct per ``type``: the platform's own.

Every command may carry ``user_id`` (checked against the token, never trusted)
and ``request_id`` (echoed on the error it causes). Unknown fields are ignored,
so the seed's clients that also send ``username``/``avatar_id`` keep working.

A game's moves subclass :class:`GameCommand` in the game's own module; the union of
every command on the wire is assembled from the game registry (:mod:`blazing.codec`).
"""

from typing import Annotated

import msgspec

RequestId = Annotated[str, msgspec.Meta(max_length=64)]
ClaimedUserId = int | str
RoomIdField = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# Raw lengths before trimming; codec.validate applies the trimmed limits.
RawName = Annotated[str, msgspec.Meta(max_length=256)]
RawText = Annotated[str, msgspec.Meta(max_length=2000)]


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
    game_type: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class CreateRoom(Command, frozen=True, tag="create_room"):
    game_type: Annotated[str, msgspec.Meta(max_length=64)]
    room_name: RawName
    # Seats; each game says which counts it takes (codec checks the range).
    max_players: Annotated[int, msgspec.Meta(ge=1, le=64)] | None = None
    username: str | None = None
    avatar_id: int | None = None


class JoinRoom(Command, frozen=True, tag="join_room"):
    room_name: RawName | None = None
    room_id: RoomIdField | None = None


class LeaveRoom(Command, frozen=True, tag="leave_room"):
    room_id: RoomIdField


class RejoinRoom(Command, frozen=True, tag="rejoin_room"):
    room_id: RoomIdField


class Ready(Command, frozen=True, tag="ready"):
    room_id: RoomIdField


class Spectate(Command, frozen=True, tag="spectate"):
    room_id: RoomIdField


class LeaveSpectate(Command, frozen=True, tag="leave_spectate"):
    room_id: RoomIdField


class ChatSend(Command, frozen=True, tag="chat_send"):
    room_id: RoomIdField
    text: RawText


# The platform's own commands (games add theirs through the registry).
CORE_COMMANDS: tuple[type[Command], ...] = (
    Auth, Ping, ListRooms, CreateRoom, JoinRoom, LeaveRoom, RejoinRoom, Ready, Spectate,
    LeaveSpectate, ChatSend,
)
