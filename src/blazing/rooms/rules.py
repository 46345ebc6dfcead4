"""Room rules (SPEC §5), pure: ``apply(room, command, actor, ctx) -> Outcome``.

Every refusal is a value (``Outcome.error``) and leaves the room untouched.
Lobby updates are derived at the end by comparing summaries, so no rule has to
remember to announce its change to the lobby.

The room layer runs every game the same way, through the game interface
(:mod:`blazing.games.base`): it seats and readies players, calls ``setup`` when the
table is full and ready, checks that a move comes from one of ``who_acts``, gives
each turn its deadline (``turn_changed``), calls ``on_timeout`` when it passes and
``on_player_left`` when a player leaves or runs out of grace, and ends the game when
``result`` says so. It never names a game.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec

from blazing.errors import ErrorCode, ServerFault
from blazing.games import base as game_api
from blazing.games import registry
from blazing.games.record import MoveKind, MoveRecord, action_fields
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

Handler = Callable[[Tx, Actor, cmd.Command], Outcome | None]


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
    kind = "game_action" if isinstance(command, cmd.GameCommand) else command_type
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
            and tx.room.turn_deadline <= now and tx.room.current_turn is not None):
        game, state = _game_of(tx.room)
        late = tx.room.current_turn
        _play(tx, game, "timeout", late, lambda ctx: game.on_timeout(state, late, ctx))
    if tx.room is room:
        return Outcome(room, room)
    return _finish(room, tx, ctx)


# --- creating and joining ----------------------------------------------------------------


def _create(command: cmd.CreateRoom, actor: Actor, ctx: Context) -> Tx | Outcome:
    game = registry.get(command.game_type)
    if game is None:
        return refuse(None, ErrorCode.INVALID_GAME_TYPE,
                      f"unknown game type {command.game_type[:40]!r}")
    seats = game.seats.default if command.max_players is None else command.max_players
    if not game.seats.minimum <= seats <= game.seats.maximum:
        low, high = game.seats.minimum, game.seats.maximum
        allowed = str(low) if low == high else f"{low}–{high}"
        return refuse(None, ErrorCode.INVALID_MESSAGE,
                      f"`max_players` must be {allowed} for {game.game_type}")
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
        max_players=seats,
    )
    tx = Tx(room, ctx)
    tx.to_room(_room_created(room, actor.username))
    tx.send_state(actor.user_id)
    return tx


def _room_created(room: Room, host_username: str) -> ev.RoomCreated:
    return ev.RoomCreated(room_name=room.room_name, game_type=room.game_type,
                          host_id=room.host_id, host_username=host_username,
                          max_players=room.max_players)


def _join(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    room, me = tx.room, actor.user_id
    if room.player(me) is not None or tx.ctx.actor_room not in (None, room.room_id):
        return refuse(room, ErrorCode.ALREADY_IN_ROOM, "you are already playing in a room")
    if len(room.players) >= room.max_players:
        return refuse(room, ErrorCode.ROOM_FULL, "the room is full")
    if (spectator := room.spectator(me)) is not None:
        tx.update(spectators=tuple(s for s in room.spectators if s.user_id != me))
        tx.to_room(ev.SpectatorLeft(user_id=me, username=spectator.username), also=[me])
    player = _new_player(actor, tx.ctx)
    tx.update(players=(*tx.room.players, player))
    tx.to_room(ev.RoomJoined(room_name=room.room_name, player=player))
    tx.send_state(me)
    return None


def _ready(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    me = tx.room.player(actor.user_id)
    if me is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "only a seated player can get ready")
    if me.is_ready:
        return None  # idempotent
    tx.update(players=tuple(msgspec.structs.replace(p, is_ready=True)
                            if p.user_id == me.user_id else p for p in tx.room.players))
    tx.to_room(ev.PlayerReady(user_id=me.user_id, username=me.username))
    room = tx.room
    if len(room.players) == room.max_players and all(p.is_ready for p in room.players):
        _start(tx)
    return None


# --- the game ----------------------------------------------------------------------------


def _game_of(room: Room) -> tuple[game_api.Game, Any]:
    """The room's game and its current state; a room in play always has both."""
    game = registry.get(room.game_type)
    state = views.game_state(room)
    if game is None or state is None:
        raise ServerFault(f"room {room.room_id} has no {room.game_type} game to play")
    return game, state


def _start(tx: Tx) -> None:
    """Every seat is taken and ready: set the game up and give the first turn."""
    game = registry.get(tx.room.game_type)
    if game is None:
        raise ServerFault(f"room {tx.room.room_id} has an unknown game {tx.room.game_type!r}")
    seats = [game_api.Seat(user_id=p.user_id, username=p.username) for p in tx.room.players]
    rng = game_api.RecordingRng(tx.ctx.rng)
    state = game.setup(seats, rng)
    first = game.who_acts(state)[0]
    tx.set_status("start")
    tx.update(started_at=tx.ctx.now, game_state=registry.encode_state(state),
              games=tx.room.games + 1, setup_draws=tuple(rng.draws), moves=(),
              players=tuple(msgspec.structs.replace(p, score=0) for p in tx.room.players))
    tx.to_room(ev.GameStarted(players=list(tx.room.players), first_turn=first))
    _begin_turn(tx, game, state)


GameStep = Callable[[game_api.GameContext], game_api.Outcome | game_api.Refusal]


def _play(tx: Tx, game: game_api.Game, kind: MoveKind, user: UserId, step: GameStep, *,
          action: dict[str, Any] | None = None,
          ending_reason: str | None = None) -> game_api.Refusal | None:
    """Run one step of the game (a move, a timeout, a departure) with its randomness
    recorded, put it on the game's record and take its outcome; a refusal changes
    nothing and is returned."""
    rng = game_api.RecordingRng(tx.ctx.rng)
    answer = step(game_api.GameContext(now=tx.ctx.now, rng=rng))
    if isinstance(answer, game_api.Refusal):
        return answer
    scores = game.scores(answer.state)
    tx.update(moves=(*tx.room.moves, MoveRecord(
        kind=kind, user_id=user, at=tx.ctx.now, action=action or {}, draws=tuple(rng.draws),
        scores=tuple(scores.get(p.user_id, 0) for p in tx.room.players))))
    _advance(tx, game, answer, ending_reason)
    return None


def _advance(tx: Tx, game: game_api.Game, outcome: game_api.Outcome,
             ending_reason: str | None = None) -> None:
    """Take a game's outcome: store its state, show its events and scores, then end
    the game (``ending_reason`` overrides the game's reason: a forfeit) or start the
    next turn."""
    state = outcome.state
    scores = game.scores(state)
    tx.update(game_state=registry.encode_state(state), players=tuple(
        msgspec.structs.replace(p, score=scores.get(p.user_id, p.score))
        for p in tx.room.players))
    for event in outcome.events:
        if isinstance(event, game_api.Private):
            tx.to_some(event.user_ids, event.event)
        else:
            tx.to_room(event, also=tx.leaving)
    result = game.result(state)
    if result is not None:
        tx.end_game(result.winner_id, ending_reason or result.reason)
        return
    if outcome.ends_turn or tx.room.current_turn not in game.who_acts(state):
        _begin_turn(tx, game, state)


def _begin_turn(tx: Tx, game: game_api.Game, state: Any) -> None:
    """The next turn: whoever the game awaits gets a fresh deadline."""
    acting = game.who_acts(state)
    if not acting:
        raise ServerFault(f"{game.game_type} awaits nobody but has no result")
    deadline = tx.ctx.now + timedelta(seconds=tx.ctx.settings.turn_seconds)
    number = tx.room.turn_number + 1
    tx.update(current_turn=acting[0], turn_number=number, turn_deadline=deadline)
    tx.to_room(ev.TurnChanged(current_turn=acting[0], turn_number=number,
                              turn_deadline=deadline))


# --- leaving, dropping, coming back -----------------------------------------------------


def _leave(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    me = tx.room.player(actor.user_id)
    if me is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not a player in this room")
    if tx.room.status == RoomStatus.IN_PROGRESS:
        _leave_game(tx, me, "forfeit")
    else:
        _remove_waiting_player(tx, me)
    return None


def _leave_game(tx: Tx, player: GamePlayer, reason: str) -> None:
    """``player`` is out of a game in progress (left, or ran out of grace): the game
    says what that means (a forfeit, an elimination); the seat and score stay."""
    me = player.user_id
    tx.leaving.append(me)
    tx.to_room(ev.PlayerLeft(user_id=me, username=player.username))
    _set_player(tx, msgspec.structs.replace(player, left=True, disconnected_until=None))
    game, state = _game_of(tx.room)
    _play(tx, game, "left" if reason == "forfeit" else "disconnected", me,
          lambda ctx: game.on_player_left(state, me, ctx), ending_reason=reason)


def _remove_waiting_player(tx: Tx, player: GamePlayer) -> None:
    me = player.user_id
    tx.update(players=tuple(p for p in tx.room.players if p.user_id != me))
    tx.to_room(ev.PlayerLeft(user_id=me, username=player.username), also=[me])
    if not tx.room.players:
        tx.end_game(None, "abandoned")
        return
    if tx.room.host_id == me:
        heir = tx.room.players[0]
        tx.update(host_id=heir.user_id)
        tx.to_room(ev.HostChanged(host_id=heir.user_id, host_username=heir.username))


def _disconnected(tx: Tx, command: UserDisconnected) -> Tx:
    user = command.user_id
    grace = tx.ctx.settings.grace_seconds
    until = tx.ctx.now + timedelta(seconds=grace)
    if not tx.room.is_active:
        return tx
    player = tx.room.player(user)
    if player is not None and not player.left and player.disconnected_until is None:
        _set_player(tx, msgspec.structs.replace(player, disconnected_until=until))
        tx.to_room(ev.PlayerDisconnected(user_id=user, username=player.username,
                                         grace_seconds=grace, deadline=until))
    spectator = tx.room.spectator(user)
    if spectator is not None and spectator.disconnected_until is None:
        _set_spectator_dropped(tx, user, until)
    return tx


def _grace_expired(tx: Tx, player: GamePlayer) -> None:
    if tx.room.status == RoomStatus.WAITING:
        _remove_waiting_player(tx, player)
        return
    in_game = [p for p in tx.room.players if not p.left]
    if all(p.disconnected_until is not None for p in in_game):
        tx.end_game(None, "abandoned")  # nobody is left to play
    else:
        _leave_game(tx, player, "disconnected")


def _reconnect_if_dropped(tx: Tx, user: UserId, kind: str) -> None:
    """Any command from a member marked as dropped proves they are back."""
    player = tx.room.player(user)
    if player is not None and player.disconnected_until is not None and tx.room.is_active:
        _set_player(tx, msgspec.structs.replace(player, disconnected_until=None))
        tx.to_room(ev.PlayerRejoined(user_id=user, username=player.username))
    spectator = tx.room.spectator(user)
    if spectator is not None and spectator.disconnected_until is not None:
        _set_spectator_dropped(tx, user, None)


def _rejoin(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    me = actor.user_id
    if tx.room.player(me) is None and tx.room.spectator(me) is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not in this room")
    tx.send_state(me)
    return None


# --- spectators and chat ---------------------------------------------------------------


def _spectate(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
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
        tx.to_room(ev.SpectatorJoined(user_id=me, username=actor.username))
    tx.send_state(me)
    return None


def _leave_spectate(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    spectator = tx.room.spectator(actor.user_id)
    if spectator is None:
        return refuse(tx.room, ErrorCode.NOT_IN_ROOM, "you are not watching this room")
    _remove_spectator(tx, spectator)
    return None


def _remove_spectator(tx: Tx, spectator: Spectator) -> None:
    me = spectator.user_id
    tx.update(spectators=tuple(s for s in tx.room.spectators if s.user_id != me))
    tx.to_room(ev.SpectatorLeft(user_id=me, username=spectator.username), also=[me])


def _chat(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    assert isinstance(command, cmd.ChatSend)
    room, me, now = tx.room, actor.user_id, tx.ctx.now
    if me not in room.player_ids() and room.spectator(me) is None:
        return refuse(room, ErrorCode.NOT_IN_ROOM, "only players and spectators can chat here")
    window = now - timedelta(seconds=tx.ctx.settings.chat_window_seconds)
    recent = sum(1 for line in room.chat if line.user_id == me and line.sent_at > window)
    if recent >= tx.ctx.settings.chat_limit:
        return refuse(room, ErrorCode.RATE_LIMITED, "you are sending chat messages too fast")
    line = ChatLine(user_id=me, username=actor.username, text=command.text, sent_at=now)
    tx.update(chat=(*room.chat, line)[-CHAT_LINES_KEPT:])
    tx.to_room(ev.ChatMessage(user_id=me, username=actor.username, text=line.text,
                              sent_at=now))
    return None


# --- game actions ----------------------------------------------------------------------


def _game_action(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    room = tx.room
    assert isinstance(command, cmd.GameCommand)
    game, state = _game_of(room)
    if type(command) not in game.commands:
        return refuse(room, ErrorCode.UNKNOWN_TYPE,
                      f"{command.__struct_config__.tag} is not a move of {room.game_type}")
    if actor.user_id not in game.who_acts(state):
        return refuse(room, ErrorCode.NOT_YOUR_TURN, "it is not your turn")
    refusal = _play(tx, game, "move", actor.user_id,
                    lambda ctx: game.apply(state, actor.user_id, command, ctx),
                    action=action_fields(command))
    if refusal is not None:
        return refuse(room, refusal.code, refusal.message)
    return None


def _guarded(kind: str, handler: Handler) -> Handler:
    """Refuse ``kind`` in the statuses the lifecycle table does not allow it in.

    Membership errors take precedence for game actions, so a spectator's roll is
    ``NOT_A_PLAYER`` whatever the status.
    """

    def guarded(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
        if kind == "game_action" and actor.user_id not in tx.room.player_ids():
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
        tx.to_lobby(msgspec.structs.replace(_room_created(after, after.players[0].username),
                                            room_id=after.room_id))
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


def room_key_for(command: cmd.Command) -> RoomId | None:
    """The room id a command names, if it names one by id."""
    room_id = getattr(command, "room_id", None)
    return RoomId(room_id) if isinstance(room_id, str) else None
