"""Playing with friends (SPEC §10), through the pure room rules: private tables and
invite codes, passwords, host controls (kick, mute, spectators), the ready deadline,
rematch, the chat that lasts and the spectators' own channel."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blazing.errors import ErrorCode
from blazing.games.base import RandomRng
from blazing.ids import UserId
from blazing.protocol import client as cmd
from blazing.protocol.envelope import AudienceType, UserDisconnected
from blazing.protocol.models import RoomStatus
from blazing.protocol.server import RoomState
from blazing.rooms.context import RuleSettings
from tests.support.table import ROOM, Table


def code_of(outcome: Any) -> str | None:
    return None if outcome.error is None else str(outcome.error.code)


def private_room() -> Table:
    table = Table()
    table.do(1, cmd.CreateRoom(game_type="bigger_dice", room_name="Us", visibility="private"))
    return table


def states_for(table: Table, user: int) -> list[Any]:
    return [e.event.room for e in table.events
            if isinstance(e.event, RoomState) and e.audience.user_ids == [user]]


# --- private tables and invite codes ------------------------------------------------------


def test_a_private_room_is_never_announced_and_only_the_host_sees_its_code() -> None:
    table = private_room()
    assert [e for e in table.events if e.audience.type == AudienceType.LOBBY] == []
    created = table.last("room_created")
    assert created["invite_code"] == "CODE1"
    [state] = states_for(table, 1)
    assert state.invite_code == "CODE1" and state.visibility == "private"


def test_a_private_room_needs_its_invite_code() -> None:
    table = private_room()
    assert code_of(table.join(2)) == ErrorCode.ROOM_NOT_FOUND
    assert code_of(table.do(2, cmd.JoinRoom(room_id=ROOM, invite_code="WRONG"))) == \
        ErrorCode.ROOM_NOT_FOUND
    assert code_of(table.do(3, cmd.Spectate(room_id=ROOM))) == ErrorCode.ROOM_NOT_FOUND
    assert table.do(2, cmd.JoinRoom(invite_code="CODE1", room_id=ROOM)).error is None
    assert states_for(table, 2)[-1].invite_code is None  # not the host's


def test_a_renewed_invite_code_replaces_the_old_one() -> None:
    table = private_room()
    assert code_of(table.do(1, cmd.RenewInvite(room_id=ROOM))) is None
    assert table.room is not None and table.room.invite_code == "CODE2"
    assert states_for(table, 1)[-1].invite_code == "CODE2"
    assert code_of(table.do(2, cmd.JoinRoom(room_id=ROOM, invite_code="CODE1"))) == \
        ErrorCode.ROOM_NOT_FOUND
    table.join(3)  # someone who is not the host
    table.do(3, cmd.JoinRoom(room_id=ROOM, invite_code="CODE2"))
    assert code_of(table.do(3, cmd.RenewInvite(room_id=ROOM))) == ErrorCode.NOT_HOST


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "facts", "code"), [
    (None, {}, ErrorCode.PASSWORD_REQUIRED),
    ("nope", {"password_ok": False}, ErrorCode.WRONG_PASSWORD),
    ("right", {"password_ok": True, "too_many_attempts": True}, ErrorCode.TOO_MANY_ATTEMPTS),
    ("right", {"password_ok": True}, None),
])
def test_a_password_room_admits_only_with_its_password(password: str | None,
                                                       facts: dict[str, Any],
                                                       code: str | None) -> None:
    table = Table()
    table.do(1, cmd.CreateRoom(game_type="bigger_dice", room_name="Locked"),
             password_hash="$argon2id$stub")
    before = table.room
    outcome = table.do(2, cmd.JoinRoom(room_id=ROOM, password=password), **facts)
    assert code_of(outcome) == code
    if code is not None:
        assert table.room is before
    watch = table.do(3, cmd.Spectate(room_id=ROOM, password=password), **facts)
    assert code_of(watch) == code


def test_the_password_hash_never_leaves_the_room() -> None:
    table = Table()
    table.do(1, cmd.CreateRoom(game_type="bigger_dice", room_name="Locked"),
             password_hash="$argon2id$secret-hash")
    table.do(2, cmd.JoinRoom(room_id=ROOM, password="x"), password_ok=True)
    everything = repr([e.event for e in table.events])
    assert "secret-hash" not in everything
    assert table.last("room_updated")["has_password"] is True


# --- host controls --------------------------------------------------------------------------


def seated(players: int = 3) -> Table:
    table = Table()
    table.create(1, seats=players)
    for user in range(2, players + 1):
        table.join(user)
    table.spectate(9)
    return table


@pytest.mark.parametrize(("user", "target", "code"), [
    (2, 3, ErrorCode.NOT_HOST), (1, 1, ErrorCode.CANNOT_TARGET_SELF),
    (1, 42, ErrorCode.NOT_IN_ROOM)])
def test_kick_refusals(user: int, target: int, code: str) -> None:
    table = seated()
    before = table.room
    assert code_of(table.do(user, cmd.Kick(room_id=ROOM, target_user_id=target))) == code
    assert table.room is before


def test_a_kicked_player_cannot_come_back_in_any_way() -> None:
    table = seated()
    assert code_of(table.do(1, cmd.Kick(room_id=ROOM, target_user_id=3))) is None
    kicked = table.last("player_kicked")
    assert kicked["user_id"] == 3
    assert table.room is not None and 3 not in table.room.player_ids()
    assert table.last("player_left")["reason"] == "kicked"
    for command in (cmd.JoinRoom(room_id=ROOM), cmd.RejoinRoom(room_id=ROOM),
                    cmd.Spectate(room_id=ROOM), cmd.JoinRoom(room_id=ROOM, invite_code="CODE1")):
        assert code_of(table.do(3, command)) == ErrorCode.KICKED


def test_players_can_be_kicked_before_the_start_only_spectators_later() -> None:
    table = Table()
    table.start(players=2)
    table.spectate(9)
    assert code_of(table.do(1, cmd.Kick(room_id=ROOM, target_user_id=2))) == \
        ErrorCode.GAME_ALREADY_STARTED
    assert code_of(table.do(1, cmd.Kick(room_id=ROOM, target_user_id=9))) is None
    assert table.room is not None and table.room.spectator(UserId(9)) is None


def test_closing_the_room_to_spectators_keeps_those_who_watch() -> None:
    table = seated()
    assert code_of(table.do(2, cmd.SetSpectating(room_id=ROOM, allowed=False))) == \
        ErrorCode.NOT_HOST
    table.do(1, cmd.SetSpectating(room_id=ROOM, allowed=False))
    assert table.last("spectating_changed")["allowed"] is False
    assert code_of(table.spectate(8)) == ErrorCode.SPECTATORS_CLOSED
    assert code_of(table.rejoin(9)) is None  # already watching
    table.do(1, cmd.SetSpectating(room_id=ROOM, allowed=True))
    assert code_of(table.spectate(8)) is None


def test_a_muted_user_cannot_chat_until_unmuted() -> None:
    table = seated()
    table.do(1, cmd.Mute(room_id=ROOM, target_user_id=2))
    assert (table.last("mute_changed")["user_id"], table.last("mute_changed")["muted"]) == \
        (2, True)
    assert code_of(table.chat(2, "hey")) == ErrorCode.MUTED
    assert code_of(table.do(2, cmd.Mute(room_id=ROOM, target_user_id=3))) == ErrorCode.NOT_HOST
    table.do(1, cmd.Mute(room_id=ROOM, target_user_id=2, muted=False))
    assert code_of(table.chat(2, "hey")) is None


# --- the ready deadline ----------------------------------------------------------------------


def test_once_every_seat_is_taken_the_unready_lose_their_seats_at_the_deadline() -> None:
    table = Table(settings=RuleSettings(ready_seconds=60))
    table.create(1, seats=3)
    table.join(2)
    assert table.room is not None and table.room.ready_deadline is None
    table.ready(2)
    table.join(3)
    assert table.room is not None and table.room.ready_deadline is not None
    # The members already seated learn the deadline from the join that took the last seat.
    assert table.last("room_joined")["ready_deadline"] is not None
    assert table.of_type("room_joined")[0]["ready_deadline"] is None
    table.tick(59)
    assert table.room is not None and len(table.room.players) == 3
    table.tick(2)
    room = table.room
    assert room is not None and room.player_ids() == [2]  # the host was not ready either
    assert room.host_id == 2 and room.ready_deadline is None
    left = [e["user_id"] for e in table.of_type("player_left") if e["reason"] == "not_ready"]
    assert sorted(left) == [1, 3]


def test_a_seat_coming_free_stops_the_ready_clock() -> None:
    table = Table(settings=RuleSettings(ready_seconds=60))
    table.create(1, seats=2)
    table.join(2)
    table.leave(2)
    assert table.room is not None and table.room.ready_deadline is None
    table.tick(120)
    assert table.room is not None and table.room.player_ids() == [1]


# --- rematch ---------------------------------------------------------------------------------


def finished(players: int = 2) -> Table:
    table = Table(rng=RandomRng.seeded(players))
    table.start(players=players)
    table.spectate(9)
    while table.room is not None and table.room.status == RoomStatus.IN_PROGRESS:
        table.roll(table.acting())
    return table


def test_a_rematch_starts_when_every_player_asked_and_the_last_game_is_on_record() -> None:
    table = finished()
    table.do(1, cmd.Rematch(room_id=ROOM))
    assert table.last("rematch_requested")["waiting_for"] == [2]
    table.do(2, cmd.Rematch(room_id=ROOM))
    room = table.room
    assert room is not None and room.status == RoomStatus.FINISHED  # history still pending
    table.archive(ok=True)
    room = table.room
    assert room is not None and room.status == RoomStatus.IN_PROGRESS and room.games == 2
    assert room.spectator(UserId(9)) is not None  # spectators stay
    assert all(p.score == 0 for p in room.players)
    assert table.types().count("game_started") == 2


def test_a_rematch_asked_after_the_record_was_written_starts_at_once() -> None:
    table = finished()
    table.archive(ok=True)
    table.do(2, cmd.Rematch(room_id=ROOM))
    table.do(1, cmd.Rematch(room_id=ROOM))
    assert table.room is not None and table.room.status == RoomStatus.IN_PROGRESS


def test_a_player_who_leaves_cancels_the_rematch_for_everyone() -> None:
    table = finished(players=3)
    table.do(1, cmd.Rematch(room_id=ROOM))
    table.leave(2)
    cancelled = table.last("rematch_cancelled")
    assert (cancelled["user_id"], cancelled["reason"]) == (2, "left")
    assert code_of(table.do(3, cmd.Rematch(room_id=ROOM))) == ErrorCode.REMATCH_UNAVAILABLE


def test_a_rematch_cannot_start_while_a_player_sits_at_another_table() -> None:
    table = finished()
    table.archive(ok=True)
    table.do(1, cmd.Rematch(room_id=ROOM))
    table.do(2, cmd.Rematch(room_id=ROOM), busy_players=frozenset({UserId(1)}))
    assert table.last("rematch_cancelled")["reason"] == "playing_elsewhere"
    assert table.room is not None and table.room.status == RoomStatus.FINISHED


def test_spectators_cannot_ask_for_a_rematch_nor_anyone_before_the_end() -> None:
    table = finished()
    assert code_of(table.do(9, cmd.Rematch(room_id=ROOM))) == ErrorCode.NOT_A_PLAYER
    running = Table()
    running.start()
    assert code_of(running.do(1, cmd.Rematch(room_id=ROOM))) == ErrorCode.REMATCH_UNAVAILABLE


# --- chat ---------------------------------------------------------------------------------


def test_spectators_chat_among_themselves_and_players_never_see_it() -> None:
    table = seated(players=2)
    table.spectate(8)
    table.chat(1, "good luck")
    table.chat(9, "who wins?")
    spectator_line = table.events[-1]
    assert spectator_line.event.channel == "spectators"  # type: ignore[attr-defined]
    assert sorted(spectator_line.audience.user_ids) == [8, 9]
    assert spectator_line.event.seq == 0  # type: ignore[attr-defined]
    table.rejoin(1)
    table.rejoin(8)
    assert [c.text for c in states_for(table, 1)[-1].chat] == ["good luck"]
    assert [c.text for c in states_for(table, 8)[-1].chat] == ["good luck", "who wins?"]


def test_room_state_carries_the_last_fifty_lines_oldest_first() -> None:
    table = Table(settings=RuleSettings(ready_seconds=10_000))
    table.create(1)
    table.join(2)
    for i in range(60):
        table.tick(11)  # outside the chat rate window
        table.chat(1 + i % 2, f"line {i}")
    table.rejoin(2)
    chat = states_for(table, 2)[-1].chat
    assert [c.text for c in chat] == [f"line {i}" for i in range(10, 60)]


# --- visibility, for any sequence of commands ------------------------------------------------

ACTIONS = st.sampled_from(["join", "join_code", "ready", "leave", "spectate", "chat", "kick",
                           "rematch", "drop", "tick", "renew"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.integers(1, 4), ACTIONS, st.integers(0, 90)),
                      max_size=60))
def test_a_private_room_never_reaches_a_lobby(steps: list[tuple[int, str, int]]) -> None:
    table = private_room()
    for user, action, seconds in steps:
        if table.room is None:
            break
        code = table.room.invite_code
        message: Any = {
            "join": cmd.JoinRoom(room_id=ROOM),
            "join_code": cmd.JoinRoom(room_id=ROOM, invite_code=code),
            "ready": cmd.Ready(room_id=ROOM),
            "leave": cmd.LeaveRoom(room_id=ROOM),
            "spectate": cmd.Spectate(room_id=ROOM, invite_code=code),
            "chat": cmd.ChatSend(room_id=ROOM, text="hi"),
            "kick": cmd.Kick(room_id=ROOM, target_user_id=1 + seconds % 4),
            "rematch": cmd.Rematch(room_id=ROOM),
            "drop": UserDisconnected(user_id=UserId(user), at=table.now),
            "renew": cmd.RenewInvite(room_id=ROOM),
        }.get(action)
        if message is None:
            table.tick(seconds)
        else:
            table.do(user, message)
    assert [e for e in table.events if e.audience.type == AudienceType.LOBBY] == []
    codes = {e.event.invite_code for e in table.events  # type: ignore[attr-defined]
             if getattr(e.event, "invite_code", None)}
    for emit in table.events:
        if getattr(emit.event, "invite_code", None):
            assert len(emit.audience.user_ids) == 1  # only the host ever sees a code
    assert codes <= {f"CODE{n}" for n in range(1, table.counter + 1)}


def test_a_busy_spectators_channel_keeps_the_players_lines_in_room_state() -> None:
    table = Table(settings=RuleSettings(ready_seconds=10_000, chat_limit=1000))
    table.create(1)
    table.spectate(9)
    table.chat(1, "players' line")
    for i in range(60):
        table.chat(9, f"spectator line {i}")
    table.rejoin(9)
    chat = states_for(table, 9)[-1].chat
    assert chat[0].text == "players' line" and len(chat) == 51
    assert chat[-1].text == "spectator line 59"
