"""Contract of the HistoryStore's records methods (game keys, history pages, players'
lines, ratings and leaderboards), for every adapter."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blazing.history.base import GameRecord
from blazing.ids import UserId
from blazing.records import ratings
from blazing.records.cursor import BoardCursor, HistoryCursor
from blazing.records.model import Placement, RatedGame, Rating
from tests.contract.test_history import T0, record, user


def rematch(game: GameRecord, number: int, minutes: int) -> GameRecord:
    return msgspec.structs.replace(game, game_id=f"{game.room_id}.{number}",
                                   finished_at=T0 + timedelta(minutes=minutes))


def rated(players: list[int], game_type: str = "bigger_dice",
          game_id: str | None = None, ranks: list[int] | None = None) -> RatedGame:
    ranks = ranks or list(range(1, len(players) + 1))
    return RatedGame(game_id=game_id or f"room_{uuid.uuid4().hex[:12]}.1",
                     game_type=game_type, finished_at=T0,
                     placements=[Placement(user_id=UserId(u), username=f"u{u}", rank=r)
                                 for u, r in zip(players, ranks, strict=True)])


def fold(games: list[RatedGame]) -> dict[tuple[str, int], Rating]:
    """Ratings after each distinct game once, in first-delivery order (the model)."""
    current: dict[tuple[str, int], Rating] = {}
    seen: set[str] = set()
    for game in games:
        if game.game_id in seen:
            continue
        seen.add(game.game_id)
        mine = {p.user_id: current[(game.game_type, p.user_id)] for p in game.placements
                if (game.game_type, p.user_id) in current}
        for change in ratings.rate(game, mine).changes:
            key = (game.game_type, change.user_id)
            before = current.get(key) or ratings.new_rating(change.user_id, change.username,
                                                            game.game_type)
            current[key] = ratings.applied(before, change, game.game_id)
    return current


async def rating_of(history: Any, user_id: int, game_type: str = "bigger_dice"
                    ) -> Rating | None:
    return next((r for r in await history.ratings_of(UserId(user_id))
                 if r.game_type == game_type), None)


# --- games by key ------------------------------------------------------------------------


async def test_a_rematch_is_a_record_of_its_own_and_a_room_id_finds_the_latest(
        history: Any) -> None:
    me = user()
    first = record([me, user()], 1, winner=me)
    second = rematch(first, 2, 7)
    for game in (second, first):  # written out of order
        await history.record(game)
    assert await history.get(first.game_id) == first
    assert await history.get(second.game_id) == second
    assert await history.get(first.room_id) == second
    assert [g.game_id for g in await history.games_page(UserId(me), 10)] == \
        [second.game_id, first.game_id]


async def test_an_old_record_without_a_game_id_reads_by_its_room_id(history: Any) -> None:
    me = user()
    old = msgspec.structs.replace(record([me, user()], 3), game_id="", version=1, moves=[],
                                  setup_draws=[], seats=0)
    await history.record(old)
    assert await history.get(old.room_id) == old
    assert await history.games_page(UserId(me), 5) == [old]


# --- history pages ------------------------------------------------------------------------


async def test_pages_follow_each_other_without_gaps_or_repeats(history: Any) -> None:
    me = user()
    games = [record([me, user()], minutes) for minutes in (4, 1, 9, 3, 9, 6, 2)]
    for game in games:
        await history.record(game)
    expected = sorted(games, key=lambda g: (g.finished_at, g.game_id), reverse=True)
    seen: list[GameRecord] = []
    after = None
    while True:
        page = await history.games_page(UserId(me), 3, None, after)
        seen += page
        if len(page) < 3:
            break
        after = HistoryCursor(page[-1].finished_at, page[-1].key)
    assert [g.key for g in seen] == [g.key for g in expected]


async def test_a_page_of_one_game_type_skips_the_others(history: Any) -> None:
    me = user()
    dice = [record([me, user()], m) for m in (1, 2, 3)]
    ttt = [msgspec.structs.replace(record([me, user()], m), game_type="tic_tac_toe")
           for m in (4, 5)]
    for game in (*dice, *ttt):
        await history.record(game)
    first = await history.games_page(UserId(me), 2, "bigger_dice")
    assert [g.key for g in first] == [dice[2].key, dice[1].key]
    rest = await history.games_page(UserId(me), 2, "bigger_dice",
                                    HistoryCursor(first[-1].finished_at, first[-1].key))
    assert [g.key for g in rest] == [dice[0].key]


# --- players' lines -----------------------------------------------------------------------


async def test_each_player_has_a_line_with_their_outcome(history: Any) -> None:
    winner, loser, idle = user(), user(), user()
    won = record([winner, loser], 1, winner=winner)
    abandoned = record([loser, idle], 2, winner=None)
    for game in (won, abandoned, won):  # recording again does not add lines
        await history.record(game)
    lines = sorted(await history.player_games(UserId(loser)), key=lambda g: g.finished_at)
    assert [(g.game_id, g.outcome) for g in lines] == [(won.key, "lost"),
                                                       (abandoned.key, "abandoned")]
    assert lines[0].finished_at == won.finished_at and lines[0].duration_seconds == 300.0
    assert lines[0].game_type == "bigger_dice"
    assert [g.outcome for g in await history.player_games(UserId(winner))] == ["won"]
    assert await history.player_games(UserId(user())) == []


# --- ratings ------------------------------------------------------------------------------


async def test_a_game_is_rated_once_however_often_it_is_delivered(history: Any) -> None:
    a, b, c = user(), user(), user()
    game = rated([a, b, c], ranks=[1, 2, 2])
    first = await history.rate(game)
    assert await history.rate(game) == first
    assert await history.rating_update(game.game_id) == first
    expected = fold([game])
    for u in (a, b, c):
        mine = await rating_of(history, u)
        assert mine is not None and mine.games == 1 and mine.last_game == game.game_id
        assert mine.mu == pytest.approx(expected[("bigger_dice", u)].mu)
        assert mine.sigma == pytest.approx(expected[("bigger_dice", u)].sigma)
        assert mine.username == f"u{u}"
    tied_b, tied_c = await rating_of(history, b), await rating_of(history, c)
    assert tied_b is not None and tied_c is not None and tied_b.mu == tied_c.mu
    assert await history.rating_update("room_never.1") is None


async def test_concurrent_deliveries_of_one_game_rate_it_once(history: Any) -> None:
    a, b = user(), user()
    game = rated([a, b])
    updates = await asyncio.gather(*(history.rate(game) for _ in range(5)))
    assert all(u == updates[0] for u in updates)
    for u in (a, b):
        mine = await rating_of(history, u)
        assert mine is not None and mine.games == 1


async def test_ratings_are_kept_per_game_type(history: Any) -> None:
    a, b = user(), user()
    await history.rate(rated([a, b], "bigger_dice"))
    await history.rate(rated([b, a], "tic_tac_toe"))
    mine = {r.game_type: r for r in await history.ratings_of(UserId(a))}
    assert set(mine) == {"bigger_dice", "tic_tac_toe"}
    assert mine["bigger_dice"].mu > ratings.MU > mine["tic_tac_toe"].mu


async def test_the_leaderboard_pages_by_ordinal_then_user_and_ranks_agree(
        history: Any) -> None:
    game_type = "tic_tac_toe"
    players = sorted(user() for _ in range(6))
    # Three games between new players: three winners level, three losers level, so
    # the order within each is by user id.
    for winner, loser in ((players[4], players[0]), (players[1], players[5]),
                          (players[2], players[3])):
        await history.rate(rated([winner, loser], game_type))
    board: list[Rating] = []
    after = None
    while True:
        page = await history.leaderboard(game_type, 4, after)
        board += [r for r in page if r.user_id in players]
        if len(page) < 4:
            break
        last = page[-1]
        after = BoardCursor(last.ordinal, last.user_id, len(board))
    mine = [r for r in board if r.user_id in players]
    assert sorted(r.user_id for r in mine) == players
    assert [r.user_id for r in mine] == [players[1], players[2], players[4], players[0],
                                         players[3], players[5]]
    everyone = await history.leaderboard(game_type, 100)
    for r in mine:
        position = next(i for i, x in enumerate(everyone, 1) if x.user_id == r.user_id)
        assert await history.rank(r) == position


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
                     min_size=1, max_size=6),
       deliveries=st.lists(st.integers(0, 5), min_size=1, max_size=12))
async def test_ratings_are_applied_once_per_game_whatever_the_deliveries(
        history: Any, plan: list[tuple[int, int, int]], deliveries: list[int]) -> None:
    """Games among five players, delivered in any order with repeats: every player's
    rating is each distinct game applied once, in the order they first arrived."""
    people = [user() for _ in range(5)]
    games = []
    for i, (x, y, z) in enumerate(plan):
        seats = list(dict.fromkeys([people[x], people[y], people[z]]))
        if len(seats) < 2:
            seats = [people[x], people[(x + 1) % 5]]
        games.append(rated(seats, game_id=f"room_{uuid.uuid4().hex[:10]}.{i + 1}"))
    order = [games[d % len(games)] for d in deliveries]
    for game in order:
        await history.rate(game)
    expected = fold(order)
    for (_, u), want in expected.items():
        got = await rating_of(history, u)
        assert got is not None
        assert (got.games, got.rev) == (want.games, want.rev)
        assert got.mu == pytest.approx(want.mu) and got.sigma == pytest.approx(want.sigma)
    for game in games:
        if game not in order:
            assert await history.rating_update(game.game_id) is None
    board = await history.leaderboard("bigger_dice", 100)
    for position, rating in enumerate(board, 1):
        assert await history.rank(rating) == position
