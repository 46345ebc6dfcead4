"""A player's stats, counted from their games (pure).

Per game type and overall: ``played`` (every recorded game, abandoned ones included),
``won``, ``lost`` (a forfeit is a loss), ``abandoned`` (ended without a winner),
``win_rate`` = won / (won + lost) (None before any decided game), streaks of wins in
the order the games finished (an abandoned game neither extends nor breaks a streak),
and game time: ``total_seconds`` over all played games, ``average_seconds`` per game.
"""

from collections.abc import Iterable

import msgspec

from blazing.records.model import PlayerGame


class Stats(msgspec.Struct, frozen=True, kw_only=True):
    played: int = 0
    won: int = 0
    lost: int = 0
    abandoned: int = 0
    win_rate: float | None = None
    current_streak: int = 0
    best_streak: int = 0
    total_seconds: float = 0.0
    average_seconds: float | None = None


class PlayerStats(msgspec.Struct, frozen=True, kw_only=True):
    overall: Stats
    by_game_type: dict[str, Stats]


def order(games: Iterable[PlayerGame]) -> list[PlayerGame]:
    """Games in the order they finished (ties by game id)."""
    return sorted(games, key=lambda g: (g.finished_at, g.game_id))


def count(games: Iterable[PlayerGame]) -> Stats:
    played = won = lost = abandoned = streak = best = 0
    total = 0.0
    for game in order(games):
        played += 1
        total += game.duration_seconds
        if game.outcome == "won":
            won += 1
            streak += 1
            best = max(best, streak)
        elif game.outcome == "lost":
            lost += 1
            streak = 0
        else:
            abandoned += 1
    return Stats(played=played, won=won, lost=lost, abandoned=abandoned,
                 win_rate=won / (won + lost) if won + lost else None,
                 current_streak=streak, best_streak=best, total_seconds=total,
                 average_seconds=total / played if played else None)


def player_stats(games: Iterable[PlayerGame]) -> PlayerStats:
    games = list(games)
    types = sorted({g.game_type for g in games})
    return PlayerStats(overall=count(games), by_game_type={
        t: count(g for g in games if g.game_type == t) for t in types})
