"""What clients see of a room: the full ``GameRoom`` and the lobby summary."""

from typing import Any

from blazing.games import registry
from blazing.ids import UserId
from blazing.protocol.models import ChatEntry, GameRoom, RoomSummary, UserRef
from blazing.rooms.model import NO_GAME, ROOM_CHANNEL, SPECTATOR_CHANNEL, Room

CHAT_SHOWN = 50  # recent chat lines in room_state


def game_state(room: Room) -> Any:
    """The running game's state struct (None before the game starts)."""
    if room.game_state == NO_GAME:
        return None
    return registry.decode_state(room.game_type, room.game_state)


def game_room(room: Room, viewer: UserId | None) -> GameRoom:
    """The room as ``viewer`` may see it: the game decides what of its state shows (a
    spectator, or a player who left the game, sees what a spectator sees)."""
    state = game_state(room)
    game = registry.get(room.game_type)
    seen_by = viewer if viewer in room.player_ids() else None
    return GameRoom(
        room_id=room.room_id,
        room_name=room.room_name,
        game_type=room.game_type,
        status=room.status,
        host_id=room.host_id,
        players=list(room.players),
        spectators=[s.user_id for s in room.spectators],
        current_turn=room.current_turn,
        turn_number=room.turn_number,
        created_at=room.created_at,
        started_at=room.started_at,
        finished_at=room.finished_at,
        winner_id=room.winner_id,
        seq=room.seq,
        max_players=room.max_players,
        turn_deadline=room.turn_deadline,
        spectator_users=[UserRef(user_id=s.user_id, username=s.username) for s in room.spectators],
        end_reason=room.end_reason,
        game_state=None if state is None or game is None else game.view(state, seen_by),
        visibility=room.visibility,
        has_password=room.password_hash is not None,
        invite_code=room.invite_code if viewer == room.host_id else None,
        spectators_open=room.spectators_open,
        ready_deadline=room.ready_deadline,
        rematch=list(room.rematch),
        rematch_open=room.rematch_open,
        muted=list(room.muted),
        chat=recent_chat(room, viewer),
    )


def recent_chat(room: Room, viewer: UserId | None) -> list[ChatEntry]:
    """The last ``CHAT_SHOWN`` lines of each channel ``viewer`` may read, oldest first:
    everyone reads the players' channel, only spectators read theirs."""
    channels = [ROOM_CHANNEL, SPECTATOR_CHANNEL] if viewer is not None and \
        room.spectator(viewer) is not None else [ROOM_CHANNEL]
    # The last lines of each channel, so a busy spectators' channel does not push the
    # players' lines out.
    kept = {id(line) for channel in channels
            for line in [x for x in room.chat if x.channel == channel][-CHAT_SHOWN:]}
    lines = [line for line in room.chat if id(line) in kept]
    return [ChatEntry(user_id=line.user_id, username=line.username, text=line.text,
                      sent_at=line.sent_at, channel=line.channel) for line in lines]


def summary(room: Room) -> RoomSummary:
    host = room.player(room.host_id)
    return RoomSummary(
        room_id=room.room_id,
        room_name=room.room_name,
        game_type=room.game_type,
        status=room.status,
        host_id=room.host_id,
        host_username=host.username if host else "",
        players=[UserRef(user_id=p.user_id, username=p.username) for p in room.players],
        player_count=len(room.players),
        max_players=room.max_players,
        spectator_count=len(room.spectators),
        created_at=room.created_at,
        has_password=room.password_hash is not None,
        spectators_open=room.spectators_open,
    )
