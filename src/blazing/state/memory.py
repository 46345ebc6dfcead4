"""In-process room state and presence for the embedded mode."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Self

import msgspec

from blazing.errors import Conflict
from blazing.games.record import MoveRecord
from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.rooms.model import CHAT_LINES_KEPT, ChatLine, Room
from blazing.state.base import PRESENCE_TTL_SECONDS, CommitPlan, name_claim

Clock = Callable[[], datetime]


class MemoryRoomStore:
    """Dicts behind a lock; commits are all-or-nothing like the Redis script."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._rooms: dict[RoomId, Room] = {}  # without their logs, as the other stores
        self._moves: dict[RoomId, list[MoveRecord]] = {}
        self._chat: dict[RoomId, list[ChatLine]] = {}
        self._active: set[RoomId] = set()
        self._claims: dict[str, RoomId] = {}
        self._tables: dict[str, dict[RoomId, float]] = {}
        self._attempts: dict[str, tuple[datetime, int]] = {}
        self._players: dict[UserId, RoomId] = {}
        self._watching: dict[UserId, set[RoomId]] = {}
        self._deadlines: dict[RoomId, datetime] = {}
        self._outboxes: dict[RoomId, list[bytes]] = {}
        self._outbox_due: dict[RoomId, datetime] = {}
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def load(self, room_id: RoomId, *, logs: bool = False) -> Room | None:
        room = self._rooms.get(room_id)
        if room is None or not logs or not room.logs_apart:
            return room
        return msgspec.structs.replace(room, moves=tuple(self._moves.get(room_id, ())),
                                       chat=tuple(self._chat.get(room_id, ())))

    async def commit(self, plan: CommitPlan) -> list[bytes]:
        async with self._lock:
            self._check(plan)
            self._write(plan)
            if not plan.outbox:
                return []
            assert plan.outbox_due is not None
            unsent = self._outboxes.setdefault(plan.room_id, [])
            unsent.extend(plan.outbox)
            self._outbox_due.setdefault(plan.room_id, plan.outbox_due)
            return list(unsent)

    async def outbox(self, room_id: RoomId) -> list[bytes]:
        return list(self._outboxes.get(room_id, ()))

    async def outbox_sent(self, room_id: RoomId, last: bytes) -> None:
        unsent = self._outboxes.get(room_id, [])
        if last in unsent:
            del unsent[:unsent.index(last) + 1]
        if not unsent:
            self._outboxes.pop(room_id, None)
            self._outbox_due.pop(room_id, None)

    async def claim_outboxes(self, now: datetime, until: datetime, limit: int) -> list[RoomId]:
        due = sorted((at, rid) for rid, at in self._outbox_due.items() if at <= now)[:limit]
        for _, rid in due:
            self._outbox_due[rid] = until
        return [rid for _, rid in due]

    def _check(self, plan: CommitPlan) -> None:
        current = self._rooms.get(plan.room_id)
        if plan.expected_version is None:
            if current is not None:
                raise Conflict(f"room {plan.room_id} already exists")
        elif current is None or current.version != plan.expected_version:
            raise Conflict(f"room {plan.room_id} changed underneath")
        for claim in plan.claims:
            if self._claims.get(claim, plan.room_id) != plan.room_id:
                raise Conflict(f"{claim!r} is held by another room")
        for user in plan.claim_players:
            if self._players.get(user, plan.room_id) != plan.room_id:
                raise Conflict(f"user {user} plays elsewhere")

    def _write(self, plan: CommitPlan) -> None:
        rid = plan.room_id
        if plan.room is None:
            self._rooms.pop(rid, None)
            self._moves.pop(rid, None)
            self._chat.pop(rid, None)
        else:
            self._rooms[rid] = plan.room
            if plan.logs.new_game:
                self._moves.pop(rid, None)
            if plan.logs.moves:
                self._moves.setdefault(rid, []).extend(plan.logs.moves)
            if plan.logs.chat:
                chat = self._chat.setdefault(rid, [])
                chat.extend(plan.logs.chat)
                del chat[:-CHAT_LINES_KEPT]
        if plan.active:
            self._active.add(rid)
        else:
            self._active.discard(rid)
        for claim in plan.claims:
            self._claims[claim] = rid
        for claim in plan.releases:
            if self._claims.get(claim) == rid:
                del self._claims[claim]
        tables = self._tables.setdefault(plan.table_kind, {})
        if plan.open_table is None:
            tables.pop(rid, None)
        else:
            tables[rid] = plan.open_table
        for user in plan.claim_players:
            self._players[user] = rid
        for user in plan.release_players:
            if self._players.get(user) == rid:
                del self._players[user]
        for user in plan.watch:
            self._watching.setdefault(user, set()).add(rid)
        for user in plan.unwatch:
            rooms = self._watching.get(user)
            if rooms is not None:
                rooms.discard(rid)
                if not rooms:
                    del self._watching[user]
        if plan.deadline is None:
            self._deadlines.pop(rid, None)
        else:
            self._deadlines[rid] = plan.deadline

    async def player_room(self, user_id: UserId) -> RoomId | None:
        return self._players.get(user_id)

    async def watched_rooms(self, user_id: UserId) -> list[RoomId]:
        return sorted(self._watching.get(user_id, ()))

    async def room_named(self, name: str) -> RoomId | None:
        return self._claims.get(name_claim(name))

    async def owner(self, claim: str) -> RoomId | None:
        return self._claims.get(claim)

    async def open_tables(self, kind: str, limit: int) -> list[RoomId]:
        tables = self._tables.get(kind, {})
        return [rid for _, rid in sorted((at, rid) for rid, at in tables.items())][:limit]

    async def count_attempt(self, key: str, window_seconds: float) -> int:
        now = self._clock()
        started, count = self._attempts.get(key, (now, 0))
        if started + timedelta(seconds=window_seconds) <= now:
            started, count = now, 0
        self._attempts[key] = (started, count + 1)
        return count + 1

    async def active_rooms(self, limit: int) -> list[Room]:
        rooms = [self._rooms[r] for r in self._active if r in self._rooms]
        rooms.sort(key=lambda r: (r.created_at, r.room_id))
        return rooms[:limit]

    async def due(self, now: datetime, limit: int) -> list[RoomId]:
        due = sorted((at, rid) for rid, at in self._deadlines.items() if at <= now)
        return [rid for _, rid in due[:limit]]

    async def ping(self) -> None:
        return None


class MemoryPresence:
    """Presence with the same TTL semantics as ``ws:presence:{user_id}``, and the
    same record of which gateway holds which socket as the Redis adapter."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sockets: dict[UserId, set[SocketId]] = {}
        self._expires: dict[UserId, datetime] = {}
        self._gateway_sockets: dict[GatewayId, dict[SocketId, UserId]] = {}
        self._gateways_alive_until: dict[GatewayId, datetime] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def socket_opened(self, user_id: UserId, socket_id: SocketId,
                            gateway_id: GatewayId) -> None:
        self._sockets.setdefault(user_id, set()).add(socket_id)
        self._gateway_sockets.setdefault(gateway_id, {})[socket_id] = user_id
        await self.refresh(user_id)

    async def refresh(self, user_id: UserId) -> None:
        self._expires[user_id] = self._clock() + timedelta(seconds=PRESENCE_TTL_SECONDS)

    async def socket_closed(self, user_id: UserId, socket_id: SocketId,
                            gateway_id: GatewayId) -> bool:
        self._gateway_sockets.get(gateway_id, {}).pop(socket_id, None)
        return self._forget(user_id, socket_id)

    def _forget(self, user_id: UserId, socket_id: SocketId) -> bool:
        sockets = self._sockets.get(user_id)
        if sockets is None:
            return False
        sockets.discard(socket_id)
        if sockets:
            return False
        del self._sockets[user_id]
        self._expires.pop(user_id, None)
        return True

    async def is_online(self, user_id: UserId) -> bool:
        expires = self._expires.get(user_id)
        return expires is not None and expires > self._clock()

    async def gateway_alive(self, gateway_id: GatewayId, ttl_seconds: float) -> bool:
        known = gateway_id in self._gateways_alive_until
        self._gateways_alive_until[gateway_id] = self._clock() + timedelta(seconds=ttl_seconds)
        return known

    async def dead_gateways(self) -> list[GatewayId]:
        now = self._clock()
        return [gateway for gateway, until in self._gateways_alive_until.items()
                if until <= now]

    async def release_gateway(self, gateway_id: GatewayId, *,
                              only_if_dead: bool = True) -> list[UserId] | None:
        until = self._gateways_alive_until.get(gateway_id)
        if only_if_dead and until is not None and until > self._clock():
            return None
        registered = self._gateways_alive_until.pop(gateway_id, None) is not None
        sockets = self._gateway_sockets.pop(gateway_id, {})
        if not registered and not sockets:
            return None
        offline: list[UserId] = []
        for socket_id, user_id in sockets.items():
            if self._forget(user_id, socket_id):
                offline.append(user_id)
        return offline
