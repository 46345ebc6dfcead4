"""Contract of the HistoryStore port, for every adapter."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from blazing.games.record import MoveRecord
from blazing.history.base import ChatEntry, GameRecord, PlayerResult
from blazing.ids import RoomId, UserId

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(players: list[int], minutes: int, winner: int | None = None,
           room_id: str | None = None) -> GameRecord:
    finished = T0 + timedelta(minutes=minutes)
    room_id = room_id or f"room_{uuid.uuid4().hex[:16]}"
    return GameRecord(
        room_id=RoomId(room_id),
        room_name="Table",
        game_type="bigger_dice",
        players=[PlayerResult(user_id=UserId(u), username=f"u{u}",
                              final_score=10 if u == winner else 3, is_winner=u == winner)
                 for u in players],
        winner_id=UserId(winner) if winner else None,
        reason="won" if winner else "abandoned",
        rounds=[{"round": 1, "rolls": [{"user_id": players[0], "roll": 6},
                                       {"user_id": players[1], "roll": 2}],
                 "winner_id": players[0], "is_tie": False}],
        chat=[ChatEntry(user_id=UserId(players[0]), username="u", text="<b>gg</b>",
                        sent_at=finished)],
        started_at=finished - timedelta(minutes=5),
        finished_at=finished,
        duration_seconds=300.0,
        game_id=f"{room_id}.1",
        seats=len(players),
        setup_draws=[1],
        moves=[MoveRecord(kind="move", user_id=UserId(players[0]), at=finished,
                          action={"type": "bigger_dice.roll"}, draws=(6,), scores=(0, 0)),
               MoveRecord(kind="timeout", user_id=UserId(players[1]), at=finished,
                          draws=(2,), scores=(1, 0))],
        version=2,
    )


def user() -> int:
    return uuid.uuid4().int % 10**12 + 1


async def test_a_recorded_game_reads_back_equal(history: Any) -> None:
    game = record([user(), user()], 1)
    await history.record(game)
    assert await history.get(game.room_id) == game


async def test_an_unknown_room_has_no_history(history: Any) -> None:
    assert await history.get(RoomId("room_" + uuid.uuid4().hex)) is None


async def test_a_users_games_come_newest_first_and_limited(history: Any) -> None:
    me, other = user(), user()
    games = [record([me, other], minutes) for minutes in (5, 1, 9, 3)]
    for game in games:
        await history.record(game)
    await history.record(record([other, user()], 20))  # not mine
    mine = await history.for_user(UserId(me), 3)
    assert [g.finished_at for g in mine] == [T0 + timedelta(minutes=m) for m in (9, 5, 3)]


async def test_recording_a_room_again_replaces_it(history: Any) -> None:
    me = user()
    first = record([me, user()], 1)
    await history.record(first)
    await history.record(first)
    assert len(await history.for_user(UserId(me), 10)) == 1


async def test_ping_answers(history: Any) -> None:
    await history.ping()


async def test_recording_a_room_again_stores_the_new_document(history: Any) -> None:
    first = record([user(), user()], 1)
    await history.record(first)
    again = msgspec.structs.replace(first, reason="forfeit", duration_seconds=42.5)
    await history.record(again)
    assert await history.get(first.room_id) == again


async def test_a_user_without_games_has_an_empty_history(history: Any) -> None:
    assert await history.for_user(UserId(user()), 10) == []


async def test_rounds_with_nested_lists_read_back_equal(history: Any) -> None:
    game = msgspec.structs.replace(record([user(), user()], 2), rounds=[
        {"round": 1, "rolls": [[1, 6], [2, [3, [4]]]], "winner_id": 1, "is_tie": False,
         "notes": {"pairs": [[1, 2]], "empty": [[]]}},
    ])
    await history.record(game)
    assert await history.get(game.room_id) == game


def plain_ints_only(value: Any) -> list[str]:
    """Where ``value`` holds an integer that is not a plain ``int`` (a driver's own
    type, which the JSON encoder of the HTTP API refuses)."""
    if isinstance(value, dict):
        return [f"{k}.{w}" for k, v in value.items() for w in plain_ints_only(v)]
    if isinstance(value, list):
        return [f"[{i}].{w}" for i, v in enumerate(value) for w in plain_ints_only(v)]
    if isinstance(value, int) and type(value) not in (int, bool):
        return [type(value).__name__]
    return []


async def test_games_of_48_bit_user_ids_read_back_as_plain_json(history: Any) -> None:
    """Dev-login ids are 48-bit: past 2**31 a MongoDB driver hands back its own Int64,
    also inside the free-form rounds, and the history API could not encode it."""
    big, other = 2**47 + 12345, 2**40 + 7
    game = record([big, other], 3, winner=big)
    await history.record(game)
    for got in (await history.get(game.room_id), *await history.for_user(UserId(big), 5)):
        assert got == game
        builtins = msgspec.to_builtins(got)
        assert plain_ints_only(builtins) == []
        assert msgspec.json.decode(msgspec.json.encode(got))["rounds"][0]["winner_id"] == big


async def test_closing_while_a_write_is_cancelled_mid_flight_is_safe() -> None:
    """A cancelled write keeps the store busy until its thread is done; closing then
    must not pull the connection from under it (that crashed the process once)."""
    import asyncio

    from blazing.history.sqlite import SqliteHistory

    store = SqliteHistory(":memory:")
    await store.__aenter__()
    writes = [asyncio.create_task(store.record(record([user(), user()], n)))
              for n in range(50)]
    await asyncio.sleep(0)  # let them start
    for task in writes:
        task.cancel()
    await asyncio.gather(*writes, return_exceptions=True)
    await store.__aexit__(None, None, None)


async def test_a_users_games_can_be_listed_for_one_game_type(history: Any) -> None:
    me = user()
    dice = record([me, user()], 1)
    ttt = msgspec.structs.replace(record([me, user()], 2), game_type="tic_tac_toe",
                                  rounds=[{"game": 1, "x": me, "moves": [0, 3, 1, 4, 2],
                                           "winner_id": me, "line": [0, 1, 2],
                                           "reason": "line"}])
    for game in (dice, ttt):
        await history.record(game)
    assert await history.for_user(UserId(me), 10, "tic_tac_toe") == [ttt]
    assert await history.for_user(UserId(me), 10, "bigger_dice") == [dice]
    assert await history.for_user(UserId(me), 10) == [ttt, dice]
