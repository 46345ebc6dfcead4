"""Fan-out: which of this gateway's sockets receive an event.

Sockets are indexed by id and by user; an event's payload bytes (encoded once,
by the game service) go unchanged to every recipient. Event ids already seen
are dropped, so a republished event is delivered once.
"""

import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

import msgspec

from blazing import metrics
from blazing.ids import SocketId, UserId
from blazing.protocol.envelope import AudienceType, decode_envelope

log = logging.getLogger(__name__)

SEEN_EVENTS_KEPT = 20_000


class Outlet(Protocol):
    """A socket as the hub sees it."""

    socket_id: SocketId

    def push(self, data: bytes) -> None:
        """Queue ``data`` for sending; never blocks (a full queue closes the socket)."""
        ...


class Hub:
    def __init__(self) -> None:
        self._sockets: dict[SocketId, Outlet] = {}
        self._users: dict[UserId, dict[SocketId, Outlet]] = {}
        self._lobby: dict[SocketId, Outlet] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.delivered = 0

    def add(self, user_id: UserId, outlet: Outlet) -> None:
        self._sockets[outlet.socket_id] = outlet
        self._users.setdefault(user_id, {})[outlet.socket_id] = outlet

    def remove(self, user_id: UserId, outlet: Outlet) -> None:
        self._sockets.pop(outlet.socket_id, None)
        self._lobby.pop(outlet.socket_id, None)
        sockets = self._users.get(user_id)
        if sockets is not None:
            sockets.pop(outlet.socket_id, None)
            if not sockets:
                del self._users[user_id]

    def watch_lobby(self, outlet: Outlet) -> None:
        self._lobby[outlet.socket_id] = outlet

    def sockets_of(self, user_id: UserId) -> int:
        return len(self._users.get(user_id, ()))

    @property
    def socket_count(self) -> int:
        return len(self._sockets)

    def outlets_of(self, user_id: UserId) -> list[Outlet]:
        """The user's sockets here."""
        return list(self._users.get(user_id, {}).values())

    def deliver(self, data: bytes) -> int:
        """Deliver one event envelope to its audience here; returns recipients."""
        try:
            envelope = decode_envelope(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            log.warning("dropping undecodable event envelope")
            return 0
        if envelope.event_id in self._seen:
            return 0
        self._seen[envelope.event_id] = None
        if len(self._seen) > SEEN_EVENTS_KEPT:
            self._seen.popitem(last=False)
        audience = envelope.audience
        if audience is None:
            return 0
        metrics.EVENT_DELIVERY.observe((datetime.now(UTC) - envelope.timestamp).total_seconds())
        payload = bytes(envelope.payload)
        # A socket that gets a room's state has gone into the room: it stops getting
        # lobby updates until it asks for the room list again. Otherwise every player
        # who ever saw the lobby would get every lobby change for the rest of the game.
        entering = envelope.event_type == "room_state"
        count = 0
        for outlet in self._targets(audience.type, audience.user_ids, audience.socket_id):
            outlet.push(payload)
            if entering:
                self._lobby.pop(outlet.socket_id, None)
            count += 1
        self.delivered += count
        metrics.DELIVERIES.inc(count)
        return count

    def _targets(self, kind: AudienceType, user_ids: list[UserId],
                 socket_id: SocketId | None) -> Iterable[Outlet]:
        if kind == AudienceType.LOBBY:
            return list(self._lobby.values())
        if kind == AudienceType.BROADCAST:
            return list(self._sockets.values())
        if socket_id is not None:
            outlet = self._sockets.get(socket_id)
            return [outlet] if outlet is not None else []
        out: list[Outlet] = []
        for user in user_ids:
            out.extend(self._users.get(user, {}).values())
        return out
