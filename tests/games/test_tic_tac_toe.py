"""Tic Tac Toe (SPEC §10) through the room rules: moves, refusals, lines, draws, marks
that swap every game, a lost game on time, and the match to 5."""

import pytest

from blazing.games.tic_tac_toe.messages import Move
from blazing.protocol.models import RoomStatus
from tests.support.table import ScriptedDice, Table

X_WINS = [0, 3, 1, 4, 2]  # X: 0 1 2 (top row), O: 3 4
DRAW = [0, 1, 2, 4, 3, 5, 7, 6, 8]  # X O X / X O O / O X X


def started(first: int = 0) -> Table:
    table = Table(rng=ScriptedDice([1], first=first))
    table.start(players=2, game_type="tic_tac_toe")
    return table


def play(table: Table, cells: list[int]) -> None:
    """Whoever is to move plays the next cell."""
    for cell in cells:
        outcome = table.move(table.acting(), Move(room_id="", position=cell))
        assert outcome.error is None, outcome.error


def test_a_random_player_is_x_and_moves_first() -> None:
    for first, x in ((0, 1), (1, 2)):
        table = started(first)
        assert table.last("game_started")["first_turn"] == x
        assert table.state().x == x and table.acting() == x


def test_a_move_marks_the_cell_and_passes_the_turn() -> None:
    table = started()
    play(table, [4])
    moved = table.last("tic_tac_toe.moved")
    assert (moved["player_id"], moved["position"], moved["mark"]) == (1, 4, "X")
    assert moved["board"] == [None] * 4 + ["X"] + [None] * 4
    assert table.last("turn_changed")["current_turn"] == 2


@pytest.mark.parametrize(("position", "code"), [(9, "INVALID_POSITION"),
                                                (-1, "INVALID_POSITION"),
                                                (4, "CELL_OCCUPIED")])
def test_a_bad_cell_is_refused_with_its_own_code_and_changes_nothing(position: int,
                                                                     code: str) -> None:
    table = started()
    play(table, [4])
    before, events = table.room, len(table.events)
    outcome = table.move(2, Move(room_id="", position=position))
    assert outcome.error is not None and outcome.error.code == code
    assert table.room is before and len(table.events) == events


def test_moving_out_of_turn_is_refused() -> None:
    table = started()
    outcome = table.move(2, Move(room_id="", position=0))
    assert outcome.error is not None and outcome.error.code == "NOT_YOUR_TURN"


def test_three_in_a_row_wins_the_game_and_the_marks_swap() -> None:
    table = started()
    play(table, X_WINS)
    result = table.last("tic_tac_toe.game_result")
    assert (result["game"], result["winner_id"], result["line"], result["reason"]) == \
        (1, 1, [0, 1, 2], "line")
    assert result["scores"] == [(1, "user1", 1), (2, "user2", 0)]
    assert result["next_x"] == 2
    state = table.state()
    assert state.x == 2 and state.board == (None,) * 9 and state.game == 2
    assert table.acting() == 2  # the new X moves first
    assert table.score(1) == 1


def test_a_draw_scores_nothing_and_still_swaps_the_marks() -> None:
    table = started()
    play(table, DRAW)
    result = table.last("tic_tac_toe.game_result")
    assert (result["winner_id"], result["line"], result["reason"]) == (None, None, "draw")
    assert (table.score(1), table.score(2)) == (0, 0)
    assert table.acting() == 2


def test_the_winner_of_a_game_as_o_opens_the_next_as_x() -> None:
    table = started()
    play(table, [0, 3, 1, 4, 8, 5])  # O wins the middle row on the last move
    result = table.last("tic_tac_toe.game_result")
    assert (result["winner_id"], result["next_x"]) == (2, 2)
    turns = table.of_type("turn_changed")
    assert turns[-1]["current_turn"] == 2 and turns[-2]["current_turn"] == 2  # a new turn


def test_a_missed_deadline_loses_that_game_only() -> None:
    table = started()
    play(table, [4])
    table.tick(31)  # O (user 2) ran out of time
    result = table.last("tic_tac_toe.game_result")
    assert (result["winner_id"], result["reason"], result["line"]) == (1, "timeout", None)
    room = table.room
    assert room is not None and room.status == RoomStatus.IN_PROGRESS
    assert table.score(1) == 1 and table.acting() == 2


def test_the_first_to_five_game_wins_takes_the_match() -> None:
    table = started()
    for _ in range(9):  # X wins every game: the players take turns being X
        play(table, X_WINS)
        room = table.room
        assert room is not None
        if room.status != RoomStatus.IN_PROGRESS:
            break
    room = table.room
    assert room is not None and room.status == RoomStatus.FINISHED
    ended = table.last("game_ended")
    assert ended["reason"] == "won" and ended["final_scores"] == [(1, "user1", 5),
                                                                  (2, "user2", 4)]
    assert table.last("tic_tac_toe.game_result")["next_x"] is None
    assert table.move(1, Move(room_id="", position=0)).error is not None


def test_leaving_forfeits_the_match() -> None:
    table = started()
    play(table, X_WINS)
    table.leave(1)
    ended = table.last("game_ended")
    assert (ended["winner_id"], ended["reason"]) == (2, "forfeit")


def test_a_dice_roll_in_a_tic_tac_toe_room_is_not_a_move_of_this_game() -> None:
    table = started()
    outcome = table.roll(1)
    assert outcome.error is not None and outcome.error.code == "UNKNOWN_TYPE"
