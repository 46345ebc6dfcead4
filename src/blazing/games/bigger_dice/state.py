"""Bigger Dice game state as stored with the room (no rules here)."""

import msgspec

from blazing.ids import UserId


class Round(msgspec.Struct, frozen=True, kw_only=True):
    round: int
    rolls: tuple[tuple[UserId, int], ...]
    winner_id: UserId | None
    is_tie: bool


class BiggerDiceState(msgspec.Struct, frozen=True, kw_only=True, tag="bigger_dice"):
    """``order[0]`` opens every round and ``order[1]`` closes it."""

    order: tuple[UserId, UserId]
    pending: tuple[tuple[UserId, int], ...] = ()
    rounds: tuple[Round, ...] = ()
