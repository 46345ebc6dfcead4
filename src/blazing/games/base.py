"""The game interface: what a game is, as pure functions the room layer calls.

A game is a definition registered by ``game_type`` (see :mod:`blazing.games.registry`),
never a participant in the room's machinery. The room layer owns seats, ready-up, turn
deadlines, grace periods, spectators, chat, history and fan-out for every game; a game
owns only its state, its rules and its wire messages:

- ``setup(players, rng) -> state`` when every seat is taken and ready;
- ``apply(state, actor, action, ctx) -> Outcome | Refusal``: a refusal carries an error
  code and changes nothing;
- ``who_acts(state)``: the players whose move is awaited (the room gives them a deadline);
- ``on_timeout(state, player, ctx)``: what happens when that deadline passes;
- ``on_player_left(state, player, ctx)``: a player left or ran out of grace (forfeit,
  elimination);
- ``result(state)``: ``None`` while the game goes on, then the winner and scores;
- ``scores(state)``: points per player, shown on the seats while the game runs;
- ``view(state, viewer)``: what one player (or a spectator: ``None``) may see. The
  platform sends only views, so a game with hidden information needs nothing else.

Everything random or timed arrives as an input (:class:`Rng`, ``ctx.now``), so a game
replays exactly from its moves and a seed. Nothing here does I/O.
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import msgspec

from blazing.ids import UserId
from blazing.protocol.client import GameCommand
from blazing.protocol.server import GameEvent

T = TypeVar("T")
State = TypeVar("State", bound=msgspec.Struct)


class Rng(Protocol):
    """The only source of randomness a game sees."""

    def roll(self, sides: int = 6) -> int:
        """A fair roll in ``1..sides``."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``, uniformly."""
        ...


class RandomRng:
    """An :class:`Rng` over a ``random.Random``: seeded in tests, ``SystemRandom`` in
    production."""

    def __init__(self, source: random.Random) -> None:
        self._source = source

    @classmethod
    def seeded(cls, seed: int) -> "RandomRng":
        return cls(random.Random(seed))

    @classmethod
    def secure(cls) -> "RandomRng":
        return cls(random.SystemRandom())

    def roll(self, sides: int = 6) -> int:
        return self._source.randint(1, sides)

    def choice(self, options: Sequence[T]) -> T:
        return self._source.choice(options)


@dataclass(frozen=True, slots=True)
class Seat:
    """A player as a game knows them: seat order is the order of ``setup``'s list."""

    user_id: UserId
    username: str


@dataclass(frozen=True, slots=True)
class GameContext:
    """Inputs of one move: the time and the randomness."""

    now: datetime
    rng: Rng


@dataclass(frozen=True, slots=True)
class Private:
    """An event only ``user_ids`` receive (hidden information). It takes no room
    sequence number, so the others see no gap."""

    user_ids: tuple[UserId, ...]
    event: GameEvent


@dataclass(frozen=True, slots=True)
class Outcome:
    """The state after an accepted move and the events it causes, in order.

    ``ends_turn``: the move ended the mover's turn, so the room starts the next one
    (a new deadline and ``turn_changed``) even when the same player acts next. A game
    where one turn holds several moves returns False until the turn is over.
    """

    state: Any
    events: tuple[GameEvent | Private, ...] = ()
    ends_turn: bool = True


@dataclass(frozen=True, slots=True)
class Refusal:
    """A move the rules do not allow: one ``error`` with ``code``, nothing changes."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Result:
    """How a finished game ended: ``winner_id`` None is a game without a winner."""

    winner_id: UserId | None
    reason: str = "won"


@dataclass(frozen=True, slots=True)
class SeatOption:
    """The one option the platform knows how to ask for: the number of seats
    (``create_room.max_players``)."""

    minimum: int
    maximum: int
    default: int


class Game(Protocol):
    """A game definition. Implementations are plain classes with no state of their own;
    ``state_type`` is a frozen ``msgspec.Struct`` with ``tag=<game_type>``."""

    game_type: str
    title: str  # shown to players
    seats: SeatOption
    state_type: type[msgspec.Struct]
    commands: tuple[type[GameCommand], ...]  # client messages, tagged "<game_type>.<verb>"
    events: tuple[type[GameEvent], ...]  # server messages, tagged "<game_type>.<fact>"
    error_codes: frozenset[str]  # codes of this game's refusals, beyond the common ones

    def setup(self, players: Sequence[Seat], rng: Rng) -> Any:
        """The first state for ``players`` in seat order (as many as the room has seats:
        the seat count is the only option a game has today)."""
        ...

    def apply(self, state: Any, actor: UserId, action: GameCommand,
              ctx: GameContext) -> Outcome | Refusal:
        """``actor`` (one of ``who_acts(state)``) makes a move."""
        ...

    def who_acts(self, state: Any) -> tuple[UserId, ...]:
        """The players whose move is awaited; empty once the game is over."""
        ...

    def on_timeout(self, state: Any, player: UserId, ctx: GameContext) -> Outcome:
        """``player``'s turn deadline passed."""
        ...

    def on_player_left(self, state: Any, player: UserId, ctx: GameContext) -> Outcome:
        """``player`` is out of the game for good (left, or their grace ran out)."""
        ...

    def result(self, state: Any) -> Result | None:
        """None while the game goes on."""
        ...

    def scores(self, state: Any) -> Mapping[UserId, int]:
        """Points per player so far (the seats' ``score``)."""
        ...

    def view(self, state: Any, viewer: UserId | None) -> Any:
        """What ``viewer`` may see of ``state`` (``None``: a spectator). Encodable by
        msgspec; sent in ``room_state.room.game_state``."""
        ...

    def record(self, state: Any) -> list[dict[str, Any]]:
        """The game's course for history (``rounds`` of the record), JSON-ready, with
        no array directly inside an array (the MongoDB-protocol server refuses them)."""
        ...


class RecordingRng:
    """An :class:`Rng` that remembers every draw (a roll's value, a choice's index), so
    that a game can be replayed from its moves without the generator's seed."""

    def __init__(self, inner: Rng) -> None:
        self._inner = inner
        self.draws: list[int] = []

    def roll(self, sides: int = 6) -> int:
        value = self._inner.roll(sides)
        self.draws.append(value)
        return value

    def choice(self, options: Sequence[T]) -> T:
        index = self._inner.choice(range(len(options)))
        self.draws.append(index)
        return options[index]


class ReplayMismatch(Exception):
    """A recorded game does not replay: its draws or moves do not fit the rules."""


class ScriptedRng:
    """An :class:`Rng` that gives back recorded draws, in order."""

    def __init__(self, draws: Sequence[int]) -> None:
        self._draws = list(draws)
        self._next = 0

    def _take(self) -> int:
        if self._next >= len(self._draws):
            raise ReplayMismatch("the rules drew more randomness than was recorded")
        value = self._draws[self._next]
        self._next += 1
        return value

    def roll(self, sides: int = 6) -> int:
        value = self._take()
        if not 1 <= value <= sides:
            raise ReplayMismatch(f"recorded roll {value} is not a {sides}-sided roll")
        return value

    def choice(self, options: Sequence[T]) -> T:
        index = self._take()
        if not 0 <= index < len(options):
            raise ReplayMismatch(f"recorded choice {index} of {len(options)} options")
        return options[index]

    @property
    def exhausted(self) -> bool:
        return self._next == len(self._draws)
