"""What MongoHistory promises beyond the port: its indexes, the stored document's
shape (BSON dates, the spec's field names) and bounded failure when the server is
unreachable."""

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec
import pytest
from pymongo import AsyncMongoClient

from blazing.errors import DependencyUnavailable
from blazing.history.mongo import COLLECTION, MongoHistory
from blazing.ids import RoomId, UserId
from tests.contract.conftest import MONGO_URL, drop_database, require
from tests.contract.test_history import record, user

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


async def test_the_collection_has_its_two_indexes(history: MongoHistory, raw: Any) -> None:
    indexes = {tuple(ix["key"].items()): ix async for ix in await raw.list_indexes()}
    assert indexes[(("room_id", 1),)].get("unique") is True
    assert (("players.user_id", 1), ("finished_at", -1)) in indexes


async def test_opening_again_keeps_the_indexes(history: MongoHistory,
                                               database_url: str) -> None:
    async with MongoHistory(database_url) as again:  # create_index is idempotent
        await again.ping()


async def test_a_game_is_stored_with_bson_dates_and_the_spec_fields(
        history: MongoHistory, raw: Any) -> None:
    game = record([user(), user()], 3, winner=None)
    await history.record(game)
    doc = await raw.find_one({"room_id": game.room_id})
    assert isinstance(doc["finished_at"], datetime)
    assert isinstance(doc["started_at"], datetime)
    assert {"room_id", "room_name", "game_type", "players", "winner_id", "reason", "rounds",
            "chat", "started_at", "finished_at", "duration_seconds"} <= set(doc)
    assert set(doc["players"][0]) == {"user_id", "username", "final_score", "is_winner"}
    assert await raw.count_documents({"room_id": game.room_id}) == 1


async def test_a_game_is_keyed_by_its_room_id(history: MongoHistory, raw: Any) -> None:
    """Its _id is the room id: the one key FerretDB looks up without a scan."""
    game = record([user(), user()], 3)
    await history.record(game)
    assert (await raw.find_one({"_id": game.room_id}))["room_id"] == game.room_id


async def test_a_game_stored_under_an_older_id_is_found_and_replaced(
        history: MongoHistory, raw: Any) -> None:
    game = record([user(), user()], 3)
    older = msgspec.to_builtins(game, builtin_types=(datetime,))
    await raw.insert_one(older)  # as written before _id was the room id (an ObjectId)
    assert await history.get(game.room_id) == game
    again = msgspec.structs.replace(game, reason="forfeit")
    await history.record(again)
    assert await history.get(game.room_id) == again
    assert await raw.count_documents({"room_id": game.room_id}) == 1


async def test_the_players_index_serves_for_user(history: MongoHistory) -> None:
    me = user()
    for minutes in range(5):
        await history.record(record([me, user()], minutes))
    games = await history.for_user(UserId(me), 2)
    assert [g.finished_at.minute for g in games] == [4, 3]
    assert await history.for_user(UserId(me), 0) == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
