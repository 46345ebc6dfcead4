"""Rebuild a game from its record through the game's own rules, step by step.

Every recorded step is applied again with the randomness it drew
(:class:`~blazing.games.base.ScriptedRng`); a step that the rules refuse, that draws
more or less than was recorded, or whose scores differ from the recorded ones raises
:class:`~blazing.games.base.ReplayMismatch`: the record is reported as not
replayable rather than drawn wrong.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import msgspec

from blazing.games.base import (
    Game,
    GameContext,
    Private,
    Refusal,
    ReplayMismatch,
    ScriptedRng,
    Seat,
)
from blazing.games.record import MoveRecord
from blazing.protocol.server import GameEvent


@dataclass(frozen=True, slots=True)
class Step:
    """The state after one recorded step (``record`` None: the state after setup) and
    the public events the step caused."""

    record: MoveRecord | None
    state: Any
    events: tuple[GameEvent, ...]


def replay(game: Game, players: Sequence[Seat], setup_draws: Sequence[int],
           moves: Sequence[MoveRecord]) -> list[Step]:
    """Every state of the game, from setup to its last recorded step."""
    rng = ScriptedRng(setup_draws)
    state = game.setup(players, rng)
    _check_used(rng, "setup")
    steps = [Step(None, state, ())]
    commands: Any = Union[game.commands]  # noqa: UP007  # built from the game's tuple
    seats = [p.user_id for p in players]
    for index, record in enumerate(moves, 1):
        rng = ScriptedRng(record.draws)
        ctx = GameContext(now=record.at, rng=rng)
        if record.kind in ("move", "timeout") and record.user_id not in game.who_acts(state):
            raise ReplayMismatch(f"step {index}: {record.user_id} was not to act")
        if record.kind == "move":
            try:
                action = msgspec.convert({**record.action, "room_id": "replay"}, commands)
            except msgspec.ValidationError as exc:
                raise ReplayMismatch(f"step {index}: not a move of this game: {exc}") from None
            answer = game.apply(state, record.user_id, action, ctx)
            if isinstance(answer, Refusal):
                raise ReplayMismatch(f"step {index}: the rules refuse it ({answer.code})")
        elif record.kind == "timeout":
            answer = game.on_timeout(state, record.user_id, ctx)
        else:
            answer = game.on_player_left(state, record.user_id, ctx)
        _check_used(rng, f"step {index}")
        state = answer.state
        scores = game.scores(state)
        if record.scores and tuple(scores.get(u, 0) for u in seats) != record.scores:
            raise ReplayMismatch(f"step {index}: scores differ from the record")
        steps.append(Step(record, state, tuple(e for e in answer.events
                                               if not isinstance(e, Private))))
    return steps


def _check_used(rng: ScriptedRng, where: str) -> None:
    if not rng.exhausted:
        raise ReplayMismatch(f"{where}: the rules drew less randomness than was recorded")
