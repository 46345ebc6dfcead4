"""Both games over two gateways and two game services (real Kafka, Redis, FerretDB):
a four-player dice game with a spectator and a Tic Tac Toe match, players spread over
the gateways, and the games in history with their type."""

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.distributed.cluster import Cluster, Proc
from tests.distributed.test_cluster import client, two_by_two
from tests.e2e.helpers import play_tic_tac_toe_to_the_end, play_to_the_end, seat_table
from tests.e2e.test_games import check_same_story

pytestmark = pytest.mark.services


async def served(gateway: Proc, path: str, ready: Callable[[int, Any], bool],
                 **params: str) -> Any:
    """The JSON of ``path`` once ``ready(status, body)``: history is written just after a
    game's end, by the timer loop, the game's document first and its players' lines
    right after it."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(20):
        while True:
            async with http.get(gateway.url + path, params=params) as response:
                body = await response.json()
                if ready(response.status, body):
                    return body
            await asyncio.sleep(0.05)


async def recorded(gateway: Proc, room_id: str) -> dict[str, Any]:
    return dict(await served(gateway, f"/api/games/history/{room_id}",
                             lambda status, _: status == 200))


async def test_four_dice_players_on_two_gateways_and_a_spectator(cluster: Cluster) -> None:
    gateways = await two_by_two(cluster)
    players = {u: await client(gateways[u % 2], u, f"p{u}") for u in (1, 2, 3, 4)}
    eve = await client(gateways[0], 9, "eve")
    try:
        room_id, first = await seat_table(players, "bigger_dice")
        await eve.send("spectate", room_id=room_id)
        state = await eve.expect("room_state", room_id=room_id)
        ended = await play_to_the_end(players, room_id, first, watcher=players[2])
        assert await eve.expect("game_ended", room_id=room_id) == ended
        check_same_story([*players.values(), eve], room_id, state["seq"])
        game = await recorded(gateways[1], room_id)
        assert game["game_type"] == "bigger_dice" and len(game["players"]) == 4
        assert game["winner_id"] == ended["winner_id"]
    finally:
        for ws in (*players.values(), eve):
            await ws.close()


async def test_a_tic_tac_toe_match_across_gateways(cluster: Cluster) -> None:
    gw_a, gw_b = await two_by_two(cluster)
    alice, bob = await client(gw_a, 1, "alice"), await client(gw_b, 2, "bob")
    try:
        room_id, first = await seat_table({1: alice, 2: bob}, "tic_tac_toe")
        ended = await play_tic_tac_toe_to_the_end({1: alice, 2: bob}, room_id, first,
                                                  watcher=bob)
        assert await alice.expect("game_ended", room_id=room_id) == ended
        check_same_story([alice, bob], room_id, 1)
        game = await recorded(gw_a, room_id)
        assert game["game_type"] == "tic_tac_toe" and len(game["rounds"]) == 9
        listing = await served(gw_b, "/api/games/history", lambda _, body: bool(body["games"]),
                               user_id="2", game_type="tic_tac_toe")
        assert [g["room_id"] for g in listing["games"]] == [room_id]
    finally:
        for ws in (alice, bob):
            await ws.close()
