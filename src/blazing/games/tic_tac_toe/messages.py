"""Tic Tac Toe's wire messages (SPEC §10) and its stored state."""

from typing import Literal

import msgspec

from blazing.ids import UserId
from blazing.protocol.client import GameCommand
from blazing.protocol.server import GameEvent

Mark = Literal["X", "O"]
Cell = Mark | None
Decided = Literal["line", "draw", "timeout"]  # how a game of the match was decided

# --- client → server ------------------------------------------------------------------


class Move(GameCommand, frozen=True, tag="tic_tac_toe.move"):
    """Put your mark on cell ``position`` (0-8, row by row from the top left)."""

    position: int


# --- server → client ------------------------------------------------------------------


class Moved(GameEvent, frozen=True, kw_only=True, tag="tic_tac_toe.moved"):
    player_id: UserId
    position: int
    mark: Mark
    board: list[Cell]  # the nine cells after the move


class GameResult(GameEvent, frozen=True, kw_only=True, tag="tic_tac_toe.game_result"):
    """One game of the match is decided. ``winner_id`` None is a draw; ``line`` the three
    winning cells (None for a draw or a win on time); ``next_x`` moves first in the next
    game (None once the match is over)."""

    game: int
    winner_id: UserId | None
    line: list[int] | None
    reason: Decided
    scores: list[tuple[UserId, str, int]]
    next_x: UserId | None


# --- state ----------------------------------------------------------------------------


class FinishedGame(msgspec.Struct, frozen=True, kw_only=True):
    game: int
    x: UserId
    moves: tuple[int, ...]  # cells in the order they were played, X first
    winner_id: UserId | None
    line: tuple[int, ...] | None
    reason: Decided


class TicTacToeState(msgspec.Struct, frozen=True, kw_only=True, tag="tic_tac_toe"):
    """``players`` in seat order with their ``names`` and match ``wins``; ``x`` plays X
    (and moved first) in the current game, whose cells are ``board``."""

    players: tuple[UserId, UserId]
    names: tuple[str, str]
    x: UserId
    to_move: UserId
    board: tuple[Cell, ...] = (None,) * 9
    wins: tuple[int, int] = (0, 0)
    game: int = 1
    moves: tuple[int, ...] = ()
    games: tuple[FinishedGame, ...] = ()
    winner_id: UserId | None = None
