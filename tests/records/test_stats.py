"""Stats equal a recount from the records, whatever order the games come in."""

from datetime import timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from blazing.history.base import GameRecord, player_games
from blazing.history.sqlite import SqliteHistory
from blazing.ids import UserId
from blazing.records.stats import Stats, count, player_stats
from tests.contract.test_history import T0, record

ME = 7


def recount(games: list[GameRecord], game_type: str | None = None) -> Stats:
    """Straight from the records: finish order, a win/loss/abandon per game."""
    mine = sorted((g for g in games if game_type in (None, g.game_type)),
                  key=lambda g: (g.finished_at, g.key))
    results = ["abandoned" if g.winner_id is None else "won" if g.winner_id == ME else "lost"
               for g in mine]
    decided = [r for r in results if r != "abandoned"]
    runs = "".join("w" if r == "won" else "l" for r in decided).split("l")
    won, lost = decided.count("won"), decided.count("lost")
    total = sum(g.duration_seconds for g in mine)
    return Stats(played=len(mine), won=won, lost=lost, abandoned=len(results) - len(decided),
                 win_rate=won / len(decided) if decided else None,
                 current_streak=len(runs[-1]), best_streak=max(len(r) for r in runs),
                 total_seconds=total, average_seconds=total / len(mine) if mine else None)


games_strategy = st.lists(
    st.tuples(st.sampled_from(["won", "lost", "abandoned"]), st.integers(0, 50),
              st.sampled_from(["bigger_dice", "tic_tac_toe"]), st.integers(1, 900)),
    max_size=30)


def build(spec: list[tuple[str, int, str, int]]) -> list[GameRecord]:
    out = []
    for i, (result, minute, game_type, seconds) in enumerate(spec):
        winner = {"won": ME, "lost": 99, "abandoned": None}[result]
        game = record([ME, 99], 0, winner=winner, room_id=f"room_{i:04d}")
        out.append(msgspec.structs.replace(
            game, game_type=game_type, duration_seconds=float(seconds),
            finished_at=T0 + timedelta(minutes=minute)))
    return out


@given(spec=games_strategy, shuffle=st.randoms())
def test_stats_equal_a_recount_from_the_records(spec: list[tuple[str, int, str, int]],
                                                 shuffle: object) -> None:
    games = build(spec)
    lines = [line for g in games for line in player_games(g) if line.user_id == ME]
    shuffle.shuffle(lines)  # type: ignore[attr-defined]
    counted = player_stats(lines)
    assert counted.overall == recount(games)
    for game_type, stats in counted.by_game_type.items():
        assert stats == recount(games, game_type)
    assert set(counted.by_game_type) == {g.game_type for g in games}


@settings(max_examples=25, deadline=None)
@given(spec=games_strategy)
async def test_stats_from_the_store_equal_a_recount_from_the_records(
        spec: list[tuple[str, int, str, int]]) -> None:
    games = build(spec)
    async with SqliteHistory(":memory:") as history:
        for game in games:
            await history.record(game)
        counted = player_stats(await history.player_games(UserId(ME)))
    assert counted.overall == recount(games)


def test_an_abandoned_game_neither_extends_nor_breaks_a_streak() -> None:
    games = build([("won", 1, "bigger_dice", 60), ("abandoned", 2, "bigger_dice", 60),
                   ("won", 3, "bigger_dice", 60), ("lost", 4, "bigger_dice", 60),
                   ("won", 5, "bigger_dice", 60)])
    stats = count(line for g in games for line in player_games(g) if line.user_id == ME)
    assert (stats.best_streak, stats.current_streak) == (2, 1)
    assert (stats.played, stats.won, stats.lost, stats.abandoned) == (5, 3, 1, 1)
    assert stats.win_rate == 0.75 and stats.average_seconds == 60.0


def test_no_games_no_rates() -> None:
    assert count([]) == Stats()
