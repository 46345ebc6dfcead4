"""The game service: consumes commands, runs the pure rules against the state
store with compare-and-set, publishes the events, fires timers, and records
finished games.

It owns no room in memory: every command loads, applies and commits, so any
number of instances can serve the same rooms (DESIGN.md "Consistency").

A commit writes the change's events into the room's outbox in the same atomic
write; they are published right after, and dropped from the outbox once the bus
confirms them. When the bus does not confirm, the command still counts as applied
(the player is not told otherwise): the events wait in the outbox, and the next
commit of that room, or any instance's outbox loop once ``outbox_settle`` has
passed, publishes them — before anything newer, so a room's events stay in order.
"""

import asyncio
import dataclasses
import logging
import os
import signal
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec

from blazing import metrics
from blazing.bus.base import Bus, consume
from blazing.codec import decode_service_command, encode, peek_request_id
from blazing.errors import (
    ClientError,
    Conflict,
    DependencyUnavailable,
    ErrorCode,
    ServerFault,
)
from blazing.games import registry
from blazing.games.base import Rng
from blazing.history.base import HistoryStore
from blazing.ids import GatewayId, RoomId, UserId
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import (
    Actor,
    Audience,
    AudienceType,
    Envelope,
    ServiceCommand,
    Topics,
    UserDisconnected,
    decode_envelope,
    encode_envelope,
    released_actor,
    user_disconnected,
)
from blazing.protocol.models import RoomStatus
from blazing.records import ratings
from blazing.rooms import rematch, rules, views
from blazing.rooms.archive import game_record
from blazing.rooms.context import Context, RuleSettings
from blazing.rooms.facts import Facts, room_id_for
from blazing.rooms.model import Room
from blazing.rooms.tx import Emit, Outcome
from blazing.state.base import PresenceStore, RoomStore, invite_claim, plan_commit, table_kind
from blazing.supervision import Liveness, stop_tasks

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 16
QUICK_CANDIDATES = 5  # open tables quick play tries before opening one
# Why a quick-play join may fail on a table that was open a moment ago: try the next.
_TABLE_TAKEN = frozenset({ErrorCode.ROOM_FULL, ErrorCode.GAME_ALREADY_STARTED,
                          ErrorCode.ROOM_NOT_FOUND, ErrorCode.KICKED,
                          ErrorCode.PASSWORD_REQUIRED, ErrorCode.GAME_NOT_IN_PROGRESS})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    rules: RuleSettings = field(default_factory=RuleSettings)
    timer_interval: float = 0.1  # how often due timers are looked for
    gateway_ttl: float = 15.0  # a gateway silent this long is dead: release its sockets
    room_list_limit: int = 200
    archive_retry_seconds: float = 5.0
    crash_at: str | None = None  # fault tests: SIGKILL this process at that point
    # How long one instance has to write a game's history before another may try;
    # above the history store's own reply timeout.
    archive_claim_seconds: float = 15.0
    topics: Topics = field(default_factory=Topics)
    outbox_interval: float = 0.5  # how often outboxes left unsent are looked for
    # How long the committer has to publish a commit's events before any instance
    # may send them again (and how long between two tries while the bus is down).
    outbox_settle: float = 2.0
    # Keep each commit's events in the room's outbox until the bus confirms them. Off
    # when the bus is in this process (embedded): a publish there cannot be lost
    # while the process lives, and the sockets that would receive it die with it.
    outbox: bool = True


ROOM_CACHE_SIZE = 10_000  # rooms kept as last written here (about 1 KiB each)


class RoomCache:
    """The rooms this instance wrote last, least recently used dropped first. A copy
    is only a guess at the stored room: a commit made from it checks the version."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._rooms: OrderedDict[RoomId, Room] = OrderedDict()

    def get(self, room_id: RoomId) -> Room | None:
        room = self._rooms.get(room_id)
        if room is not None:
            self._rooms.move_to_end(room_id)
        return room

    def remember(self, room_id: RoomId, room: Room | None) -> None:
        kept = self._rooms.get(room_id)
        if room is None:
            self._rooms.pop(room_id, None)
        elif kept is None or kept.version < room.version:  # commits may finish out of order
            self._rooms[room_id] = room
            self._rooms.move_to_end(room_id)
            if len(self._rooms) > self._size:
                self._rooms.popitem(last=False)

    def forget(self, room_id: RoomId) -> None:
        self._rooms.pop(room_id, None)


class GameService:
    def __init__(
        self,
        *,
        bus: Bus,
        store: RoomStore,
        history: HistoryStore,
        presence: PresenceStore,
        rng: Rng,
        settings: ServiceSettings | None = None,
        clock: Clock = utc_now,
        liveness: Liveness | None = None,
    ) -> None:
        """``liveness`` learns when a loop of this service dies (the process then
        reports it and exits, to be restarted)."""
        self._bus, self._store, self._history, self._presence = bus, store, history, presence
        self._rng = rng
        self._settings = settings or ServiceSettings()
        self._facts = Facts(store=store, rng=rng, rules=self._settings.rules, clock=clock)
        self._clock = clock
        self._liveness = liveness or Liveness()
        self._tasks: list[asyncio.Task[None]] = []
        # Users of released gateways whose user_disconnected the bus has not taken yet.
        self._drops_to_send: list[tuple[UserId, GatewayId]] = []
        self._rooms = RoomCache(ROOM_CACHE_SIZE)
        self.ready = asyncio.Event()

    async def __aenter__(self) -> "GameService":
        topics = self._settings.topics
        subscription = await self._bus.subscribe(topics.commands, topics.service_group)
        loops = {"command consumer": consume(subscription, self.handle, concurrent_keys=True),
                 "timer loop": self._fire_timers(),
                 "gateway watch": self._every(self._settings.gateway_ttl / 3,
                                              self.release_dead_gateways,
                                              "dead gateways not looked for"),
                 "outbox loop": self._every(self._settings.outbox_interval,
                                            self.drain_outboxes, "outboxes not looked at")}
        self._tasks = []
        for what, loop in loops.items():
            task = asyncio.create_task(loop, name=f"service {what}")
            self._liveness.watch(task, what)
            self._tasks.append(task)
        self.ready.set()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await stop_tasks(self._tasks, liveness=self._liveness)
        self._tasks = []

    # --- commands ------------------------------------------------------------------

    async def handle(self, data: bytes) -> None:
        """Handle one command envelope; never raises (failures become errors)."""
        try:
            envelope = decode_envelope(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            log.warning("dropping undecodable command envelope")
            return
        actor = envelope.actor
        if actor is None:
            log.warning("dropping command %s without an actor", envelope.event_id)
            return
        request_id: str | None = None
        # Errors travel with the room's events when the command names a room, so a
        # client sees them in order with those events.
        key = f"user:{actor.user_id}"
        try:
            command = decode_service_command(envelope.payload)
            request_id = getattr(command, "request_id", None)
            if not isinstance(command, UserDisconnected):
                key = rules.room_key_for(command) or key
            await self._dispatch(envelope.event_id, command, actor)
            metrics.COMMAND_LATENCY.observe(
                (self._clock() - envelope.timestamp).total_seconds())
        except ClientError as exc:
            request_id = request_id or peek_request_id(envelope.payload)
            await self._send_error(envelope.event_id, actor, key, exc.code, exc.message,
                                   request_id)
        except DependencyUnavailable as exc:
            log.warning("command %s not applied: %s", envelope.event_id, exc)
            await self._send_error(envelope.event_id, actor, key, ErrorCode.SERVICE_UNAVAILABLE,
                                   "the game service cannot reach its store; try again",
                                   request_id)
        except Exception:
            log.exception("command %s failed", envelope.event_id)
            await self._send_error(envelope.event_id, actor, key, ErrorCode.INTERNAL_ERROR,
                                   "something went wrong on our side", request_id)

    async def _dispatch(self, command_id: str, command: ServiceCommand, actor: Actor) -> None:
        if isinstance(command, cmd.ListRooms):
            await self._list_rooms(command_id, command, actor)
        elif isinstance(command, UserDisconnected):
            await self._disconnected(command_id, command, actor)
        elif isinstance(command, cmd.Auth | cmd.Ping):
            raise ClientError(ErrorCode.INVALID_MESSAGE, "handled by the gateway")
        elif isinstance(command, cmd.QuickPlay):
            await self._quick_play(command_id, command, actor)
        elif isinstance(command, cmd.QuickPlayCancel):
            await self._quick_play_cancel(command_id, actor)
        else:
            await self._apply(command_id, command, actor,
                              await self._room_id_of(command_id, command, actor))

    async def _room_id_of(self, command_id: str, command: cmd.Command,
                          actor: Actor) -> RoomId | None:
        if isinstance(command, cmd.CreateRoom):
            return room_id_for(command_id)
        if isinstance(command, cmd.JoinRoom) and command.room_id is None:
            if command.invite_code is not None:
                return await self._invited_room(command.invite_code, actor)
            assert command.room_name is not None
            room_id = await self._store.room_named(command.room_name)
            if room_id is None:
                raise ClientError(ErrorCode.ROOM_NOT_FOUND,
                                  f"no open room named {command.room_name!r}")
            return room_id
        return rules.room_key_for(command)

    async def _invited_room(self, code: str, actor: Actor) -> RoomId:
        """The room an invite code opens; guessing codes is throttled per user."""
        if not await self._facts.invite_lookups_left(actor.user_id):
            raise ClientError(ErrorCode.TOO_MANY_ATTEMPTS,
                              "too many invite codes tried; wait a minute")
        room_id = await self._store.owner(invite_claim(code))
        if room_id is None:
            raise ClientError(ErrorCode.ROOM_NOT_FOUND, "no room has that invite code")
        return room_id

    async def _apply(self, command_id: str, command: ServiceCommand, actor: Actor,
                     room_id: RoomId | None, *, quick: bool = False) -> None:
        logs = rules.reads_logs(command)
        for _ in range(MAX_ATTEMPTS):
            # The room as this instance last wrote it, if it did (its commands come to
            # one instance: usually still the room as stored); the commit's version
            # check catches a copy another instance made stale.
            cached = None if logs or room_id is None else self._rooms.get(room_id)
            room = cached or (await self._store.load(room_id, logs=logs) if room_id else None)
            ctx = await self._facts.context(command_id, command, actor, room, quick=quick)
            outcome = rules.apply(room, command, actor, ctx)
            if cached is not None and (outcome.error is not None or not outcome.changed):
                # Refused, or already applied, on a copy that may be stale (nothing
                # written would tell): judge again on the room as stored.
                self._rooms.forget(cached.room_id)
                continue
            if outcome.error is not None:
                raise outcome.error
            if not outcome.changed:
                if room is not None and room.applied_command(command_id):
                    # Redelivered after a crash or a rebalance: its events may still
                    # wait in the outbox; send them now rather than at the next drain.
                    await self._send_outbox(room.room_id, await self._store.outbox(room.room_id))
                return
            try:
                await self._commit(outcome, command_id, actor, ctx.now)
            except Conflict:
                continue
            except DependencyUnavailable:
                # The write may have happened with only its reply lost: then it is
                # applied (its events wait in the outbox) and must not be denied.
                if not await self._was_applied(room_id, command_id):
                    raise
            return
        raise ServerFault(f"command {command_id} kept conflicting")

    async def _was_applied(self, room_id: RoomId | None, command_id: str) -> bool:
        """Whether the store shows the command applied (False if it cannot tell)."""
        try:
            room = await self._store.load(room_id) if room_id else None
        except DependencyUnavailable:
            return False
        return room is not None and room.applied_command(command_id)

    async def _disconnected(self, command_id: str, command: UserDisconnected,
                            actor: Actor) -> None:
        if await self._presence.is_online(command.user_id):
            return  # came back (another tab or a quick reconnect) before we got here
        rooms: list[RoomId] = await self._store.watched_rooms(command.user_id)
        player_room = await self._store.player_room(command.user_id)
        if player_room is not None:
            rooms.insert(0, player_room)
        for room_id in rooms:
            await self._apply(f"{command_id}:{room_id}", command, actor, room_id)

    async def _quick_play(self, command_id: str, command: cmd.QuickPlay, actor: Actor) -> None:
        """Seat the player at the oldest open table of the kind, or open one. Two players
        pressing at once end at the same table: only one quick-play room of a kind forms
        at a time (a unique claim in the store), the other joins it."""
        game = registry.get(command.game_type)
        if game is None:
            raise ClientError(ErrorCode.INVALID_GAME_TYPE,
                              f"unknown game type {command.game_type[:40]!r}")
        seats = command.max_players or game.seats.default
        kind = table_kind(game.game_type, seats)
        for attempt in range(MAX_ATTEMPTS):
            seated = await self._store.player_room(actor.user_id)
            if seated is not None:  # already at a table: this command ran before, or not
                await self._apply(f"{command_id}:state", cmd.RejoinRoom(room_id=seated),
                                  actor, seated)
                return
            for room_id in await self._store.open_tables(kind, QUICK_CANDIDATES):
                join = cmd.JoinRoom(room_id=room_id)
                try:
                    await self._apply(f"{command_id}:{attempt}:{room_id}", join, actor, room_id)
                    return
                except ClientError as exc:
                    if exc.code not in _TABLE_TAKEN:
                        raise
            name = f"Quick play {game.title} #{room_id_for(command_id)[-4:]}"
            create = cmd.CreateRoom(game_type=game.game_type, room_name=name,
                                    max_players=seats)
            try:
                await self._apply(command_id, create, actor, room_id_for(command_id),
                                  quick=True)
                return
            except ClientError as exc:
                if exc.code != ErrorCode.ROOM_NAME_TAKEN:
                    raise  # another quick-play room of this kind formed first: join it
        raise ServerFault(f"quick play {command_id} found no table")

    async def _quick_play_cancel(self, command_id: str, actor: Actor) -> None:
        """Leave the table the player waits at (quick play's, or any still waiting)."""
        room_id = await self._store.player_room(actor.user_id)
        room = await self._store.load(room_id) if room_id else None
        if room is None or room.status != RoomStatus.WAITING:
            raise ClientError(ErrorCode.NOT_IN_ROOM, "you are not waiting at a table")
        await self._apply(command_id, cmd.LeaveRoom(room_id=room.room_id), actor, room.room_id)

    async def _list_rooms(self, command_id: str, command: cmd.ListRooms, actor: Actor) -> None:
        rooms = await self._store.active_rooms(self._settings.room_list_limit)
        summaries = [views.summary(r) for r in rooms
                     if r.listed and (command.game_type is None or r.game_type ==
                                      command.game_type)
                     and (not command.free_seat or (r.status == RoomStatus.WAITING
                                                    and len(r.players) < r.max_players))]
        reply = Emit(Audience(type=AudienceType.USER, user_ids=[actor.user_id],
                              socket_id=actor.socket_id), ev.RoomList(rooms=summaries))
        await self._publish_all(self._envelopes(command_id, [reply], actor, self._clock(),
                                                f"user:{actor.user_id}"))

    # --- timers --------------------------------------------------------------------

    async def _fire_timers(self) -> None:
        # Each room fires in a task of its own, and the loop does not wait for it: a
        # room waiting on a dependency (a history write, a publish the bus is slow to
        # confirm) must not hold the other rooms' timers. A room already firing here
        # is not fired again meanwhile.
        firing: dict[RoomId, asyncio.Task[None]] = {}
        try:
            while True:
                try:
                    due = await self._store.due(self._clock(), limit=100 + len(firing))
                except DependencyUnavailable as exc:
                    log.warning("timers paused: %s", exc)
                    due = []
                for room_id in due:
                    if room_id not in firing:
                        firing[room_id] = asyncio.create_task(self._fire_one(room_id, firing))
                await asyncio.sleep(self._settings.timer_interval)
        finally:
            await stop_tasks(list(firing.values()))

    async def _fire_one(self, room_id: RoomId,
                        firing: dict[RoomId, "asyncio.Task[None]"]) -> None:
        try:
            await self.fire(room_id)
        except DependencyUnavailable as exc:
            log.warning("timers of %s paused: %s", room_id, exc)
        except Exception:
            log.exception("timers of %s failed", room_id)
        finally:
            firing.pop(room_id, None)

    @staticmethod
    async def _every(seconds: float, work: Callable[[], Awaitable[object]],
                     unavailable: str) -> None:
        """Run ``work`` every ``seconds``; a failure is logged and the loop goes on
        (``unavailable``: what a store or bus that does not answer left undone)."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except DependencyUnavailable as exc:
                log.warning("%s: %s", unavailable, exc)
            except Exception:
                log.exception("%s: unexpected error", unavailable)

    async def release_dead_gateways(self) -> int:
        """Release the sockets of every gateway whose heartbeat ran out (a crash, a
        lost host) and drop their users as if their last socket had closed: opponents
        get ``player_disconnected`` and the grace period starts. Any number of game
        services may do this at once; each dead gateway is released by one of them.
        Returns how many users were released. Their ``user_disconnected`` commands are
        sent again at each round until the bus takes them (a host lost with a broker
        on it: the producer may drop what it could not deliver in time)."""
        released = 0
        for gateway_id in await self._presence.dead_gateways():
            users = await self._presence.release_gateway(gateway_id)
            if users is None:
                continue  # back alive, or another game service released it
            metrics.RELEASED_GATEWAYS.inc()
            log.warning("gateway %s stopped without closing its sockets: %d users dropped",
                        gateway_id, len(users))
            self._drops_to_send += [(user_id, gateway_id) for user_id in users]
            released += len(users)
        await self._send_drops()
        return released

    async def _send_drops(self) -> None:
        sending, self._drops_to_send = self._drops_to_send, []
        if not sending:
            return
        try:
            await self._bus.publish_many(self._settings.topics.commands, [
                user_disconnected(released_actor(user_id, gateway_id), self._clock())
                for user_id, gateway_id in sending])
        except DependencyUnavailable as exc:
            log.warning("drops of %d released users not sent yet, will retry: %s",
                        len(sending), exc)
            self._drops_to_send[:0] = sending
    async def fire(self, room_id: RoomId) -> None:
        """Fire the due timers of one room (safe to call from any instance)."""
        for _ in range(MAX_ATTEMPTS):
            room = await self._store.load(room_id)
            if room is None:
                return
            ctx = Context(now=self._clock(), rng=self._rng, settings=self._settings.rules)
            if room.archive_due is not None and room.archive_due <= ctx.now:
                room = await self._store.load(room_id, logs=True)  # the record needs them
                if room is None:
                    return
                # Claim the write first: one instance writes a game's history at a time,
                # so a slow history server is not written twice as hard. A claimer that
                # dies leaves it due again once the claim runs out.
                claim = rules.archived(room, False, ctx,
                                       self._settings.archive_claim_seconds).after
                assert claim is not None, "a claim keeps the room"
                try:
                    await self._store.commit(plan_commit(room, claim))
                except Conflict:
                    continue  # another instance claimed it, or the room moved: look again
                ok = await self._archive(claim)
                await self._archived(claim, ok)
                continue
            outcome = rules.tick(room, ctx)
            if not outcome.changed:
                return
            try:
                await self._commit(outcome, f"tick:{room_id}:{room.version}", None, ctx.now)
            except Conflict:
                continue
            return

    async def _archived(self, claim: Room, ok: bool) -> None:
        """Record the outcome of writing ``claim``'s history. Commands may have moved
        the room meanwhile (a rematch asked for): record it on the room as it is now,
        as long as the claim is still ours."""
        room: Room | None = claim
        for _ in range(MAX_ATTEMPTS):
            if room is None or room.archive_due != claim.archive_due or room.games != claim.games:
                return  # the claim ran out and another instance took it over
            ctx = Context(now=self._clock(), rng=self._rng, settings=self._settings.rules)
            if ok and rematch.agreed(room):  # the rematch starts: can it?
                ctx = dataclasses.replace(ctx, **await self._facts.rematch_facts(room))
            archived = rules.archived(room, ok, ctx, self._settings.archive_retry_seconds)
            try:
                await self._commit(archived, f"archive:{room.room_id}:{claim.version}", None,
                                   ctx.now)
                return
            except Conflict:
                room = await self._store.load(claim.room_id)

    # --- writing and publishing ----------------------------------------------------

    async def _commit(self, outcome: Outcome, command_id: str, actor: Actor | None,
                      now: datetime) -> None:
        """Commit the outcome with its events in the room's outbox, then send the
        outbox. Raises only if the commit itself failed (``Conflict``,
        ``DependencyUnavailable``): once it is written, the change counts as applied."""
        room = outcome.after or outcome.before
        assert room is not None, "a commit concerns a room"
        # Every event of a room's command shares the room's key (one partition, in
        # order), whatever its audience: a joiner's room_state follows room_joined.
        envelopes = self._envelopes(command_id, outcome.emits, actor, now, room.room_id)
        outbox = self._settings.outbox
        plan = plan_commit(outcome.before, outcome.after,
                           [data for _, data in envelopes] if outbox else (),
                           now + timedelta(seconds=self._settings.outbox_settle))
        try:
            unsent = await self._store.commit(plan)
        except Exception:
            self._rooms.forget(room.room_id)  # stale (Conflict) or not known to be written
            raise
        self._rooms.remember(room.room_id, plan.room)
        if outbox:
            await self._send_outbox(room.room_id, unsent)
        elif envelopes:
            await self._publish_all([(room.room_id, data) for _, data in envelopes])

    async def _send_outbox(self, room_id: RoomId, unsent: Sequence[bytes]) -> bool:
        """Publish a room's unsent envelopes in order and drop them from its outbox
        once the bus confirms them; True if it did. When the bus does not confirm,
        they stay for a later try (by this or any instance)."""
        if not unsent:
            return True
        try:
            await self._publish_all([(room_id, data) for data in unsent])
        except DependencyUnavailable as exc:
            log.warning("events of room %s wait in its outbox: %s", room_id, exc)
            return False
        try:
            await self._store.outbox_sent(room_id, unsent[-1])
        except DependencyUnavailable as exc:  # they are sent again later: harmless
            log.warning("outbox of room %s not marked sent: %s", room_id, exc)
        return True

    async def drain_outboxes(self, limit: int = 100) -> int:
        """Send the outboxes whose events were not confirmed within
        ``outbox_settle`` of their commit (the committer crashed, or the bus did not
        take them); safe to run on every instance at once. Returns how many
        envelopes the bus confirmed."""
        now = self._clock()
        rooms = await self._store.claim_outboxes(
            now, now + timedelta(seconds=self._settings.outbox_settle), limit)

        async def send(room_id: RoomId) -> int:
            unsent = await self._store.outbox(room_id)
            return len(unsent) if await self._send_outbox(room_id, unsent) else 0

        sent = sum(await asyncio.gather(*map(send, rooms)))
        if sent:
            metrics.OUTBOX_REPUBLISHED.inc(sent)
            log.info("sent %d events left in outboxes", sent)
        return sent

    async def _archive(self, room: Room) -> bool:
        """Write an ended game to history (idempotent); False if the store is down."""
        record = game_record(room)
        if record is None:
            return True
        try:
            await self._history.record(record)
            self._crash_point("history_written")
            # Idempotent on the game id: a retry after a crash here rates it once.
            rated = ratings.rated_game(record)
            if rated is not None:
                await self._history.rate(rated)
        except DependencyUnavailable as exc:
            log.warning("history for %s not recorded yet (%s); will retry", room.room_id, exc)
            return False
        return True

    def _crash_point(self, point: str) -> None:
        if self._settings.crash_at == point:
            log.critical("CRASH_AT=%s: killing this game service", point)
            os.kill(os.getpid(), signal.SIGKILL)

    def _envelopes(self, command_id: str, emits: Sequence[Emit], actor: Actor | None,
                   now: datetime, key: str) -> list[tuple[str, bytes]]:
        out = []
        for index, emit in enumerate(emits):
            audience = emit.audience
            envelope = Envelope(
                event_id=f"{command_id}:{index}",
                event_type=str(emit.event.__struct_config__.tag),
                timestamp=now,
                actor=actor,
                audience=audience,
                payload=msgspec.Raw(encode(emit.event)),
            )
            out.append((key, encode_envelope(envelope)))
        return out

    async def _publish_all(self, envelopes: Sequence[tuple[str, bytes]]) -> None:
        with metrics.PUBLISH_EVENTS.time():
            await self._bus.publish_many(self._settings.topics.events, envelopes)

    async def _send_error(self, command_id: str, actor: Actor, key: str, code: str,
                          message: str, request_id: str | None) -> None:
        metrics.errors_of(str(code)).inc()
        error = ev.Error(code=code, message=message, socket_id=actor.socket_id,
                         request_id=request_id)
        emit = Emit(Audience(type=AudienceType.USER, user_ids=[actor.user_id],
                             socket_id=actor.socket_id), error)
        try:
            await self._publish_all(self._envelopes(command_id, [emit], actor, self._clock(),
                                                    key))
        except DependencyUnavailable:
            log.warning("could not report %s to %s", code, actor.socket_id)
