"""Bigger Dice rules (SPEC §4 and §10), pure.

A random player opens; the turn order is fixed for the game. Every round each active
player rolls once, in order; the single highest roll scores one point. A tie for the
highest roll scores nothing: with two players the next round starts (the seed's rule),
with three or more only the tied roll again, in order, in the same round, until one
roll is highest. A player who leaves keeps their score and no longer rolls; the last
one left wins. First to ``WINNING_SCORE`` wins.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from blazing.errors import ServerFault
from blazing.games.base import (
    GameContext,
    Outcome,
    Private,
    Refusal,
    Result,
    Rng,
    Seat,
    SeatOption,
)
from blazing.games.bigger_dice.messages import (
    BiggerDiceState,
    BiggerDiceView,
    Pass,
    PassRow,
    Roll,
    Rolled,
    RoundResult,
    TiebreakStarted,
)
from blazing.ids import UserId
from blazing.protocol.client import GameCommand
from blazing.protocol.server import GameEvent

WINNING_SCORE = 10
SIDES = 6
TIEBREAK_FROM = 3  # seats from which a tie is rolled off among the tied


class BiggerDice:
    game_type: str = "bigger_dice"
    title: str = "Bigger Dice"
    seats: SeatOption = SeatOption(minimum=2, maximum=10, default=2)
    state_type: type[msgspec.Struct] = BiggerDiceState
    commands: tuple[type[GameCommand], ...] = (Roll,)
    events: tuple[type[GameEvent], ...] = (Rolled, RoundResult, TiebreakStarted)
    error_codes: frozenset[str] = frozenset()

    def setup(self, players: Sequence[Seat], rng: Rng) -> BiggerDiceState:
        opener = rng.choice(range(len(players)))
        turn = [*players[opener:], *players[:opener]]
        order = tuple(p.user_id for p in turn)
        return BiggerDiceState(order=order, names=tuple(p.username for p in turn),
                               rollers=order, rows_by_seat=True)

    def apply(self, state: BiggerDiceState, actor: UserId, action: GameCommand,
              ctx: GameContext) -> Outcome | Refusal:
        if not isinstance(action, Roll):
            raise ServerFault(f"bigger_dice cannot apply {type(action).__name__}")
        return _roll(state, actor, ctx.rng.roll(SIDES), auto=False)

    def who_acts(self, state: BiggerDiceState) -> tuple[UserId, ...]:
        if state.winner_id is not None:
            return ()
        return (state.rollers[len(state.pending)],)

    def on_timeout(self, state: BiggerDiceState, player: UserId,
                   ctx: GameContext) -> Outcome:
        return _roll(state, player, ctx.rng.roll(SIDES), auto=True)

    def on_player_left(self, state: BiggerDiceState, player: UserId,
                       ctx: GameContext) -> Outcome:
        if player in state.out or state.winner_id is not None:
            return Outcome(state, ends_turn=False)
        was_to_roll = player in self.who_acts(state)
        out = (*state.out, player)
        active = [p for p in state.order if p not in out]
        if len(active) == 1:  # the last one left wins
            return Outcome(msgspec.structs.replace(state, out=out, winner_id=active[0]))
        rollers = tuple(p for p in state.rollers if p != player)
        pending = tuple((p, v) for p, v in state.pending if p != player)
        state = msgspec.structs.replace(state, out=out, rollers=rollers, pending=pending)
        tiebreak = len(rollers) < len(_active(state))
        if len(pending) == len(rollers) or (tiebreak and len(rollers) == 1):
            # Everyone left in this pass has rolled (or one contender of a tiebreak is
            # left unopposed): judge it now.
            state, events = _judge(state)
            return Outcome(state, tuple(events))
        return Outcome(state, ends_turn=was_to_roll)

    def result(self, state: BiggerDiceState) -> Result | None:
        return None if state.winner_id is None else Result(state.winner_id)

    def scores(self, state: BiggerDiceState) -> Mapping[UserId, int]:
        return _scores(state)

    def view(self, state: BiggerDiceState, viewer: UserId | None) -> BiggerDiceView:
        return BiggerDiceView(order=state.order, names=state.names, rollers=state.rollers,
                              round=state.round, pending=state.pending, rounds=passes(state),
                              out=state.out, winner_id=state.winner_id)

    def record(self, state: BiggerDiceState) -> list[dict[str, Any]]:
        # Rolls as objects, not [user, roll] pairs: no array directly in an array.
        return [{"round": p.round, "rolls": [{"user_id": u, "roll": v} for u, v in p.rolls],
                 "winner_id": p.winner_id, "is_tie": p.is_tie} for p in passes(state)]


def passes(state: BiggerDiceState) -> tuple[Pass, ...]:
    """Every judged pass of the game, players named by user id."""
    player = _player(state)

    def shown(judged: PassRow | Pass) -> Pass:
        if isinstance(judged, Pass):  # stored as an object before rows: by user id
            return judged
        winner = judged.winner_id
        return Pass(round=judged.round, rolls=tuple((player(p), v) for p, v in judged.rolls),
                    winner_id=None if winner is None else player(winner),
                    is_tie=judged.is_tie)

    return tuple(map(shown, state.rounds))


def _player(state: BiggerDiceState) -> Callable[[int], UserId]:
    """The user a stored row names: by seat, or (states stored before) by user id."""
    return state.order.__getitem__ if state.rows_by_seat else UserId


def _active(state: BiggerDiceState) -> tuple[UserId, ...]:
    return tuple(p for p in state.order if p not in state.out)


def _scores(state: BiggerDiceState) -> dict[UserId, int]:
    """Rounds won (a tiebreak's decisive pass is the round's point)."""
    won = dict.fromkeys(state.order, 0)
    player = _player(state)
    for judged in state.rounds:
        if judged.winner_id is None:
            continue
        # Objects (stored before rows) name the user, as rows did before seats.
        winner = UserId(judged.winner_id) if isinstance(judged, Pass) else player(judged.winner_id)
        if winner in won:
            won[winner] += 1
    return won


def _name(state: BiggerDiceState, user: UserId) -> str:
    return state.names[state.order.index(user)]


def _roll(state: BiggerDiceState, roller: UserId, value: int, *, auto: bool) -> Outcome:
    state = msgspec.structs.replace(state, pending=(*state.pending, (roller, value)))
    events: list[GameEvent | Private] = []
    if len(state.pending) == len(state.rollers):
        state, events = _judge(state)
    rolled = Rolled(player_id=roller, player_username=_name(state, roller), roll=value,
                    new_score=_scores(state)[roller], auto=auto)
    return Outcome(state, (rolled, *events))


def _judge(state: BiggerDiceState) -> tuple[BiggerDiceState, list[GameEvent | Private]]:
    """Judge the pass in ``pending``: a point for a single highest roll, else a tie."""
    rolls = state.pending
    best = max((v for _, v in rolls), default=0)
    top = tuple(p for p, v in rolls if v == best) if rolls else state.rollers
    winner = top[0] if len(top) == 1 else None
    judged = Pass(round=state.round, rolls=rolls, winner_id=winner, is_tie=winner is None)
    state = msgspec.structs.replace(state, pending=(), rounds=(*state.rounds, _row(state, judged)))
    events: list[GameEvent | Private] = [_round_result(state, judged)]
    if winner is None and len(state.order) >= TIEBREAK_FROM:
        state = msgspec.structs.replace(state, rollers=top)
        events.append(TiebreakStarted(round=state.round, players=list(top)))
        return state, events
    if winner is not None and _scores(state)[winner] >= WINNING_SCORE:
        return msgspec.structs.replace(state, winner_id=winner), events
    return msgspec.structs.replace(state, round=state.round + 1, rollers=_active(state)), events


def _row(state: BiggerDiceState, judged: Pass) -> PassRow:
    """How the state stores a judged pass."""
    if not state.rows_by_seat:
        return PassRow(judged.round, judged.rolls, judged.winner_id, judged.is_tie)
    seat = {user: index for index, user in enumerate(state.order)}
    return PassRow(judged.round, tuple((seat[u], v) for u, v in judged.rolls),
                   None if judged.winner_id is None else seat[judged.winner_id],
                   judged.is_tie)


def _round_result(state: BiggerDiceState, judged: Pass) -> RoundResult:
    seed_fields: dict[str, Any] = {}
    if len(state.order) == 2 and len(judged.rolls) == 2:
        (p1, r1), (p2, r2) = judged.rolls
        seed_fields = {"player1_id": p1, "player1_roll": r1, "player2_id": p2,
                       "player2_roll": r2}
    return RoundResult(round=judged.round, winner_id=judged.winner_id, is_tie=judged.is_tie,
                       rolls=list(judged.rolls), scores=list(_scores(state).items()),
                       **seed_fields)
