"""Room rules (SPEC §5), pure: ``apply(room, command, actor, ctx) -> Outcome``.

Every refusal is a value (``Outcome.error``) and leaves the room untouched.
Lobby updates are derived at the end by comparing summaries, so no rule has to
remember to announce its change to the lobby.

This module routes each command through the lifecycle table to its handler:
seats (:mod:`blazing.rooms.seats`: joining, readying, leaving, spectating), the game
(:mod:`blazing.rooms.play`, for every game through the game interface), the host's
controls and chat (:mod:`blazing.rooms.social`) and rematches
(:mod:`blazing.rooms.rematch`). It never names a game.
"""

from collections.abc import Callable
from datetime import timedelta

import msgspec

from blazing.errors import ErrorCode, ServerFault
from blazing.games import registry
from blazing.ids import RoomId
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import Actor, ServiceCommand, UserDisconnected
from blazing.protocol.models import RoomStatus
from blazing.rooms import play, rematch, seats, social, views
from blazing.rooms.context import Context
from blazing.rooms.lifecycle import refusal
from blazing.rooms.model import APPLIED_IDS_KEPT, Room, command_token
from blazing.rooms.tx import Outcome, Tx, is_ended, refuse

Handler = Callable[[Tx, Actor, cmd.Command], Outcome | None]


def apply(room: Room | None, command: ServiceCommand, actor: Actor, ctx: Context) -> Outcome:
    """Apply one command to ``room`` (``None`` when it names no existing room)."""
    if room is not None and ctx.command_id and room.applied_command(ctx.command_id):
        return Outcome(room, room)  # redelivered: already applied once
    if isinstance(command, cmd.CreateRoom):
        created = _create(command, actor, ctx)
        if isinstance(created, Outcome):
            return Outcome(room, room, (), created.error)
        return _finish(None, created, ctx)
    if room is None:
        return refuse(None, ErrorCode.ROOM_NOT_FOUND, "no such room")
    if isinstance(command, UserDisconnected):
        return _finish(room, seats.disconnected(Tx(room, ctx), command), ctx)
    command_type = str(command.__struct_config__.tag)
    kind = "game_action" if isinstance(command, cmd.GameCommand) else command_type
    handler = _HANDLERS.get(kind)
    if handler is None:
        return refuse(room, ErrorCode.UNKNOWN_TYPE, f"{command_type} is not a room command")
    tx = Tx(room, ctx)
    seats.reconnect_if_dropped(tx, actor.user_id)
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
            tx.remove_spectator(spectator)
    for player in room.players:
        current = tx.room.player(player.user_id)
        if (current and current.disconnected_until and current.disconnected_until <= now
                and tx.room.is_active):
            seats.grace_expired(tx, current)
    if (tx.room.status == RoomStatus.WAITING and tx.room.ready_deadline is not None
            and tx.room.ready_deadline <= now):
        seats.ready_deadline_passed(tx)
    if (tx.room.status == RoomStatus.IN_PROGRESS and tx.room.turn_deadline is not None
            and tx.room.turn_deadline <= now):
        play.time_out(tx)
    if tx.room is room:
        return Outcome(room, room)
    return _finish(room, tx, ctx)


# --- creating --------------------------------------------------------------------------


def _create(command: cmd.CreateRoom, actor: Actor, ctx: Context) -> Tx | Outcome:
    game = registry.get(command.game_type)
    if game is None:
        return refuse(None, ErrorCode.INVALID_GAME_TYPE,
                      f"unknown game type {command.game_type[:40]!r}")
    seat_count = game.seats.default if command.max_players is None else command.max_players
    if not game.seats.minimum <= seat_count <= game.seats.maximum:
        low, high = game.seats.minimum, game.seats.maximum
        allowed = str(low) if low == high else f"{low}–{high}"
        return refuse(None, ErrorCode.INVALID_MESSAGE,
                      f"`max_players` must be {allowed} for {game.game_type}")
    if ctx.actor_room is not None:
        return refuse(None, ErrorCode.ALREADY_IN_ROOM, "you are already playing in another room")
    if ctx.name_owner is not None and (command.visibility == "public" or ctx.quick_play):
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
        players=(seats.new_player(actor, ctx),),
        created_at=ctx.now,
        max_players=seat_count,
        visibility=command.visibility,
        password_hash=ctx.password_hash,
        invite_code=ctx.new_invite_code,
        quick=ctx.quick_play,
        logs_apart=True,
    )
    tx = Tx(room, ctx)
    tx.to_room(_room_created(room, actor.username, for_host=True))
    tx.send_state(actor.user_id)
    return tx


def _room_created(room: Room, host_username: str, *, for_host: bool) -> ev.RoomCreated:
    return ev.RoomCreated(room_name=room.room_name, game_type=room.game_type,
                          host_id=room.host_id, host_username=host_username,
                          max_players=room.max_players,
                          invite_code=room.invite_code if for_host else None)


# --- routing ---------------------------------------------------------------------------


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

# Commands whose handlers read the room's logs: those that send ``room_state`` (it
# shows the recent chat) and the chat itself (its flood limit counts recent lines).
# The others are applied to the room loaded without its logs.
READS_LOGS = frozenset({"create_room", "join_room", "rejoin_room", "spectate",
                        "renew_invite", "chat_send"})

_HANDLERS: dict[str, Handler] = {
    kind: _guarded(kind, handler)
    for kind, handler in {
        "join_room": seats.join,
        "ready": seats.ready,
        "leave_room": seats.leave,
        "rejoin_room": seats.rejoin,
        "spectate": seats.spectate,
        "leave_spectate": seats.leave_spectate,
        "chat_send": social.chat,
        "kick": social.kick,
        "mute": social.mute,
        "set_spectating": social.set_spectating,
        "renew_invite": social.renew_invite,
        "rematch": rematch.request,
        "game_action": play.move,
    }.items()
}


# --- helpers ---------------------------------------------------------------------------


def _finish(before: Room | None, result: Tx | Outcome, ctx: Context) -> Outcome:
    """Stamp the command id, bump the version, and derive lobby updates."""
    if isinstance(result, Outcome):
        return result
    tx = result
    if ctx.command_id:
        tx.update(applied=(*tx.room.applied, command_token(ctx.command_id))[-APPLIED_IDS_KEPT:])
    tx.update(version=(before.version if before else 0) + 1)
    _announce_to_lobby(before, tx)
    return tx.outcome(before)


def _announce_to_lobby(before: Room | None, tx: Tx) -> None:
    """Lobby watchers learn what changed in a listed room (private rooms: nothing)."""
    after = tx.room
    if not after.listed:
        return
    if before is None:
        tx.to_lobby(msgspec.structs.replace(
            _room_created(after, after.players[0].username, for_host=False),
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


def archived(room: Room, ok: bool, ctx: Context, retry_seconds: float) -> Outcome:
    """The room after an attempt to write its history: done (and a rematch everyone
    agreed to while it was being written starts now), or due again later."""
    tx = Tx(room, ctx)
    if not ok:
        tx.update(archive_due=ctx.now + timedelta(seconds=retry_seconds))
    else:
        tx.update(archive_due=None)
        if rematch.agreed(tx.room):
            rematch.begin_if_possible(tx, tx.room.players[-1])
    return _finish(room, tx, ctx)


def reads_logs(command: ServiceCommand) -> bool:
    """Whether applying ``command`` needs the room loaded with its logs."""
    return str(command.__struct_config__.tag) in READS_LOGS


def room_key_for(command: cmd.Command) -> RoomId | None:
    """The room id a command names, if it names one by id."""
    room_id = getattr(command, "room_id", None)
    return RoomId(room_id) if isinstance(room_id, str) else None
