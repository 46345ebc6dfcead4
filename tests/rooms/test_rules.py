"""Room lifecycle rules (SPEC §5), table-driven over the pure harness."""

import pytest

from blazing.errors import ErrorCode
from blazing.games.bigger_dice.messages import Roll
from blazing.ids import UserId
from blazing.protocol import client as cmd
from blazing.protocol.envelope import AudienceType
from blazing.protocol.models import RoomStatus
from blazing.rooms.context import Context, RuleSettings
from blazing.rooms.rules import archived
from tests.support.table import ROOM, ScriptedDice, Table


def error_of(outcome: object) -> str | None:
    error = getattr(outcome, "error", None)
    return None if error is None else str(error.code)


def test_create_room_makes_the_creator_host_and_first_unready_player() -> None:
    table = Table()
    outcome = table.create(1, "Friday game")
    assert outcome.error is None
    room = table.room
    assert room is not None
    assert room.room_id == ROOM
    assert room.host_id == 1
    assert [(p.user_id, p.is_ready, p.score) for p in room.players] == [(1, False, 0)]
    assert room.status == RoomStatus.WAITING
    assert table.types() == ["room_created", "room_state", "room_created", "room_updated"]
    lobby = [e for e in table.events if e.audience.type == AudienceType.LOBBY]
    assert len(lobby) == 2


@pytest.mark.parametrize(
    ("setup", "message", "code"),
    [
        ("none", cmd.CreateRoom(game_type="chess", room_name="x"), ErrorCode.INVALID_GAME_TYPE),
        ("name_taken", cmd.CreateRoom(game_type="bigger_dice", room_name="x"),
         ErrorCode.ROOM_NAME_TAKEN),
        ("none", cmd.JoinRoom(room_id="room_nope"), ErrorCode.ROOM_NOT_FOUND),
        ("none", cmd.Ready(room_id="room_nope"), ErrorCode.ROOM_NOT_FOUND),
        ("none", Roll(room_id="room_nope"), ErrorCode.ROOM_NOT_FOUND),
    ],
)
def test_commands_without_a_usable_room_are_refused(setup: str, message: cmd.Command,
                                                     code: ErrorCode) -> None:
    table = Table(name_taken=setup == "name_taken")
    outcome = table.do(1, message)
    assert error_of(outcome) == code
    assert table.room is None and table.events == []


def test_a_player_cannot_create_a_second_room() -> None:
    table = Table()
    table.create(1)
    before = table.room
    outcome = table.do(1, cmd.CreateRoom(game_type="bigger_dice", room_name="Other"))
    assert error_of(outcome) == ErrorCode.ALREADY_IN_ROOM
    assert table.room is before


def test_join_fills_the_second_seat_and_sends_state_to_the_joiner() -> None:
    table = Table()
    table.create(1)
    table.join(2)
    assert table.room is not None
    assert table.room.player_ids() == [1, 2]
    joined = table.last("room_joined")
    assert joined["player"]["user_id"] == 2
    state = [e for e in table.events if e.event.__struct_config__.tag == "room_state"][-1]
    assert state.audience.user_ids == [2]


@pytest.mark.parametrize(
    ("user", "code"),
    [(1, ErrorCode.ALREADY_IN_ROOM), (3, ErrorCode.ROOM_FULL)],
)
def test_join_refusals_in_a_full_waiting_room(user: int, code: ErrorCode) -> None:
    table = Table()
    table.create(1)
    table.join(2)
    before = table.room
    assert error_of(table.join(user)) == code
    assert table.room is before


def test_join_after_start_is_refused_as_already_started() -> None:
    table = Table()
    table.start()
    assert error_of(table.join(3)) == ErrorCode.GAME_ALREADY_STARTED


def test_a_spectator_may_take_a_free_seat() -> None:
    table = Table()
    table.create(1)
    table.spectate(3)
    table.join(3)
    assert table.room is not None
    assert table.room.player_ids() == [1, 3]
    assert table.room.spectators == ()
    assert "spectator_left" in table.types()


def test_ready_is_idempotent_and_only_for_seated_players() -> None:
    table = Table()
    table.create(1)
    table.join(2)
    table.ready(1)
    count = len(table.events)
    assert table.ready(1).error is None
    assert len(table.events) == count  # nothing new
    assert error_of(table.ready(3)) == ErrorCode.NOT_IN_ROOM
    table.spectate(3)
    assert error_of(table.ready(3)) == ErrorCode.NOT_IN_ROOM


def test_game_starts_when_both_are_ready_with_the_dice_choosing_the_first_player() -> None:
    table = Table(rng=ScriptedDice([3], first=1))
    table.start()
    room = table.room
    assert room is not None
    assert room.status == RoomStatus.IN_PROGRESS
    assert table.last("game_started")["first_turn"] == 2
    assert room.current_turn == 2 and room.turn_number == 1
    assert room.turn_deadline is not None
    assert table.types()[-3:] == ["game_started", "turn_changed", "room_updated"]


def test_host_leaving_a_waiting_room_hands_it_to_the_other_player() -> None:
    table = Table()
    table.create(1)
    table.join(2)
    table.leave(1)
    assert table.room is not None
    assert table.room.host_id == 2 and table.room.player_ids() == [2]
    assert table.last("host_changed")["host_id"] == 2
    assert table.last("player_left")["user_id"] == 1


def test_last_player_leaving_abandons_the_room_and_removes_it_from_the_lobby() -> None:
    table = Table()
    table.create(1)
    table.leave(1)
    assert table.room is not None
    assert table.room.status == RoomStatus.ABANDONED
    assert "room_removed" in table.types()
    assert table.room.expires_at is not None


def test_leaving_mid_game_forfeits_to_the_other_player() -> None:
    table = Table()
    table.start()
    table.leave(1)
    room = table.room
    assert room is not None
    assert room.status == RoomStatus.FINISHED and room.winner_id == 2
    ended = table.last("game_ended")
    assert ended["reason"] == "forfeit" and ended["winner_id"] == 2


@pytest.mark.parametrize(
    ("user", "code"),
    [(3, ErrorCode.NOT_A_PLAYER), (4, ErrorCode.NOT_A_PLAYER)],
)
def test_spectators_and_strangers_cannot_roll(user: int, code: ErrorCode) -> None:
    table = Table()
    table.start()
    table.spectate(3)
    before = table.room
    assert error_of(table.roll(user)) == code
    assert table.room is before


def test_rolling_out_of_turn_or_before_the_start_is_refused() -> None:
    table = Table(rng=ScriptedDice([4], first=0))
    table.create(1)
    table.join(2)
    assert error_of(table.roll(1)) == ErrorCode.GAME_NOT_IN_PROGRESS
    table.ready(1)
    table.ready(2)
    before = table.room
    assert error_of(table.roll(2)) == ErrorCode.NOT_YOUR_TURN
    assert table.room is before


def test_spectating_rules() -> None:
    table = Table(settings=RuleSettings(spectator_limit=1))
    table.create(1)
    assert error_of(table.spectate(1)) == ErrorCode.ALREADY_IN_ROOM
    assert table.spectate(3).error is None
    assert error_of(table.spectate(4)) == ErrorCode.SPECTATOR_LIMIT
    assert table.spectate(3).error is None  # again: idempotent, state re-sent
    assert error_of(table.do(4, cmd.LeaveSpectate(room_id=ROOM))) == ErrorCode.NOT_IN_ROOM
    assert table.do(3, cmd.LeaveSpectate(room_id=ROOM)).error is None
    assert table.room is not None and table.room.spectators == ()


def test_spectating_a_finished_room_is_refused() -> None:
    table = Table()
    table.start()
    table.leave(1)
    assert error_of(table.spectate(3)) == ErrorCode.GAME_NOT_IN_PROGRESS


def test_rejoin_sends_state_to_members_and_refuses_others() -> None:
    table = Table()
    table.start()
    table.spectate(3)
    assert table.rejoin(1).error is None
    assert table.rejoin(3).error is None
    assert error_of(table.rejoin(4)) == ErrorCode.NOT_IN_ROOM
    states = [e for e in table.events if e.event.__struct_config__.tag == "room_state"]
    assert states[-1].audience.user_ids == [3]


def test_a_dropped_player_has_a_grace_period_then_forfeits() -> None:
    table = Table(settings=RuleSettings(grace_seconds=60, turn_seconds=1000))
    table.start()
    table.drop(2)
    dropped = table.last("player_disconnected")
    assert dropped["user_id"] == 2 and dropped["grace_seconds"] == 60
    table.tick(59)
    assert table.room is not None and table.room.status == RoomStatus.IN_PROGRESS
    table.tick(2)
    assert table.room.status == RoomStatus.FINISHED
    ended = table.last("game_ended")
    assert ended["reason"] == "disconnected" and ended["winner_id"] == 1


def test_rejoining_within_the_grace_period_restores_the_player() -> None:
    table = Table(settings=RuleSettings(grace_seconds=60, turn_seconds=1000))
    table.start()
    table.drop(2)
    table.tick(30)
    table.rejoin(2)
    assert table.last("player_rejoined")["user_id"] == 2
    table.tick(120)
    assert table.room is not None and table.room.status == RoomStatus.IN_PROGRESS
    player = table.room.player(UserId(2))
    assert player is not None and player.disconnected_until is None


def test_both_players_gone_abandons_the_game() -> None:
    table = Table(settings=RuleSettings(grace_seconds=60, turn_seconds=1000))
    table.start()
    table.drop(1)
    table.drop(2)
    table.tick(61)
    assert table.room is not None and table.room.status == RoomStatus.ABANDONED
    ended = table.last("game_ended")
    assert ended["reason"] == "abandoned" and ended["winner_id"] is None


def test_a_dropped_player_of_a_waiting_room_is_removed_after_the_grace() -> None:
    table = Table(settings=RuleSettings(grace_seconds=5))
    table.create(1)
    table.join(2)
    table.drop(2)
    table.tick(6)
    assert table.room is not None and table.room.player_ids() == [1]


def test_turn_deadline_makes_the_server_roll_for_the_player() -> None:
    table = Table(rng=ScriptedDice([5], first=0), settings=RuleSettings(turn_seconds=30))
    table.start()
    table.tick(31)
    rolled = table.last("bigger_dice.rolled")
    assert rolled["auto"] is True and rolled["player_id"] == 1 and rolled["roll"] == 5
    assert table.room is not None and table.room.current_turn == 2


def test_chat_goes_to_the_room_is_trimmed_and_rate_limited() -> None:
    table = Table(settings=RuleSettings(chat_limit=2, chat_window_seconds=10))
    table.create(1)
    table.spectate(3)
    assert table.chat(1, "hello").error is None
    assert table.chat(3, "hi").error is None
    assert table.chat(1, "again").error is None
    assert error_of(table.chat(1, "third")) == ErrorCode.RATE_LIMITED
    assert error_of(table.chat(4, "stranger")) == ErrorCode.NOT_IN_ROOM
    table.now = table.now.replace(second=30)
    assert table.chat(1, "later").error is None
    assert [m["text"] for m in table.of_type("chat_message")] == ["hello", "hi", "again",
                                                                  "later"]


def test_ended_rooms_are_deleted_after_retention_once_their_history_is_written() -> None:
    table = Table(settings=RuleSettings(retention_seconds=600))
    table.start()
    table.leave(2)
    room = table.room
    assert room is not None and room.archive_due == table.now
    table.tick(601)
    assert table.room is not None, "history pending: the room must not expire"
    table.archive(ok=True)
    assert table.room is not None and table.room.archive_due is None
    assert table.tick(1).after is None


def test_a_failed_history_write_is_due_again_later() -> None:
    table = Table()
    table.start()
    table.leave(2)
    assert table.room is not None
    retry = archived(table.room, False, Context(now=table.now, rng=table.rng), 5).after
    assert retry is not None and retry.archive_due is not None
    assert (retry.archive_due - table.now).total_seconds() == 5
    assert retry.next_deadline() == retry.archive_due


def test_a_redelivered_command_changes_nothing_twice() -> None:
    table = Table(rng=ScriptedDice([6, 1], first=0))
    table.start()
    first = table.do(1, Roll(room_id=ROOM), command_id="same")
    assert first.error is None
    room = table.room
    again = table.do(1, Roll(room_id=ROOM), command_id="same")
    assert again.error is None and not again.changed and table.room is room


def test_room_events_carry_consecutive_seq_numbers() -> None:
    table = Table()
    table.start()
    table.spectate(3)
    seqs = [e.event.seq for e in table.events  # type: ignore[attr-defined]
            if e.audience.type == AudienceType.ROOM]
    assert seqs == list(range(1, len(seqs) + 1))
    assert table.room is not None and table.room.seq == seqs[-1]
