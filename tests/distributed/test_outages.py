"""A backing service goes down mid-game: commands get SERVICE_UNAVAILABLE (never
silence), /readyz names the failing dependency, nothing is half-applied, and
play resumes by itself when the service is back."""

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.optional import require_modules

require_modules("aiokafka", "redis", "pymongo")

import redis.asyncio as aioredis

from blazing.ids import RoomId
from blazing.state.redis import GATEWAYS, RedisRoomStore
from tests.distributed.cluster import REDIS, REDIS_DB, Cluster, Proc
from tests.distributed.test_cluster import SLOW, check_game, client, two_by_two
from tests.e2e.helpers import play_to_the_end, start_game
from tests.support.client import WsClient

pytestmark = pytest.mark.services
SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services"


async def services(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(str(SERVICES), *args,
                                                   stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL)
    assert await asyncio.wait_for(process.wait(), 180) == 0, f"services {args} failed"


async def readiness(gateway: Proc) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/readyz") as response:
        return response.status, await response.json()


async def wait_ready(gateway: Proc, want: int, timeout: float = 90,
                     degraded: bool = False) -> dict[str, Any]:
    """Poll /readyz until it answers ``want``, and (not) degraded as asked."""
    async with asyncio.timeout(timeout):
        while True:
            status, body = await readiness(gateway)
            if status == want and bool(body.get("degraded")) == degraded:
                return body
            await asyncio.sleep(0.2)


async def roll_until_applied(mover: WsClient, watcher: WsClient, room_id: str,
                             timeout: float = 120) -> tuple[dict[str, Any], int]:
    """Roll; while the system is still recovering, each try must be answered
    with SERVICE_UNAVAILABLE (never silence). Returns the roll and refusals."""
    refusals = 0
    async with asyncio.timeout(timeout):
        while True:
            await mover.send("bigger_dice.roll", room_id=room_id)
            answer = await mover.expect_one_of(("bigger_dice.rolled", "error"), timeout=SLOW)
            if answer["type"] == "bigger_dice.rolled":
                return answer, refusals
            assert answer["code"] == "SERVICE_UNAVAILABLE", answer
            refusals += 1
            await asyncio.sleep(0.5)


async def outage_mid_game(cluster: Cluster, name: str, dependency: str) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    players = {1: alice, 2: bob}
    try:
        room_id, turn = await start_game(alice, bob)
        await players[turn].send("bigger_dice.roll", room_id=room_id)
        await alice.expect("bigger_dice.rolled")
        turn = (await alice.expect("turn_changed"))["current_turn"]
        mover = players[turn]
        await services("stop", name)
        try:
            await mover.send("bigger_dice.roll", room_id=room_id, request_id="in-outage")
            error = await mover.expect("error", timeout=SLOW)
            assert (error["code"], error.get("request_id")) == ("SERVICE_UNAVAILABLE",
                                                                 "in-outage")
            body = await wait_ready(gw_a, 503)
            assert dependency in body["failing"]
        finally:
            await services("start", name)
        await wait_ready(gw_a, 200)
        rolled, _ = await roll_until_applied(mover, alice, room_id)
        assert rolled["player_id"] == turn
        if mover is not alice:  # alice is on the other gateway: wait for her copy
            await alice.expect("bigger_dice.rolled", room_id=room_id, seq=rolled["seq"])
        # Nothing was half-applied: exactly one roll per turn so far.
        rolls = [m for m in alice.log if m["type"] == "bigger_dice.rolled"]
        assert [r["seq"] for r in rolls] == sorted({r["seq"] for r in rolls}), rolls
        assert len(rolls) == 2, f"rolls seen: {rolls}; errors: " + str(
            [m for m in mover.log if m["type"] == "error"])
        nxt = await alice.expect("turn_changed", room_id=room_id)
        ended = await play_to_the_end(players, room_id, nxt["current_turn"], watcher=alice)
        assert ended == check_game(alice.log, room_id)
    finally:
        for ws in (alice, bob):
            await ws.close()


async def test_redis_stops_mid_game_and_comes_back(cluster: Cluster) -> None:
    await outage_mid_game(cluster, "redis", "state")


async def test_pooled_redis_connections_survive_a_restart(cluster: Cluster) -> None:
    """Each pooled connection is stale after a restart; its first command must
    reconnect and retry instead of failing (it did, once per connection, when the
    client was given the blocking client's retry policy)."""
    rooms = [RoomId(f"room_nothing_{n}") for n in range(5)]
    async with RedisRoomStore(f"{REDIS}/{REDIS_DB}") as store:
        assert await asyncio.gather(*map(store.load, rooms)) == [None] * 5  # 5 in the pool
        await services("restart", "redis")
        for _ in range(3):
            assert await asyncio.gather(*map(store.load, rooms)) == [None] * 5


async def test_kafka_stops_mid_game_and_comes_back(cluster: Cluster) -> None:
    await outage_mid_game(cluster, "kafka", "bus")


async def test_a_game_that_ends_while_history_is_down_is_recorded_once_it_is_back(
        cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    try:
        room_id, first = await start_game(alice, bob)
        await services("stop", "mongo")
        try:
            ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
            # Still ready (games go on without history), and saying what is missing.
            body = await wait_ready(gw_a, 200, degraded=True)
            assert "history" in body["degraded"]
        finally:
            await services("start", "mongo")
        await wait_ready(gw_a, 200)
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(60):
                while True:  # the game service retries the write every few seconds
                    url = f"{gw_b.url}/api/games/history?user_id=1&limit=10"
                    async with http.get(url) as response:
                        games = (await response.json())["games"] if response.ok else []
                    if games:
                        break
                    await asyncio.sleep(0.2)
        assert [g["room_id"] for g in games] == [room_id]  # exactly once
        assert games[0]["winner_id"] == ended["winner_id"]
    finally:
        for ws in (alice, bob):
            await ws.close()


async def test_a_gateway_lost_with_the_broker_still_drops_its_player(cluster: Cluster) -> None:
    """A host lost with a gateway and the Kafka broker on it: the game service releases
    the dead gateway's sockets while the bus refuses the player's user_disconnected,
    and sends it again until the broker, back, takes it."""
    # Bob only listens while the broker restarts: no idle close (4408) meanwhile.
    cluster.extra_args = ["--gateway-ttl", "2", "--grace-seconds", "2", "--idle-timeout", "600"]
    service = await cluster.game_service()
    gw_a = await cluster.gateway(0, "--gateway-id", "gw-lost-host")
    gw_b = await cluster.gateway()
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    redis = aioredis.Redis.from_url(f"{REDIS}/{REDIS_DB}")
    try:
        room_id, _ = await start_game(alice, bob)
        await services("stop", "kafka")
        try:
            await gw_a.kill()
            async with asyncio.timeout(60):  # released, and the drop refused by the bus
                while True:
                    if not await redis.sismember(GATEWAYS, "gw-lost-host") and any(
                            "not sent yet" in line for line in service.output):
                        break
                    await asyncio.sleep(0.1)  # polling, with the deadline above
        finally:
            await services("start", "kafka")
        back = asyncio.get_running_loop().time()
        dropped = await bob.expect("player_disconnected", room_id=room_id, timeout=90)
        print(f"player_disconnected {asyncio.get_running_loop().time() - back:.1f} s after "
              "the broker was back")
        assert dropped["user_id"] == 1
        ended = await bob.expect("game_ended", room_id=room_id, timeout=SLOW)
        assert (ended["reason"], ended["winner_id"]) == ("disconnected", 2)
    finally:
        await redis.aclose()
        for ws in (alice, bob):
            await ws.close()
