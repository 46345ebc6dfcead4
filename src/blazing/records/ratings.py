"""Ratings with OpenSkill's Weng-Lin Plackett-Luce model (the ``openskill`` package),
which rates games of any number of players from their finishing order.

Parameters are the library's defaults: a new player has ``mu`` 25 and ``sigma`` 25/3
(ordinal 0), ``beta`` 25/6, ``tau`` 25/300 (added to sigma before each game, so a
rating never freezes), ``kappa`` 0.0001. Leaderboards sort by the ordinal
``mu - 3 * sigma``: a conservative estimate that rises as the system grows sure.

Who counts: a game with a winner. Its winner ranks first; the players who stayed rank
by final score (equal scores share a rank); those who left (a forfeit, or grace run
out) rank last, the first to leave lowest. A game without a winner (abandoned) is not
rated. Pure: the stores call :func:`rate` and keep what it returns.
"""

from collections.abc import Mapping

from openskill.models import PlackettLuce

from blazing.history.base import GameRecord
from blazing.ids import UserId
from blazing.records.model import Placement, RatedGame, Rating, RatingChange, RatingUpdate

MODEL = PlackettLuce()
MU: float = MODEL.mu
SIGMA: float = MODEL.sigma


def ordinal(mu: float, sigma: float) -> float:
    return mu - 3 * sigma


def new_rating(user_id: UserId, username: str, game_type: str) -> Rating:
    return Rating(user_id=user_id, username=username, game_type=game_type, mu=MU,
                  sigma=SIGMA, ordinal=ordinal(MU, SIGMA), games=0)


def placements(record: GameRecord) -> list[Placement] | None:
    """The finishing order of a game, or None when it does not count (no winner,
    fewer than two players)."""
    if record.winner_id is None or len(record.players) < 2:
        return None
    gone: list[UserId] = []
    for move in record.moves:
        if move.kind in ("left", "disconnected") and move.user_id not in gone \
                and move.user_id != record.winner_id:
            gone.append(move.user_id)
    stayed = [p for p in record.players if p.user_id not in gone]
    out: list[Placement] = []
    for p in stayed:
        if p.user_id == record.winner_id:
            rank = 1
        else:
            ahead = sum(1 for q in stayed if q.user_id != p.user_id and (
                q.user_id == record.winner_id or q.final_score > p.final_score))
            rank = 1 + ahead
        out.append(Placement(user_id=p.user_id, username=p.username, rank=rank))
    names = {p.user_id: p.username for p in record.players}
    for index, user in enumerate(gone):  # left later ranks higher
        out.append(Placement(user_id=user, username=names.get(user, ""),
                             rank=len(stayed) + len(gone) - index))
    return out


def rated_game(record: GameRecord) -> RatedGame | None:
    """The game as the rating system takes it, or None if it is not rated."""
    placed = placements(record)
    if placed is None:
        return None
    return RatedGame(game_id=record.key, game_type=record.game_type,
                     finished_at=record.finished_at, placements=placed)


def rate(game: RatedGame, current: Mapping[UserId, Rating]) -> RatingUpdate:
    """Every player's rating after ``game``, from their ``current`` ratings (a player
    missing from it is new)."""
    before = [current.get(p.user_id) or new_rating(p.user_id, p.username, game.game_type)
              for p in game.placements]
    teams = [[MODEL.create_rating([r.mu, r.sigma])] for r in before]
    after = MODEL.rate(teams, ranks=[float(p.rank) for p in game.placements])
    return RatingUpdate(game_id=game.game_id, game_type=game.game_type,
                        finished_at=game.finished_at, changes=[
        RatingChange(user_id=p.user_id, username=p.username, rank=p.rank,
                     before_mu=b.mu, before_sigma=b.sigma, before_rev=b.rev,
                     after_mu=a[0].mu, after_sigma=a[0].sigma)
        for p, b, a in zip(game.placements, before, after, strict=True)])


def rerate_one(update: RatingUpdate, user_id: UserId, current: Rating) -> RatingChange:
    """``user_id``'s change in ``update`` computed again from their ``current`` rating
    (another game of theirs was applied after ``update`` was computed), against the
    others' ratings as they were."""
    ratings = {c.user_id: Rating(user_id=c.user_id, username=c.username,
                                 game_type=update.game_type, mu=c.before_mu,
                                 sigma=c.before_sigma, ordinal=0.0, games=0,
                                 rev=c.before_rev)
               for c in update.changes}
    ratings[user_id] = current
    game = RatedGame(game_id=update.game_id, game_type=update.game_type,
                     finished_at=update.finished_at,
                     placements=[Placement(user_id=c.user_id, username=c.username,
                                           rank=c.rank) for c in update.changes])
    return next(c for c in rate(game, ratings).changes if c.user_id == user_id)


def applied(rating: Rating, change: RatingChange, game_id: str) -> Rating:
    """``rating`` after ``change`` (made by game ``game_id``)."""
    return Rating(user_id=rating.user_id, username=change.username or rating.username,
                  game_type=rating.game_type, mu=change.after_mu, sigma=change.after_sigma,
                  ordinal=ordinal(change.after_mu, change.after_sigma),
                  games=rating.games + 1, rev=rating.rev + 1, last_game=game_id)
