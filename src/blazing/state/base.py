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
``game:room_name:{name key}`` → room id of the active listed room holding the name
(the key is the name NFKC-normalised, case-folded, without invisible characters:
:func:`blazing.protocol.names.name_key`);
``game:invite:{code}`` → room id of the active room with that invite code;
``game:quick:{game_type}:{seats}`` → the quick-play room of that kind still filling;
``game:open:{game_type}:{seats}`` → sorted set of open tables by creation time;
``game:attempts:{key}`` → attempts in the current window (password tries);
``game:user:{user_id}:watching`` → set of room ids the user spectates;
``game:timers`` → sorted set of room id by next deadline (epoch seconds);
``ws:sockets:{user_id}`` → set of the user's open socket ids;
``ws:gateways`` → set of gateway ids with sockets on record;
``ws:gateway:{gateway_id}`` → present while that gateway is alive (TTL);
``ws:gateway:{gateway_id}:sockets`` → hash of its socket ids → user ids;
``game:room:{room_id}:outbox`` → list of the room's unsent event envelopes, oldest
first; ``game:outboxes`` → sorted set of room id by when its outbox is due to be
sent by any instance (epoch seconds); ``game:room:{room_id}:moves`` and
``game:room:{room_id}:chat`` → lists of the room's logs (the current game's moves,
the last :data:`~blazing.rooms.model.CHAT_LINES_KEPT` chat lines), kept apart from
its document so that a move reads and writes a document of bounded size.

Logs: a commit writes the room's document without its logs and appends what the
command added to them (:class:`LogAppends`); a new game starts the moves log
again. A store loads the logs only when asked to (``load(…, logs=True)``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self

from blazing.games.record import MoveRecord
from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.protocol.names import name_key as name_key  # re-exported for the adapters
from blazing.rooms.model import ChatLine, Room, without_logs

PRESENCE_TTL_SECONDS = 60


@dataclass(frozen=True, slots=True)
class LogAppends:
    """What one commit adds to a room's logs. ``new_game``: the moves log starts
    again (dropped before ``moves`` are appended). The chat log keeps its last
    :data:`~blazing.rooms.model.CHAT_LINES_KEPT` lines."""

    new_game: bool = False
    moves: tuple[MoveRecord, ...] = ()
    chat: tuple[ChatLine, ...] = ()

    def __bool__(self) -> bool:
        return self.new_game or bool(self.moves) or bool(self.chat)


NO_APPENDS = LogAppends()


@dataclass(frozen=True, slots=True)
class CommitPlan:
    room_id: RoomId
    expected_version: int | None  # None: the room must not exist yet
    room: Room | None  # None: delete the room
    active: bool
    # Unique keys an active room holds (its name if listed, its invite code, a quick-play
    # slot): a claim fails with Conflict when another room holds the key.
    claims: tuple[str, ...]
    releases: tuple[str, ...]
    claim_players: tuple[UserId, ...]
    release_players: tuple[UserId, ...]
    watch: tuple[UserId, ...]
    unwatch: tuple[UserId, ...]
    deadline: datetime | None
    # Quick play's index of open tables (public, no password, waiting, a free seat) of
    # ``table_kind``, oldest first: add the room (score: creation time) or remove it.
    table_kind: str
    open_table: float | None
    # Encoded envelopes of this change's events, appended to the room's outbox, and
    # when any instance may send them if the committer has not confirmed them by then.
    outbox: tuple[bytes, ...] = ()
    outbox_due: datetime | None = None
    # The room's document is ``room`` (without its logs); these go to its logs.
    logs: LogAppends = NO_APPENDS
    # Whether the room was an open table before: a store whose removal from the index
    # costs a statement can skip it when the room neither was nor is one.
    was_open_table: bool = True
    # Whether the room was active before (a store can leave an unchanged flag alone;
    # None: not known, write it).
    was_active: bool | None = None


def name_claim(name: str) -> str:
    return "name:" + name_key(name)


def invite_claim(code: str) -> str:
    return "invite:" + code


def quick_claim(game_type: str, seats: int) -> str:
    """The one quick-play room of a kind being formed: two players pressing at once on
    different gateways end at the same table, not at two half-empty ones."""
    return f"quick:{table_kind(game_type, seats)}"


def table_kind(game_type: str, seats: int) -> str:
    return f"{game_type}:{seats}"


def claims_of(room: Room | None) -> set[str]:
    """The unique keys ``room`` holds while it is active."""
    if room is None or not room.is_active:
        return set()
    keys = {invite_claim(room.invite_code)} if room.invite_code else set()
    if room.listed:
        keys.add(name_claim(room.room_name))
    if room.quick and room.open_table:
        keys.add(quick_claim(room.game_type, room.max_players))
    return keys


def _same_claims(before: Room | None, after: Room | None) -> bool:
    """Whether the two rooms hold the same unique keys, judged from what decides them."""
    if before is None or after is None:
        return before is after
    return (before.is_active == after.is_active and before.room_name == after.room_name
            and before.visibility == after.visibility
            and before.invite_code == after.invite_code and before.quick == after.quick
            and before.open_table == after.open_table)


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
    if _same_claims(before, after):  # most commits (a move, a chat line): skip the keys
        held_now = held_then = set()
    else:
        held_now, held_then = claims_of(after), claims_of(before)
    return CommitPlan(
        room_id=base.room_id,
        expected_version=before.version if before else None,
        room=None if after is None else without_logs(after),
        active=active,
        claims=tuple(sorted(held_now - held_then)),
        releases=tuple(sorted(held_then - held_now)),
        claim_players=tuple(sorted(players_now - players_then)),
        release_players=tuple(sorted(players_then - players_now)),
        watch=tuple(sorted(watching_now - watching_then)),
        unwatch=tuple(sorted(watching_then - watching_now)),
        deadline=after.next_deadline() if after else None,
        table_kind=table_kind(base.game_type, base.max_players),
        open_table=after.created_at.timestamp() if after and after.open_table else None,
        outbox=tuple(outbox),
        outbox_due=outbox_due,
        logs=log_appends(before, after),
        was_open_table=before is not None and before.open_table,
        was_active=was_active,
    )


def log_appends(before: Room | None, after: Room | None) -> LogAppends:
    """What the rules added to the room's logs between ``before`` and ``after``. The
    rules only append to them (the chat keeping its last lines), whether ``before``
    was loaded with its logs or without; a new game starts the moves afresh."""
    if after is None:
        return NO_APPENDS
    if before is not None and not before.logs_apart:
        # A document written before logs were kept apart holds its own: move them out.
        return LogAppends(new_game=True, moves=after.moves, chat=after.chat)
    new_game = before is None or after.games != before.games
    moves = after.moves if new_game else after.moves[len(before.moves):] if before else ()
    chat = _appended(before.chat if before else (), after.chat)
    if not new_game and not moves and not chat:
        return NO_APPENDS
    return LogAppends(new_game=new_game and before is not None, moves=moves, chat=chat)


def _appended(before: Sequence[ChatLine], after: Sequence[ChatLine]) -> tuple[ChatLine, ...]:
    if not before:
        return tuple(after)
    last = before[-1]
    for i in range(len(after) - 1, -1, -1):
        if after[i] == last:
            return tuple(after[i + 1:])
    return tuple(after)  # cannot happen (the rules keep the newest lines): keep them all


class RoomStore(Protocol):
    """Authoritative room state. Raises ``Conflict`` when a commit's expected
    version (or a name/player claim) no longer holds, ``DependencyUnavailable``
    when the backend cannot be reached."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def load(self, room_id: RoomId, *, logs: bool = False) -> Room | None:
        """The room; with its ``moves`` and ``chat`` when ``logs`` (otherwise they are
        empty: the commands that read them ask for them)."""
        ...

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
        """The active listed room with this name (as :func:`name_key` compares names),
        if any."""
        ...

    async def owner(self, claim: str) -> RoomId | None:
        """The active room holding a unique key (``name_claim``, ``invite_claim``,
        ``quick_claim``), if any."""
        ...

    async def open_tables(self, kind: str, limit: int) -> list[RoomId]:
        """Open tables of ``kind`` (``table_kind``), oldest first: quick play's choice."""
        ...

    async def count_attempt(self, key: str, window_seconds: float) -> int:
        """Count one more attempt under ``key`` (e.g. a password try of a user in a
        room) and return how many the current window holds; a window starts with its
        first attempt and lasts ``window_seconds``."""
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
