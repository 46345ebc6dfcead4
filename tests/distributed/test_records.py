"""Records in the distributed mode (real Kafka, Redis, FerretDB): a played game is in
stats, the leaderboard and its replay within a second; and a game service killed
between writing a game's history and rating it rates the game exactly once after a
restart."""

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from blazing.history.mongo import MongoHistory
from blazing.ids import UserId
from blazing.records import ratings
from tests.distributed.cluster import Cluster, Proc
from tests.distributed.test_cluster import client, two_by_two
from tests.e2e.helpers import play_to_the_end, seat_table

pytestmark = pytest.mark.services

SHOWS_UP_WITHIN = 1.0


async def get(gateway: Proc, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(gateway.url + path) as response:
        return response.status, await response.json()


async def poll_until(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not there in time"
        # Each look opens new connections: stay under the gateway's 50 connects/s per address.
        await asyncio.sleep(0.1)


async def test_a_played_game_shows_in_stats_leaderboard_and_replay(cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    players = {1: await client(gw_a, 1, "ann"), 2: await client(gw_b, 2, "ben")}
    try:
        room_id, first = await seat_table(players, "bigger_dice")
        ended = await play_to_the_end(players, room_id, first, watcher=players[1])
        winner = ended["winner_id"]

        async def everywhere() -> bool:
            stats = await get(gw_b, f"/api/players/{winner}/stats")
            board = await get(gw_a, "/api/leaderboard?game_type=bigger_dice")
            replay = await get(gw_b, f"/api/games/{room_id}.1/replay")
            return (stats[0] == 200 and stats[1]["overall"]["won"] == 1
                    and [p["user_id"] for p in board[1]["players"]][:1] == [winner]
                    and replay[0] == 200)

        await poll_until(everywhere, SHOWS_UP_WITHIN)
        _, replay = await get(gw_a, f"/api/games/{room_id}.1/replay")
        assert replay["steps"][-1]["view"]["winner_id"] == winner
    finally:
        for ws in players.values():
            await ws.close()


async def test_a_service_killed_between_history_and_rating_rates_the_game_once(
        cluster: Cluster) -> None:
    doomed = await cluster.game_service("--crash-at", "history_written")
    gateway = await cluster.gateway()
    players = {1: await client(gateway, 1, "ann"), 2: await client(gateway, 2, "ben")}
    try:
        room_id, first = await seat_table(players, "bigger_dice")
        await play_to_the_end(players, room_id, first, watcher=players[1])
        assert doomed.process is not None
        assert await asyncio.wait_for(doomed.process.wait(), 30) == -9  # SIGKILL
        # The history is written, the rating is not.
        status, game = await get(gateway, f"/api/games/history/{room_id}.1")
        assert status == 200 and game["game_id"] == f"{room_id}.1"
        for user in (1, 2):
            _, rating = await get(gateway, f"/api/players/{user}/rating?game_type=bigger_dice")
            assert not rating["rated"]
        await cluster.game_service()  # finds the game's end still due and handles it again

        async def rated() -> bool:
            answers = [await get(gateway, f"/api/players/{u}/rating?game_type=bigger_dice")
                       for u in (1, 2)]
            return all(a[1]["rated"] for a in answers)

        await poll_until(rated, 30)
        async with MongoHistory(cluster.mongo_url) as history:
            stored = await history.get(f"{room_id}.1")
            assert stored is not None
            rated_game = ratings.rated_game(stored)
            assert rated_game is not None
            expected = ratings.rate(rated_game, {})
            assert await history.rating_update(f"{room_id}.1") == expected
            for change in expected.changes:
                [mine] = await history.ratings_of(UserId(change.user_id))
                assert (mine.games, mine.rev, mine.last_game) == (1, 1, f"{room_id}.1")
                assert mine.mu == pytest.approx(change.after_mu)
                assert mine.sigma == pytest.approx(change.after_sigma)
    finally:
        for ws in players.values():
            await ws.close()
