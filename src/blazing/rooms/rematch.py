"""Another game in the same room: once every player of the ended game has asked, a new
game starts with the same settings and seats (who opens is drawn again); spectators
stay; each game is its own history record. A player who leaves the ended room cancels
it for everyone. Pure."""

import msgspec

from blazing.errors import ErrorCode
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import Actor
from blazing.protocol.models import GamePlayer, RoomStatus
from blazing.rooms import play
from blazing.rooms.model import Room
from blazing.rooms.tx import Outcome, Tx, refuse


def available(room: Room) -> bool:
    """A rematch can still be agreed: the game finished, nobody left it or the room."""
    return (room.status == RoomStatus.FINISHED and room.rematch_open
            and not any(p.left for p in room.players))


def agreed(room: Room) -> bool:
    return available(room) and set(room.rematch) == set(room.player_ids())


def request(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    room, me = tx.room, actor.user_id
    player = room.player(me)
    if player is None:
        return refuse(room, ErrorCode.NOT_A_PLAYER, "only the players can ask for a rematch")
    if not available(room):
        return refuse(room, ErrorCode.REMATCH_UNAVAILABLE,
                      "no rematch here: a player left the game or the room")
    if tx.ctx.actor_room not in (None, room.room_id):
        return refuse(room, ErrorCode.ALREADY_IN_ROOM, "you are already playing in a room")
    if me in room.rematch:
        return None  # idempotent
    tx.update(rematch=(*room.rematch, me))
    waiting = [p for p in tx.room.player_ids() if p not in tx.room.rematch]
    tx.to_room(ev.RematchRequested(user_id=me, username=player.username, waiting_for=waiting))
    if not waiting and tx.room.archive_due is None:
        begin_if_possible(tx, player)
    # else: the ended game's history is not written yet; the service starts the rematch
    # right after it is (rules.archived), so no game's record is lost.
    return None


def begin_if_possible(tx: Tx, last: GamePlayer) -> None:
    """Everyone asked: start, unless a player sits at another table now or another
    room took this one's name since the end (then the rematch is off)."""
    busy = next((p for p in tx.room.players if p.user_id in tx.ctx.busy_players), None)
    if busy is not None:
        cancel(tx, busy, "playing_elsewhere")
    elif tx.ctx.name_owner not in (None, tx.room.room_id):
        cancel(tx, last, "name_taken")
    else:
        begin(tx)


def begin(tx: Tx) -> None:
    """Everyone asked and the last game is on record: play again."""
    tx.set_status("rematch")
    tx.update(finished_at=None, winner_id=None, end_reason=None, expires_at=None, rematch=(),
              current_turn=None, turn_number=0, turn_deadline=None,
              players=tuple(msgspec.structs.replace(p, is_ready=True, score=0)
                            for p in tx.room.players))
    play.start(tx)


def cancel(tx: Tx, player: GamePlayer, reason: str) -> None:
    """``player`` left the ended room (or sits at another table): no rematch here."""
    if not tx.room.rematch_open:
        return
    tx.update(rematch_open=False, rematch=())
    tx.to_room(ev.RematchCancelled(user_id=player.user_id, username=player.username,
                                   reason=reason))
