"""Every finished game's record replays through its game's rules to the same end, and
a record that does not fit the rules is reported, not drawn wrong."""

from datetime import timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blazing.games import registry
from blazing.games.base import RandomRng, ReplayMismatch, Seat
from blazing.games.bigger_dice.messages import Roll
from blazing.games.replay import replay
from blazing.games.tic_tac_toe.messages import Move
from blazing.history.base import GameRecord
from blazing.protocol.models import RoomStatus
from blazing.rooms.archive import game_record
from tests.support.table import Table


def finished_game(seed: int, game_type: str, seats: int, leave_at: int | None) -> GameRecord:
    """A game played to its end through the room rules, with timeouts now and then
    and perhaps a departure; its history record."""
    table = Table(rng=RandomRng.seeded(seed))
    table.start(players=seats, game_type=game_type)
    pick = RandomRng.seeded(seed + 1)
    for step in range(5_000):
        room = table.room
        assert room is not None
        if room.status != RoomStatus.IN_PROGRESS:
            break
        if step == leave_at:
            table.leave(room.player_ids()[-1])
        elif pick.roll(10) == 1:
            table.tick(31)  # the deadline passes: an auto-move
        elif game_type == "bigger_dice":
            table.move(table.acting(), Roll(room_id=""))
        else:
            table.move(table.acting(), Move(room_id="", position=pick.roll(9) - 1))
    room = table.room
    assert room is not None and room.status == RoomStatus.FINISHED
    record = game_record(room)
    assert record is not None
    return record


def replayed_result(record: GameRecord) -> tuple[int | None, list[int]]:
    game = registry.GAMES[record.game_type]
    seats = [Seat(user_id=p.user_id, username=p.username) for p in record.players]
    final = replay(game, seats, record.setup_draws, record.moves)[-1].state
    result = game.result(final)
    scores = game.scores(final)
    return (result.winner_id if result else None), [scores[s.user_id] for s in seats]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), kind=st.sampled_from(["bigger_dice-2", "bigger_dice-5",
                                                         "tic_tac_toe-2"]),
       leave_at=st.none() | st.integers(0, 40))
def test_a_recorded_game_replays_to_its_recorded_result(seed: int, kind: str,
                                                        leave_at: int | None) -> None:
    game_type, seats = kind.rsplit("-", 1)
    record = finished_game(seed, game_type, int(seats), leave_at)
    assert record.version == 2 and record.game_id == f"{record.room_id}.1"
    winner, scores = replayed_result(record)
    assert winner == record.winner_id
    assert scores == [p.final_score for p in record.players]
    # The record survives its own codec (what the stores write).
    again = msgspec.json.decode(msgspec.json.encode(record), type=GameRecord)
    assert replayed_result(again) == (winner, scores)


def test_a_record_whose_rolls_were_changed_does_not_replay() -> None:
    record = finished_game(7, "bigger_dice", 2, None)
    moves = list(record.moves)
    first = next(i for i, m in enumerate(moves) if m.kind == "move")
    moves[first] = msgspec.structs.replace(moves[first], draws=(7,))  # not a die's face
    with pytest.raises(ReplayMismatch):
        replayed_result(msgspec.structs.replace(record, moves=moves))
    moves[first] = msgspec.structs.replace(record.moves[first], scores=(9, 9))
    with pytest.raises(ReplayMismatch):
        replayed_result(msgspec.structs.replace(record, moves=moves))


def test_a_move_out_of_turn_or_onto_a_taken_cell_does_not_replay() -> None:
    record = finished_game(3, "tic_tac_toe", 2, None)
    moves = list(record.moves)
    second = moves[1]
    moves[1] = msgspec.structs.replace(second, action={**second.action,
                                                       "position": moves[0].action["position"]})
    with pytest.raises(ReplayMismatch, match="refuse"):
        replayed_result(msgspec.structs.replace(record, moves=moves))
    moves = [msgspec.structs.replace(record.moves[0], user_id=record.moves[1].user_id),
             *record.moves[1:]]
    with pytest.raises(ReplayMismatch, match="not to act"):
        replayed_result(msgspec.structs.replace(record, moves=moves))


def test_moves_carry_their_time_kind_and_scores() -> None:
    record = finished_game(11, "bigger_dice", 3, 5)
    kinds = {m.kind for m in record.moves}
    assert "move" in kinds and "left" in kinds
    assert all(len(m.scores) == 3 for m in record.moves)
    assert all(record.started_at is not None and m.at >= record.started_at - timedelta(0)
               for m in record.moves)
    assert all(m.action == {"type": "bigger_dice.roll"} for m in record.moves
               if m.kind == "move")
