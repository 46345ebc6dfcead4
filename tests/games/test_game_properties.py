"""Property tests of each game's own rules, over whole games played at random."""

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from blazing.games.base import GameContext, RandomRng, Refusal, Seat
from blazing.games.bigger_dice.game import WINNING_SCORE, BiggerDice, passes
from blazing.games.bigger_dice.messages import BiggerDiceState, Roll, RoundResult
from blazing.games.tic_tac_toe.game import LINES, WINNING_GAMES, TicTacToe
from blazing.games.tic_tac_toe.messages import GameResult, Move, TicTacToeState
from blazing.ids import UserId
from tests.support.table import T0

DICE, TTT = BiggerDice(), TicTacToe()


def seats(count: int) -> list[Seat]:
    return [Seat(user_id=UserId(i), username=f"u{i}") for i in range(1, count + 1)]


def play_dice(seed: int, players: int, leavers: list[int]) -> tuple[BiggerDiceState, list[Any]]:
    """A whole game; player ``leavers[i]`` leaves after pass ``i * 3``."""
    rng = RandomRng.seeded(seed)
    ctx = GameContext(now=T0, rng=rng)
    state = DICE.setup(seats(players), rng)
    events: list[Any] = []
    for step in range(20_000):
        if DICE.result(state) is not None:
            break
        if leavers and step % 7 == 6:
            who = UserId(leavers.pop(0))
            outcome = DICE.on_player_left(state, who, ctx)
        else:
            outcome = DICE.apply(state, DICE.who_acts(state)[0], Roll(room_id="r"), ctx)
        assert not isinstance(outcome, Refusal)
        state = outcome.state
        events.extend(outcome.events)
    return state, events


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), players=st.integers(2, 10),
       leavers=st.lists(st.integers(1, 10), max_size=4, unique=True))
def test_dice_one_point_per_round_tiebreaks_among_the_tied_and_a_winner_with_ten(
        seed: int, players: int, leavers: list[int]) -> None:
    leavers = [u for u in leavers if u <= players]
    state, events = play_dice(seed, players, list(leavers))
    scores = DICE.scores(state)
    decided = [p for p in passes(state) if p.winner_id is not None]
    assert sum(scores.values()) == len(decided)  # exactly one point per decided round
    assert len({p.round for p in decided}) == len(decided)  # at most one point a round
    if players >= 3:  # ties are rolled off: every round ends with a point
        assert [p.round for p in decided] == list(range(1, len(decided) + 1))
    judged = passes(state)
    for before, after in itertools.pairwise(judged):
        if before.is_tie and players >= 3 and after.rolls:
            best = max(v for _, v in before.rolls)
            tied = {u for u, v in before.rolls if v == best}
            assert {u for u, _ in after.rolls} <= tied  # only the tied roll again
            assert after.round == before.round
    results = [e for e in events if isinstance(e, RoundResult)]
    assert all((e.player1_id is not None) == (players == 2 and len(e.rolls) == 2)
               for e in results)
    winner = DICE.result(state)
    assert winner is not None and winner.winner_id is not None
    still_in = [u for u in state.order if u not in state.out]
    if len(still_in) > 1:
        assert scores[winner.winner_id] == WINNING_SCORE  # exactly ten
    else:
        assert still_in == [winner.winner_id]  # the last one left


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32),
       picks=st.lists(st.integers(-1, 9), min_size=600, max_size=600),
       timeouts=st.sets(st.integers(0, 599), max_size=20))
def test_tic_tac_toe_marks_swap_draws_score_nothing_and_the_winner_has_five(
        seed: int, picks: list[int], timeouts: set[int]) -> None:
    rng = RandomRng.seeded(seed)
    ctx = GameContext(now=T0, rng=rng)
    state: TicTacToeState = TTT.setup(seats(2), rng)
    for step, pick in enumerate(picks):
        if TTT.result(state) is not None:
            break
        mover = TTT.who_acts(state)[0]
        if step in timeouts:
            state = TTT.on_timeout(state, mover, ctx).state
            continue
        answer = TTT.apply(state, mover, Move(room_id="r", position=pick), ctx)
        if isinstance(answer, Refusal):
            assert answer.code in ("INVALID_POSITION", "CELL_OCCUPIED")
            assert not 0 <= pick <= 8 or state.board[pick] is not None
            continue
        for event in answer.events:
            if isinstance(event, GameResult) and event.winner_id is None:
                assert TTT.scores(answer.state) == TTT.scores(state)  # a draw scores nothing
        state = answer.state
    games = state.games
    assert [g.x for g in games[1:]] == [2 if g.x == 1 else 1 for g in games[:-1]]  # swap
    for game in games:
        board: list[str | None] = [None] * 9
        for index, cell in enumerate(game.moves):
            assert board[cell] is None  # no cell twice
            board[cell] = "X" if index % 2 == 0 else "O"
            decided_before_end = any(all(board[i] == board[cell] for i in line)
                                     for line in LINES) and index < len(game.moves) - 1
            assert not decided_before_end  # no move after a game is decided
        if game.reason == "line":
            assert game.line is not None and len({board[i] for i in game.line}) == 1
        if game.reason == "draw":
            assert None not in board and game.winner_id is None
    wins = TTT.scores(state)
    assert sum(wins.values()) == sum(1 for g in games if g.winner_id is not None)
    result = TTT.result(state)
    if result is not None:
        assert result.winner_id is not None and wins[result.winner_id] == WINNING_GAMES
