"""Client → server commands (SPEC §2), one Struct per ``type``.

Every command may carry ``user_id`` (checked against the token, never trusted)
and ``request_id`` (echoed on the error it causes). Unknown fields are ignored,
so the seed's clients that also send ``username``/``avatar_id`` keep working.
"""

from typing import Annotated

import msgspec

RequestId = Annotated[str, msgspec.Meta(max_length=64)]
ClaimedUserId = int | str
RoomIdField = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# Raw lengths before trimming; codec.validate applies the trimmed limits.
RawName = Annotated[str, msgspec.Meta(max_length=256)]
RawText = Annotated[str, msgspec.Meta(max_length=2000)]


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    user_id: ClaimedUserId | None = None
    request_id: RequestId | None = None


class Auth(_Command, frozen=True, tag="auth"):
    username: str | None = None
    avatar_id: int | None = None
    token: Annotated[str, msgspec.Meta(max_length=8192)] | None = None


class Ping(_Command, frozen=True, tag="ping"):
    pass


class ListRooms(_Command, frozen=True, tag="list_rooms"):
    game_type: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class CreateRoom(_Command, frozen=True, tag="create_room"):
    game_type: Annotated[str, msgspec.Meta(max_length=64)]
    room_name: RawName
    username: str | None = None
    avatar_id: int | None = None


class JoinRoom(_Command, frozen=True, tag="join_room"):
    room_name: RawName | None = None
    room_id: RoomIdField | None = None


class LeaveRoom(_Command, frozen=True, tag="leave_room"):
    room_id: RoomIdField


class RejoinRoom(_Command, frozen=True, tag="rejoin_room"):
    room_id: RoomIdField


class Ready(_Command, frozen=True, tag="ready"):
    room_id: RoomIdField


class Spectate(_Command, frozen=True, tag="spectate"):
    room_id: RoomIdField


class LeaveSpectate(_Command, frozen=True, tag="leave_spectate"):
    room_id: RoomIdField


class Roll(_Command, frozen=True, tag="bigger_dice.roll"):
    room_id: RoomIdField


class ChatSend(_Command, frozen=True, tag="chat_send"):
    room_id: RoomIdField
    text: RawText


ClientMessage = (
    Auth
    | Ping
    | ListRooms
    | CreateRoom
    | JoinRoom
    | LeaveRoom
    | RejoinRoom
    | Ready
    | Spectate
    | LeaveSpectate
    | Roll
    | ChatSend
)

# Commands that address one room by id; the gateway keys them by room on the bus.
RoomCommand = LeaveRoom | RejoinRoom | Ready | Spectate | LeaveSpectate | Roll | ChatSend

CLIENT_TYPES: frozenset[str] = frozenset(
    str(cls.__struct_config__.tag) for cls in ClientMessage.__args__
)
