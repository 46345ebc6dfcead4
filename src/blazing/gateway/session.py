"""Per-connection protocol logic with no socket in it (sans-I/O).

The transport feeds frames in with a monotonic ``now``; a :class:`Reaction`
says what to send back, what to publish on the bus, and whether to close. This
is where decoding, validation, authentication, identity checks, rate limiting
and frame limits live, so all of it is tested without a network.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

from blazing import metrics
from blazing.codec import claimed_user_id, decode_client, encode, peek_request_id
from blazing.errors import ClientError, ErrorCode
from blazing.gateway.auth import AuthError, Identity, TokenVerifier
from blazing.gateway.ratelimit import TokenBucket
from blazing.ids import GatewayId, SocketId
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import Actor, Envelope, encode_envelope
from blazing.protocol.names import name_key


class CloseCode:
    PROTOCOL_ERROR = 1002  # a frame breaking RFC 6455 (unmasked, reserved bits, …)
    INVALID_PAYLOAD = 1007  # a text frame that is not UTF-8 (RFC 6455 §8.1)
    UNAUTHENTICATED = 4401  # also: expired token. Do not reconnect.
    HEARTBEAT_TIMEOUT = 4408
    TOO_SLOW = 4409
    MESSAGE_TOO_LARGE = 4413
    FLOOD = 4429  # do not reconnect
    GOING_AWAY = 1001
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012  # reconnect: the server dropped this socket's state


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    max_frame_bytes: int = 16 * 1024
    hard_frame_bytes: int = 64 * 1024  # one frame this large closes at once (4413)
    oversize_close_after: int = 3  # oversize frames before 4413
    rate_per_second: float = 20.0
    burst: float = 40.0
    flood_close_after: int = 20  # refused frames in a row before 4429
    auth_timeout: float = 10.0
    idle_timeout: float = 75.0
    outbound_queue_bytes: int = 1024 * 1024  # unsent event bytes per socket before 4409
    max_sockets_per_user: int = 8


@dataclass(slots=True)
class Reaction:
    replies: list[bytes] = field(default_factory=list)
    publish: list[tuple[str, bytes]] = field(default_factory=list)  # (key, envelope)
    close: tuple[int, str] | None = None
    authenticated: Identity | None = None
    refresh_presence: bool = False
    watch_lobby: bool = False
    command_type: str | None = None  # of the published command, for metrics
    answer_ping: bool = False  # a WebSocket PING within budget: send its PONG
    request_id: str | None = None  # of the published command, for an error about it


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Session:
    # One per socket, tens of thousands per gateway: no per-instance dict.
    __slots__ = ("_bucket", "_limits", "_new_command_id", "_opened", "_oversize",
                 "_refused_in_a_row", "_verifier", "_wall_clock", "gateway_id", "identity",
                 "last_inbound", "socket_id")

    def __init__(
        self,
        *,
        socket_id: SocketId,
        gateway_id: GatewayId,
        verifier: TokenVerifier,
        limits: GatewayLimits,
        now: float,
        identity: Identity | None = None,
        wall_clock: Callable[[], datetime] = _wall_clock,
        new_command_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.socket_id = socket_id
        self.gateway_id = gateway_id
        self.identity = identity
        self._verifier = verifier
        self._limits = limits
        self._bucket = TokenBucket(limits.rate_per_second, limits.burst)
        self._opened = now
        self.last_inbound = now
        self._refused_in_a_row = 0
        self._oversize = 0
        self._wall_clock = wall_clock
        self._new_command_id = new_command_id

    # --- inbound frames --------------------------------------------------------------

    def on_text(self, frame: bytes, now: float) -> Reaction:
        self.last_inbound = now
        if not self._bucket.take(now):
            return self._rate_limited(frame)
        self._refused_in_a_row = 0
        if len(frame) > self._limits.max_frame_bytes:
            # Echo the request id if the frame is not absurdly large to look into.
            small_enough = len(frame) <= self._limits.hard_frame_bytes
            return self.on_oversize(len(frame), now,
                                    peek_request_id(frame) if small_enough else None)
        if not frame.isascii():
            # RFC 6455 §8.1: a text message that is not UTF-8 fails the connection,
            # whether or not the bad bytes sit in a field anyone reads.
            try:
                frame.decode()
            except UnicodeDecodeError:
                return Reaction(close=(CloseCode.INVALID_PAYLOAD, "text frame is not UTF-8"))
        try:
            message = decode_client(frame)
        except ClientError as exc:
            return self._error(exc.code, exc.message, peek_request_id(frame))
        try:
            return self._handle(message, frame, now)
        except ClientError as exc:
            return self._error(exc.code, exc.message, message.request_id)

    def on_binary(self, size: int, now: float) -> Reaction:
        """A binary message of ``size`` bytes: refused, and counted like a text frame
        against the rate, the size limit and its repeat rule."""
        self.last_inbound = now
        if not self._bucket.take(now):
            return self._rate_limited(b"")
        self._refused_in_a_row = 0
        if size > self._limits.max_frame_bytes:
            return self.on_oversize(size, now)
        return self._error(ErrorCode.INVALID_MESSAGE, "binary frames are not accepted; send "
                           "JSON text frames", None)

    def on_control(self, now: float) -> Reaction:
        """A WebSocket PING or PONG from the peer. Control frames spend the same
        budget as messages: within it a PING is answered; past it nothing is sent
        back (a refusal would be more output for a peer that may not read) and the
        frame counts towards the flood close, as a refused message does."""
        self.last_inbound = now
        if not self._bucket.take(now):
            self._refused_in_a_row += 1
            if self._refused_in_a_row >= self._limits.flood_close_after:
                return Reaction(close=(CloseCode.FLOOD, "rate limit exceeded repeatedly"))
            return Reaction()
        self._refused_in_a_row = 0
        return Reaction(answer_ping=True)

    def on_oversize(self, size: int, now: float, request_id: str | None = None) -> Reaction:
        """A frame over the limit (reported by the transport or found here)."""
        self.last_inbound = now
        self._oversize += 1
        limit = self._limits.max_frame_bytes
        reaction = self._error(ErrorCode.MESSAGE_TOO_LARGE,
                               f"frame of {size} bytes exceeds the {limit}-byte limit",
                               request_id)
        if size > self._limits.hard_frame_bytes or \
                self._oversize >= self._limits.oversize_close_after:
            reaction.close = (CloseCode.MESSAGE_TOO_LARGE, "message too large")
        return reaction

    def timeout(self, now: float) -> tuple[int, str] | None:
        """Close code and reason if this socket has overstayed, else None."""
        if self.identity is None and now - self._opened > self._limits.auth_timeout:
            return CloseCode.UNAUTHENTICATED, "not authenticated in time"
        if now - self.last_inbound > self._limits.idle_timeout:
            return CloseCode.HEARTBEAT_TIMEOUT, "no message received in time"
        return None

    # --- commands --------------------------------------------------------------------

    def _handle(self, message: cmd.Command, frame: bytes, now: float) -> Reaction:
        if isinstance(message, cmd.Auth):
            return self._auth(message)
        if isinstance(message, cmd.Ping):
            if self.identity is not None:
                self._check_claim(message, self.identity)
            return Reaction(replies=[encode(ev.Pong(server_time=self._wall_clock()))],
                            refresh_presence=self.identity is not None)
        identity = self.identity
        if identity is None:
            raise ClientError(ErrorCode.UNAUTHORIZED, "authenticate first (send `auth` with "
                              "a token, or connect with one)")
        if identity.expires_at <= self._wall_clock().timestamp():
            return Reaction(close=(CloseCode.UNAUTHENTICATED, "token expired"))
        self._check_claim(message, identity)
        reaction = Reaction(publish=[(self._key(message, identity), self._envelope(
            message, frame, identity))])
        reaction.watch_lobby = isinstance(message, cmd.ListRooms)
        reaction.command_type = str(message.__struct_config__.tag)
        reaction.request_id = message.request_id
        return reaction

    def _auth(self, message: cmd.Auth) -> Reaction:
        if message.token is not None:
            try:
                identity = self._verifier.verify(message.token)
            except AuthError as exc:
                return Reaction(close=(CloseCode.UNAUTHENTICATED, str(exc)[:120]))
            if self.identity is not None and identity.user_id != self.identity.user_id:
                raise ClientError(ErrorCode.USER_MISMATCH,
                                  "this socket is already signed in as another user")
        elif self.identity is not None:
            identity = self.identity
        else:
            raise ClientError(ErrorCode.UNAUTHORIZED, "`auth` needs a token when the "
                              "connection has none")
        self._check_claim(message, identity)
        return self.sign_in(identity)

    def sign_in(self, identity: Identity) -> Reaction:
        """Take ``identity`` (from an ``auth`` message or the upgrade's token) and
        answer ``authenticated``; the reaction admits the socket the first time."""
        first = self.identity is None
        self.identity = identity
        reply = ev.Authenticated(user_id=identity.user_id, username=identity.username,
                                 avatar_id=identity.avatar_id, socket_id=self.socket_id)
        return Reaction(replies=[encode(reply)], authenticated=identity if first else None)

    @staticmethod
    def _check_claim(message: cmd.Command, identity: Identity) -> None:
        claimed = claimed_user_id(message)
        if claimed is not None and claimed != identity.user_id:
            raise ClientError(ErrorCode.USER_MISMATCH,
                              "`user_id` does not match the signed-in user")

    def _envelope(self, message: cmd.Command, frame: bytes, identity: Identity) -> bytes:
        actor = Actor(user_id=identity.user_id, username=identity.username,
                      avatar_id=identity.avatar_id, socket_id=self.socket_id,
                      gateway_id=self.gateway_id)
        return encode_envelope(Envelope(
            event_id=self._new_command_id(),
            event_type=str(message.__struct_config__.tag),
            timestamp=self._wall_clock(),
            actor=actor,
            audience=None,
            payload=msgspec.Raw(frame),
        ))

    @staticmethod
    def _key(message: cmd.Command, identity: Identity) -> str:
        """Bus key: the room id, else the room name for joins by name, else the user."""
        room_id = getattr(message, "room_id", None)
        if isinstance(room_id, str):
            return room_id
        if isinstance(message, cmd.JoinRoom) and message.room_name is not None:
            return "name:" + name_key(message.room_name)
        return f"user:{identity.user_id}"

    # --- replies ---------------------------------------------------------------------

    def _error(self, code: str, message: str, request_id: str | None) -> Reaction:
        metrics.errors_of(str(code)).inc()
        return Reaction(replies=[self.error_frame(code, message, request_id)])

    def error_frame(self, code: str, message: str, request_id: str | None = None) -> bytes:
        return encode(ev.Error(code=code, message=message, socket_id=self.socket_id,
                               request_id=request_id))

    def _rate_limited(self, frame: bytes) -> Reaction:
        self._refused_in_a_row += 1
        if self._refused_in_a_row >= self._limits.flood_close_after:
            return Reaction(close=(CloseCode.FLOOD, "rate limit exceeded repeatedly"))
        request_id = peek_request_id(frame) if frame else None
        return self._error(ErrorCode.RATE_LIMITED, "too many messages; slow down", request_id)
