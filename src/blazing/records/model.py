"""What the history stores keep about players beyond the game documents: one row per
player per game (for stats and history lists) and one rating per player per game type
(for leaderboards), with the rating change each rated game made."""

from datetime import datetime
from typing import Literal

import msgspec

from blazing.ids import UserId

Outcome = Literal["won", "lost", "abandoned"]


class PlayerGame(msgspec.Struct, frozen=True, kw_only=True):
    """One player's line of one game: ``abandoned`` is a game that ended without a
    winner; a forfeit is ``lost`` for the one who left."""

    user_id: UserId
    game_id: str
    game_type: str
    finished_at: datetime
    outcome: Outcome
    duration_seconds: float


class Rating(msgspec.Struct, frozen=True, kw_only=True):
    """A player's skill in one game type (Weng-Lin Plackett-Luce): ``ordinal`` is
    ``mu - 3 * sigma``, what leaderboards sort by. ``rev`` counts the rated games
    applied to it (the version a writer checks); ``last_game`` is the latest."""

    user_id: UserId
    username: str
    game_type: str
    mu: float
    sigma: float
    ordinal: float
    games: int
    rev: int = 0
    last_game: str = ""


class Placement(msgspec.Struct, frozen=True, kw_only=True):
    """Where one player finished a game: rank 1 is first; equal ranks tie."""

    user_id: UserId
    username: str
    rank: int


class RatedGame(msgspec.Struct, frozen=True, kw_only=True):
    """A finished game as the rating system sees it."""

    game_id: str
    game_type: str
    finished_at: datetime
    placements: list[Placement]


class RatingChange(msgspec.Struct, frozen=True, kw_only=True):
    """One player's rating before and after a game (``before_rev``: the rating's
    ``rev`` the change was computed from)."""

    user_id: UserId
    username: str
    rank: int
    before_mu: float
    before_sigma: float
    before_rev: int
    after_mu: float
    after_sigma: float


class RatingUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """The rating change of one game, computed once and stored under its game id."""

    game_id: str
    game_type: str
    finished_at: datetime
    changes: list[RatingChange]
