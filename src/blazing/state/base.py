"""Ports for room state and presence, and the write plan both adapters execute.

A commit is described once, by :func:`plan_commit`, from the room before and
after a command; the memory adapter applies the plan under a lock, the Redis
adapter in one Lua script. Either applies all of it or none of it.

Outbox: a commit also appends the encoded bus envelopes of its events to the
room's outbox, in the same atomic write, and indexes the room as having unsent
events. Whoever publishes them and sees the bus confirm calls
:meth:`RoomStore.outbox_sent`; until then any instance may claim the room
(:meth:`RoomStore.claim_outboxes`) and publish them again. So every committed
change's events reach the bus at least once, whatever fails between the commit
and the publish; consumers drop the repeats (event ids, room ``seq``).

Extra keys beyond the seed's (documented in docs/protocol.md):
``game:room_name:{lowercased name}`` → room id of the active room holding it;
``game:user:{user_id}:watching`` → set of room ids the user spectates;
``game:timers`` → sorted set of room id by next deadline (epoch seconds);
``ws:sockets:{user_id}`` → set of the user's open socket ids;
``ws:gateways`` → set of gateway ids with sockets on record;
``ws:gateway:{gateway_id}`` → present while that gateway is alive (TTL);
``ws:gateway:{gateway_id}:sockets`` → hash of its socket ids → user ids;
``game:room:{room_id}:outbox`` → list of the room's unsent event envelopes, oldest
first; ``game:outboxes`` → sorted set of room id by when its outbox is due to be
sent by any instance (epoch seconds).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self

from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.rooms.model import Room

PRESENCE_TTL_SECONDS = 60


@dataclass(frozen=True, slots=True)
class CommitPlan:
    room_id: RoomId
    expected_version: int | None  # None: the room must not exist yet
    room: Room | None  # None: delete the room
    active: bool
    name_key: str  # lower-cased room name
    claim_name: bool
    release_name: bool
    claim_players: tuple[UserId, ...]
    release_players: tuple[UserId, ...]
    watch: tuple[UserId, ...]
    unwatch: tuple[UserId, ...]
    deadline: datetime | None
    # Encoded envelopes of this change's events, appended to the room's outbox, and
    # when any instance may send them if the committer has not confirmed them by then.
    outbox: tuple[bytes, ...] = ()
    outbox_due: datetime | None = None


def name_key(name: str) -> str:
    return name.casefold()


def plan_commit(before: Room | None, after: Room | None, outbox: Sequence[bytes] = (),
                outbox_due: datetime | None = None) -> CommitPlan:
    """What a store must check and write to move ``before`` to ``after``, with the
    envelopes of the events to append to the room's outbox (due to be sent by
    anyone at ``outbox_due``, required when there are any)."""
    assert outbox_due is not None or not outbox, "an outbox needs its due time"
    base = after or before
    assert base is not None, "a commit needs a room before or after"
    active = after is not None and after.is_active
    was_active = before is not None and before.is_active
    players_now = set(after.player_ids()) if active and after else set()
    players_then = set(before.player_ids()) if was_active and before else set()
    watching_now = {s.user_id for s in after.spectators} if after else set()
    watching_then = {s.user_id for s in before.spectators} if before else set()
    return CommitPlan(
        room_id=base.room_id,
        expected_version=before.version if before else None,
        room=after,
        active=active,
        name_key=name_key(base.room_name),
        claim_name=active and not was_active,
        release_name=was_active and not active,
        claim_players=tuple(sorted(players_now - players_then)),
        release_players=tuple(sorted(players_then - players_now)),
        watch=tuple(sorted(watching_now - watching_then)),
        unwatch=tuple(sorted(watching_then - watching_now)),
        deadline=after.next_deadline() if after else None,
        outbox=tuple(outbox),
        outbox_due=outbox_due,
    )


class RoomStore(Protocol):
    """Authoritative room state. Raises ``Conflict`` when a commit's expected
    version (or a name/player claim) no longer holds, ``DependencyUnavailable``
    when the backend cannot be reached."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def load(self, room_id: RoomId) -> Room | None: ...

    async def commit(self, plan: CommitPlan) -> list[bytes]:
        """Check and write ``plan`` atomically (``Conflict`` if a check fails). Returns
        the room's outbox after the commit when the plan added to it: the envelopes
        earlier commits left unsent, oldest first, then the plan's own. The caller
        publishes them, in that order, then calls :meth:`outbox_sent`."""
        ...

    async def outbox(self, room_id: RoomId) -> list[bytes]:
        """The room's unsent envelopes, oldest first."""
        ...

    async def outbox_sent(self, room_id: RoomId, last: bytes) -> None:
        """The bus confirmed the room's outbox up to and including ``last``: drop
        those envelopes (nothing, if someone did already). An emptied outbox leaves
        the index."""
        ...

    async def claim_outboxes(self, now: datetime, until: datetime, limit: int) -> list[RoomId]:
        """Rooms whose outbox is due at ``now``, each put off until ``until`` so that
        other instances leave it alone while the caller sends it."""
        ...

    async def player_room(self, user_id: UserId) -> RoomId | None:
        """The active room the user plays in, if any."""
        ...

    async def watched_rooms(self, user_id: UserId) -> list[RoomId]: ...

    async def room_named(self, name: str) -> RoomId | None:
        """The active room with this name (case-insensitive), if any."""
        ...

    async def active_rooms(self, limit: int) -> list[Room]: ...

    async def due(self, now: datetime, limit: int) -> list[RoomId]:
        """Rooms whose next deadline is at or before ``now``."""
        ...

    async def ping(self) -> None:
        """Raise ``DependencyUnavailable`` unless the backend answers."""
        ...


class PresenceStore(Protocol):
    """Who is online: ``ws:presence:{user_id}`` with a TTL, open sockets, and which
    gateway holds each socket, so that the sockets of a gateway that died without
    closing them can be released by someone else."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def socket_opened(self, user_id: UserId, socket_id: SocketId,
                            gateway_id: GatewayId) -> None: ...

    async def refresh(self, user_id: UserId) -> None: ...

    async def socket_closed(self, user_id: UserId, socket_id: SocketId,
                            gateway_id: GatewayId) -> bool:
        """Forget the socket; True if it was the user's last one."""
        ...

    async def is_online(self, user_id: UserId) -> bool: ...

    async def gateway_alive(self, gateway_id: GatewayId, ttl_seconds: float) -> bool:
        """Say the gateway is alive for ``ttl_seconds`` more; True if it was already
        registered. False on its first call, and after its sockets were released
        because it was taken for dead (its calls failed for longer than the TTL): the
        caller must then close its sockets, which the rest of the system counts as gone."""
        ...

    async def dead_gateways(self) -> list[GatewayId]:
        """Gateways with sockets on record whose ``gateway_alive`` ran out."""
        ...

    async def release_gateway(self, gateway_id: GatewayId, *,
                              only_if_dead: bool = True) -> list[UserId] | None:
        """Forget every socket the gateway holds and its registration, at once, and
        return the users now left without any socket (presence deleted). None when
        there was nothing to release (another caller did it first, or it never
        registered) or, with ``only_if_dead``, while the gateway is alive."""
        ...
