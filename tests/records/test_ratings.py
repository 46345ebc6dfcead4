"""Who ranks where in a finished game, and the rating model's parameters."""

import msgspec
import pytest

from blazing.games.record import MoveRecord
from blazing.ids import UserId
from blazing.records import ratings
from blazing.records.model import Placement, RatedGame
from tests.contract.test_history import T0, record


def ranks(game: object) -> dict[int, int] | None:
    placed = ratings.placements(game)  # type: ignore[arg-type]
    return None if placed is None else {p.user_id: p.rank for p in placed}


def with_scores(players: list[int], scores: list[int], winner: int | None,
                left: tuple[int, ...] = ()) -> object:
    game = record(players, 1, winner=winner)
    moves = [MoveRecord(kind="left", user_id=UserId(u), at=T0) for u in left]
    return msgspec.structs.replace(
        game, moves=moves,
        players=[msgspec.structs.replace(p, final_score=s)
                 for p, s in zip(game.players, scores, strict=True)])


def test_the_winner_ranks_first_and_the_rest_by_score_with_ties_shared() -> None:
    assert ranks(with_scores([1, 2, 3, 4], [4, 10, 7, 4], winner=2)) == \
        {2: 1, 3: 2, 1: 3, 4: 3}


def test_those_who_left_rank_last_the_first_to_leave_lowest() -> None:
    game = with_scores([1, 2, 3, 4], [9, 2, 10, 5], winner=3, left=(1, 4))
    assert ranks(game) == {3: 1, 2: 2, 4: 3, 1: 4}


def test_a_forfeit_is_a_loss_even_for_the_leader() -> None:
    assert ranks(with_scores([1, 2], [4, 1], winner=2, left=(1,))) == {2: 1, 1: 2}


def test_an_abandoned_game_is_not_rated() -> None:
    assert ratings.placements(record([1, 2], 1, winner=None)) is None
    assert ratings.rated_game(record([1, 2], 1, winner=None)) is None


def test_the_model_uses_openskill_defaults() -> None:
    fresh = ratings.new_rating(UserId(1), "a", "bigger_dice")
    assert (fresh.mu, fresh.sigma) == (25.0, pytest.approx(25 / 3))
    assert fresh.ordinal == pytest.approx(0.0)
    assert ratings.MODEL.beta == pytest.approx(25 / 6)
    assert ratings.MODEL.tau == pytest.approx(25 / 300)


def test_a_win_raises_mu_and_everyone_grows_surer() -> None:
    game = RatedGame(game_id="room_x.1", game_type="bigger_dice", finished_at=T0,
                     placements=[Placement(user_id=UserId(1), username="a", rank=1),
                                 Placement(user_id=UserId(2), username="b", rank=2),
                                 Placement(user_id=UserId(3), username="c", rank=2)])
    update = ratings.rate(game, {})
    first, second, third = update.changes
    assert first.after_mu > 25 > second.after_mu == third.after_mu
    assert all(c.after_sigma < 25 / 3 and c.before_rev == 0 for c in update.changes)


def test_rerating_one_player_from_a_newer_rating_keeps_the_others_as_they_were() -> None:
    game = RatedGame(game_id="room_x.1", game_type="bigger_dice", finished_at=T0,
                     placements=[Placement(user_id=UserId(1), username="a", rank=1),
                                 Placement(user_id=UserId(2), username="b", rank=2)])
    update = ratings.rate(game, {})
    newer = msgspec.structs.replace(ratings.new_rating(UserId(1), "a", "bigger_dice"),
                                    mu=30.0, rev=3)
    again = ratings.rerate_one(update, UserId(1), newer)
    assert again.before_mu == 30.0 and again.before_rev == 3 and again.after_mu > 30.0
