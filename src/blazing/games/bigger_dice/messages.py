"""Bigger Dice's wire messages (SPEC §4 and §10) and its stored state."""

from typing import Annotated, NamedTuple

import msgspec

from blazing.ids import UserId
from blazing.protocol.client import GameCommand
from blazing.protocol.server import GameEvent

# --- client → server ------------------------------------------------------------------


class Roll(GameCommand, frozen=True, tag="bigger_dice.roll"):
    """Roll on your turn; the server rolls the die."""


# --- server → client ------------------------------------------------------------------


class Rolled(GameEvent, frozen=True, kw_only=True, tag="bigger_dice.rolled"):
    player_id: UserId
    player_username: str
    roll: int
    new_score: int  # the roller's score after this roll was judged
    auto: bool = False  # the server rolled because the turn's deadline passed


class RoundResult(GameEvent, frozen=True, kw_only=True, tag="bigger_dice.round_result",
                  omit_defaults=True):
    """One judged pass. Two-player games carry the seed's ``player1_*``/``player2_*``
    fields (opener, closer); every game carries ``rolls`` in turn order."""

    round: int
    player1_id: UserId | None = None
    player1_roll: int | None = None
    player2_id: UserId | None = None
    player2_roll: int | None = None
    winner_id: UserId | None
    is_tie: bool
    rolls: list[tuple[UserId, int]]
    # Every player's score after it, in turn order.
    scores: list[tuple[UserId, int]] = msgspec.field(default_factory=list)


class TiebreakStarted(GameEvent, frozen=True, kw_only=True, tag="bigger_dice.tiebreak_started"):
    """Three or more players tied for the highest roll: only they roll again, in
    ``players`` order, in the same round."""

    round: int
    players: list[UserId]


# --- state ----------------------------------------------------------------------------

Rolls = tuple[tuple[UserId, int], ...]


class Pass(msgspec.Struct, frozen=True, kw_only=True):
    """A judged pass of rolls: a round, or a tiebreak of one, as clients see it (and
    as states stored before :class:`PassRow` kept it)."""

    round: int
    rolls: Rolls
    winner_id: UserId | None
    is_tie: bool


class PassRow(NamedTuple):
    """A pass as the state stores it: the fields of :class:`Pass` in a JSON array
    (``[round, rolls, winner, is_tie]``), since the state is written on every roll and
    keeps every pass of the game. In a state with ``rows_by_seat`` the players are
    their index in ``order`` (``[3, [[0, 5], [1, 2]], 0, false]``: user ids run to 15
    digits), in one written before that their user id."""

    round: int
    rolls: tuple[tuple[int, int], ...]
    winner_id: int | None
    is_tie: bool


class BiggerDiceState(msgspec.Struct, frozen=True, kw_only=True, tag="bigger_dice"):
    """``order`` is the turn order, fixed for the game (``order[0]`` opens every round);
    ``names`` are the usernames in the same order. ``rollers`` roll in the current pass
    (every active player, or the tied ones in a tiebreak) and ``pending`` holds the
    rolls of that pass so far."""

    order: tuple[UserId, ...]
    names: tuple[str, ...]
    rollers: tuple[UserId, ...]
    round: Annotated[int, msgspec.Meta(ge=1)] = 1
    pending: Rolls = ()
    rounds: tuple[PassRow | Pass, ...] = ()
    out: tuple[UserId, ...] = ()  # left the game: they keep their score, they do not roll
    winner_id: UserId | None = None
    rows_by_seat: bool = False  # rows of ``rounds`` name players by seat (PassRow)


class BiggerDiceView(msgspec.Struct, frozen=True, kw_only=True, tag="bigger_dice"):
    """What every viewer sees of the state (nothing is hidden): its fields, the passes
    as objects that name players by user id."""

    order: tuple[UserId, ...]
    names: tuple[str, ...]
    rollers: tuple[UserId, ...]
    round: int
    pending: Rolls
    rounds: tuple[Pass, ...]
    out: tuple[UserId, ...]
    winner_id: UserId | None
