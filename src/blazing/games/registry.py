"""Known games by wire name. Adding a game: one module plus one line here
(and its state struct in ``rooms.model.GameState``)."""

from blazing.games.base import Game
from blazing.games.bigger_dice.game import BiggerDice

GAMES: dict[str, Game] = {game.game_type: game for game in (BiggerDice(),)}


def get(game_type: str) -> Game | None:
    return GAMES.get(game_type)


def for_action(action_type: str) -> Game | None:
    return next((g for g in GAMES.values() if action_type in g.action_types), None)
