"""Turn client frames into typed commands and events into bytes.

``decode_client`` is the single entry for untrusted input: it either returns a
validated command or raises :class:`ClientError` with ``INVALID_MESSAGE`` (with
the offending field named) or ``UNKNOWN_TYPE``. It never raises anything else.
"""

from typing import Any

import msgspec

from blazing.errors import ClientError, ErrorCode
from blazing.ids import UserId
from blazing.protocol import client, names
from blazing.protocol.client import CLIENT_TYPES, ClientMessage
from blazing.protocol.envelope import ServiceCommand

ROOM_NAME_MAX = 64
CHAT_TEXT_MAX = 500

_client_decoder = msgspec.json.Decoder(ClientMessage)
_service_decoder = msgspec.json.Decoder(ServiceCommand)
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


def decode_client(frame: bytes | str) -> ClientMessage:
    """Decode and validate one client frame."""
    message: ClientMessage = _decode(_client_decoder, frame)
    return validate(message)


def decode_service_command(payload: bytes) -> ServiceCommand:
    """Decode a command payload taken off the bus (already checked by a gateway,
    validated again because the bus is a trust boundary too)."""
    message: ServiceCommand = _decode(_service_decoder, payload)
    if isinstance(message, client._Command):
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


def claimed_user_id(message: ClientMessage) -> UserId | None:
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


def validate(message: ClientMessage) -> ClientMessage:
    """Checks msgspec cannot express: trimmed lengths, printable names and text."""
    claimed_user_id(message)
    if isinstance(message, client.CreateRoom):
        return msgspec.structs.replace(message, room_name=clean_room_name(message.room_name))
    if isinstance(message, client.JoinRoom):
        if message.room_id is None and message.room_name is None:
            raise ClientError(ErrorCode.INVALID_MESSAGE, "`room_name` or `room_id` is required")
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
