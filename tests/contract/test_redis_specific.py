"""What the Redis adapters promise beyond the ports: the documented key layout,
expiry of what nobody cleans up, presence TTLs, bounded failure while Redis is
down and recovery after it restarts (on a private redis-server, never the shared
one)."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from tests.support.optional import require_modules

require_modules("redis")

from redis.asyncio import Redis

from blazing.errors import DependencyUnavailable
from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.protocol.models import RoomStatus
from blazing.rooms.model import encode_room
from blazing.state.base import plan_commit
from blazing.state.redis import (
    SAFETY_MARGIN_SECONDS,
    RedisPresence,
    RedisRoomStore,
    unpack_envelopes,
)
from tests.contract.conftest import REDIS_URL, require
from tests.contract.test_room_store import (
    a_line,
    a_move,
    bump,
    fresh_table,
    unique_user,
    with_players,
)
from tests.support.process import free_port

pytestmark = pytest.mark.services
DEADLINE = 10.0  # seconds any polled condition may take
GW = GatewayId("gw-redis-test")


@pytest.fixture
async def raw() -> AsyncIterator[Redis]:
    require("redis", REDIS_URL, 6379)
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def store(raw: Redis) -> AsyncIterator[RedisRoomStore]:
    async with RedisRoomStore(REDIS_URL) as adapter:
        yield adapter


async def eventually(check: Any, what: str) -> None:
    """Poll ``check()`` (async, truthy when done) until it holds or DEADLINE passes."""
    try:
        async with asyncio.timeout(DEADLINE):
            while True:
                if await check():
                    return
                await asyncio.sleep(0.02)  # poll interval, not a synchronisation
    except TimeoutError:
        raise AssertionError(f"not within {DEADLINE} s: {what}") from None


async def test_a_room_is_written_under_the_documented_keys(store: RedisRoomStore,
                                                           raw: Redis) -> None:
    user, viewer = unique_user(), unique_user()
    name = f"Keys {uuid.uuid4().hex[:8]}"
    room = with_players(fresh_table(name).room, user)  # type: ignore[arg-type]
    deadline = datetime(2030, 1, 1, tzinfo=UTC)
    room = msgspec.structs.replace(room, turn_deadline=deadline, status=RoomStatus.IN_PROGRESS,
                                   spectators=())
    await store.commit(plan_commit(None, room))
    rid = room.room_id
    assert (await raw.get(f"game:room:{rid}")) == encode_room(room).decode()
    assert await raw.sismember("game:rooms:list", rid)  # type: ignore[misc]
    assert await raw.get(f"game:user:{user}:room") == rid
    assert await raw.get(f"game:room_name:{name.casefold()}") == rid
    assert await raw.zscore("game:timers", rid) == deadline.timestamp()
    assert await raw.ttl(f"game:room:{rid}") == -1  # an active room never expires
    table = fresh_table()
    table.room = room
    table.spectate(viewer)
    assert table.room is not None
    await store.commit(plan_commit(room, table.room))
    assert await raw.smembers(f"game:user:{viewer}:watching") == {rid}  # type: ignore[misc]


async def test_an_ended_room_expires_after_its_retention_and_a_margin(
        store: RedisRoomStore, raw: Redis) -> None:
    room = fresh_table().room
    assert room is not None
    await store.commit(plan_commit(None, room))
    retention = 600
    ended = bump(room, status=RoomStatus.ABANDONED, finished_at=datetime.now(UTC),
                 expires_at=datetime.now(UTC) + timedelta(seconds=retention))
    await store.commit(plan_commit(room, ended))
    ttl = await raw.ttl(f"game:room:{room.room_id}")
    assert retention + SAFETY_MARGIN_SECONDS - 5 <= ttl <= retention + SAFETY_MARGIN_SECONDS
    assert not await raw.sismember("game:rooms:list", room.room_id)  # type: ignore[misc]


async def test_deleting_a_room_leaves_no_key_pointing_at_it(store: RedisRoomStore,
                                                            raw: Redis) -> None:
    user, viewer = unique_user(), unique_user()
    table = fresh_table()
    assert table.room is not None
    room = with_players(table.room, user)
    await store.commit(plan_commit(None, room))
    table.room = room
    table.spectate(viewer)
    assert table.room is not None
    watched = table.room
    await store.commit(plan_commit(room, watched))
    await store.commit(plan_commit(watched, None))
    rid = room.room_id
    assert not await raw.exists(f"game:room:{rid}", f"game:user:{user}:room",
                                f"game:room_name:{room.room_name.casefold()}",
                                f"game:user:{viewer}:watching")
    assert not await raw.sismember("game:rooms:list", rid)  # type: ignore[misc]
    assert await raw.zscore("game:timers", rid) is None


async def test_a_timer_whose_room_is_gone_is_dropped(store: RedisRoomStore,
                                                     raw: Redis) -> None:
    ghost = f"room_ghost_{uuid.uuid4().hex}"
    await raw.zadd("game:timers", {ghost: 0.5})
    assert ghost not in await store.due(datetime.now(UTC), 10_000)
    assert await raw.zscore("game:timers", ghost) is None


async def test_a_stale_list_entry_is_skipped(store: RedisRoomStore, raw: Redis) -> None:
    ghost = f"room_ghost_{uuid.uuid4().hex}"
    await raw.sadd("game:rooms:list", ghost)  # type: ignore[misc]
    try:
        assert ghost not in {r.room_id for r in await store.active_rooms(10_000)}
    finally:
        await raw.srem("game:rooms:list", ghost)  # type: ignore[misc]


async def test_presence_expires_without_a_refresh(raw: Redis) -> None:
    me = UserId(unique_user())
    async with RedisPresence(REDIS_URL, ttl_seconds=0.3) as presence:
        await presence.socket_opened(me, SocketId("s1"), GW)
        assert await presence.is_online(me)
        assert 0 < await raw.pttl(f"ws:sockets:{me}") <= 600  # twice the presence TTL

        async def offline() -> bool:
            return not await presence.is_online(me)

        await eventually(offline, "presence expires after its TTL")


async def test_presence_uses_the_documented_keys_and_ttl(raw: Redis) -> None:
    me = UserId(unique_user())
    async with RedisPresence(REDIS_URL) as presence:
        await presence.socket_opened(me, SocketId("s1"), GW)
        assert 55 <= await raw.ttl(f"ws:presence:{me}") <= 60
        assert await raw.smembers(f"ws:sockets:{me}") == {"s1"}  # type: ignore[misc]
        assert await presence.socket_closed(me, SocketId("s1"), GW)
        assert not await raw.exists(f"ws:presence:{me}", f"ws:sockets:{me}")


async def test_an_unreachable_redis_is_unavailable_quickly() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    async with RedisRoomStore(url, timeout=0.5) as store, \
            RedisPresence(url, timeout=0.5) as presence:
        with pytest.raises(DependencyUnavailable):
            await store.load(RoomId("room_x"))
        with pytest.raises(DependencyUnavailable):
            await store.commit(plan_commit(None, fresh_table().room))
        with pytest.raises(DependencyUnavailable):
            await presence.socket_opened(UserId(1), SocketId("s"), GW)
        with pytest.raises(DependencyUnavailable):
            await store.ping()
    assert time.monotonic() - started < 10


class PrivateRedis:
    """A redis-server of this test's own on a free port, which it may kill."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        give_up = time.monotonic() + DEADLINE
        while time.monotonic() < give_up:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)  # poll until the server listens
        raise AssertionError("private redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.kill()


async def test_the_adapters_recover_after_a_redis_restart(
        private_redis: PrivateRedis) -> None:
    me = UserId(unique_user())
    async with RedisRoomStore(private_redis.url, timeout=0.5) as store, \
            RedisPresence(private_redis.url, timeout=0.5) as presence:
        room = fresh_table().room
        assert room is not None
        await store.commit(plan_commit(None, room))  # loads the scripts into this server
        await presence.socket_opened(me, SocketId("s1"), GW)

        private_redis.kill()
        with pytest.raises(DependencyUnavailable):
            await store.load(room.room_id)
        with pytest.raises(DependencyUnavailable):
            await presence.socket_closed(me, SocketId("s1"), GW)

        private_redis.start()  # same port, empty data, empty script cache
        assert await store.load(room.room_id) is None
        # Several commits at once go in one pipeline, which meets NOSCRIPT first.
        others = [fresh_table().room for _ in range(3)]
        await asyncio.gather(*(store.commit(plan_commit(None, r)) for r in others))
        assert await asyncio.gather(*(store.load(r.room_id)  # type: ignore[union-attr]
                                      for r in others)) == others
        await store.commit(plan_commit(None, room))
        assert await store.load(room.room_id) == room
        await presence.socket_opened(me, SocketId("s2"), GW)
        assert await presence.socket_closed(me, SocketId("s2"), GW) is True


async def test_a_hung_redis_is_unavailable_in_bounded_time(
        private_redis: PrivateRedis) -> None:
    async with RedisRoomStore(private_redis.url, timeout=0.3) as store:
        await store.ping()
        assert private_redis.process is not None
        os.kill(private_redis.process.pid, signal.SIGSTOP)  # accepts, never answers
        try:
            started = time.monotonic()
            with pytest.raises(DependencyUnavailable):
                await store.load(RoomId("room_x"))
            assert time.monotonic() - started < 5
        finally:
            os.kill(private_redis.process.pid, signal.SIGCONT)
        await store.ping()  # answers again once the server does


async def test_gateway_keys_follow_the_documented_layout(raw: Redis) -> None:
    gateway, me = GatewayId(f"gw-{uuid.uuid4().hex[:8]}"), unique_user()
    async with RedisPresence(REDIS_URL) as presence:
        await presence.gateway_alive(gateway, 30)
        await presence.socket_opened(me, SocketId("s1"), gateway)
        assert await raw.sismember("ws:gateways", gateway)
        assert 0 < await raw.pttl(f"ws:gateway:{gateway}") <= 30_000
        assert await raw.hgetall(f"ws:gateway:{gateway}:sockets") == {"s1": str(me)}
        assert await presence.release_gateway(gateway, only_if_dead=False) == [me]
        assert not await raw.exists(f"ws:gateway:{gateway}", f"ws:gateway:{gateway}:sockets",
                                    f"ws:presence:{me}", f"ws:sockets:{me}")
        assert not await raw.sismember("ws:gateways", gateway)


async def test_rooms_loaded_at_once_share_one_round_trip(raw: Redis) -> None:
    """A burst of commands for many rooms loads them with one MGET, not one GET each."""
    async with RedisRoomStore(REDIS_URL) as store:
        rooms = []
        for _ in range(30):
            room = fresh_table().room
            assert room is not None
            await store.commit(plan_commit(None, room))
            rooms.append(room)

        async def calls(command: str) -> int:
            stats = await raw.info("commandstats")
            return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))

        mget, get = await calls("mget"), await calls("get")
        loaded = await asyncio.gather(*(store.load(room.room_id) for room in rooms))
        assert loaded == rooms
        assert (await calls("mget") - mget, await calls("get") - get) == (1, 0)


async def test_the_logs_live_in_lists_that_expire_with_the_room(store: RedisRoomStore,
                                                                raw: Redis) -> None:
    room = fresh_table().room
    assert room is not None
    await store.commit(plan_commit(None, room))
    user = room.players[0].user_id
    played = bump(room, moves=(a_move(user, 1),), chat=(a_line(user, 1),))
    await store.commit(plan_commit(room, played))
    rid = room.room_id
    assert await raw.lrange(f"game:room:{rid}:moves", 0, -1) == [  # type: ignore[misc]
        msgspec.json.encode(a_move(user, 1)).decode()]
    assert await raw.llen(f"game:room:{rid}:chat") == 1  # type: ignore[misc]
    assert '"moves"' not in await raw.get(f"game:room:{rid}")
    assert await raw.ttl(f"game:room:{rid}:moves") == -1  # kept while the room is active
    ended = bump(played, status=RoomStatus.ABANDONED, finished_at=datetime.now(UTC),
                 expires_at=datetime.now(UTC) + timedelta(seconds=600))
    await store.commit(plan_commit(played, ended))
    for log in ("moves", "chat"):
        assert await raw.ttl(f"game:room:{rid}:{log}") > 600


async def test_a_document_that_holds_its_own_logs_is_read_and_moved_apart(
        store: RedisRoomStore, raw: Redis) -> None:
    """A room written before logs were kept apart: its moves and chat in the
    document, ``version`` not first. It loads whole, and its next commit moves the
    logs into their lists without losing a line."""
    room = fresh_table().room
    assert room is not None
    user = room.players[0].user_id
    old = msgspec.structs.replace(room, version=7, logs_apart=False,
                                  moves=(a_move(user, 1),), chat=(a_line(user, 1),))
    fields = msgspec.to_builtins(old)
    fields.pop("logs_apart", None)
    fields = {"room_id": fields.pop("room_id"), **fields}  # not version first
    await raw.set(f"game:room:{room.room_id}", msgspec.json.encode(fields).decode())
    await raw.sadd("game:rooms:list", room.room_id)  # type: ignore[misc]
    loaded = await store.load(room.room_id)
    assert loaded is not None and loaded.moves == old.moves and loaded.chat == old.chat
    after = bump(loaded, moves=(*loaded.moves, a_move(user, 2)))
    await store.commit(plan_commit(loaded, after))  # the version is read from the JSON
    whole = await store.load(room.room_id, logs=True)
    assert whole is not None and whole.logs_apart
    assert whole.moves == (a_move(user, 1), a_move(user, 2)) and whole.chat == old.chat
    assert '"moves"' not in await raw.get(f"game:room:{room.room_id}")
    await store.commit(plan_commit(whole, None))


async def test_a_commits_events_are_one_compressed_outbox_item(store: RedisRoomStore,
                                                                raw: Redis) -> None:
    room = fresh_table().room
    assert room is not None
    envelopes = [msgspec.json.encode({"event_id": f"cmd:{i}", "event_type": "rolled",
                                      "payload": {"room_id": room.room_id, "roll": i}})
                 for i in range(3)]
    due = datetime.now(UTC) + timedelta(seconds=60)
    await store.commit(plan_commit(None, room, envelopes, due))
    raw_bytes = Redis.from_url(REDIS_URL)
    try:
        [item] = await raw_bytes.lrange(f"game:room:{room.room_id}:outbox", 0, -1)  # type: ignore[misc]
    finally:
        await raw_bytes.aclose()
    assert len(item) < sum(map(len, envelopes))
    assert unpack_envelopes([item]) == envelopes == await store.outbox(room.room_id)
    await store.outbox_sent(room.room_id, envelopes[-1])
    assert await store.outbox(room.room_id) == []
