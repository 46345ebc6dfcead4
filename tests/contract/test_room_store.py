"""Contract of the RoomStore port, for every adapter."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from blazing.errors import Conflict
from blazing.games.record import MoveRecord
from blazing.ids import RoomId, UserId
from blazing.protocol.models import RoomStatus
from blazing.rooms.model import CHAT_LINES_KEPT, ChatLine, Room, encode_room
from blazing.state.base import invite_claim, plan_commit, quick_claim, table_kind
from tests.support.table import T0, Table


def fresh_table(name: str | None = None) -> Table:
    """A waiting room with one player, under a unique id and name and user, so that
    backends can be shared between tests."""
    table = Table()
    table.create(unique_user(), name or f"Table {uuid.uuid4().hex[:10]}")
    assert table.room is not None
    table.room = msgspec.structs.replace(table.room,
                                         room_id=RoomId(f"room_{uuid.uuid4().hex[:16]}"),
                                         invite_code=uuid.uuid4().hex[:10].upper())
    return table


def unique_user() -> int:
    return uuid.uuid4().int % 10**12 + 1


def with_players(room: Room, *users: int) -> Room:
    players = tuple(msgspec.structs.replace(room.players[0], user_id=UserId(u)) for u in users)
    return msgspec.structs.replace(room, players=players, host_id=UserId(users[0]))


def bump(room: Room, **changes: Any) -> Room:
    return msgspec.structs.replace(room, version=room.version + 1, **changes)


async def created(store: Any, room: Room) -> Room:
    await store.commit(plan_commit(None, room))
    return room


async def test_a_missing_room_loads_as_none(store: Any) -> None:
    assert await store.load(RoomId("room_missing_" + uuid.uuid4().hex)) is None


async def test_a_committed_room_loads_back_equal(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    assert await store.load(room.room_id) == room


async def test_creating_the_same_room_twice_conflicts(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await store.commit(plan_commit(None, room))


async def test_a_stale_version_conflicts_and_writes_nothing(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    newer = bump(room, turn_number=5)
    await store.commit(plan_commit(room, newer))
    with pytest.raises(Conflict):
        await store.commit(plan_commit(room, bump(room, turn_number=9)))
    assert await store.load(room.room_id) == newer


async def test_names_are_unique_among_active_rooms_case_insensitively(store: Any) -> None:
    name = f"Name {uuid.uuid4().hex[:8]}"
    first = await created(store, fresh_table(name).room)  # type: ignore[arg-type]
    assert await store.room_named(name.upper()) == first.room_id
    second = fresh_table(name.lower()).room
    assert second is not None
    with pytest.raises(Conflict):
        await store.commit(plan_commit(None, second))
    ended = bump(first, status=RoomStatus.ABANDONED, finished_at=T0)
    await store.commit(plan_commit(first, ended))
    assert await store.room_named(name) is None
    await store.commit(plan_commit(None, second))
    assert await store.room_named(name) == second.room_id


async def test_a_user_plays_in_one_active_room_at_a_time(store: Any) -> None:
    user = unique_user()
    first = await created(store, with_players(fresh_table().room, user))  # type: ignore[arg-type]
    assert await store.player_room(UserId(user)) == first.room_id
    second = with_players(fresh_table().room, user)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await store.commit(plan_commit(None, second))
    finished = bump(first, status=RoomStatus.FINISHED, finished_at=T0)
    await store.commit(plan_commit(first, finished))
    assert await store.player_room(UserId(user)) is None
    await store.commit(plan_commit(None, second))
    assert await store.player_room(UserId(user)) == second.room_id


async def test_spectating_is_indexed_per_user(store: Any) -> None:
    table = fresh_table()
    room = await created(store, table.room)  # type: ignore[arg-type]
    viewer = unique_user()
    table.spectate(viewer)
    assert table.room is not None
    watched = msgspec.structs.replace(table.room, room_id=room.room_id)
    await store.commit(plan_commit(room, watched))
    assert await store.watched_rooms(UserId(viewer)) == [room.room_id]
    gone = bump(watched, spectators=())
    await store.commit(plan_commit(watched, gone))
    assert await store.watched_rooms(UserId(viewer)) == []


async def test_active_rooms_lists_only_waiting_and_in_progress(store: Any) -> None:
    active = await created(store, fresh_table().room)  # type: ignore[arg-type]
    other = await created(store, fresh_table().room)  # type: ignore[arg-type]
    await store.commit(plan_commit(other, bump(other, status=RoomStatus.ABANDONED,
                                                finished_at=T0)))
    ids = {r.room_id for r in await store.active_rooms(10_000)}
    assert active.room_id in ids and other.room_id not in ids


async def test_due_returns_rooms_whose_deadline_has_passed(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    timed = bump(room, expires_at=T0 + timedelta(seconds=30), status=RoomStatus.ABANDONED,
                 finished_at=T0)
    await store.commit(plan_commit(room, timed))
    assert room.room_id not in await store.due(T0 + timedelta(seconds=29), 10_000)
    assert room.room_id in await store.due(T0 + timedelta(seconds=31), 10_000)


async def test_deleting_a_room_removes_it_and_its_timer(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    timed = bump(room, expires_at=T0, status=RoomStatus.ABANDONED, finished_at=T0)
    await store.commit(plan_commit(room, timed))
    await store.commit(plan_commit(timed, None))
    assert await store.load(room.room_id) is None
    assert room.room_id not in await store.due(T0 + timedelta(days=1), 10_000)


async def test_concurrent_writers_of_one_version_exactly_one_wins(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]

    async def write(n: int) -> bool:
        try:
            await store.commit(plan_commit(room, bump(room, turn_number=n)))
        except Conflict:
            return False
        return True

    results = await asyncio.gather(*(write(n) for n in range(20)))
    assert sum(results) == 1
    stored = await store.load(room.room_id)
    assert stored is not None and stored.version == room.version + 1


async def test_ping_answers(store: Any) -> None:
    await store.ping()


async def test_concurrent_read_modify_write_loses_no_update(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]

    async def increment() -> None:
        for _ in range(100):  # each round lets at least one writer through
            current = await store.load(room.room_id)
            try:
                await store.commit(plan_commit(current, bump(
                    current, turn_number=current.turn_number + 1)))
            except Conflict:
                continue
            return
        raise AssertionError("a writer never got through")

    await asyncio.gather(*(increment() for _ in range(20)))
    stored = await store.load(room.room_id)
    assert stored is not None
    assert (stored.turn_number, stored.version) == (room.turn_number + 20, room.version + 20)


async def test_a_commit_to_a_deleted_room_conflicts(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    await store.commit(plan_commit(room, None))
    with pytest.raises(Conflict):
        await store.commit(plan_commit(room, bump(room, turn_number=1)))
    assert await store.load(room.room_id) is None


async def test_deleting_an_active_room_releases_its_name_and_players(store: Any) -> None:
    user = unique_user()
    name = f"Gone {uuid.uuid4().hex[:8]}"
    room = await created(store, with_players(fresh_table(name).room, user))  # type: ignore[arg-type]
    await store.commit(plan_commit(room, None))
    assert await store.room_named(name) is None
    assert await store.player_room(UserId(user)) is None
    assert room.room_id not in {r.room_id for r in await store.active_rooms(10_000)}


async def test_adding_a_player_keeps_the_existing_claims(store: Any) -> None:
    user, other = unique_user(), unique_user()
    room = await created(store, with_players(fresh_table().room, user))  # type: ignore[arg-type]
    both = bump(with_players(room, user, other))
    await store.commit(plan_commit(room, both))
    assert await store.player_room(UserId(user)) == room.room_id
    assert await store.player_room(UserId(other)) == room.room_id


async def test_due_lists_the_earliest_deadlines_first_up_to_the_limit(store: Any) -> None:
    # Deadlines far in the past at a random offset, away from other tests' timers.
    base = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(seconds=uuid.uuid4().int % 10**8)
    rooms = []
    for offset in (3, 1, 2):
        room = await created(store, fresh_table().room)  # type: ignore[arg-type]
        timed = bump(room, expires_at=base + timedelta(seconds=offset),
                     status=RoomStatus.ABANDONED, finished_at=base)
        await store.commit(plan_commit(room, timed))
        rooms.append(timed)
    third, first, second = rooms
    assert await store.due(base + timedelta(seconds=2.5), 2) == [first.room_id, second.room_id]
    due = await store.due(base + timedelta(seconds=3), 10_000)
    assert [r for r in due if r in {x.room_id for x in rooms}] == [
        first.room_id, second.room_id, third.room_id]
    for room in rooms:
        await store.commit(plan_commit(room, None))


async def test_active_rooms_come_oldest_first_and_limited(store: Any) -> None:
    older = fresh_table().room
    newer = fresh_table().room
    assert older is not None and newer is not None
    older = await created(store, msgspec.structs.replace(older, created_at=T0))
    newer = await created(store, msgspec.structs.replace(
        newer, created_at=T0 + timedelta(seconds=1)))
    rooms = await store.active_rooms(10_000)
    keys = [(r.created_at, r.room_id) for r in rooms]
    assert keys == sorted(keys)
    ids = [r.room_id for r in rooms]
    assert ids.index(older.room_id) < ids.index(newer.room_id)
    assert len(await store.active_rooms(1)) == 1


async def test_commits_made_at_once_for_many_rooms_each_get_their_own_outcome(
        store: Any) -> None:
    rooms = [await created(store, fresh_table().room) for _ in range(20)]  # type: ignore[misc]
    stale = rooms[7]
    await store.commit(plan_commit(stale, bump(stale, turn_number=3)))  # now it is stale
    plans = [plan_commit(room, bump(room, turn_number=5)) for room in rooms]
    outcomes = await asyncio.gather(*(store.commit(plan) for plan in plans),
                                    return_exceptions=True)
    assert [i for i, o in enumerate(outcomes) if isinstance(o, Conflict)] == [7]
    assert all(o == [] for i, o in enumerate(outcomes) if i != 7)
    loaded = await asyncio.gather(*(store.load(room.room_id) for room in rooms))
    assert [room.turn_number for room in loaded] == [5] * 7 + [3] + [5] * 12


# --- playing with friends: invite codes, open tables, quick play, attempts ---------------


def kind_of(room: Room) -> str:
    return table_kind(room.game_type, room.max_players)


async def test_an_invite_code_names_its_room_while_it_is_active(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    assert room.invite_code is not None
    assert await store.owner(invite_claim(room.invite_code)) == room.room_id
    renewed = bump(room, invite_code="NEWCODE" + uuid.uuid4().hex[:6])
    await store.commit(plan_commit(room, renewed))
    assert await store.owner(invite_claim(room.invite_code)) is None
    assert await store.owner(invite_claim(renewed.invite_code or "")) == room.room_id
    ended = bump(renewed, status=RoomStatus.ABANDONED)
    await store.commit(plan_commit(renewed, ended))
    assert await store.owner(invite_claim(renewed.invite_code or "")) is None


async def test_two_rooms_cannot_hold_one_invite_code(store: Any) -> None:
    first = await created(store, fresh_table().room)  # type: ignore[arg-type]
    twin = msgspec.structs.replace(fresh_table().room, invite_code=first.invite_code)
    with pytest.raises(Conflict):
        await store.commit(plan_commit(None, twin))


async def test_private_rooms_hold_no_name(store: Any) -> None:
    name = f"Secret {uuid.uuid4().hex[:8]}"
    private = msgspec.structs.replace(fresh_table(name).room, visibility="private")
    await created(store, private)
    assert await store.room_named(name) is None
    public = await created(store, fresh_table(name).room)  # type: ignore[arg-type]
    assert await store.room_named(name) == public.room_id


async def test_open_tables_come_oldest_first_and_leave_when_full_or_locked(store: Any) -> None:
    game_type = f"g{uuid.uuid4().hex[:6]}"  # a kind of its own, so the list is this test's
    rooms = []
    for minutes in (5, 1, 3):
        room = msgspec.structs.replace(fresh_table().room, game_type=game_type,
                                       created_at=T0 + timedelta(minutes=minutes))
        rooms.append(await created(store, room))
    kind = kind_of(rooms[0])
    assert await store.open_tables(kind, 10) == [rooms[1].room_id, rooms[2].room_id,
                                                 rooms[0].room_id]
    assert await store.open_tables(kind, 1) == [rooms[1].room_id]
    full = bump(with_players(rooms[1], unique_user(), unique_user()))
    await store.commit(plan_commit(rooms[1], full))
    locked = bump(rooms[2], password_hash="$argon2id$x")
    await store.commit(plan_commit(rooms[2], locked))
    assert await store.open_tables(kind, 10) == [rooms[0].room_id]
    await store.commit(plan_commit(rooms[0], None))
    assert await store.open_tables(kind, 10) == []


async def test_one_quick_play_room_of_a_kind_forms_at_a_time(store: Any) -> None:
    game_type = f"q{uuid.uuid4().hex[:6]}"
    quick = [msgspec.structs.replace(fresh_table().room, game_type=game_type, quick=True)
             for _ in range(5)]
    outcomes = await asyncio.gather(*(store.commit(plan_commit(None, r)) for r in quick),
                                    return_exceptions=True)
    winners = [r for r, o in zip(quick, outcomes, strict=True)
               if not isinstance(o, BaseException)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, BaseException))
    claim = quick_claim(game_type, winners[0].max_players)
    assert await store.owner(claim) == winners[0].room_id
    filled = bump(with_players(winners[0], unique_user(), unique_user()))
    await store.commit(plan_commit(winners[0], filled))
    assert await store.owner(claim) is None  # full: the next quick room may form
    assert await store.commit(plan_commit(None, quick[-1] if quick[-1] is not winners[0]
                                          else quick[0])) == []


async def test_attempts_are_counted_per_window(store: Any) -> None:
    key = f"pw:{uuid.uuid4().hex}"
    assert [await store.count_attempt(key, 60) for _ in range(3)] == [1, 2, 3]
    other = f"pw:{uuid.uuid4().hex}"
    assert await store.count_attempt(other, 60) == 1
    short = f"pw:{uuid.uuid4().hex}"
    assert await store.count_attempt(short, 0.05) == 1
    async with asyncio.timeout(5):  # polling for the window to pass, with a deadline
        while True:
            if await store.count_attempt(short, 0.05) == 1:
                break
            await asyncio.sleep(0.02)
# --- the outbox: events of a commit, kept until the bus confirms them ------------------

DUE = T0 + timedelta(seconds=2)


async def test_a_commit_keeps_its_events_in_the_outbox_until_they_are_sent(store: Any) -> None:
    room = fresh_table().room
    assert room is not None
    assert await store.commit(plan_commit(None, room, [b"e1", b"e2"], DUE)) == [b"e1", b"e2"]
    assert await store.outbox(room.room_id) == [b"e1", b"e2"]
    await store.outbox_sent(room.room_id, b"e2")
    assert await store.outbox(room.room_id) == []


async def test_a_commit_returns_the_events_left_unsent_before_its_own(store: Any) -> None:
    room = fresh_table().room
    assert room is not None
    await store.commit(plan_commit(None, room, [b"e1"], DUE))  # never marked sent
    unsent = await store.commit(plan_commit(room, bump(room), [b"e2", b"e3"], DUE))
    assert unsent == [b"e1", b"e2", b"e3"]


async def test_marking_sent_drops_only_up_to_the_last_one_sent(store: Any) -> None:
    room = fresh_table().room
    assert room is not None
    await store.commit(plan_commit(None, room, [b"e1", b"e2"], DUE))
    await store.commit(plan_commit(room, bump(room), [b"e3"], DUE))  # while e1, e2 fly
    await store.outbox_sent(room.room_id, b"e2")
    assert await store.outbox(room.room_id) == [b"e3"]
    await store.outbox_sent(room.room_id, b"e2")  # a second sender of e1, e2: no harm
    assert await store.outbox(room.room_id) == [b"e3"]


async def test_a_commit_that_conflicts_adds_nothing_to_the_outbox(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await store.commit(plan_commit(None, room, [b"lost"], DUE))
    assert await store.outbox(room.room_id) == []


async def test_a_commit_without_events_returns_nothing_to_send(store: Any) -> None:
    room = fresh_table().room
    assert room is not None
    assert await store.commit(plan_commit(None, room)) == []


async def test_an_unsent_outbox_is_claimed_once_due_and_then_put_off(store: Any) -> None:
    room, other = fresh_table().room, fresh_table().room
    assert room is not None and other is not None
    await store.commit(plan_commit(None, room, [b"e1"], DUE))
    await store.commit(plan_commit(None, other, [b"o1"], DUE + timedelta(hours=1)))
    assert room.room_id not in await store.claim_outboxes(DUE - timedelta(seconds=1),
                                                          DUE, 10_000)
    claimed = await store.claim_outboxes(DUE, DUE + timedelta(seconds=5), 10_000)
    assert room.room_id in claimed and other.room_id not in claimed
    # Put off while the claimer sends it: nobody else takes it before then.
    assert room.room_id not in await store.claim_outboxes(DUE + timedelta(seconds=4),
                                                          DUE + timedelta(seconds=9), 10_000)
    assert room.room_id in await store.claim_outboxes(DUE + timedelta(seconds=5),
                                                      DUE + timedelta(seconds=9), 10_000)


async def test_a_sent_outbox_is_not_claimed_again(store: Any) -> None:
    room = fresh_table().room
    assert room is not None
    await store.commit(plan_commit(None, room, [b"e1"], DUE))
    await store.outbox_sent(room.room_id, b"e1")
    assert room.room_id not in await store.claim_outboxes(DUE + timedelta(days=1),
                                                          DUE + timedelta(days=2), 10_000)


async def test_the_events_of_a_deleted_room_still_wait_to_be_sent(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    await store.commit(plan_commit(room, None, [b"gone"], DUE))
    assert await store.outbox(room.room_id) == [b"gone"]


# --- the room's logs (moves and chat), kept apart from its document ---------------------

def a_move(user: int, n: int) -> MoveRecord:
    return MoveRecord(kind="move", user_id=UserId(user), at=T0 + timedelta(seconds=n),
                      action={"type": "bigger_dice.roll"}, draws=(n % 6 + 1,), scores=(n, 0))


def a_line(user: int, n: int) -> ChatLine:
    return ChatLine(user_id=UserId(user), username="ann", text=f"line {n}",
                    sent_at=T0 + timedelta(seconds=n))


async def test_logs_load_only_when_asked_and_grow_by_appends(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    user = room.players[0].user_id
    current = room
    for n in range(1, 4):  # each command appends one move and one line to what it loaded
        loaded = await store.load(room.room_id)
        assert loaded == current and loaded.moves == () and loaded.chat == ()
        after = bump(loaded, moves=(*loaded.moves, a_move(user, n)),
                     chat=(*loaded.chat, a_line(user, n)))
        await store.commit(plan_commit(loaded, after))
        current = msgspec.structs.replace(after, moves=(), chat=())
    whole = await store.load(room.room_id, logs=True)
    assert whole.moves == tuple(a_move(user, n) for n in (1, 2, 3))
    assert whole.chat == tuple(a_line(user, n) for n in (1, 2, 3))
    # A command that read the logs appends just as well.
    after = bump(whole, moves=(*whole.moves, a_move(user, 4)))
    await store.commit(plan_commit(whole, after))
    assert (await store.load(room.room_id, logs=True)).moves == after.moves


async def test_a_new_game_starts_the_moves_again_and_keeps_the_chat(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    user = room.players[0].user_id
    played = bump(room, moves=(a_move(user, 1), a_move(user, 2)), chat=(a_line(user, 1),))
    await store.commit(plan_commit(room, played))
    loaded = await store.load(room.room_id)
    again = bump(loaded, games=loaded.games + 1, moves=(a_move(user, 9),))
    await store.commit(plan_commit(loaded, again))
    whole = await store.load(room.room_id, logs=True)
    assert whole.moves == (a_move(user, 9),) and whole.chat == (a_line(user, 1),)


async def test_the_chat_log_keeps_its_last_lines(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    user = room.players[0].user_id
    lines = tuple(a_line(user, n) for n in range(CHAT_LINES_KEPT + 30))
    loaded = await store.load(room.room_id)
    await store.commit(plan_commit(loaded, bump(loaded, chat=lines[:CHAT_LINES_KEPT])))
    loaded = await store.load(room.room_id, logs=True)
    # The rules keep the newest lines: one more pushes the oldest out, and so on.
    for n in range(CHAT_LINES_KEPT, len(lines)):
        after = bump(loaded, chat=(*loaded.chat, lines[n])[-CHAT_LINES_KEPT:])
        await store.commit(plan_commit(loaded, after))
        loaded = after
    whole = await store.load(room.room_id, logs=True)
    assert whole.chat == lines[-CHAT_LINES_KEPT:]


async def test_deleting_a_room_drops_its_logs(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    user = room.players[0].user_id
    played = bump(room, moves=(a_move(user, 1),), chat=(a_line(user, 1),))
    await store.commit(plan_commit(room, played))
    await store.commit(plan_commit(await store.load(room.room_id), None))
    assert await store.load(room.room_id, logs=True) is None
    await created(store, room)  # the id used again starts with empty logs
    whole = await store.load(room.room_id, logs=True)
    assert whole.moves == () and whole.chat == ()


async def test_the_document_a_move_writes_does_not_grow_with_the_logs(store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    user = room.players[0].user_id
    loaded = await store.load(room.room_id)
    plan = plan_commit(loaded, bump(loaded, moves=(a_move(user, 1),), chat=(a_line(user, 1),)))
    small = len(encode_room(plan.room))  # type: ignore[arg-type]
    await store.commit(plan)
    for n in range(2, 300):
        loaded = await store.load(room.room_id)
        plan = plan_commit(loaded, bump(loaded, moves=(a_move(user, n),),
                                        chat=(a_line(user, n),)))
        await store.commit(plan)
    assert len(encode_room(plan.room)) <= small + 8  # type: ignore[arg-type]  # version digits
    assert len((await store.load(room.room_id, logs=True)).moves) == 299


async def test_a_room_leaves_the_active_list_when_it_finishes_and_not_before(
        store: Any) -> None:
    room = await created(store, fresh_table().room)  # type: ignore[arg-type]
    moved = bump(room, turn_number=1)  # still active: the flag is left as it was
    await store.commit(plan_commit(room, moved))
    assert room.room_id in {r.room_id for r in await store.active_rooms(10_000)}
    finished = bump(moved, status=RoomStatus.FINISHED)
    await store.commit(plan_commit(moved, finished))
    assert room.room_id not in {r.room_id for r in await store.active_rooms(10_000)}
    assert await store.load(room.room_id) == finished
