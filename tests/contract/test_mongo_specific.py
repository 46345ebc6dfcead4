"""What MongoHistory promises beyond the port: its indexes, the stored document's
shape (BSON dates, the spec's field names) and bounded failure when the server is
unreachable."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec
import pytest

from tests.support.optional import require_modules

require_modules("pymongo")

from pymongo import AsyncMongoClient

from blazing.errors import DependencyUnavailable
from blazing.history.mongo import COLLECTION, MongoHistory
from blazing.ids import RoomId, UserId
from blazing.records import ratings
from tests.contract.conftest import MONGO_URL, drop_database, require
from tests.contract.test_history import record, user
from tests.contract.test_records import rated
from tests.support.process import free_port

pytestmark = pytest.mark.services


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A database of this test's own, dropped after."""
    require("mongo", MONGO_URL, 27017)
    url = f"{MONGO_URL}_{uuid.uuid4().hex[:8]}"
    yield url
    await asyncio.to_thread(drop_database, url)


@pytest.fixture
async def history(database_url: str) -> AsyncIterator[MongoHistory]:
    async with MongoHistory(database_url) as adapter:
        yield adapter


@pytest.fixture
async def raw(database_url: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(database_url, tz_aware=True)
    yield client.get_default_database()[COLLECTION]
    await client.close()


async def test_the_collection_has_its_indexes(history: MongoHistory, raw: Any) -> None:
    indexes = {tuple(ix["key"].items()): ix async for ix in await raw.list_indexes()}
    # Not unique by room: a rematch in the same room is a game of its own.
    assert not indexes[(("room_id", 1), ("finished_at", -1))].get("unique")
    assert (("players.user_id", 1), ("finished_at", -1)) in indexes
    lines = raw.database["player_lines"]
    line_indexes = {tuple(ix["key"].items()) async for ix in await lines.list_indexes()}
    assert (("user_id", 1), ("v", -1)) in line_indexes


async def test_a_first_schema_collection_is_moved_to_game_keys(database_url: str,
                                                                raw: Any) -> None:
    """Documents written before game ids (an ObjectId _id, unique by room) read by
    game id and room id after a start, and show in their players' lists."""
    await raw.create_index([("room_id", 1)], unique=True, name="room_id_unique")
    me = user()
    old = msgspec.structs.replace(record([me, user()], 2, winner=me), game_id="", version=1,
                                  moves=[], setup_draws=[], seats=0)
    doc = msgspec.to_builtins(old, builtin_types=(datetime,))
    del doc["game_id"], doc["moves"], doc["setup_draws"], doc["version"], doc["seats"]
    await raw.insert_one(doc)
    async with MongoHistory(database_url) as history:
        assert await history.get(old.room_id) == old
        assert await history.for_user(UserId(me), 5) == [old]
        assert [g.outcome for g in await history.player_games(UserId(me))] == ["won"]
    assert await raw.count_documents({}) == 1
    async with MongoHistory(database_url) as history:  # the move is done once
        assert await history.get(old.room_id) == old


async def test_opening_again_keeps_the_indexes(history: MongoHistory,
                                               database_url: str) -> None:
    async with MongoHistory(database_url) as again:  # create_index is idempotent
        await again.ping()


async def test_a_game_is_stored_with_bson_dates_and_the_spec_fields(
        history: MongoHistory, raw: Any) -> None:
    game = record([user(), user()], 3, winner=None)
    await history.record(game)
    doc = await raw.find_one({"_id": game.game_id})
    assert isinstance(doc["finished_at"], datetime)
    assert isinstance(doc["started_at"], datetime)
    assert {"room_id", "room_name", "game_type", "players", "winner_id", "reason", "rounds",
            "chat", "started_at", "finished_at", "duration_seconds"} <= set(doc)
    assert set(doc["players"][0]) == {"user_id", "username", "final_score", "is_winner"}
    assert await raw.count_documents({"room_id": game.room_id}) == 1


async def test_a_game_is_keyed_by_its_game_id(history: MongoHistory, raw: Any) -> None:
    """Its _id is the game's key: the one key FerretDB looks up without a scan."""
    game = record([user(), user()], 3)
    await history.record(game)
    assert (await raw.find_one({"_id": game.key}))["room_id"] == game.room_id


async def test_the_players_index_serves_for_user(history: MongoHistory) -> None:
    me = user()
    for minutes in range(5):
        await history.record(record([me, user()], minutes))
    games = await history.for_user(UserId(me), 2)
    assert [g.finished_at.minute for g in games] == [4, 3]
    assert await history.for_user(UserId(me), 0) == []


async def test_an_unreachable_server_is_unavailable_quickly() -> None:
    url = f"mongodb://127.0.0.1:{free_port()}/blazing_test"
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable):
        async with MongoHistory(url, timeout_ms=300):
            pass
    adapter = MongoHistory(url, timeout_ms=300)  # not entered: no index creation
    with pytest.raises(DependencyUnavailable):
        await adapter.get(RoomId("room_" + uuid.uuid4().hex))
    with pytest.raises(DependencyUnavailable):
        await adapter.ping()
    await adapter.__aexit__(None, None, None)
    assert time.monotonic() - started < 10


async def test_a_retry_after_a_writer_died_mid_rating_applies_each_player_once(
        history: MongoHistory, raw: Any) -> None:
    """The update was stored and one player's new rating put in the log, but the
    writer died before writing that player's view and the others' ratings: the game
    handled again rates everyone once."""
    a, b = user(), user()
    game = rated([a, b])
    update = await history._records._update_for(game)  # stored, nothing applied yet
    change = next(c for c in update.changes if c.user_id == a)
    moved = ratings.applied(ratings.new_rating(UserId(a), f"u{a}", "bigger_dice"), change,
                            game.game_id)
    log = raw.database["rating_log"]
    await log.insert_one({"_id": f"bigger_dice:{a}:1", "game_id": game.game_id,
                          "rating": msgspec.to_builtins(moved)})
    assert await history.rate(game) == update
    assert await history.rate(game) == update
    for u in (a, b):
        mine = await history.ratings_of(UserId(u))
        assert [(r.games, r.rev, r.last_game) for r in mine] == [(1, 1, game.game_id)]
        assert await log.count_documents({"_id": {"$regex": f"^bigger_dice:{u}:"}}) == 1


async def test_a_players_lines_are_found_when_the_hint_lags_or_names_a_deleted_version(
        history: MongoHistory, raw: Any) -> None:
    me = user()
    games = [record([me, user()], minutes) for minutes in (1, 2, 3, 4)]
    for game in games:
        await history.record(game)
    lines = raw.database["player_lines"]
    assert await lines.count_documents({"user_id": me}) == 2  # the latest two versions
    await lines.replace_one({"_id": str(me)}, {"v": 3})  # a writer stopped before the hint
    assert len(await history.player_games(UserId(me))) == 4
    await lines.replace_one({"_id": str(me)}, {"v": 1})  # names a deleted version
    assert len(await history.player_games(UserId(me))) == 4
    await history.record(record([me, user()], 5))
    assert [g.finished_at.minute for g in await history.for_user(UserId(me), 10)] == \
        [5, 4, 3, 2, 1]


async def test_a_rating_written_through_one_process_is_on_the_others_board_at_once(
        history: MongoHistory, database_url: str) -> None:
    a, b, c = user(), user(), user()
    async with MongoHistory(database_url) as gateway:
        assert await gateway.leaderboard("bigger_dice", 10) == []  # loaded, empty
        await history.rate(rated([a, b]))
        assert [r.user_id for r in await gateway.leaderboard("bigger_dice", 10)] == [a, b]
        await history.rate(rated([c, a]))
        board = await gateway.leaderboard("bigger_dice", 10)
        assert board[0].user_id == c and len(board) == 3
        for position, rating in enumerate(board, 1):
            assert await gateway.rank(rating) == position


async def test_a_board_that_fell_behind_the_feed_loads_again(
        history: MongoHistory, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from blazing.history import mongo_board

    monkeypatch.setattr(mongo_board, "FEED_KEPT", 4)
    monkeypatch.setattr(mongo_board, "RELOAD_OVERLAP", 1)
    monkeypatch.setattr(mongo_board, "HEAD_CHECK_SECONDS", 0.0)
    players = [user() for _ in range(8)]
    async with MongoHistory(database_url) as gateway:
        assert await gateway.leaderboard("bigger_dice", 10) == []
        for winner, loser in zip(players[::2], players[1::2], strict=True):
            await history.rate(rated([winner, loser]))  # 8 feed entries: 1-4 trimmed
        board = await gateway.leaderboard("bigger_dice", 10)
        assert sorted(r.user_id for r in board) == sorted(players)


async def test_writers_starting_a_feed_at_once_each_append_and_all_entries_are_kept(
        raw: Any) -> None:
    """Concurrent upserts of one ``_id`` can fail with a duplicate key (the feed's head
    did not exist yet, and each writer inserted it): an append still succeeds."""
    from blazing.history.mongo_board import Feed

    rating = ratings.new_rating(UserId(user()), "name", "bigger_dice")
    for attempt in range(10):  # each time a feed without a head
        feed = Feed(raw[f"feed_{attempt}"])
        await asyncio.gather(*(feed.append(rating) for _ in range(8)))
        kept = {doc["_id"] async for doc in raw[f"feed_{attempt}"].find({})}
        assert {f"feed:{n}" for n in range(1, 9)} <= kept
        assert 1 <= await feed.head() <= 8
