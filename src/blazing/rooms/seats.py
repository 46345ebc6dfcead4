"""Who is in a room and how they get in and out: joining (by name, id or invite code,
with the password), ready-up and its deadline, leaving, dropping and coming back,
spectating. Pure; every refusal leaves the room as it was."""

from datetime import timedelta

import msgspec

from blazing.errors import ErrorCode
from blazing.ids import UserId
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import Actor, UserDisconnected
from blazing.protocol.models import GamePlayer, RoomStatus
from blazing.rooms import play, rematch
from blazing.rooms.context import Context
from blazing.rooms.model import Spectator
from blazing.rooms.tx import Outcome, Tx, refuse


def new_player(actor: Actor, ctx: Context) -> GamePlayer:
    return GamePlayer(user_id=actor.user_id, username=actor.username, avatar_id=actor.avatar_id,
                      score=0, is_ready=False, joined_at=ctx.now)


def admission(tx: Tx, actor: Actor, invite_code: str | None,
              password: str | None) -> Outcome | None:
    """Whether a newcomer may enter the room (as player or spectator): not kicked, the
    invite code for a private room, the password for a protected one. Members already
    in the room are let through."""
    room, me = tx.room, actor.user_id
    if me in room.kicked:
        return refuse(room, ErrorCode.KICKED, "the host removed you from this room")
    if room.player(me) is not None or room.spectator(me) is not None:
        return None
    if not room.listed and (invite_code is None or invite_code != room.invite_code):
        return refuse(room, ErrorCode.ROOM_NOT_FOUND, "no such room")  # private: not even that
    if room.password_hash is not None:
        if tx.ctx.too_many_attempts:
            return refuse(room, ErrorCode.TOO_MANY_ATTEMPTS,
                          "too many password attempts for this room; wait a minute")
        if password is None:
            return refuse(room, ErrorCode.PASSWORD_REQUIRED, "this room needs its password")
        if not tx.ctx.password_ok:
            return refuse(room, ErrorCode.WRONG_PASSWORD, "that is not the room's password")
    return None


def join(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    assert isinstance(command, cmd.JoinRoom)
    room, me = tx.room, actor.user_id
    refused = admission(tx, actor, command.invite_code, command.password)
    if refused is not None:
        return refused
    if room.player(me) is not None or tx.ctx.actor_room not in (None, room.room_id):
        return refuse(room, ErrorCode.ALREADY_IN_ROOM, "you are already playing in a room")
    if len(room.players) >= room.max_players:
        return refuse(room, ErrorCode.ROOM_FULL, "the room is full")
    if (spectator := room.spectator(me)) is not None:
        tx.update(spectators=tuple(s for s in room.spectators if s.user_id != me))
        tx.to_room(ev.SpectatorLeft(user_id=me, username=spectator.username), also=[me])
    player = new_player(actor, tx.ctx)
    tx.update(players=(*tx.room.players, player))
    _arm_ready_deadline(tx)
    tx.to_room(ev.RoomJoined(room_name=room.room_name, player=player,
                             ready_deadline=tx.room.ready_deadline))
    tx.send_state(me)
    return None


def ready(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    me = tx.room.player(actor.user_id)
    if me is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "only a seated player can get ready")
    if me.is_ready:
        return None  # idempotent
    tx.set_player(msgspec.structs.replace(me, is_ready=True))
    tx.to_room(ev.PlayerReady(user_id=me.user_id, username=me.username))
    room = tx.room
    if len(room.players) == room.max_players and all(p.is_ready for p in room.players):
        play.start(tx)
    return None


def _arm_ready_deadline(tx: Tx) -> None:
    """Once every seat is taken, the unready have ``ready_seconds`` left to get ready
    (so a silent stranger cannot hold a table); a seat coming free stops the clock."""
    room = tx.room
    full = len(room.players) == room.max_players
    if full and room.ready_deadline is None:
        deadline = tx.ctx.now + timedelta(seconds=tx.ctx.settings.ready_seconds)
        tx.update(ready_deadline=deadline)
    elif not full and room.ready_deadline is not None:
        tx.update(ready_deadline=None)


def ready_deadline_passed(tx: Tx) -> None:
    """The unready lose their seats."""
    for player in [p for p in tx.room.players if not p.is_ready]:
        remove_waiting_player(tx, player, reason="not_ready")
    if tx.room.status == RoomStatus.WAITING:
        tx.update(ready_deadline=None)


def leave(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    me = tx.room.player(actor.user_id)
    if me is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not a player in this room")
    if tx.room.status == RoomStatus.IN_PROGRESS:
        play.leave_game(tx, me, "forfeit")
    elif tx.room.status == RoomStatus.WAITING:
        remove_waiting_player(tx, me)
    else:
        rematch.cancel(tx, me, "left")
    return None


def remove_waiting_player(tx: Tx, player: GamePlayer, reason: str = "left") -> None:
    me = player.user_id
    tx.update(players=tuple(p for p in tx.room.players if p.user_id != me))
    tx.to_room(ev.PlayerLeft(user_id=me, username=player.username, reason=reason), also=[me])
    _arm_ready_deadline(tx)
    if not tx.room.players:
        tx.end_game(None, "abandoned")
        return
    if tx.room.host_id == me:
        heir = tx.room.players[0]
        tx.update(host_id=heir.user_id)
        tx.to_room(ev.HostChanged(host_id=heir.user_id, host_username=heir.username))


def disconnected(tx: Tx, command: UserDisconnected) -> Tx:
    user = command.user_id
    grace = tx.ctx.settings.grace_seconds
    until = tx.ctx.now + timedelta(seconds=grace)
    if not tx.room.is_active:
        return tx
    player = tx.room.player(user)
    if player is not None and not player.left and player.disconnected_until is None:
        tx.set_player(msgspec.structs.replace(player, disconnected_until=until))
        tx.to_room(ev.PlayerDisconnected(user_id=user, username=player.username,
                                         grace_seconds=grace, deadline=until))
    spectator = tx.room.spectator(user)
    if spectator is not None and spectator.disconnected_until is None:
        tx.set_spectator_dropped(user, until)
    return tx


def grace_expired(tx: Tx, player: GamePlayer) -> None:
    if tx.room.status == RoomStatus.WAITING:
        remove_waiting_player(tx, player)
        return
    in_game = [p for p in tx.room.players if not p.left]
    if all(p.disconnected_until is not None for p in in_game):
        tx.end_game(None, "abandoned")  # nobody is left to play
    else:
        play.leave_game(tx, player, "disconnected")


def reconnect_if_dropped(tx: Tx, user: UserId) -> None:
    """Any accepted command from a member marked as dropped proves they are back."""
    player = tx.room.player(user)
    if player is not None and player.disconnected_until is not None and tx.room.is_active:
        tx.set_player(msgspec.structs.replace(player, disconnected_until=None))
        tx.to_room(ev.PlayerRejoined(user_id=user, username=player.username))
    spectator = tx.room.spectator(user)
    if spectator is not None and spectator.disconnected_until is not None:
        tx.set_spectator_dropped(user, None)


def rejoin(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    me = actor.user_id
    if me in tx.room.kicked:
        return refuse(tx.room, ErrorCode.KICKED, "the host removed you from this room")
    if tx.room.player(me) is None and tx.room.spectator(me) is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not in this room")
    tx.send_state(me)
    return None


def spectate(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    assert isinstance(command, cmd.Spectate)
    room, me = tx.room, actor.user_id
    if room.player(me) is not None:
        return refuse(room, ErrorCode.ALREADY_IN_ROOM, "players cannot spectate their own room")
    refused = admission(tx, actor, command.invite_code, command.password)
    if refused is not None:
        return refused
    if room.spectator(me) is None:
        if not room.spectators_open:
            return refuse(room, ErrorCode.SPECTATORS_CLOSED,
                          "the host closed this room to new spectators")
        if len(room.spectators) >= tx.ctx.settings.spectator_limit:
            return refuse(room, ErrorCode.SPECTATOR_LIMIT, "this room has all the spectators it "
                          "can take")
        spectator = Spectator(user_id=me, username=actor.username, avatar_id=actor.avatar_id,
                              joined_at=tx.ctx.now)
        tx.update(spectators=(*room.spectators, spectator))
        tx.to_room(ev.SpectatorJoined(user_id=me, username=actor.username))
    tx.send_state(me)
    return None


def leave_spectate(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    spectator = tx.room.spectator(actor.user_id)
    if spectator is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not watching this room")
    tx.remove_spectator(spectator)
    return None
