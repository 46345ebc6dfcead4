"""Property tests: random command sequences keep the rules' invariants."""

from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blazing.games.base import RandomRng
from blazing.games.bigger_dice.game import passes
from blazing.games.bigger_dice.messages import Roll
from blazing.ids import UserId
from blazing.protocol import client as cmd
from blazing.protocol.envelope import AudienceType, UserDisconnected
from blazing.protocol.models import RoomStatus
from blazing.rooms import views
from blazing.rooms.context import RuleSettings
from blazing.rooms.tx import Outcome
from tests.support.table import ROOM, Table

USERS = st.integers(min_value=1, max_value=4)
ACTIONS = st.sampled_from(["join", "ready", "roll", "roll", "roll", "roll", "leave", "spectate",
                           "leave_spectate", "chat", "drop", "rejoin", "tick"])
STEPS = st.lists(st.tuples(USERS, ACTIONS, st.integers(min_value=0, max_value=90)),
                 min_size=1, max_size=120)
RULES = RuleSettings(turn_seconds=30, grace_seconds=60, retention_seconds=600)


def message(action: str, user: int, table: Table) -> Any:
    return {
        "create": cmd.CreateRoom(game_type="bigger_dice", room_name="Table"),
        "join": cmd.JoinRoom(room_id=ROOM),
        "ready": cmd.Ready(room_id=ROOM),
        "roll": Roll(room_id=ROOM),
        "leave": cmd.LeaveRoom(room_id=ROOM),
        "spectate": cmd.Spectate(room_id=ROOM),
        "leave_spectate": cmd.LeaveSpectate(room_id=ROOM),
        "chat": cmd.ChatSend(room_id=ROOM, text="gg"),
        "rejoin": cmd.RejoinRoom(room_id=ROOM),
        "drop": UserDisconnected(user_id=UserId(user), at=table.now),
    }[action]


def run(seed: int, steps: list[tuple[int, str, int]]) -> tuple[Table, list[Outcome]]:
    table = Table(rng=RandomRng.seeded(seed), settings=RULES)
    table.create(1)
    outcomes = []
    for user, action, seconds in steps:
        if table.room is None:
            break
        before = table.room
        if action == "tick":
            outcome = table.tick(seconds)
        else:
            outcome = table.do(user, message(action, user, table))
        check_step(before, user, action, outcome)
        outcomes.append(outcome)
        if table.room is not None:
            check_room(table)
    return table, outcomes


def check_step(before: Any, user: int, action: str, outcome: Outcome) -> None:
    if outcome.error is not None:
        # A refused command changes nothing and yields exactly one error (the error value).
        assert outcome.after is before and outcome.emits == ()
        return
    for emit in outcome.emits:
        if getattr(emit.event, "channel", "room") == "spectators" and outcome.after:
            # The spectators' channel never reaches a player, and takes no seq.
            assert not set(emit.audience.user_ids) & set(outcome.after.player_ids())
            assert emit.event.seq == 0  # type: ignore[attr-defined]
    rolls = [e.event for e in outcome.emits
             if e.event.__struct_config__.tag == "bigger_dice.rolled"]
    if action == "roll":
        # Only the player whose turn it was can have rolled, and only once.
        assert before.current_turn == user
        assert [r.player_id for r in rolls] == [user]
        assert rolls[0].auto is False
    elif action != "tick":
        assert rolls == []
    if action in ("roll", "ready", "chat", "leave_spectate", "spectate", "rejoin") and \
            before.spectator(UserId(user)) is not None and outcome.after is not None:
        # A spectator never changes the game.
        assert outcome.after.players == before.players
        assert outcome.after.game_state == before.game_state


def check_room(table: Table) -> None:
    room = table.room
    assert room is not None
    state = views.game_state(room)
    wins: dict[int, int] = {}
    if state is not None:
        for rnd in passes(state):
            if rnd.winner_id is not None:
                wins[rnd.winner_id] = wins.get(rnd.winner_id, 0) + 1
            (_, r1), (_, r2) = rnd.rolls
            assert rnd.is_tie == (r1 == r2)
    for player in room.players:
        assert player.score == wins.get(player.user_id, 0)  # scores = rounds won
        assert 0 <= player.score <= 10
    if room.status == RoomStatus.IN_PROGRESS:
        assert room.current_turn in room.player_ids()
        assert room.turn_deadline is not None
    if room.end_reason == "won":
        winner = room.player(room.winner_id) if room.winner_id else None
        assert winner is not None and winner.score == 10  # exactly ten
    assert len(room.players) <= room.max_players
    assert not set(room.player_ids()) & {s.user_id for s in room.spectators}
    seqs = [e.event.seq for e in table.events  # type: ignore[attr-defined]
            if e.audience.type == AudienceType.ROOM and e.event.seq > 0]  # type: ignore[attr-defined]
    assert seqs == sorted(set(seqs)), "room seq numbers are strictly increasing"



@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32), steps=STEPS)
def test_random_command_sequences_keep_the_invariants(seed: int,
                                                       steps: list[tuple[int, str, int]]) -> None:
    run(seed, steps)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), steps=STEPS)
def test_the_same_commands_and_seed_replay_to_the_same_room(
        seed: int, steps: list[tuple[int, str, int]]) -> None:
    first, _ = run(seed, steps)
    second, _ = run(seed, steps)
    assert first.room == second.room
    assert [msgspec.json.encode(e.event) for e in first.events] == \
        [msgspec.json.encode(e.event) for e in second.events]


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_games_played_to_the_end_always_finish_with_a_ten(seed: int) -> None:
    table = Table(rng=RandomRng.seeded(seed), settings=RULES)
    table.start()
    for _ in range(2000):
        room = table.room
        assert room is not None
        if room.status != RoomStatus.IN_PROGRESS:
            break
        assert room.current_turn is not None
        assert table.roll(room.current_turn).error is None
    room = table.room
    assert room is not None and room.status == RoomStatus.FINISHED
    assert sorted(p.score for p in room.players)[-1] == 10
    check_room(table)
