"""The records API over HTTP against the embedded server: a game played over real
sockets shows up in stats, the leaderboard and its replay within a second; lists page
by cursor; every bad parameter is a 400 with a reason."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from blazing.history.sqlite import SqliteHistory
from blazing.records import ratings
from blazing.wiring import Running
from tests.conftest import ClientFactory, ServerFactory
from tests.contract.test_history import record
from tests.e2e.helpers import play_to_the_end, seat_table

SHOWS_UP_WITHIN = 1.0  # seconds from game_ended


async def get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def poll(check: Callable[[], Awaitable[bool]], deadline: float) -> None:
    """Ask until ``check`` holds; fail at ``deadline`` (monotonic)."""
    while not await check():
        assert time.monotonic() < deadline, "not there in time"
        await asyncio.sleep(0.01)


async def play_dice(server: Running, connect: ClientFactory, users: tuple[int, ...]
                    ) -> tuple[str, dict[str, Any]]:
    players = {u: await connect(server, u, f"p{u}") for u in users}
    room_id, first = await seat_table(players, "bigger_dice", name=f"T{users[0]}")
    ended = await play_to_the_end(players, room_id, first, watcher=players[users[0]])
    return room_id, ended


async def test_a_played_game_shows_in_stats_leaderboard_and_replay_within_a_second(
        server: Running, connect: ClientFactory) -> None:
    room_id, ended = await play_dice(server, connect, (11, 12, 13))
    deadline = time.monotonic() + SHOWS_UP_WITHIN
    base = server.base_url
    winner = ended["winner_id"]
    game_id = f"{room_id}.1"

    async def in_stats() -> bool:
        status, body = await get(f"{base}/api/players/{winner}/stats")
        return status == 200 and body["overall"]["won"] == 1

    async def on_board() -> bool:
        status, body = await get(f"{base}/api/leaderboard?game_type=bigger_dice&limit=10")
        return status == 200 and {p["user_id"] for p in body["players"]} == {11, 12, 13}

    async def replayable() -> bool:
        status, _ = await get(f"{base}/api/games/{game_id}/replay")
        return status == 200

    await poll(in_stats, deadline)
    await poll(on_board, deadline)
    await poll(replayable, deadline)

    _, stats = await get(f"{base}/api/players/{winner}/stats")
    assert stats["overall"]["played"] == 1 and stats["overall"]["current_streak"] == 1
    assert stats["by_game_type"]["bigger_dice"]["win_rate"] == 1.0
    assert stats["ratings"]["bigger_dice"]["rank"] == 1
    _, board = await get(f"{base}/api/leaderboard?game_type=bigger_dice")
    assert board["players"][0]["user_id"] == winner and board["players"][0]["rank"] == 1
    assert board["next_cursor"] is None
    _, mine = await get(f"{base}/api/players/{winner}/rating?game_type=bigger_dice")
    assert mine["rated"] and mine["rank"] == 1 and mine["games"] == 1
    _, replay = await get(f"{base}/api/games/{game_id}/replay")
    assert replay["winner_id"] == winner
    assert replay["steps"][-1]["view"]["winner_id"] == winner
    assert replay["steps"][-1]["scores"] == [
        {u: s for u, _, s in ended["final_scores"]}[p["user_id"]] for p in replay["players"]]
    _, by_room = await get(f"{base}/api/games/history/{room_id}")
    _, by_game = await get(f"{base}/api/games/history/{game_id}")
    assert by_room == by_game and by_game["game_id"] == game_id


async def test_history_and_leaderboard_page_by_cursor(make_server: ServerFactory,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    games = [record([5, 100 + i], i, winner=5) for i in range(7)]
    async with SqliteHistory(str(path)) as history:
        for game in games:
            await history.record(game)
            rated = ratings.rated_game(game)
            assert rated is not None
            await history.rate(rated)
    server = await make_server(history_url=f"sqlite:///{path}")
    seen: list[str] = []
    url = f"{server.base_url}/api/games/history?user_id=5&limit=3"
    cursor = None
    for _ in range(5):
        status, body = await get(url + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200
        seen += [g["game_id"] for g in body["games"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [g.game_id for g in reversed(games)]
    ranks: list[int] = []
    board_url = f"{server.base_url}/api/leaderboard?game_type=bigger_dice&limit=3"
    cursor = None
    for _ in range(5):
        _, body = await get(board_url + (f"&cursor={cursor}" if cursor else ""))
        ranks += [p["rank"] for p in body["players"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert ranks == list(range(1, 9))


@pytest.mark.parametrize("path", [
    "/api/games/history",
    "/api/games/history?user_id=0",
    "/api/games/history?user_id=-1",
    "/api/games/history?user_id=99999999999999999999999",
    "/api/games/history?user_id=1&limit=0",
    "/api/games/history?user_id=1&limit=101",
    "/api/games/history?user_id=1&limit=ten",
    "/api/games/history?user_id=1&cursor=garbage!",
    "/api/games/history?user_id=1&cursor=WzEsMiwzXQ",
    "/api/games/history?user_id=1&game_type=chess",
    "/api/games/history/room%20x",
    "/api/games/history/" + "r" * 80,
    "/api/games/room_a.0/replay",
    "/api/games/room_a.1.2/replay",
    "/api/players/abc/stats",
    "/api/players/0/stats",
    "/api/players/12345678901234567890123/stats",
    "/api/players/1/rating",
    "/api/players/1/rating?game_type=chess",
    "/api/leaderboard",
    "/api/leaderboard?game_type=bigger_dice&limit=0",
    "/api/leaderboard?game_type=bigger_dice&limit=1000",
    "/api/leaderboard?game_type=bigger_dice&cursor=bm9wZQ",
])
async def test_bad_parameters_are_a_400_with_a_reason(server: Running, path: str) -> None:
    status, body = await get(server.base_url + path)
    assert status == 400 and body["error"]


async def test_unknown_games_are_404_and_a_player_without_games_has_empty_stats(
        server: Running) -> None:
    base = server.base_url
    assert (await get(f"{base}/api/games/history/room_nope"))[0] == 404
    assert (await get(f"{base}/api/games/room_nope.1/replay"))[0] == 404
    status, stats = await get(f"{base}/api/players/77/stats")
    assert status == 200 and stats["overall"]["played"] == 0 and stats["ratings"] == {}
    status, rating = await get(f"{base}/api/players/77/rating?game_type=tic_tac_toe")
    assert status == 200 and not rating["rated"] and rating["rank"] is None
    assert rating["mu"] == 25.0


async def test_an_old_record_is_listed_but_does_not_replay(make_server: ServerFactory,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    old = record([5, 6], 1, winner=5)
    old = msgspec.structs.replace(old, game_id="", version=1, moves=[], setup_draws=[])
    async with SqliteHistory(str(path)) as history:
        await history.record(old)
    server = await make_server(history_url=f"sqlite:///{path}")
    status, body = await get(f"{server.base_url}/api/games/{old.room_id}/replay")
    assert status == 422 and body["replayable"] is False and "moves" in body["error"]
    status, body = await get(f"{server.base_url}/api/games/history/{old.room_id}")
    assert status == 200 and body["room_id"] == old.room_id
