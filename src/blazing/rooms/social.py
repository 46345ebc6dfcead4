"""The host's controls and the room's chat: kick (for the room's lifetime), mute,
closing the room to new spectators, a new invite code; the players' chat, read by
everyone, and the spectators' own channel. Pure; every refusal is one error."""

from datetime import timedelta

from blazing.errors import ErrorCode
from blazing.ids import UserId
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import Actor
from blazing.protocol.models import RoomStatus
from blazing.rooms import seats
from blazing.rooms.model import CHAT_LINES_KEPT, ROOM_CHANNEL, SPECTATOR_CHANNEL, ChatLine
from blazing.rooms.tx import Outcome, Tx, refuse


def _host_only(tx: Tx, actor: Actor) -> Outcome | None:
    if actor.user_id != tx.room.host_id:
        return refuse(tx.room, ErrorCode.NOT_HOST, "only the host can do that")
    return None


def _target(tx: Tx, actor: Actor, target: int) -> Outcome | None:
    if target == actor.user_id:
        return refuse(tx.room, ErrorCode.CANNOT_TARGET_SELF, "you cannot do that to yourself")
    user = UserId(target)
    if tx.room.player(user) is None and tx.room.spectator(user) is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "that user is not in this room")
    return None


def kick(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    """The host removes a seated player (before the start) or a spectator; they may
    not come back while the room lives."""
    assert isinstance(command, cmd.Kick)
    refused = _host_only(tx, actor) or _target(tx, actor, command.target_user_id)
    if refused is not None:
        return refused
    target = UserId(command.target_user_id)
    player, spectator = tx.room.player(target), tx.room.spectator(target)
    if player is not None and tx.room.status != RoomStatus.WAITING:
        return refuse(tx.room, ErrorCode.GAME_ALREADY_STARTED,
                      "players can only be removed before the game starts")
    username = player.username if player is not None else spectator.username if spectator \
        else ""
    tx.update(kicked=(*tx.room.kicked, target))
    tx.to_room(ev.PlayerKicked(user_id=target, username=username), also=[target])
    if player is not None:
        seats.remove_waiting_player(tx, player, reason="kicked")
    elif spectator is not None:
        tx.remove_spectator(spectator)
    return None


def set_spectating(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    assert isinstance(command, cmd.SetSpectating)
    refused = _host_only(tx, actor)
    if refused is not None:
        return refused
    if tx.room.spectators_open != command.allowed:
        tx.update(spectators_open=command.allowed)
        tx.to_room(ev.SpectatingChanged(allowed=command.allowed))
    return None


def renew_invite(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    """A new invite code; the old one stops working. The host's room_state carries it."""
    refused = _host_only(tx, actor)
    if refused is not None:
        return refused
    tx.update(invite_code=tx.ctx.new_invite_code)
    tx.send_state(actor.user_id)
    return None


def mute(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    assert isinstance(command, cmd.Mute)
    refused = _host_only(tx, actor) or _target(tx, actor, command.target_user_id)
    if refused is not None:
        return refused
    target = UserId(command.target_user_id)
    if (target in tx.room.muted) == command.muted:
        return None  # already so
    muted = (*tx.room.muted, target) if command.muted else \
        tuple(u for u in tx.room.muted if u != target)
    member = tx.room.player(target) or tx.room.spectator(target)
    tx.update(muted=muted)
    tx.to_room(ev.MuteChanged(user_id=target, username=member.username if member else "",
                              muted=command.muted))
    return None


def chat(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    """Players write the room's channel (everyone reads it); spectators write their own
    (only spectators read it, players are not distracted by it)."""
    assert isinstance(command, cmd.ChatSend)
    room, me, now = tx.room, actor.user_id, tx.ctx.now
    spectating = room.spectator(me) is not None
    if me not in room.player_ids() and not spectating:
        return refuse(room, ErrorCode.NOT_IN_ROOM, "only players and spectators can chat here")
    if me in room.muted:
        return refuse(room, ErrorCode.MUTED, "the host muted you in this room's chat")
    window = now - timedelta(seconds=tx.ctx.settings.chat_window_seconds)
    recent = sum(1 for line in room.chat if line.user_id == me and line.sent_at > window)
    if recent >= tx.ctx.settings.chat_limit:
        return refuse(room, ErrorCode.RATE_LIMITED, "you are sending chat messages too fast")
    channel = SPECTATOR_CHANNEL if spectating else ROOM_CHANNEL
    line = ChatLine(user_id=me, username=actor.username, text=command.text, sent_at=now,
                    channel=channel)
    tx.update(chat=(*room.chat, line)[-CHAT_LINES_KEPT:])
    message = ev.ChatMessage(user_id=me, username=actor.username, text=line.text, sent_at=now,
                             channel=channel)
    if spectating:
        tx.to_some([s.user_id for s in tx.room.spectators], message)
    else:
        tx.to_room(message)
    return None
