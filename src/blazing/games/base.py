"""The interface a game implements. Rooms, spectators, timers, history and the
lobby work for any game that provides these pure functions."""

from typing import Any, Protocol

from blazing.ids import UserId
from blazing.protocol.client import ClientMessage
from blazing.rooms.model import Room
from blazing.rooms.tx import Tx


class Game(Protocol):
    game_type: str
    max_players: int
    # Client message types this game handles (e.g. "bigger_dice.roll").
    action_types: frozenset[str]

    def start(self, tx: Tx) -> None:
        """All seats are ready: set up game state, first turn, emit the start."""
        ...

    def act(self, tx: Tx, actor: UserId, action: ClientMessage) -> None:
        """Apply a game action by the player whose turn it is (already checked)."""
        ...

    def auto_act(self, tx: Tx) -> None:
        """The turn deadline passed: act for ``tx.room.current_turn``."""
        ...

    def rounds(self, room: Room) -> list[dict[str, Any]]:
        """Round-by-round record for history."""
        ...
