"""Turn an ended room into its history document (pure)."""

from blazing.games import registry
from blazing.history.base import RECORD_VERSION, ChatEntry, GameRecord, PlayerResult
from blazing.rooms import views
from blazing.rooms.model import Room


def game_record(room: Room) -> GameRecord | None:
    """The history document of an ended room; None if it never started."""
    if room.started_at is None or room.finished_at is None:
        return None
    game = registry.get(room.game_type)
    state = views.game_state(room)
    return GameRecord(
        room_id=room.room_id,
        room_name=room.room_name,
        game_type=room.game_type,
        players=[
            PlayerResult(user_id=p.user_id, username=p.username, final_score=p.score,
                         is_winner=p.user_id == room.winner_id)
            for p in room.players
        ],
        winner_id=room.winner_id,
        reason=room.end_reason or "",
        rounds=game.record(state) if game and state is not None else [],
        chat=[ChatEntry(user_id=c.user_id, username=c.username, text=c.text, sent_at=c.sent_at)
              for c in room.chat],
        started_at=room.started_at,
        finished_at=room.finished_at,
        duration_seconds=(room.finished_at - room.started_at).total_seconds(),
        game_id=f"{room.room_id}.{room.games}",
        seats=room.max_players,
        setup_draws=list(room.setup_draws),
        moves=list(room.moves),
        version=RECORD_VERSION,
    )
