"""What the SQLite room store promises beyond the port: what was committed is there
after the process is killed (SIGKILL, no close) and the file opened again, two
stores on one file (two processes) still compare-and-set against each other, and
a caller cancelled mid-statement does not break closing."""

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from blazing.errors import Conflict
from blazing.protocol.models import RoomStatus
from blazing.state.base import plan_commit
from blazing.state.sqlite import CHECKPOINT_EVERY, RESTART_EVERY, SqliteRoomStore
from tests.contract.test_room_store import bump, fresh_table, unique_user, with_players
from tests.support.table import T0

REPO = Path(__file__).resolve().parents[2]


async def test_a_room_survives_closing_and_opening_the_file_again(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    room = fresh_table().room
    assert room is not None
    player = unique_user()
    room = msgspec.structs.replace(with_players(room, player), turn_deadline=T0,
                                   status=RoomStatus.IN_PROGRESS)
    async with SqliteRoomStore(path) as store:
        await store.commit(plan_commit(None, room))
    async with SqliteRoomStore(path) as store:
        assert await store.load(room.room_id) == room
        assert await store.player_room(player) == room.room_id
        assert await store.room_named(room.room_name.upper()) == room.room_id
        assert await store.due(T0 + timedelta(seconds=1), 10) == [room.room_id]
        assert [r.room_id for r in await store.active_rooms(10)] == [room.room_id]


def test_a_commit_survives_a_sigkill_of_its_process(tmp_path: Path) -> None:
    """The child commits, says so, and is killed before it can close anything."""
    path = tmp_path / "state.db"
    child = textwrap.dedent(f"""
        import asyncio, os, signal, sys
        sys.path[:0] = [{str(REPO)!r}]
        from blazing.state.base import plan_commit
        from blazing.state.sqlite import SqliteRoomStore
        from tests.contract.test_room_store import fresh_table

        async def main():
            store = await SqliteRoomStore({str(path)!r}).__aenter__()
            room = fresh_table("Killed").room
            await store.commit(plan_commit(None, room))
            print(room.room_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.returncode == -9, done.stderr
    room_id = done.stdout.strip()

    async def read() -> None:
        async with SqliteRoomStore(str(path)) as store:
            room = await store.load(room_id)  # type: ignore[arg-type]
            assert room is not None and room.room_name == "Killed"
            assert await store.room_named("killed") == room_id

    asyncio.run(read())


async def test_two_stores_on_one_file_compare_and_set_against_each_other(
        tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    async with SqliteRoomStore(path) as first, SqliteRoomStore(path) as second:
        room = fresh_table().room
        assert room is not None
        await first.commit(plan_commit(None, room))
        loaded = await second.load(room.room_id)
        assert loaded == room
        await second.commit(plan_commit(room, bump(room, turn_number=3)))
        with pytest.raises(Conflict):
            await first.commit(plan_commit(room, bump(room, turn_number=4)))
        assert (await first.load(room.room_id)).turn_number == 3  # type: ignore[union-attr]


async def test_closing_waits_for_a_statement_whose_caller_was_cancelled(
        tmp_path: Path) -> None:
    store = await SqliteRoomStore(str(tmp_path / "state.db")).__aenter__()
    rooms = [fresh_table().room for _ in range(200)]
    tasks = [asyncio.create_task(store.commit(plan_commit(None, r))) for r in rooms
             if r is not None]
    # One has finished, so the others are queued on (or running in) the store's thread.
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await store.__aexit__(None, None, None)  # must not crash the process or hang
    async with SqliteRoomStore(str(tmp_path / "state.db")) as again:
        await again.ping()


async def test_the_wal_starts_over_while_commits_keep_coming(tmp_path: Path) -> None:
    """Checkpoints run in the store's thread while the loop goes on committing; each
    must still let the WAL start over, or the file grows by every commit for as long
    as the play goes on (a passive checkpoint never catches up with the frames
    written while it runs)."""
    wal = tmp_path / "state.db-wal"
    sizes = []
    async with SqliteRoomStore(str(tmp_path / "state.db")) as store:
        room = fresh_table().room
        assert room is not None
        await store.commit(plan_commit(None, room))
        cycle = CHECKPOINT_EVERY * RESTART_EVERY
        for i in range(1, 4 * cycle + 1):
            moved = bump(room, turn_deadline=T0 + timedelta(seconds=i))
            await store.commit(plan_commit(room, moved))
            room = moved
            if i % cycle == 0:
                sizes.append(wal.stat().st_size)
    # The file keeps its high-water mark once the WAL starts over from its beginning.
    assert sizes[-1] <= 2 * sizes[0], sizes


async def test_a_file_with_the_earlier_rooms_table_opens_with_its_rooms(
        tmp_path: Path) -> None:
    """Files written before ``rooms`` became a rowid table (its WITHOUT ROWID rows
    sent every document to an overflow page) are moved over when opened."""
    path = str(tmp_path / "state.db")
    room = fresh_table().room
    assert room is not None
    room = msgspec.structs.replace(room, turn_deadline=T0, status=RoomStatus.IN_PROGRESS)
    async with SqliteRoomStore(path) as store:
        await store.commit(plan_commit(None, room))
    with sqlite3.connect(path) as db:  # the table as earlier versions created it
        db.executescript("""
            ALTER TABLE rooms RENAME TO new_rooms;
            DROP INDEX rooms_by_deadline; DROP INDEX active_rooms_by_age;
            CREATE TABLE rooms (room_id TEXT PRIMARY KEY, version INTEGER NOT NULL,
                active INTEGER NOT NULL, created_at REAL NOT NULL, deadline REAL,
                document BLOB NOT NULL) WITHOUT ROWID;
            CREATE INDEX rooms_by_deadline ON rooms (deadline) WHERE deadline IS NOT NULL;
            CREATE INDEX active_rooms_by_age ON rooms (created_at, room_id) WHERE active;
            INSERT INTO rooms SELECT * FROM new_rooms; DROP TABLE new_rooms;
        """)
    db.close()
    async with SqliteRoomStore(path) as store:
        assert await store.load(room.room_id) == room
        assert await store.due(T0 + timedelta(seconds=1), 10) == [room.room_id]
        assert [r.room_id for r in await store.active_rooms(10)] == [room.room_id]
        moved = bump(room)
        await store.commit(plan_commit(room, moved))
    with sqlite3.connect(path) as db:
        (sql,) = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'rooms'").fetchone()
        indexes = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'rooms'")}
    db.close()
    assert "WITHOUT ROWID" not in sql.upper()
    assert {"rooms_by_deadline", "active_rooms_by_age"} <= indexes
