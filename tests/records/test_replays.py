"""The replay document: every step of a finished game through its rules, or a clear
refusal for a record that cannot be replayed."""

import msgspec
import pytest

from blazing.games import registry
from blazing.records.replays import NotReplayable, replay_document
from tests.games.test_replay import finished_game


@pytest.mark.parametrize(("game_type", "seats", "leave_at"),
                         [("bigger_dice", 2, None), ("bigger_dice", 4, 6),
                          ("tic_tac_toe", 2, None)])
def test_every_step_has_its_move_events_view_and_scores(game_type: str, seats: int,
                                                        leave_at: int | None) -> None:
    record = finished_game(5, game_type, seats, leave_at)
    doc = replay_document(record)
    steps = doc["steps"]
    assert doc["replayable"] and doc["game_id"] == record.game_id
    assert len(steps) == len(record.moves) + 1
    assert steps[0]["kind"] == "setup" and steps[0]["scores"] == [0] * seats
    assert steps[-1]["scores"] == [p.final_score for p in record.players]
    for step, move in zip(steps[1:], record.moves, strict=True):
        assert (step["kind"], step["user_id"], step["at"]) == (move.kind, move.user_id, move.at)
        assert step["auto"] == (move.kind == "timeout")
        assert step["scores"] == list(move.scores)
        assert step["view"]["type"] == game_type
        assert all("room_id" not in e and "seq" not in e for e in step["events"])
    final = steps[-1]["view"]
    assert final["winner_id"] == record.winner_id
    # The document is JSON-ready.
    assert msgspec.json.decode(msgspec.json.encode(doc))["steps"][0]["index"] == 0
    if game_type == "bigger_dice":
        moves = [s for s in steps if s["kind"] == "move"]
        assert all(m["action"] == {"type": "bigger_dice.roll"} for m in moves)
        assert all(m["events"][0]["type"] == "bigger_dice.rolled" for m in moves)


def test_a_record_whose_scores_were_changed_is_refused_with_409() -> None:
    record = finished_game(9, "bigger_dice", 2, None)
    players = [msgspec.structs.replace(p, final_score=p.final_score + 1)
               for p in record.players]
    with pytest.raises(NotReplayable) as refused:
        replay_document(msgspec.structs.replace(record, players=players))
    assert refused.value.status == 409 and "scores" in refused.value.reason
    moves = list(record.moves)
    moves[0] = msgspec.structs.replace(moves[0], draws=(9,))
    with pytest.raises(NotReplayable) as refused:
        replay_document(msgspec.structs.replace(record, moves=moves))
    assert refused.value.status == 409


def test_a_record_from_before_moves_were_kept_is_refused_with_422() -> None:
    record = finished_game(9, "tic_tac_toe", 2, None)
    old = msgspec.structs.replace(record, version=1, moves=[], setup_draws=[], game_id="")
    with pytest.raises(NotReplayable) as refused:
        replay_document(old)
    assert refused.value.status == 422


def test_a_game_no_longer_served_is_refused_with_422() -> None:
    record = finished_game(9, "tic_tac_toe", 2, None)
    assert registry.get("chess") is None
    with pytest.raises(NotReplayable) as refused:
        replay_document(msgspec.structs.replace(record, game_type="chess"))
    assert refused.value.status == 422
