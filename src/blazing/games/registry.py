"""Every game the platform runs, by ``game_type``. Adding a game is one module (its
definition, state and messages) and one line in ``GAMES``; the wire unions, the room
store's decoding of game state and the page's catalogue all come from here."""

from typing import Any

import msgspec

from blazing.games.base import Game
from blazing.games.bigger_dice.game import BiggerDice
from blazing.games.tic_tac_toe.game import TicTacToe
from blazing.protocol.client import GameCommand
from blazing.protocol.server import GameEvent

GAMES: dict[str, Game] = {}
_BY_COMMAND: dict[str, Game] = {}
_STATE_DECODERS: dict[str, "msgspec.json.Decoder[Any]"] = {}
_encoder = msgspec.json.Encoder()


def register(game: Game) -> None:
    """Make ``game`` playable. The wire unions (:mod:`blazing.codec`) are built from
    the games registered when it is first imported: register at import time."""
    if game.game_type in GAMES:
        raise ValueError(f"game {game.game_type!r} is already registered")
    for command in game.commands:
        if not str(command.__struct_config__.tag).startswith(game.game_type + "."):
            raise ValueError(f"{command.__name__} must be tagged {game.game_type}.<verb>")
    GAMES[game.game_type] = game
    _BY_COMMAND.update({str(c.__struct_config__.tag): game for c in game.commands})
    _STATE_DECODERS[game.game_type] = msgspec.json.Decoder(game.state_type)


def unregister(game_type: str) -> None:
    """Forget a game (tests that register a game of their own)."""
    game = GAMES.pop(game_type)
    for command in game.commands:
        _BY_COMMAND.pop(str(command.__struct_config__.tag), None)
    _STATE_DECODERS.pop(game_type, None)


def get(game_type: str) -> Game | None:
    return GAMES.get(game_type)


def for_command(command_type: str) -> Game | None:
    """The game whose move ``command_type`` is (e.g. ``"bigger_dice.roll"``)."""
    return _BY_COMMAND.get(command_type)


def commands() -> tuple[type[GameCommand], ...]:
    return tuple(c for game in GAMES.values() for c in game.commands)


def events() -> tuple[type[GameEvent], ...]:
    return tuple(e for game in GAMES.values() for e in game.events)


def decode_state(game_type: str, data: msgspec.Raw | bytes) -> Any:
    """A stored game state as its game's struct. ``KeyError`` for an unknown game;
    ``msgspec.DecodeError``/``ValidationError`` for a state that does not fit it."""
    return _STATE_DECODERS[game_type].decode(data)


def encode_state(state: msgspec.Struct) -> msgspec.Raw:
    return msgspec.Raw(_encoder.encode(state))


for _game in (BiggerDice(), TicTacToe()):
    register(_game)


def catalogue() -> list[dict[str, Any]]:
    """What the page needs to offer each game: its seats and its messages."""
    return [
        {
            "game_type": game.game_type,
            "title": game.title,
            "min_players": game.seats.minimum,
            "max_players": game.seats.maximum,
            "default_players": game.seats.default,
            "commands": sorted(str(c.__struct_config__.tag) for c in game.commands),
            "events": sorted(str(e.__struct_config__.tag) for e in game.events),
            "error_codes": sorted(game.error_codes),
        }
        for game in GAMES.values()
    ]
