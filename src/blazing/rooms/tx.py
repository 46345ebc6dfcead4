"""A small builder the pure rules use to derive one command's new room state
and the events it causes. Local mutation only; no I/O."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec

from blazing.errors import ClientError
from blazing.ids import UserId
from blazing.protocol import server as ev
from blazing.protocol.envelope import Audience, AudienceType
from blazing.protocol.models import GamePlayer, RoomStatus
from blazing.rooms import views
from blazing.rooms.context import Context
from blazing.rooms.lifecycle import transition
from blazing.rooms.model import Room, Spectator


@dataclass(frozen=True, slots=True)
class Emit:
    """An event and who should receive it."""

    audience: Audience
    event: msgspec.Struct


@dataclass(frozen=True, slots=True)
class Outcome:
    """Result of applying one command: the room after it (``None`` = delete),
    the events to publish, or the error that refused it (then nothing changed)."""

    before: Room | None
    after: Room | None
    emits: tuple[Emit, ...] = ()
    error: ClientError | None = None

    @property
    def changed(self) -> bool:
        return self.before is not self.after


def refuse(room: Room | None, code: str, message: str) -> Outcome:
    return Outcome(room, room, (), ClientError(code, message))


@dataclass
class Tx:
    room: Room
    ctx: Context
    emits: list[Emit] = field(default_factory=list)
    # Players leaving in this command who still get its room events (their own
    # departure, and the game's end it causes).
    leaving: list[UserId] = field(default_factory=list)

    def update(self, **changes: Any) -> None:
        self.room = msgspec.structs.replace(self.room, **changes)

    def to_room(self, event: ev.RoomEvent, also: Iterable[UserId] = ()) -> None:
        """Send a room event to every member (and ``also``), stamped with the room id
        and the next seq."""
        seq = self.room.seq + 1
        self.update(seq=seq)
        members = self.room.member_ids()
        members += [u for u in also if u not in members]
        self._emit_to_room(members, msgspec.structs.replace(
            event, room_id=self.room.room_id, seq=seq))

    def to_some(self, user_ids: Iterable[UserId], event: ev.RoomEvent) -> None:
        """A room event only ``user_ids`` receive (hidden information): it takes no
        seq, so the other members see no gap."""
        members = set(self.room.member_ids())
        self._emit_to_room([u for u in user_ids if u in members],
                           msgspec.structs.replace(event, room_id=self.room.room_id, seq=0))

    def _emit_to_room(self, user_ids: list[UserId], event: ev.RoomEvent) -> None:
        self.emits.append(Emit(Audience(type=AudienceType.ROOM, user_ids=user_ids,
                                        room_id=self.room.room_id), event))

    def to_user(self, user_id: UserId, event: msgspec.Struct) -> None:
        self.emits.append(Emit(Audience(type=AudienceType.USER, user_ids=[user_id]), event))

    def to_lobby(self, event: msgspec.Struct) -> None:
        self.emits.append(Emit(Audience(type=AudienceType.LOBBY), event))

    def send_state(self, user_id: UserId) -> None:
        """The whole room as ``user_id`` may see it (``room_state``)."""
        self.to_user(
            user_id,
            ev.RoomState(room_id=self.room.room_id, seq=self.room.seq,
                         room=views.game_room(self.room, user_id)),
        )

    def set_status(self, action: str) -> None:
        self.update(status=transition(self.room.status, action))

    def set_player(self, player: GamePlayer) -> None:
        """Replace the seat of ``player.user_id`` with ``player``."""
        self.update(players=tuple(player if p.user_id == player.user_id else p
                                  for p in self.room.players))

    def set_spectator_dropped(self, user: UserId, until: datetime | None) -> None:
        self.update(spectators=tuple(
            msgspec.structs.replace(s, disconnected_until=until) if s.user_id == user else s
            for s in self.room.spectators))

    def remove_spectator(self, spectator: Spectator) -> None:
        me = spectator.user_id
        self.update(spectators=tuple(s for s in self.room.spectators if s.user_id != me))
        self.to_room(ev.SpectatorLeft(user_id=me, username=spectator.username), also=[me])

    def end_game(self, winner_id: UserId | None, reason: str) -> None:
        """Close the room: ``finished`` with a winner, or ``abandoned`` without one."""
        now = self.ctx.now
        self.set_status("finish" if winner_id is not None else "abandon")
        started = self.room.started_at is not None
        self.update(
            finished_at=now,
            winner_id=winner_id,
            end_reason=reason,
            current_turn=None,
            turn_deadline=None,
            expires_at=now + timedelta(seconds=self.ctx.settings.retention_seconds),
            ready_deadline=None,
            players=tuple(
                msgspec.structs.replace(p, disconnected_until=None) for p in self.room.players
            ),
        )
        if started:
            self.update(archive_due=now)  # the service writes history from its timer loop
            winner = self.room.player(winner_id) if winner_id is not None else None
            self.to_room(ev.GameEnded(
                winner_id=winner_id,
                winner_username=winner.username if winner else None,
                final_scores=[(p.user_id, p.username, p.score) for p in self.room.players],
                reason=reason,
            ), also=self.leaving)

    def outcome(self, before: Room | None) -> Outcome:
        return Outcome(before, self.room, tuple(self.emits))


def is_ended(room: Room) -> bool:
    return room.status in (RoomStatus.FINISHED, RoomStatus.ABANDONED)
