"""Every message on the wire, the platform's and each registered game's, and the
one way to turn client frames into typed commands and events into bytes.

``decode_client`` is the single entry for untrusted input: it either returns a
validated command or raises :class:`ClientError` with ``INVALID_MESSAGE`` (with
the offending field named) or ``UNKNOWN_TYPE``. It never raises anything else.

The unions of commands and events are assembled here from :mod:`blazing.protocol`
(the platform's messages) and :mod:`blazing.games.registry` (each game's), so a new
game's messages need no list kept by hand.
"""

from typing import Any, Union

import msgspec

from blazing.errors import ClientError, ErrorCode
from blazing.games import registry
from blazing.ids import UserId
from blazing.protocol import client, names, server
from blazing.protocol.client import Command
from blazing.protocol.envelope import ServiceCommand, UserDisconnected

ROOM_NAME_MAX = 64
CHAT_TEXT_MAX = 500

CLIENT_COMMANDS: tuple[type[Command], ...] = (*client.CORE_COMMANDS, *registry.commands())
SERVER_EVENTS: tuple[type[msgspec.Struct], ...] = (*server.CORE_EVENTS, *registry.events())
CLIENT_TYPES: frozenset[str] = frozenset(str(c.__struct_config__.tag) for c in CLIENT_COMMANDS)
SERVER_TYPES: frozenset[str] = frozenset(str(e.__struct_config__.tag) for e in SERVER_EVENTS)

# Runtime unions for msgspec's tagged decoding (built from the tuples above).
_client_union: Any = Union[CLIENT_COMMANDS]  # noqa: UP007  # a union built at run time
_client_decoder = msgspec.json.Decoder(_client_union)
_service_decoder = msgspec.json.Decoder(Union[(*CLIENT_COMMANDS, UserDisconnected)])
_server_decoder = msgspec.json.Decoder(Union[SERVER_EVENTS])  # noqa: UP007
_encoder = msgspec.json.Encoder()


class _Head(msgspec.Struct):
    """Just enough of a frame to explain why the full decode failed."""

    type: Any = msgspec.UNSET
    request_id: Any = None


_head_decoder = msgspec.json.Decoder(_Head)
# msgspec raises RecursionError past its nesting limit; a frame is small but can nest deep.
_TOO_DEEP = ClientError(ErrorCode.INVALID_MESSAGE, "JSON nested too deeply")


def encode(message: msgspec.Struct) -> bytes:
    return _encoder.encode(message)


def peek_request_id(frame: bytes) -> str | None:
    """The frame's ``request_id`` if it is a usable string, for echoing on errors."""
    try:
        rid = _head_decoder.decode(frame).request_id
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    return rid if isinstance(rid, str) and len(rid) <= 64 else None


def decode_client(frame: bytes | str) -> Command:
    """Decode and validate one client frame."""
    message: Command = _decode(_client_decoder, frame)
    return validate(message)


def decode_server_event(data: bytes | str) -> server.Event:
    """Decode an event as a client would (tests and tools; ``msgspec`` errors raise)."""
    event: server.Event = _server_decoder.decode(data)
    return event


def decode_service_command(payload: bytes) -> ServiceCommand:
    """Decode a command payload taken off the bus (already checked by a gateway,
    validated again because the bus is a trust boundary too)."""
    message: ServiceCommand = _decode(_service_decoder, payload)
    if isinstance(message, Command):
        return validate(message)
    return message


def _decode(decoder: "msgspec.json.Decoder[Any]", data: bytes | str) -> Any:
    """Decode with ``decoder``; every failure becomes a ClientError saying why."""
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _explain(data, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ClientError(ErrorCode.INVALID_MESSAGE, f"malformed JSON: {exc}") from None
    except RecursionError:
        raise _TOO_DEEP from None


def _explain(frame: bytes | str, detail: str) -> ClientError:
    try:
        head = _head_decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return ClientError(ErrorCode.INVALID_MESSAGE, "a message must be a JSON object")
    except RecursionError:
        return _TOO_DEEP
    if head.type is msgspec.UNSET:
        return ClientError(ErrorCode.INVALID_MESSAGE, "missing required field `type`")
    if not isinstance(head.type, str):
        return ClientError(ErrorCode.INVALID_MESSAGE, "field `type` must be a string")
    if head.type not in CLIENT_TYPES:
        shown = head.type[:40]
        return ClientError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {shown!r}")
    return ClientError(ErrorCode.INVALID_MESSAGE, detail)


def claimed_user_id(message: Command) -> UserId | None:
    """The ``user_id`` a command claims, normalised; ``INVALID_MESSAGE`` if unusable."""
    raw = message.user_id
    if raw is None:
        return None
    if isinstance(raw, str):
        if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
            raise ClientError(ErrorCode.INVALID_MESSAGE, "`user_id` must be a positive integer")
        raw = int(raw)
    if raw <= 0 or raw >= 2**63:
        raise ClientError(ErrorCode.INVALID_MESSAGE, "`user_id` must be a positive integer")
    return UserId(raw)


def validate(message: Command) -> Command:
    """Checks msgspec cannot express: trimmed lengths, printable names and text."""
    claimed_user_id(message)
    if isinstance(message, client.CreateRoom):
        return msgspec.structs.replace(message, room_name=clean_room_name(message.room_name))
    if isinstance(message, client.JoinRoom | client.Spectate) and message.invite_code:
        # Codes are read aloud and typed by people: case and separators do not matter.
        code = "".join(ch for ch in message.invite_code.upper() if ch.isascii() and
                       ch.isalnum())
        message = msgspec.structs.replace(message, invite_code=code or "-")
    if isinstance(message, client.JoinRoom):
        if message.room_id is None and message.room_name is None and \
                message.invite_code is None:
            raise ClientError(ErrorCode.INVALID_MESSAGE,
                              "`room_name`, `room_id` or `invite_code` is required")
        if message.room_name is not None:
            return msgspec.structs.replace(message, room_name=clean_room_name(message.room_name))
    if isinstance(message, client.ChatSend):
        try:
            text = names.clean_chat_text(message.text, CHAT_TEXT_MAX, "`text`")
        except names.NameRefused as exc:
            raise ClientError(ErrorCode.INVALID_MESSAGE, str(exc)) from None
        return msgspec.structs.replace(message, text=text)
    return message


def clean_room_name(name: str) -> str:
    """A room name as stored and shown (:func:`blazing.protocol.names.clean_name`)."""
    try:
        return names.clean_name(name, ROOM_NAME_MAX, "`room_name`")
    except names.NameRefused as exc:
        raise ClientError(ErrorCode.INVALID_MESSAGE, str(exc)) from None
