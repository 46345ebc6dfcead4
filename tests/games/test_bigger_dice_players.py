"""Bigger Dice for 2-10 players (SPEC §10): turn order, one point per round, tiebreaks
among the tied only, leaving players, with scripted dice through the room rules."""

import pytest

from blazing.errors import ErrorCode
from blazing.protocol.models import RoomStatus
from tests.support.table import ScriptedDice, Table


def pass_of(table: Table, rolls: dict[int, int]) -> None:
    """Each listed player rolls their scripted value, in the order the game asks."""
    for _ in rolls:
        user = table.acting()
        assert user in rolls, f"{user} is asked to roll, not one of {list(rolls)}"
        table.rng.rolls = [rolls[user]]
        assert table.roll(user).error is None


def test_three_players_roll_in_a_fixed_order_from_a_random_opener() -> None:
    table = Table(rng=ScriptedDice([1], first=1))  # seat index 1 (user 2) opens
    table.start(players=3)
    assert table.last("game_started")["first_turn"] == 2
    pass_of(table, {2: 3, 3: 5, 1: 1})
    pass_of(table, {2: 6, 3: 1, 1: 1})
    turns = [t["current_turn"] for t in table.of_type("turn_changed")]
    assert turns == [2, 3, 1, 2, 3, 1, 2]
    results = table.of_type("bigger_dice.round_result")
    assert [(r["round"], r["winner_id"], r["rolls"]) for r in results] == [
        (1, 3, [(2, 3), (3, 5), (1, 1)]), (2, 2, [(2, 6), (3, 1), (1, 1)])]
    assert "player1_id" not in results[0]  # the seed's pair fields are for two players
    assert (table.score(1), table.score(2), table.score(3)) == (0, 1, 1)
    assert results[1]["scores"] == [(2, 1), (3, 1), (1, 0)]  # after the round, turn order
    started = table.last("game_started")
    assert list(started["game_state"]["order"]) == [2, 3, 1]  # the public view of the new game


def test_a_tie_for_the_highest_roll_is_rolled_off_by_the_tied_only() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start(players=4)
    pass_of(table, {1: 6, 2: 2, 3: 6, 4: 6})
    tie = table.last("bigger_dice.round_result")
    assert tie["is_tie"] is True and tie["winner_id"] is None and tie["round"] == 1
    assert table.last("bigger_dice.tiebreak_started")["players"] == [1, 3, 4]
    pass_of(table, {1: 4, 3: 4, 4: 2})  # tie again: narrows to 1 and 3
    assert table.last("bigger_dice.tiebreak_started")["players"] == [1, 3]
    pass_of(table, {1: 2, 3: 5})
    decided = table.last("bigger_dice.round_result")
    assert (decided["round"], decided["winner_id"], decided["is_tie"]) == (1, 3, False)
    assert decided["rolls"] == [(1, 2), (3, 5)]
    assert [table.score(u) for u in (1, 2, 3, 4)] == [0, 0, 1, 0]
    # Round 2 is everyone's again, from the opener.
    assert table.acting() == 1
    pass_of(table, {1: 1, 2: 6, 3: 1, 4: 1})
    assert table.last("bigger_dice.round_result")["round"] == 2


def test_two_players_keep_the_seed_rule_a_tie_scores_nothing_and_the_round_ends() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start(players=2)
    pass_of(table, {1: 4, 2: 4})
    result = table.last("bigger_dice.round_result")
    assert result["is_tie"] is True and result["player1_id"] == 1 and result["player2_roll"] == 4
    assert table.of_type("bigger_dice.tiebreak_started") == []
    pass_of(table, {1: 5, 2: 1})
    assert table.last("bigger_dice.round_result")["round"] == 2


def test_the_winner_has_exactly_ten_and_final_scores_list_every_seat() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start(players=3)
    for _ in range(9):
        pass_of(table, {1: 6, 2: 1, 3: 2})
    pass_of(table, {1: 1, 2: 6, 3: 2})
    pass_of(table, {1: 6, 2: 1, 3: 2})
    room = table.room
    assert room is not None and room.status == RoomStatus.FINISHED and room.winner_id == 1
    assert table.last("game_ended")["final_scores"] == [(1, "user1", 10), (2, "user2", 1),
                                                        (3, "user3", 0)]


def test_a_player_who_leaves_keeps_the_score_and_the_others_play_on() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start(players=3)
    pass_of(table, {1: 1, 2: 6, 3: 2})
    assert table.leave(2).error is None
    room = table.room
    assert room is not None and room.status == RoomStatus.IN_PROGRESS
    leaver = room.player(2)
    assert leaver is not None and leaver.left and leaver.score == 1
    left = table.last("player_left")
    assert list(left["game_state"]["out"]) == [2]  # the game goes on: its view after the leave
    assert 2 not in room.player_ids()  # free to play elsewhere
    pass_of(table, {1: 3, 3: 4})
    assert table.last("bigger_dice.round_result")["rolls"] == [(1, 3), (3, 4)]
    assert table.roll(2).error is not None  # out of the game
    # The last one left wins; the game ends as a forfeit.
    assert table.leave(1).error is None
    ended = table.last("game_ended")
    assert (ended["winner_id"], ended["reason"]) == (3, "forfeit")


def test_leaving_on_your_turn_passes_the_turn_and_finishes_a_pass_that_waited_on_you() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start(players=3)
    table.rng.rolls = [5]
    table.roll(1)
    table.rng.rolls = [2]
    table.roll(2)
    assert table.acting() == 3
    table.leave(3)
    # 1 and 2 had rolled: the pass is judged at once and round 2 starts with user 1.
    result = table.last("bigger_dice.round_result")
    assert (result["winner_id"], result["rolls"]) == (1, [(1, 5), (2, 2)])
    assert table.acting() == 1
    assert table.of_type("turn_changed")[-1]["current_turn"] == 1


def test_a_tiebreak_contender_left_alone_takes_the_round() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start(players=3)
    pass_of(table, {1: 6, 2: 6, 3: 1})
    assert table.last("bigger_dice.tiebreak_started")["players"] == [1, 2]
    table.leave(2)
    decided = table.last("bigger_dice.round_result")
    assert (decided["round"], decided["winner_id"]) == (1, 1)
    assert table.score(1) == 1


def test_grace_running_out_puts_a_player_out_while_the_others_play_on() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start(players=3)
    table.drop(3)
    table.tick(61)
    room = table.room
    assert room is not None and room.status == RoomStatus.IN_PROGRESS
    left = table.last("player_left")
    assert left["user_id"] == 3
    assert room.player_ids() == [1, 2]


@pytest.mark.parametrize(("game_type", "seats"), [("bigger_dice", 1), ("bigger_dice", 11),
                                                  ("tic_tac_toe", 3)])
def test_seats_outside_the_games_range_are_refused(game_type: str, seats: int) -> None:
    table = Table()
    outcome = table.create(1, game_type=game_type, seats=seats)
    assert outcome.error is not None and outcome.error.code == ErrorCode.INVALID_MESSAGE
    assert "max_players" in outcome.error.message
    assert table.room is None


def test_the_table_fills_all_its_seats_before_it_starts() -> None:
    table = Table()
    table.create(1, seats=4)
    for user in (2, 3):
        table.join(user)
    for user in (1, 2, 3):
        table.ready(user)
    room = table.room
    assert room is not None and room.status == RoomStatus.WAITING and room.max_players == 4
    assert table.last("room_updated")["max_players"] == 4
    table.join(4)
    table.ready(4)
    assert table.room is not None and table.room.status == RoomStatus.IN_PROGRESS
    assert table.join(5).error is not None
