"""Room rules (SPEC §5), pure: ``apply(room, command, actor, ctx) -> Outcome``.

Every refusal is a value (``Outcome.error``) and leaves the room untouched.
Lobby updates are derived at the end by comparing summaries, so no rule has to
remember to announce its change to the lobby.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from blazing.errors import ErrorCode, ServerFault
from blazing.games import registry
from blazing.ids import RoomId, UserId
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import Actor, ServiceCommand, UserDisconnected
from blazing.protocol.models import GamePlayer, RoomStatus
from blazing.rooms import views
from blazing.rooms.context import Context
from blazing.rooms.lifecycle import refusal
from blazing.rooms.model import APPLIED_IDS_KEPT, CHAT_LINES_KEPT, ChatLine, Room, Spectator
from blazing.rooms.tx import Outcome, Tx, is_ended, refuse

Handler = Callable[[Tx, Actor, cmd.ClientMessage], Outcome | None]


def apply(room: Room | None, command: ServiceCommand, actor: Actor, ctx: Context) -> Outcome:
    """Apply one command to ``room`` (``None`` when it names no existing room)."""
    if room is not None and ctx.command_id and ctx.command_id in room.applied:
        return Outcome(room, room)  # redelivered: already applied once
    if isinstance(command, cmd.CreateRoom):
        created = _create(command, actor, ctx)
        if isinstance(created, Outcome):
            return Outcome(room, room, (), created.error)
        return _finish(None, created, ctx)
    if room is None:
        return refuse(None, ErrorCode.ROOM_NOT_FOUND, "no such room")
    if isinstance(command, UserDisconnected):
        return _finish(room, _disconnected(Tx(room, ctx), command), ctx)
    command_type = str(command.__struct_config__.tag)
    game = registry.get(room.game_type)
    kind = "game_action" if game and command_type in game.action_types else command_type
    handler = _HANDLERS.get(kind)
    if handler is None:
        return refuse(room, ErrorCode.UNKNOWN_TYPE, f"{command_type} is not a room command")
    tx = Tx(room, ctx)
    _reconnect_if_dropped(tx, actor.user_id, kind)
    result = handler(tx, actor, command)
    if result is not None and result.error is not None:
        return Outcome(room, room, (), result.error)
    return _finish(room, tx, ctx)


def tick(room: Room, ctx: Context) -> Outcome:
    """Fire every timer of ``room`` that is due at ``ctx.now`` (idempotent)."""
    now = ctx.now
    if room.expires_at is not None and room.expires_at <= now and room.archive_due is None:
        return Outcome(room, None)
    tx = Tx(room, ctx)
    for spectator in room.spectators:
        if spectator.disconnected_until and spectator.disconnected_until <= now:
            _remove_spectator(tx, spectator)
    for player in room.players:
        current = tx.room.player(player.user_id)
        if (current and current.disconnected_until and current.disconnected_until <= now
                and tx.room.is_active):
            _grace_expired(tx, current)
    if (tx.room.status == RoomStatus.IN_PROGRESS and tx.room.turn_deadline is not None
            and tx.room.turn_deadline <= now):
        game = registry.get(tx.room.game_type)
        if game is not None:
            game.auto_act(tx)
    if tx.room is room:
        return Outcome(room, room)
    return _finish(room, tx, ctx)


# --- creating and joining ----------------------------------------------------------------


def _create(command: cmd.CreateRoom, actor: Actor, ctx: Context) -> Tx | Outcome:
    game = registry.get(command.game_type)
    if game is None:
        return refuse(None, ErrorCode.INVALID_GAME_TYPE,
                      f"unknown game type {command.game_type[:40]!r}")
    if ctx.actor_room is not None:
        return refuse(None, ErrorCode.ALREADY_IN_ROOM, "you are already playing in another room")
    if ctx.name_owner is not None:
        return refuse(None, ErrorCode.ROOM_NAME_TAKEN,
                      f"a room named {command.room_name!r} already exists")
    if ctx.new_room_id is None:
        raise ServerFault("create_room without a new room id")
    room = Room(
        room_id=ctx.new_room_id,
        room_name=command.room_name,
        game_type=game.game_type,
        status=RoomStatus.WAITING,
        host_id=actor.user_id,
        players=(_new_player(actor, ctx),),
        created_at=ctx.now,
        max_players=game.max_players,
    )
    tx = Tx(room, ctx)
    tx.to_room(ev.RoomCreated, room_name=room.room_name, game_type=room.game_type,
               host_id=actor.user_id, host_username=actor.username)
    tx.send_state(actor.user_id)
    return tx


def _join(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    room, me = tx.room, actor.user_id
    if room.player(me) is not None or tx.ctx.actor_room not in (None, room.room_id):
        return refuse(room, ErrorCode.ALREADY_IN_ROOM, "you are already playing in a room")
    if len(room.players) >= room.max_players:
        return refuse(room, ErrorCode.ROOM_FULL, "the room is full")
    if (spectator := room.spectator(me)) is not None:
        tx.update(spectators=tuple(s for s in room.spectators if s.user_id != me))
        tx.to_room(ev.SpectatorLeft, also=[me], user_id=me, username=spectator.username)
    player = _new_player(actor, tx.ctx)
    tx.update(players=(*tx.room.players, player))
    tx.to_room(ev.RoomJoined, room_name=room.room_name, player=player)
    tx.send_state(me)
    return None


def _ready(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    me = tx.room.player(actor.user_id)
    if me is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "only a seated player can get ready")
    if me.is_ready:
        return None  # idempotent
    tx.update(players=tuple(msgspec.structs.replace(p, is_ready=True)
                            if p.user_id == me.user_id else p for p in tx.room.players))
    tx.to_room(ev.PlayerReady, user_id=me.user_id, username=me.username)
    room = tx.room
    if len(room.players) == room.max_players and all(p.is_ready for p in room.players):
        game = registry.get(room.game_type)
        if game is not None:
            game.start(tx)
    return None


# --- leaving, dropping, coming back -----------------------------------------------------


def _leave(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    me = tx.room.player(actor.user_id)
    if me is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not a player in this room")
    if tx.room.status == RoomStatus.IN_PROGRESS:
        tx.to_room(ev.PlayerLeft, user_id=me.user_id, username=me.username)
        _forfeit(tx, me.user_id, "forfeit")
    else:
        _remove_waiting_player(tx, me)
    return None


def _remove_waiting_player(tx: Tx, player: GamePlayer) -> None:
    me = player.user_id
    tx.update(players=tuple(p for p in tx.room.players if p.user_id != me))
    tx.to_room(ev.PlayerLeft, also=[me], user_id=me, username=player.username)
    if not tx.room.players:
        tx.end_game(None, "abandoned")
        return
    if tx.room.host_id == me:
        heir = tx.room.players[0]
        tx.update(host_id=heir.user_id)
        tx.to_room(ev.HostChanged, host_id=heir.user_id, host_username=heir.username)


def _forfeit(tx: Tx, loser: UserId, reason: str) -> None:
    winner = next(p.user_id for p in tx.room.players if p.user_id != loser)
    tx.end_game(winner, reason)


def _disconnected(tx: Tx, command: UserDisconnected) -> Tx:
    user = command.user_id
    grace = tx.ctx.settings.grace_seconds
    until = tx.ctx.now + timedelta(seconds=grace)
    if not tx.room.is_active:
        return tx
    player = tx.room.player(user)
    if player is not None and player.disconnected_until is None:
        _set_player(tx, msgspec.structs.replace(player, disconnected_until=until))
        tx.to_room(ev.PlayerDisconnected, user_id=user, username=player.username,
                   grace_seconds=grace, deadline=until)
    spectator = tx.room.spectator(user)
    if spectator is not None and spectator.disconnected_until is None:
        _set_spectator_dropped(tx, user, until)
    return tx


def _grace_expired(tx: Tx, player: GamePlayer) -> None:
    if tx.room.status == RoomStatus.WAITING:
        _remove_waiting_player(tx, player)
        return
    others_gone = all(p.disconnected_until is not None for p in tx.room.players)
    if others_gone:
        tx.end_game(None, "abandoned")
    else:
        _forfeit(tx, player.user_id, "disconnected")


def _reconnect_if_dropped(tx: Tx, user: UserId, kind: str) -> None:
    """Any command from a member marked as dropped proves they are back."""
    player = tx.room.player(user)
    if player is not None and player.disconnected_until is not None and tx.room.is_active:
        _set_player(tx, msgspec.structs.replace(player, disconnected_until=None))
        tx.to_room(ev.PlayerRejoined, user_id=user, username=player.username)
    spectator = tx.room.spectator(user)
    if spectator is not None and spectator.disconnected_until is not None:
        _set_spectator_dropped(tx, user, None)


def _rejoin(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    me = actor.user_id
    if tx.room.player(me) is None and tx.room.spectator(me) is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not in this room")
    tx.send_state(me)
    return None


# --- spectators and chat ---------------------------------------------------------------


def _spectate(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    room, me = tx.room, actor.user_id
    if room.player(me) is not None:
        return refuse(room, ErrorCode.ALREADY_IN_ROOM, "players cannot spectate their own room")
    if room.spectator(me) is None:
        if len(room.spectators) >= tx.ctx.settings.spectator_limit:
            return refuse(room, ErrorCode.SPECTATOR_LIMIT, "this room has all the spectators it "
                          "can take")
        spectator = Spectator(user_id=me, username=actor.username, avatar_id=actor.avatar_id,
                              joined_at=tx.ctx.now)
        tx.update(spectators=(*room.spectators, spectator))
        tx.to_room(ev.SpectatorJoined, user_id=me, username=actor.username)
    tx.send_state(me)
    return None


def _leave_spectate(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    spectator = tx.room.spectator(actor.user_id)
    if spectator is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not watching this room")
    _remove_spectator(tx, spectator)
    return None


def _remove_spectator(tx: Tx, spectator: Spectator) -> None:
    me = spectator.user_id
    tx.update(spectators=tuple(s for s in tx.room.spectators if s.user_id != me))
    tx.to_room(ev.SpectatorLeft, also=[me], user_id=me, username=spectator.username)


def _chat(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    assert isinstance(command, cmd.ChatSend)
    room, me, now = tx.room, actor.user_id, tx.ctx.now
    if room.player(me) is None and room.spectator(me) is None:
        return refuse(room, ErrorCode.NOT_IN_ROOM, "only players and spectators can chat here")
    window = now - timedelta(seconds=tx.ctx.settings.chat_window_seconds)
    recent = sum(1 for line in room.chat if line.user_id == me and line.sent_at > window)
    if recent >= tx.ctx.settings.chat_limit:
        return refuse(room, ErrorCode.RATE_LIMITED, "you are sending chat messages too fast")
    line = ChatLine(user_id=me, username=actor.username, text=command.text, sent_at=now)
    tx.update(chat=(*room.chat, line)[-CHAT_LINES_KEPT:])
    tx.to_room(ev.ChatMessage, user_id=me, username=actor.username, text=line.text, sent_at=now)
    return None


# --- game actions ----------------------------------------------------------------------


def _game_action(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
    room = tx.room
    if room.player(actor.user_id) is None:
        return refuse(room, ErrorCode.NOT_A_PLAYER, "only players can do that")
    if room.current_turn != actor.user_id:
        return refuse(room, ErrorCode.NOT_YOUR_TURN, "it is not your turn")
    game = registry.get(room.game_type)
    assert game is not None
    game.act(tx, actor.user_id, command)
    return None


def _guarded(kind: str, handler: Handler) -> Handler:
    """Refuse ``kind`` in the statuses the lifecycle table does not allow it in.

    Membership errors take precedence for game actions, so a spectator's roll is
    ``NOT_A_PLAYER`` whatever the status.
    """

    def guarded(tx: Tx, actor: Actor, command: cmd.ClientMessage) -> Outcome | None:
        if kind == "game_action" and tx.room.player(actor.user_id) is None:
            return refuse(tx.room, ErrorCode.NOT_A_PLAYER, "only players can do that")
        code = refusal(kind, tx.room.status)
        if code is not None:
            return refuse(tx.room, code, _STATUS_TEXT[tx.room.status])
        return handler(tx, actor, command)

    return guarded


_STATUS_TEXT = {
    RoomStatus.WAITING: "the game has not started yet",
    RoomStatus.IN_PROGRESS: "the game has already started",
    RoomStatus.FINISHED: "the game is over",
    RoomStatus.ABANDONED: "the room was abandoned",
}

_HANDLERS: dict[str, Handler] = {
    kind: _guarded(kind, handler)
    for kind, handler in {
        "join_room": _join,
        "ready": _ready,
        "leave_room": _leave,
        "rejoin_room": _rejoin,
        "spectate": _spectate,
        "leave_spectate": _leave_spectate,
        "chat_send": _chat,
        "game_action": _game_action,
    }.items()
}


# --- helpers ---------------------------------------------------------------------------


def _finish(before: Room | None, result: Tx | Outcome, ctx: Context) -> Outcome:
    """Stamp the command id, bump the version, and derive lobby updates."""
    if isinstance(result, Outcome):
        return result
    tx = result
    if ctx.command_id:
        tx.update(applied=(*tx.room.applied, ctx.command_id)[-APPLIED_IDS_KEPT:])
    tx.update(version=(before.version if before else 0) + 1)
    _announce_to_lobby(before, tx)
    return tx.outcome(before)


def _announce_to_lobby(before: Room | None, tx: Tx) -> None:
    after = tx.room
    if before is None:
        tx.to_lobby(ev.RoomCreated(room_id=after.room_id, seq=0, room_name=after.room_name,
                                   game_type=after.game_type, host_id=after.host_id,
                                   host_username=after.players[0].username))
        tx.to_lobby(ev.RoomUpdated(**msgspec.structs.asdict(views.summary(after))))
        return
    if is_ended(after):
        if before.is_active:
            tx.to_lobby(ev.RoomRemoved(room_id=after.room_id))
        return
    old, new = views.summary(before), views.summary(after)
    if old != new:
        tx.to_lobby(ev.RoomUpdated(**msgspec.structs.asdict(new)))


def _new_player(actor: Actor, ctx: Context) -> GamePlayer:
    return GamePlayer(user_id=actor.user_id, username=actor.username, avatar_id=actor.avatar_id,
                      score=0, is_ready=False, joined_at=ctx.now)


def _set_spectator_dropped(tx: Tx, user: UserId, until: datetime | None) -> None:
    tx.update(spectators=tuple(
        msgspec.structs.replace(s, disconnected_until=until) if s.user_id == user else s
        for s in tx.room.spectators))


def _set_player(tx: Tx, player: GamePlayer) -> None:
    tx.update(players=tuple(player if p.user_id == player.user_id else p
                            for p in tx.room.players))


def archived(room: Room, ok: bool, ctx: Context, retry_seconds: float) -> Room:
    """The room after an attempt to write its history: done, or due again later."""
    due = None if ok else ctx.now + timedelta(seconds=retry_seconds)
    return msgspec.structs.replace(room, archive_due=due, version=room.version + 1)


def room_key_for(command: cmd.ClientMessage) -> RoomId | None:
    """The room id a command names, if it names one by id."""
    room_id = getattr(command, "room_id", None)
    return RoomId(room_id) if isinstance(room_id, str) else None
