"""The bus envelope (SPEC §9) shared by ``games.commands`` and ``games.events``.

``payload`` is kept as raw JSON bytes: a gateway forwards a client's frame
without re-encoding it, and delivers an event's bytes to every socket as they
came off the bus (an event is encoded exactly once, by the game service).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import msgspec

from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.protocol.client import Command

COMMANDS_TOPIC = "games.commands"
EVENTS_TOPIC = "games.events"


@dataclass(frozen=True, slots=True)
class Topics:
    """Bus topic names and the game services' group; a prefix lets several
    deployments (or test runs) share one broker without seeing each other."""

    commands: str = COMMANDS_TOPIC
    events: str = EVENTS_TOPIC
    service_group: str = "game-service"

    @classmethod
    def prefixed(cls, prefix: str) -> "Topics":
        return cls(prefix + COMMANDS_TOPIC, prefix + EVENTS_TOPIC, prefix + "game-service")


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who caused a command, as the gateway authenticated them."""

    user_id: UserId
    username: str
    avatar_id: int | None
    socket_id: SocketId
    gateway_id: GatewayId


class AudienceType(StrEnum):
    USER = "user"
    ROOM = "room"
    LOBBY = "lobby"
    BROADCAST = "broadcast"


class Audience(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Who receives an event.

    ``room``: the listed ``user_ids`` (the room's members when the event
    happened; the game service is the authority on membership). ``user``: every
    socket of ``user_ids``, or only ``socket_id`` when set (replies, errors).
    ``lobby``: sockets that asked for the room list. ``broadcast``: everyone.
    """

    type: AudienceType
    user_ids: list[UserId] = []
    room_id: RoomId | None = None
    socket_id: SocketId | None = None


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    event_type: str
    timestamp: datetime
    actor: Actor | None
    audience: Audience | None
    payload: msgspec.Raw


class UserDisconnected(msgspec.Struct, frozen=True, kw_only=True, tag="user_disconnected",
                       tag_field="type"):
    """Gateway → game service: the user's last socket closed at ``at``."""

    user_id: UserId
    at: datetime


ServiceCommand = Command | UserDisconnected  # what a game service is sent

_envelope_encoder = msgspec.json.Encoder()
_envelope_decoder = msgspec.json.Decoder(Envelope)


def encode_envelope(envelope: Envelope) -> bytes:
    return _envelope_encoder.encode(envelope)


def released_actor(user_id: UserId, gateway_id: GatewayId) -> Actor:
    """The actor of a ``user_disconnected`` sent for a user whose sockets no one closed
    (their gateway died, or a previous run of it): only the ids are known."""
    return Actor(user_id=user_id, username="", avatar_id=None, socket_id=SocketId(""),
                 gateway_id=gateway_id)


def user_disconnected(actor: Actor, at: datetime) -> tuple[str, bytes]:
    """The (key, envelope) of a ``user_disconnected`` command for ``actor``'s user."""
    payload = UserDisconnected(user_id=actor.user_id, at=at)
    envelope = Envelope(event_id=secrets.token_hex(16), event_type="user_disconnected",
                        timestamp=at, actor=actor, audience=None,
                        payload=msgspec.Raw(_envelope_encoder.encode(payload)))
    return f"user:{actor.user_id}", encode_envelope(envelope)


def decode_envelope(data: bytes) -> Envelope:
    """Decode an envelope; raises ``msgspec.DecodeError`` on garbage."""
    return _envelope_decoder.decode(data)
