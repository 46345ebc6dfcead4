"""The game service between a commit and its publish: every committed change's
events reach the bus at least once, whatever fails in between, and a player is
never told "not applied" for a command that was applied.

The bus is the real in-process one with its events topic switched off for a while,
as a broker that goes away right after the store took the commit."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from blazing.bus.base import Message, Subscription
from blazing.bus.memory import MemoryBus
from blazing.codec import encode
from blazing.errors import DependencyUnavailable
from blazing.games.base import RandomRng
from blazing.games.bigger_dice.messages import Roll
from blazing.history.sqlite import SqliteHistory
from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.protocol import client as cmd
from blazing.protocol.envelope import Actor, Envelope, Topics, encode_envelope
from blazing.rooms.context import RuleSettings
from blazing.rooms.service import GameService, ServiceSettings
from blazing.state.base import CommitPlan
from blazing.state.memory import MemoryPresence, MemoryRoomStore
from tests.conftest import TIME_UNIT

TOPICS = Topics()
WAIT = 20 * TIME_UNIT


class SwitchableBus(MemoryBus):
    """The in-process bus, whose events topic refuses sends while ``events_down``
    is set, or for the next ``refuse_next`` sends."""

    def __init__(self) -> None:
        super().__init__()
        self.events_down = False
        self.refuse_next = 0

    async def publish_many(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        if topic == TOPICS.events and (self.events_down or self.refuse_next > 0):
            self.refuse_next = max(0, self.refuse_next - 1)
            raise DependencyUnavailable("events topic refused the send")
        await super().publish_many(topic, messages)


def command(user: int, message: cmd.Command) -> bytes:
    actor = Actor(user_id=UserId(user), username=f"user{user}", avatar_id=None,
                  socket_id=SocketId(f"sock{user}"), gateway_id=GatewayId("gw-test"))
    return encode_envelope(Envelope(
        event_id=uuid.uuid4().hex, event_type=str(message.__struct_config__.tag),
        timestamp=datetime.now(UTC), actor=actor, audience=None,
        payload=msgspec.Raw(encode(message))))


class Events:
    """What a gateway would see on the events topic, decoded."""

    def __init__(self, subscription: Subscription) -> None:
        self.seen: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self._task = asyncio.create_task(self._read(subscription))

    async def _read(self, subscription: Subscription) -> None:
        message: Message
        async for message in subscription:
            envelope = msgspec.json.decode(message.value)
            async with self._arrived:
                self.seen.append({**envelope["payload"], "_event_id": envelope["event_id"],
                                  "_audience": envelope["audience"]["type"]})
                self._arrived.notify_all()

    async def wait_for(self, type: str, timeout: float = WAIT, **fields: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((e for e in self.seen if e["type"] == type and all(
                e.get(k) == v for k, v in fields.items())), None)

        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: found() is not None)
        event = found()
        assert event is not None
        return event

    def of_type(self, type: str) -> list[dict[str, Any]]:
        return [e for e in self.seen if e["type"] == type]

    def close(self) -> None:
        self._task.cancel()


@pytest.fixture
async def bus() -> SwitchableBus:
    return SwitchableBus()


@pytest.fixture
async def events(bus: SwitchableBus) -> AsyncIterator[Events]:
    seen = Events(await bus.subscribe(TOPICS.events, "gateway-test"))
    yield seen
    seen.close()


def service_settings(turn_seconds: float = 30.0) -> ServiceSettings:
    return ServiceSettings(rules=RuleSettings(turn_seconds=turn_seconds),
                           timer_interval=0.02, outbox_interval=0.02,
                           outbox_settle=2 * TIME_UNIT)


class LosingRepliesStore(MemoryRoomStore):
    """The in-process store, whose next ``lose_replies`` commits are written but
    answered with a failure, as when the connection drops before the reply."""

    lose_replies = 0

    async def commit(self, plan: CommitPlan) -> list[bytes]:
        unsent = await super().commit(plan)
        if self.lose_replies > 0:
            self.lose_replies -= 1
            raise DependencyUnavailable("connection lost before the reply")
        return unsent


@pytest.fixture
async def store() -> LosingRepliesStore:
    return LosingRepliesStore()


@pytest.fixture
async def service_of(bus: SwitchableBus, store: LosingRepliesStore) -> AsyncIterator[Any]:
    async with SqliteHistory(":memory:") as history:
        services: list[GameService] = []

        async def start(settings: ServiceSettings) -> GameService:
            service = GameService(bus=bus, store=store, history=history,
                                  presence=MemoryPresence(), rng=RandomRng.seeded(3),
                                  settings=settings)
            services.append(await service.__aenter__())
            return service

        yield start
        for service in services:
            await service.__aexit__(None, None, None)


async def started_game(bus: SwitchableBus, events: Events,
                       name: str = "Outbox") -> tuple[str, int]:
    """A game between users 1 and 2 (their first: a finished game frees them)."""
    await bus.publish(TOPICS.commands, "user:1", command(1, cmd.CreateRoom(
        game_type="bigger_dice", room_name=name)))
    room_id = str((await events.wait_for("room_created", room_name=name))["room_id"])
    for user, message in ((2, cmd.JoinRoom(room_id=room_id)), (1, cmd.Ready(room_id=room_id)),
                          (2, cmd.Ready(room_id=room_id))):
        await bus.publish(TOPICS.commands, room_id, command(user, message))
    started = await events.wait_for("game_started", room_id=room_id)
    return room_id, int(started["first_turn"])


def room_seqs(events: Events, room_id: str) -> list[int]:
    """The seq of every room event of ``room_id`` as it came off the bus."""
    return [e["seq"] for e in events.seen
            if e.get("room_id") == room_id and e["_audience"] == "room"]


async def test_a_command_whose_publish_failed_is_not_reported_as_not_applied(
        bus: SwitchableBus, events: Events, service_of: Any) -> None:
    await service_of(service_settings())
    room_id, first = await started_game(bus, events)
    bus.refuse_next = 1  # the broker drops the first send after the commit, then is back
    await bus.publish(TOPICS.commands, room_id, command(first, Roll(
        room_id=room_id, request_id="the-roll")))
    rolled = await events.wait_for("bigger_dice.rolled", room_id=room_id)
    assert rolled["player_id"] == first
    await events.wait_for("turn_changed", room_id=room_id, turn_number=2)
    assert [e for e in events.of_type("error") if e.get("request_id") == "the-roll"] == []


async def test_events_of_a_committed_command_are_sent_once_the_bus_is_back_without_redelivery(
        bus: SwitchableBus, events: Events, service_of: Any) -> None:
    await service_of(service_settings())
    room_id, first = await started_game(bus, events)
    bus.events_down = True
    await bus.publish(TOPICS.commands, room_id, command(first, Roll(room_id=room_id)))
    await asyncio.sleep(5 * TIME_UNIT)  # the outage lasts a while (no command comes again)
    assert events.of_type("bigger_dice.rolled") == []
    bus.events_down = False
    turn = await events.wait_for("turn_changed", room_id=room_id, turn_number=2)
    second = int(turn["current_turn"])
    await bus.publish(TOPICS.commands, room_id, command(second, Roll(room_id=room_id)))
    await events.wait_for("turn_changed", room_id=room_id, turn_number=3)
    seqs = room_seqs(events, room_id)
    assert sorted(set(seqs)) == list(range(1, max(seqs) + 1)), f"a gap in {seqs}"
    firsts = [seqs.index(s) for s in sorted(set(seqs))]
    assert firsts == sorted(firsts), f"out of order: {seqs}"
    assert events.of_type("error") == []


async def test_a_later_commit_sends_the_earlier_unsent_events_first(
        bus: SwitchableBus, events: Events, service_of: Any) -> None:
    # No drain loop to help: the next command of the room must carry them.
    await service_of(ServiceSettings(timer_interval=0.02, outbox_interval=3600.0,
                                     outbox_settle=3600.0))
    room_id, first = await started_game(bus, events)
    bus.refuse_next = 1
    await bus.publish(TOPICS.commands, room_id, command(first, Roll(room_id=room_id)))
    await bus.publish(TOPICS.commands, room_id, command(3, cmd.Spectate(room_id=room_id)))
    await events.wait_for("spectator_joined", room_id=room_id)
    seqs = room_seqs(events, room_id)
    assert seqs == sorted(seqs) and sorted(set(seqs)) == list(range(1, max(seqs) + 1)), seqs


async def test_a_timer_commit_whose_publish_failed_is_sent_once_the_bus_is_back(
        bus: SwitchableBus, events: Events, service_of: Any) -> None:
    await service_of(service_settings(turn_seconds=3 * TIME_UNIT))
    room_id, first = await started_game(bus, events)
    bus.events_down = True
    await asyncio.sleep(6 * TIME_UNIT)  # the turn deadline passes during the outage
    bus.events_down = False
    rolled = await events.wait_for("bigger_dice.rolled", room_id=room_id)
    assert (rolled["player_id"], rolled.get("auto")) == (first, True)
    seqs = room_seqs(events, room_id)
    assert sorted(set(seqs)) == list(range(1, max(seqs) + 1)), f"a gap in {seqs}"


async def test_a_command_whose_commit_reply_was_lost_is_not_reported_as_not_applied(
        bus: SwitchableBus, events: Events, store: LosingRepliesStore,
        service_of: Any) -> None:
    await service_of(service_settings())
    room_id, first = await started_game(bus, events)
    store.lose_replies = 1
    await bus.publish(TOPICS.commands, room_id, command(first, Roll(
        room_id=room_id, request_id="the-roll")))
    await events.wait_for("turn_changed", room_id=room_id, turn_number=2)  # from the outbox
    assert [e for e in events.of_type("error") if e.get("request_id") == "the-roll"] == []


class BrokenConsumerBus(MemoryBus):
    """The in-process bus, whose subscriptions fail for good, as a consumer fenced
    out of its group."""

    async def subscribe(self, topic: str, group: str) -> Any:
        subscription = await super().subscribe(topic, group)

        async def next_batch(max_messages: int) -> list[Message]:
            raise DependencyUnavailable("kafka fetch: GroupAuthorizationFailedError")

        subscription.next_batch = next_batch  # type: ignore[method-assign]
        return subscription


async def test_a_consume_loop_that_dies_fails_the_process() -> None:
    from blazing.supervision import Liveness

    liveness = Liveness()
    async with MemoryRoomStore() as store, SqliteHistory(":memory:") as history:
        service = GameService(bus=BrokenConsumerBus(), store=store, history=history,
                              presence=MemoryPresence(), rng=RandomRng.seeded(1),
                              settings=service_settings(), liveness=liveness)
        async with service:
            await asyncio.wait_for(liveness.failed.wait(), WAIT)
    assert liveness.reason is not None and "command consumer stopped" in liveness.reason


class StuckHistory(SqliteHistory):
    """The in-process history store, whose writes wait until ``release`` is set (a
    history server that takes the request and does not answer)."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.release = asyncio.Event()
        self.writes = 0

    async def record(self, game: Any) -> None:
        self.writes += 1
        await self.release.wait()
        await super().record(game)


async def test_a_history_write_that_hangs_holds_no_other_rooms_timers(
        bus: SwitchableBus, events: Events) -> None:
    fast = service_settings(turn_seconds=0.05)  # every turn is an auto-roll at once
    async with MemoryRoomStore() as store, StuckHistory() as history:
        service = GameService(bus=bus, store=store, history=history,
                              presence=MemoryPresence(), rng=RandomRng.seeded(5),
                              settings=fast)
        async with service:
            first, _ = await started_game(bus, events)
            await events.wait_for("game_ended", room_id=first)  # its history write hangs
            second, _ = await started_game(bus, events, "Second")
            ended = await events.wait_for("game_ended", room_id=second)
            assert ended["reason"] == "won"
            assert history.writes >= 1 and not history.release.is_set()
            history.release.set()
            async with asyncio.timeout(WAIT):
                while await history.get(RoomId(first)) is None:  # noqa: ASYNC110 - polled
                    await asyncio.sleep(0.02)
