"""A finished game rebuilt step by step through its own rules, as the replay API sends
it (pure). The server replays, so the page draws each step's ``view`` with the game's
page module exactly as it draws a live ``room_state``; nothing is rebuilt in the
browser."""

from typing import Any

import msgspec

from blazing.games import registry
from blazing.games.base import ReplayMismatch, Seat
from blazing.games.replay import replay
from blazing.history.base import GameRecord


class NotReplayable(Exception):
    """The record cannot be shown step by step: ``status`` is the HTTP status (409: it
    contradicts the rules; 422: it lacks what a replay needs) and the message says
    why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _event(event: msgspec.Struct) -> Any:
    fields = msgspec.to_builtins(event)
    fields.pop("room_id", None)  # the room's envelope fields mean nothing in a replay
    fields.pop("seq", None)
    return fields


def replay_document(record: GameRecord) -> dict[str, Any]:
    """Every step of ``record``: step 0 is the state after setup, then one step per
    recorded move, timeout or departure. Raises :class:`NotReplayable`."""
    game = registry.get(record.game_type)
    if game is None:
        raise NotReplayable(422, f"game type {record.game_type!r} is not served here")
    if record.version < 2 or not record.moves:
        raise NotReplayable(422, "this game was recorded before moves were kept")
    seats = [Seat(user_id=p.user_id, username=p.username) for p in record.players]
    try:
        steps = replay(game, seats, record.setup_draws, record.moves)
    except ReplayMismatch as exc:
        raise NotReplayable(409, f"the record does not fit the rules: {exc}") from None
    final = steps[-1].state
    result = game.result(final)
    scores = game.scores(final)
    if record.reason != "abandoned" and (result.winner_id if result else None) \
            != record.winner_id:
        raise NotReplayable(409, "replaying the moves does not give the recorded winner")
    if [scores.get(p.user_id, 0) for p in record.players] \
            != [p.final_score for p in record.players]:
        raise NotReplayable(409, "replaying the moves does not give the recorded scores")
    out = []
    for index, step in enumerate(steps):
        move = step.record
        points = game.scores(step.state)
        out.append({
            "index": index,
            "kind": "setup" if move is None else move.kind,
            "user_id": None if move is None else move.user_id,
            "action": None if move is None or move.kind != "move" else move.action,
            "auto": move is not None and move.kind == "timeout",
            "at": record.started_at if move is None else move.at,
            "events": [_event(e) for e in step.events],
            "view": msgspec.to_builtins(game.view(step.state, None)),
            "scores": [points.get(p.user_id, 0) for p in record.players],
        })
    return {
        "game_id": record.key,
        "room_id": record.room_id,
        "room_name": record.room_name,
        "game_type": record.game_type,
        "title": game.title,
        "seats": record.seats,
        "players": [{"seat": i, "user_id": p.user_id, "username": p.username,
                     "final_score": p.final_score, "is_winner": p.is_winner}
                    for i, p in enumerate(record.players)],
        "winner_id": record.winner_id,
        "reason": record.reason,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "duration_seconds": record.duration_seconds,
        "replayable": True,
        "steps": out,
    }
