"""Two gateways and two game services as processes over real Kafka, Redis and
FerretDB: cross-gateway play, crashes mid-game, and races."""

import asyncio
import signal
from collections import Counter
from typing import Any

import aiohttp
import pytest

from tests.support.optional import require_modules

require_modules("aiokafka", "redis", "pymongo")

import redis.asyncio as aioredis

from blazing.state.redis import GATEWAYS, presence_key
from tests.conftest import token_for
from tests.distributed.cluster import REDIS, REDIS_DB, Cluster, Proc
from tests.e2e.helpers import play_to_the_end, start_game
from tests.support.client import WsClient

pytestmark = pytest.mark.services
SLOW = 45.0  # a killed game service's partitions move after the group session times out


async def client(gateway: Proc, user_id: int, name: str) -> WsClient:
    ws = await WsClient.connect(gateway.ws_url, name, token=token_for(user_id, name))
    await ws.expect("authenticated", timeout=SLOW)
    return ws


async def two_by_two(cluster: Cluster) -> tuple[Proc, Proc]:
    await cluster.game_service()
    await cluster.game_service()
    return await cluster.gateway(), await cluster.gateway()


def check_game(log: list[dict[str, Any]], room_id: str) -> dict[str, Any]:
    """Scores agree with the rolls this client saw; no event seen twice or skipped."""
    events = [m for m in log if m.get("room_id") == room_id and m.get("seq")
              and m["type"] != "room_state"]
    seqs = [m["seq"] for m in events]
    duplicates = [s for s, n in Counter(seqs).items() if n > 1]
    assert not duplicates, f"events seen twice: {duplicates}"
    assert seqs == sorted(seqs)
    wins: Counter[int] = Counter()
    for result in (m for m in events if m["type"] == "bigger_dice.round_result"):
        if result["winner_id"] is not None:
            wins[result["winner_id"]] += 1
        assert result["is_tie"] == (result["player1_roll"] == result["player2_roll"])
    ended = next(m for m in events if m["type"] == "game_ended")
    assert {u: s for u, _, s in ended["final_scores"]} == {
        u: wins.get(u, 0) for u, _, _ in ended["final_scores"]}
    return ended


async def test_players_on_different_gateways_play_a_whole_game(cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    carol = await client(gw_b, 3, "carol")
    try:
        room_id, first = await start_game(alice, bob)
        await carol.send("spectate", room_id=room_id)
        await carol.expect("room_state", room_id=room_id)
        ended = await play_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
        assert await carol.expect("game_ended", room_id=room_id) == ended
        assert await bob.expect("game_ended", room_id=room_id) == ended
        check_game(alice.log, room_id)
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # history is written right after the game ends
                async with http.get(f"{gw_b.url}/api/games/history/{room_id}") as response:
                    if response.status == 200:
                        game = await response.json()
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("no history for the game")
        assert game["winner_id"] == ended["winner_id"]
    finally:
        for ws in (alice, bob, carol):
            await ws.close()


async def test_a_game_survives_kill_9_of_each_game_service(cluster: Cluster) -> None:
    first_service = await cluster.game_service()
    second_service = await cluster.game_service()
    gw_a, gw_b = await cluster.gateway(), await cluster.gateway()
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    players = {1: alice, 2: bob}
    try:
        room_id, turn = await start_game(alice, bob)
        sent = seen = 0
        kills = {6: first_service, 14: second_service}
        for roll_number in range(1, 1000):
            if roll_number in kills:
                await kills[roll_number].kill()
                if roll_number == 14:
                    await cluster.game_service()  # somebody has to be left
            await players[turn].send("bigger_dice.roll", room_id=room_id)
            sent += 1
            rolled = await alice.expect("bigger_dice.rolled", timeout=SLOW, room_id=room_id)
            seen += 1
            assert rolled["player_id"] == turn
            nxt = await alice.expect_one_of(("turn_changed", "game_ended"), timeout=SLOW,
                                            room_id=room_id)
            if nxt["type"] == "game_ended":
                break
            turn = nxt["current_turn"]
        ended = check_game(alice.log, room_id)
        assert sent == seen
        await bob.expect("game_ended", room_id=room_id, timeout=SLOW)
        assert check_game(bob.log, room_id) == ended
        rolls_applied = len([m for m in alice.log if m["type"] == "bigger_dice.rolled"])
        assert rolls_applied == sent, "a roll was lost or doubled"
    finally:
        for ws in (alice, bob):
            await ws.close()
    print(f"\nkill -9 of both game services: {sent} rolls sent, {seen} applied, 0 duplicates")


async def test_clients_of_a_killed_gateway_reconnect_elsewhere_and_finish(
        cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_a, 2, "bob")
    carol = await client(gw_b, 3, "carol")
    try:
        room_id, first = await start_game(alice, bob)
        await carol.send("spectate", room_id=room_id)
        await carol.expect("room_state")
        players = {1: alice, 2: bob}
        await players[first].send("bigger_dice.roll", room_id=room_id)
        await carol.expect("bigger_dice.rolled")
        await gw_a.kill()
        await alice.wait_closed()
        await bob.wait_closed()
        alice, bob = await client(gw_b, 1, "alice"), await client(gw_b, 2, "bob")
        for ws in (alice, bob):
            await ws.send("rejoin_room", room_id=room_id)
            state = await ws.expect("room_state", room_id=room_id, timeout=SLOW)
            assert state["room"]["status"] == "in_progress"
            assert state["room"]["turn_number"] == 2
        turn = state["room"]["current_turn"]
        ended = await play_to_the_end({1: alice, 2: bob}, room_id, turn, watcher=carol)
        assert ended["reason"] == "won"
    finally:
        for ws in (alice, bob, carol):
            await ws.close()


async def test_two_joins_for_the_last_seat_one_wins(cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    host = await client(gw_a, 1, "host")
    rivals = [await client(gw_a, 2, "rival_a"), await client(gw_b, 3, "rival_b")]
    try:
        await host.send("create_room", game_type="bigger_dice", room_name="Last seat")
        room_id = (await host.expect("room_created"))["room_id"]
        await host.expect("room_state", room_id=room_id)
        await asyncio.gather(*(r.send("join_room", room_id=room_id) for r in rivals))
        outcomes = [await r.expect_one_of(("room_state", "error"), timeout=SLOW)
                    for r in rivals]
        kinds = sorted(o["type"] if o["type"] != "error" else o["code"] for o in outcomes)
        assert kinds == ["ROOM_FULL", "room_state"]
        await host.send("rejoin_room", room_id=room_id)
        state = await host.expect("room_state")
        assert len(state["room"]["players"]) == 2
    finally:
        for ws in (host, *rivals):
            await ws.close()


async def wait_for(predicate: Any, timeout: float = SLOW) -> None:
    """Poll a condition with a deadline (for outcomes spread over several clients)."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - a poll with a deadline over several clients
            await asyncio.sleep(0.02)


async def test_two_rolls_at_once_from_two_tabs_one_applies(cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    tabs: list[WsClient] = []
    try:
        room_id, first = await start_game(alice, bob)
        tabs = [await client(gw_a, first, "tab_a"), await client(gw_b, first, "tab_b")]
        await asyncio.gather(*(t.send("bigger_dice.roll", room_id=room_id) for t in tabs))

        def errors() -> list[str]:
            return [m["code"] for t in tabs for m in t.log if m["type"] == "error"]

        await wait_for(lambda: len(errors()) == 1)
        await alice.expect("turn_changed", room_id=room_id, turn_number=2)
        assert errors() == ["NOT_YOUR_TURN"]
        assert len([m for m in alice.log if m["type"] == "bigger_dice.rolled"]) == 1
    finally:
        for ws in (alice, bob, *tabs):
            await ws.close()


async def test_two_creates_with_one_name_at_once_one_wins(cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    makers = [await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")]
    try:
        await asyncio.gather(*(m.send("create_room", game_type="bigger_dice",
                                      room_name=name)
                               for m, name in zip(makers, ["Same Name", "same name"],
                                                  strict=True)))
        outcomes = [await m.expect_one_of(("room_created", "error"), timeout=SLOW)
                    for m in makers]
        kinds = sorted(o["type"] if o["type"] != "error" else o["code"] for o in outcomes)
        assert kinds == ["ROOM_NAME_TAKEN", "room_created"]
    finally:
        for ws in makers:
            await ws.close()


async def test_a_gateway_that_stops_gracefully_signs_its_users_out(cluster: Cluster) -> None:
    """SIGTERM: every socket is closed with 1001 and each close is recorded (presence
    cleared) before the gateway lets go of Redis."""
    cluster.extra_args = ["--max-connects-per-ip", "0"]  # 200 users from one address
    await cluster.game_service()
    gateway = await cluster.gateway()
    users = range(7001, 7201)
    clients = [await client(gateway, user, f"leaver{user}") for user in users]
    await gateway.stop()
    for ws in clients:
        assert await ws.wait_closed() == 1001
        await ws.close()
    redis = aioredis.Redis.from_url(f"{REDIS}/{REDIS_DB}")
    try:
        assert [await redis.exists(presence_key(user)) for user in users] == [0] * len(users)
        # It also leaves the gateway registry: nothing for a game service to release.
        assert await redis.smembers(GATEWAYS) == set()
        assert await redis.keys("ws:gateway:*") == []
    finally:
        await redis.aclose()
    assert not [line for line in gateway.output if "not recorded" in line]


GATEWAY_TTL = 2.0  # seconds; the gateways beat every third of it (a live one is
# taken for dead only if its loop stalls for over 1.3 s)


async def test_a_killed_gateways_player_is_dropped_and_forfeits(cluster: Cluster) -> None:
    """kill -9 of the gateway holding one player: nothing closes that socket, yet a game
    service notices the heartbeat stopped, the opponent gets player_disconnected and,
    after the grace period, wins by the other's disconnection."""
    cluster.extra_args = ["--gateway-ttl", str(GATEWAY_TTL), "--grace-seconds", "2"]
    await cluster.game_service()
    gw_a, gw_b = await cluster.gateway(0, "--gateway-id", "gw-doomed"), await cluster.gateway()
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    try:
        room_id, _ = await start_game(alice, bob)
        await gw_a.kill()
        dropped = await bob.expect("player_disconnected", room_id=room_id, timeout=15)
        assert dropped["user_id"] == 1
        ended = await bob.expect("game_ended", room_id=room_id, timeout=15)
        assert (ended["reason"], ended["winner_id"]) == ("disconnected", 2)
        redis = aioredis.Redis.from_url(f"{REDIS}/{REDIS_DB}")
        try:
            assert not await redis.exists(presence_key(1))
            assert await redis.exists(presence_key(2))
            assert not await redis.sismember(GATEWAYS, "gw-doomed")
        finally:
            await redis.aclose()
    finally:
        for ws in (alice, bob):
            await ws.close()


async def test_a_gateway_taken_for_dead_closes_its_sockets_and_they_rejoin(
        cluster: Cluster) -> None:
    """A gateway frozen for longer than its TTL (SIGSTOP: a long pause, or cut off from
    Redis) is taken for dead and its player dropped. When it wakes up it learns so at its
    next heartbeat and closes its sockets with 1012; the client reconnects and rejoins."""
    cluster.extra_args = ["--gateway-ttl", str(GATEWAY_TTL)]
    await cluster.game_service()
    gw_a, gw_b = await cluster.gateway(), await cluster.gateway()
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    assert gw_a.process is not None
    try:
        room_id, _ = await start_game(alice, bob)
        gw_a.process.send_signal(signal.SIGSTOP)
        try:
            dropped = await bob.expect("player_disconnected", room_id=room_id, timeout=15)
            assert dropped["user_id"] == 1
        finally:
            gw_a.process.send_signal(signal.SIGCONT)
        assert await alice.wait_closed(timeout=15) == 1012
        await alice.close()
        alice = await client(gw_a, 1, "alice")
        await alice.send("rejoin_room", room_id=room_id)
        state = await alice.expect("room_state", room_id=room_id)
        assert state["room"]["status"] == "in_progress"
        await bob.expect("player_rejoined", room_id=room_id, user_id=1)
    finally:
        for ws in (alice, bob):
            await ws.close()


async def test_a_gateway_restarted_under_its_id_drops_what_its_last_run_left(
        cluster: Cluster) -> None:
    """kill -9, then the same GATEWAY_ID at once (within the 15 s TTL, so no game service
    has released it): the new run releases the old run's sockets itself at start."""
    await cluster.game_service()
    gw_a, gw_b = await cluster.gateway(0, "--gateway-id", "gw-again"), await cluster.gateway()
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    try:
        room_id, _ = await start_game(alice, bob)
        await gw_a.kill()
        started = asyncio.get_running_loop().time()
        await cluster.gateway(0, "--gateway-id", "gw-again")
        dropped = await bob.expect("player_disconnected", room_id=room_id, timeout=10)
        assert dropped["user_id"] == 1
        assert asyncio.get_running_loop().time() - started < 15  # before the TTL ran out
    finally:
        for ws in (alice, bob):
            await ws.close()
