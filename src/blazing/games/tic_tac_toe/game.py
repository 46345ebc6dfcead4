"""Tic Tac Toe rules (SPEC §10), pure.

Two players, cells 0-8. A random player is X and moves first in the first game; after
every game, won or drawn, the marks swap and the new X moves first. Three in a row
wins that game (+1); a full board without a line is a draw (no point). A turn deadline
that passes loses that game. First to ``WINNING_GAMES`` wins the match; leaving
forfeits it.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from blazing.errors import ServerFault
from blazing.games.base import GameContext, Outcome, Refusal, Result, Rng, Seat, SeatOption
from blazing.games.tic_tac_toe.messages import (
    Cell,
    Decided,
    FinishedGame,
    GameResult,
    Mark,
    Move,
    Moved,
    TicTacToeState,
)
from blazing.ids import UserId
from blazing.protocol.client import GameCommand
from blazing.protocol.server import GameEvent

WINNING_GAMES = 5
CELLS = 9
LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8),
         (2, 4, 6))
INVALID_POSITION = "INVALID_POSITION"
CELL_OCCUPIED = "CELL_OCCUPIED"


class TicTacToe:
    game_type: str = "tic_tac_toe"
    title: str = "Tic Tac Toe"
    seats: SeatOption = SeatOption(minimum=2, maximum=2, default=2)
    state_type: type[msgspec.Struct] = TicTacToeState
    commands: tuple[type[GameCommand], ...] = (Move,)
    events: tuple[type[GameEvent], ...] = (Moved, GameResult)
    error_codes: frozenset[str] = frozenset({INVALID_POSITION, CELL_OCCUPIED})

    def setup(self, players: Sequence[Seat], rng: Rng) -> TicTacToeState:
        if len(players) != 2:
            raise ServerFault("tic_tac_toe needs exactly two players")
        first, second = players
        x = rng.choice((first.user_id, second.user_id))
        return TicTacToeState(players=(first.user_id, second.user_id),
                              names=(first.username, second.username), x=x, to_move=x)

    def apply(self, state: TicTacToeState, actor: UserId, action: GameCommand,
              ctx: GameContext) -> Outcome | Refusal:
        if not isinstance(action, Move):
            raise ServerFault(f"tic_tac_toe cannot apply {type(action).__name__}")
        if not 0 <= action.position < CELLS:
            return Refusal(INVALID_POSITION, f"cells are numbered 0–{CELLS - 1}")
        if state.board[action.position] is not None:
            return Refusal(CELL_OCCUPIED, f"cell {action.position} is already taken")
        mark = _mark(state, actor)
        board = tuple(mark if i == action.position else c for i, c in enumerate(state.board))
        state = msgspec.structs.replace(state, board=board,
                                        moves=(*state.moves, action.position))
        moved = Moved(player_id=actor, position=action.position, mark=mark, board=list(board))
        line = _line(board, mark)
        if line is not None:
            return _decide(state, actor, line, "line", (moved,))
        if all(c is not None for c in board):
            return _decide(state, None, None, "draw", (moved,))
        return Outcome(msgspec.structs.replace(state, to_move=_other(state, actor)), (moved,))

    def who_acts(self, state: TicTacToeState) -> tuple[UserId, ...]:
        return () if state.winner_id is not None else (state.to_move,)

    def on_timeout(self, state: TicTacToeState, player: UserId, ctx: GameContext) -> Outcome:
        return _decide(state, _other(state, player), None, "timeout", ())

    def on_player_left(self, state: TicTacToeState, player: UserId,
                       ctx: GameContext) -> Outcome:
        if state.winner_id is not None:
            return Outcome(state, ends_turn=False)
        return Outcome(msgspec.structs.replace(state, winner_id=_other(state, player)))

    def result(self, state: TicTacToeState) -> Result | None:
        return None if state.winner_id is None else Result(state.winner_id)

    def scores(self, state: TicTacToeState) -> Mapping[UserId, int]:
        return dict(zip(state.players, state.wins, strict=True))

    def view(self, state: TicTacToeState, viewer: UserId | None) -> TicTacToeState:
        return state  # nothing is hidden in this game

    def record(self, state: TicTacToeState) -> list[dict[str, Any]]:
        return [{"game": g.game, "x": g.x, "moves": list(g.moves), "winner_id": g.winner_id,
                 "line": None if g.line is None else list(g.line), "reason": g.reason}
                for g in state.games]


def _other(state: TicTacToeState, player: UserId) -> UserId:
    first, second = state.players
    return second if player == first else first


def _mark(state: TicTacToeState, player: UserId) -> Mark:
    return "X" if player == state.x else "O"


def _line(board: tuple[Cell, ...], mark: Mark) -> tuple[int, int, int] | None:
    return next((line for line in LINES if all(board[i] == mark for i in line)), None)


def _decide(state: TicTacToeState, winner: UserId | None, line: tuple[int, ...] | None,
            reason: Decided, events: tuple[Moved, ...]) -> Outcome:
    """Close the current game: score it, then start the next one with the marks
    swapped, unless the match is won."""
    wins = tuple(w + (1 if p == winner else 0)
                 for p, w in zip(state.players, state.wins, strict=True))
    finished = FinishedGame(game=state.game, x=state.x, moves=state.moves, winner_id=winner,
                            line=line, reason=reason)
    champion = winner if winner is not None and max(wins) >= WINNING_GAMES else None
    next_x = _other(state, state.x)
    result = GameResult(
        game=state.game, winner_id=winner, line=None if line is None else list(line),
        reason=reason,
        scores=[(p, n, w) for p, n, w in zip(state.players, state.names, wins, strict=True)],
        next_x=None if champion is not None else next_x)
    state = msgspec.structs.replace(state, wins=(wins[0], wins[1]),
                                    games=(*state.games, finished), winner_id=champion)
    if champion is None:
        state = msgspec.structs.replace(state, x=next_x, to_move=next_x, board=(None,) * CELLS,
                                        moves=(), game=state.game + 1)
    return Outcome(state, (*events, result))
