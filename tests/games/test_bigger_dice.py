"""Bigger Dice scoring and turns (SPEC §4) with scripted dice."""

import msgspec

from blazing.games.base import GameContext, Outcome, Seat
from blazing.games.bigger_dice.game import BiggerDice, passes
from blazing.games.bigger_dice.messages import BiggerDiceState, Pass, PassRow, Roll
from blazing.ids import UserId
from blazing.protocol.models import RoomStatus
from tests.support.table import T0, ScriptedDice, Table


def play(table: Table, rolls: list[tuple[int, int]]) -> None:
    """Play rounds given as (opener roll, closer roll); player 1 opens."""
    for a, b in rolls:
        table.rng.rolls = [a]
        assert table.roll(1).error is None
        table.rng.rolls = [b]
        assert table.roll(2).error is None


def test_higher_roll_wins_the_round_and_ties_score_nothing() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start()
    play(table, [(5, 3), (2, 2), (1, 6)])
    assert (table.score(1), table.score(2)) == (1, 1)
    results = table.of_type("bigger_dice.round_result")
    assert [(r["winner_id"], r["is_tie"]) for r in results] == [(1, False), (None, True),
                                                                (2, False)]
    assert [r["round"] for r in results] == [1, 2, 3]


def test_new_score_includes_the_point_of_the_round_the_roll_completed() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start()
    play(table, [(1, 6)])
    rolled = table.of_type("bigger_dice.rolled")
    assert [(r["player_id"], r["new_score"]) for r in rolled] == [(1, 0), (2, 1)]


def test_the_first_player_opens_every_round_and_turns_alternate() -> None:
    table = Table(rng=ScriptedDice([1], first=1))  # player 2 goes first
    table.start()
    for a, b in [(4, 2), (3, 3), (1, 2)]:
        table.rng.rolls = [a]
        assert table.roll(2).error is None
        table.rng.rolls = [b]
        assert table.roll(1).error is None
    turns = [t["current_turn"] for t in table.of_type("turn_changed")]
    assert turns == [2, 1, 2, 1, 2, 1, 2]
    assert [t["turn_number"] for t in table.of_type("turn_changed")] == list(range(1, 8))


def test_first_to_ten_wins_and_the_game_ends_with_final_scores() -> None:
    table = Table(rng=ScriptedDice([1], first=0))
    table.start()
    play(table, [(6, 1)] * 9 + [(1, 6)] * 3)
    assert (table.score(1), table.score(2)) == (9, 3)
    play(table, [(6, 1)])
    room = table.room
    assert room is not None
    assert room.status == RoomStatus.FINISHED and room.winner_id == 1
    ended = table.last("game_ended")
    assert ended["reason"] == "won" and ended["winner_username"] == "user1"
    assert ended["final_scores"] == [(1, "user1", 10), (2, "user2", 3)]
    assert table.types()[-4:] == ["bigger_dice.rolled", "bigger_dice.round_result",
                                  "game_ended", "room_removed"]
    assert room.current_turn is None
    assert table.roll(1).error is not None  # nothing after the end


def test_a_whole_game_replays_identically_from_the_same_seed() -> None:
    def run(seed: int) -> list[object]:
        from blazing.games.base import RandomRng

        table = Table(rng=RandomRng.seeded(seed))
        table.start()
        while table.room is not None and table.room.status == RoomStatus.IN_PROGRESS:
            assert table.room.current_turn is not None
            table.roll(table.room.current_turn)
        return [e.event for e in table.events]

    assert run(42) == run(42)
    assert run(42) != run(43)


# --- the stored state: passes name players by seat ------------------------------------

BIG = 2**47 + 12_345  # user ids run to 15 digits


def test_stored_passes_name_players_by_seat_and_everyone_else_sees_user_ids() -> None:
    dice = BiggerDice()
    state = dice.setup([Seat(user_id=UserId(BIG + n), username=f"u{n}") for n in range(3)],
                       ScriptedDice([0]))
    ctx = GameContext(now=T0, rng=ScriptedDice([5, 2, 5, 6, 1]))
    for _ in range(5):  # a tie of two, their tiebreak, then the first roll of round 2
        outcome = dice.apply(state, dice.who_acts(state)[0], Roll(room_id="r"), ctx)
        assert isinstance(outcome, Outcome)
        state = outcome.state
    stored = msgspec.json.encode(state.rounds).decode()
    assert str(BIG) not in stored  # seats, not 15-digit ids
    order = state.order
    assert passes(state) == (
        Pass(round=1, rolls=((order[0], 5), (order[1], 2), (order[2], 5)), winner_id=None,
             is_tie=True),
        Pass(round=1, rolls=((order[0], 6), (order[2], 1)), winner_id=order[0], is_tie=False))
    assert dice.scores(state) == {order[0]: 1, order[1]: 0, order[2]: 0}
    view = msgspec.json.decode(msgspec.json.encode(dice.view(state, None)))
    assert view["rounds"][1] == {"round": 1, "rolls": [[order[0], 6], [order[2], 1]],
                                 "winner_id": order[0], "is_tie": False}
    assert "rows_by_seat" not in view
    assert dice.record(state)[1]["winner_id"] == order[0]


def test_a_state_stored_with_user_ids_in_its_passes_plays_on() -> None:
    """A game under way when its state still named players by user id (rows and, older
    still, objects) keeps that form to its end."""
    a, b = BIG, BIG + 1
    stored = {"type": "bigger_dice", "order": [a, b], "names": ["a", "b"], "rollers": [a, b],
              "round": 3, "pending": [],
              "rounds": [{"round": 1, "rolls": [[a, 6], [b, 1]], "winner_id": a, "is_tie": False},
                         [2, [[a, 1], [b, 4]], b, False]],
              "out": [], "winner_id": None}
    state = msgspec.json.decode(msgspec.json.encode(stored), type=BiggerDiceState)
    dice = BiggerDice()
    assert dice.scores(state) == {a: 1, b: 1}
    ctx = GameContext(now=T0, rng=ScriptedDice([3, 2]))
    for roller in (a, b):
        outcome = dice.apply(state, roller, Roll(room_id="r"), ctx)
        assert isinstance(outcome, Outcome)
        state = outcome.state
    assert dice.scores(state) == {a: 2, b: 1}
    assert state.rounds[-1] == PassRow(3, ((a, 3), (b, 2)), a, False)
    assert [p.winner_id for p in passes(state)] == [a, b, a]
