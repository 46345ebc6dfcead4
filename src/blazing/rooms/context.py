"""Inputs of the pure rules: the clock, the dice, the limits and facts the
service looked up before calling them. Nothing in the rules reads these from
the environment, so a game replays exactly from its commands and a seed."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from blazing.ids import RoomId

T = TypeVar("T")


class Dice(Protocol):
    """The only source of randomness the rules see."""

    def roll(self, sides: int = 6) -> int:
        """A fair roll in ``1..sides``."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``, uniformly."""
        ...


class RandomDice:
    """Dice over a ``random.Random``: seeded in tests, ``SystemRandom`` in production."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    @classmethod
    def seeded(cls, seed: int) -> "RandomDice":
        return cls(random.Random(seed))

    @classmethod
    def secure(cls) -> "RandomDice":
        return cls(random.SystemRandom())

    def roll(self, sides: int = 6) -> int:
        return self._rng.randint(1, sides)

    def choice(self, options: Sequence[T]) -> T:
        return self._rng.choice(options)


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Tunable rule parameters; defaults are SPEC's."""

    turn_seconds: float = 30.0
    grace_seconds: float = 60.0
    retention_seconds: float = 600.0
    spectator_limit: int = 50
    chat_limit: int = 5
    chat_window_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    dice: Dice
    settings: RuleSettings = RuleSettings()
    command_id: str = ""
    # Facts looked up by the service before applying a command. A store write
    # re-checks the claims they stand for, so a stale fact only costs a retry.
    new_room_id: RoomId | None = None  # id for a room this command creates
    actor_room: RoomId | None = None  # the actor's active room as a player
    name_owner: RoomId | None = None  # active room already holding the requested name
