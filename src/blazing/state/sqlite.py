"""Room state in SQLite (WAL) for the embedded mode, so a restart loses no game.

The :class:`~blazing.state.base.RoomStore` port on the standard library's
``sqlite3``, run off the event loop on one thread of its own (one connection,
statements in the order they were asked for; no lock needed, and a statement a
cancelled caller left running still finishes before the connection closes).

Tables (the analogue of the Redis keys in docs/protocol.md):

- ``room_moves`` and ``room_chat`` — the rooms' logs, one row per move or chat line
  (kept apart from the document: a move writes one small row, not a growing
  document; the chat keeps each room's last lines);
- ``rooms`` — one row per room: its JSON document, ``version`` (the
  compare-and-set token), ``active``, ``created_at`` and ``deadline`` (epoch
  seconds of its next timer, indexed: the timer schedule);
- ``claims`` — unique key (``name:…``, ``invite:…``, ``quick:…``) → the active room
  holding it;
- ``open_tables`` — quick play's open tables: (kind, room id, creation time);
- ``attempts`` — counted tries (passwords, invite codes) and their window's start;
- ``outbox`` and ``outbox_due`` — each room's event envelopes not yet confirmed by the
  bus, in order, and when any instance may send them;
- ``player_rooms`` — user id → the active room they play in;
- ``watching`` — (user id, room id) pairs of spectators.

A commit checks the expected version and the unique and player claims, then writes
everything or nothing — the same plan the memory adapter applies under a lock and
the Redis adapter in one Lua script. Commits are grouped: those asked for while the
thread is busy go together in the next ``BEGIN IMMEDIATE`` transaction, each with an
outcome of its own (every check of a commit comes before its first write, so a
refused one has written nothing), and share one write of the WAL. No commit is
answered before its transaction is.

Statements run on the event loop's thread, on a connection that never waits for a
lock: a commit here takes tens of microseconds, where handing it to a thread and
back cost several times that in thread switches. Only when another process holds
the write lock (a second ``serve`` on the file) does the statement go to the
store's thread, on a second connection that waits for the lock there; so do the
WAL checkpoints (every :data:`CHECKPOINT_EVERY` writes), whose disk flush must
not stall the loop. Every :data:`RESTART_EVERY`-th also starts the WAL over, so
the file stays at what a few thousand commits write however long the play goes on;
the commits that come during that step wait for it (milliseconds: see the tail in
``bench/tail_trace.py`` and docs/performance.md).

Rooms this store committed or loaded are also kept in memory, so that a command's
``load`` costs no trip to the thread (the commit still does, and is the truth: its
version check runs in SQL). Another process writing the same file makes a kept room
stale; the commit based on it then fails its version check, and the room is
forgotten and read again.

Durability: WAL with ``synchronous=NORMAL``. A committed transaction survives the
process being killed (``kill -9``, a crash, an OOM kill): it is in the WAL file,
which the next open replays. A power loss or an OS crash may lose the last
transactions before a checkpoint (never corrupt the file); that is the trade for
commits that do not wait for the disk.
"""

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Self, TypeVar

import msgspec

from blazing.errors import Conflict, DependencyUnavailable, ServerFault
from blazing.games.record import MoveRecord
from blazing.ids import RoomId, UserId
from blazing.rooms.model import CHAT_LINES_KEPT, ChatLine, Room, decode_room, encode_room
from blazing.state.base import CommitPlan, name_claim

# A rowid table, not WITHOUT ROWID: a row of one holds at most ~1 KB in its page, so
# every room's 1-3 KB document went to an overflow page that each move freed and
# allocated again (the page, the free list and the file header: three more pages in
# the WAL per commit). Here a document of up to ~4 KB stays in its leaf.
_ROOMS = """
CREATE TABLE IF NOT EXISTS rooms (
    room_id    TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    active     INTEGER NOT NULL,
    created_at REAL NOT NULL,
    deadline   REAL,
    document   BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS rooms_by_deadline ON rooms (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX IF NOT EXISTS active_rooms_by_age ON rooms (created_at, room_id) WHERE active;
"""

_SCHEMA = _ROOMS + """
CREATE TABLE IF NOT EXISTS claims (
    claim   TEXT PRIMARY KEY,
    room_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS open_tables (
    room_id TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    score   REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS open_tables_by_kind ON open_tables (kind, score, room_id);
CREATE TABLE IF NOT EXISTS outbox (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id  TEXT NOT NULL,
    envelope BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_room ON outbox (room_id, id);
CREATE TABLE IF NOT EXISTS outbox_due (
    room_id TEXT PRIMARY KEY,
    due     REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_due_by_time ON outbox_due (due);
CREATE TABLE IF NOT EXISTS attempts (
    key     TEXT PRIMARY KEY,
    started REAL NOT NULL,
    count   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS player_rooms (
    user_id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS room_moves (
    room_id TEXT NOT NULL,
    n       INTEGER NOT NULL,
    entry   BLOB NOT NULL,
    PRIMARY KEY (room_id, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_chat (
    room_id TEXT NOT NULL,
    n       INTEGER NOT NULL,
    entry   BLOB NOT NULL,
    PRIMARY KEY (room_id, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS watching (
    user_id INTEGER NOT NULL,
    room_id TEXT NOT NULL,
    PRIMARY KEY (user_id, room_id)
) WITHOUT ROWID;
"""

_log_encoder = msgspec.json.Encoder()
_move_decoder = msgspec.json.Decoder(MoveRecord)
_chat_decoder = msgspec.json.Decoder(ChatLine)

BUSY_TIMEOUT_MS = 5000  # another process holding the write lock (a second `serve`)
CHECKPOINT_EVERY = 200  # writes between two WAL checkpoints (in the thread)
RESTART_EVERY = 10  # checkpoints: each tenth also starts the WAL over
T = TypeVar("T")


def _locked(exc: sqlite3.Error) -> bool:
    """Whether the statement failed only because another connection holds a lock."""
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc))


class SqliteRoomStore:
    """The :class:`~blazing.state.base.RoomStore` port on a SQLite file."""

    def __init__(self, path: str) -> None:
        """``path`` is a file path (its folder is created) or ``:memory:``."""
        self._path = path
        self._db: sqlite3.Connection | None = None  # the thread's: waits for locks
        self._fast: sqlite3.Connection | None = None  # the loop's: never waits
        self._in_flight = 0  # statements queued for or running in the thread
        self._writes = 0  # since the last checkpoint
        self._checkpoints = 0
        self._checkpoint: asyncio.Future[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._rooms: dict[RoomId, Room] = {}  # rooms as last committed or loaded here
        # Commits waiting for the thread, and whether a task is handing them over.
        self._commits: list[tuple[CommitPlan, bytes | None,
                                  asyncio.Future[list[bytes]]]] = []
        self._committer: asyncio.Task[None] | None = None  # handing them to the thread
        # Outboxes confirmed sent, written with the next group of commits.
        self._sent: list[tuple[RoomId, bytes, asyncio.Future[None]]] = []

    async def __aenter__(self) -> Self:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-state")
        try:
            self._db = await self._in_thread(self._open)
            if self._path != ":memory:":  # (one in-memory database per connection)
                self._fast = self._connect(timeout=0.0)
                self._fast.execute("PRAGMA wal_autocheckpoint=0")  # the thread does them
        except BaseException:
            self._thread.shutdown(wait=True)
            self._thread = None
            raise
        return self

    def _open(self) -> sqlite3.Connection:
        db = self._connect(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            db.executescript(_SCHEMA)
            _migrate(db)
        except sqlite3.Error as exc:
            raise DependencyUnavailable(f"sqlite state {self._path}: {exc}") from exc
        return db

    def _connect(self, timeout: float) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False,
                                 timeout=timeout)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise DependencyUnavailable(f"sqlite state {self._path}: {exc}") from exc
        return db

    async def __aexit__(self, *exc: object) -> None:
        thread, self._thread = self._thread, None
        db, self._db = self._db, None
        fast, self._fast = self._fast, None
        if fast is not None:
            fast.close()
        if thread is None:
            return
        if db is not None:
            # Queued behind whatever is still running: closing never cuts a statement.
            await asyncio.get_running_loop().run_in_executor(thread, db.close)
        await asyncio.to_thread(thread.shutdown, True)

    async def _in_thread(self, work: Callable[[], T]) -> T:
        if self._thread is None:
            raise DependencyUnavailable("state store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    async def _run(self, work: Callable[[sqlite3.Connection], T], *, writes: bool = False) -> T:
        """Run ``work`` (one transaction at most) here on the loop's connection, or in
        the thread when a lock held elsewhere makes it wait (or the thread has work
        queued, which must stay first: no reordering of one caller's steps)."""
        db, fast = self._db, self._fast
        if db is None:
            raise DependencyUnavailable("state store is not open")
        if fast is not None and not self._in_flight:
            try:
                result = work(fast)
            except sqlite3.Error as exc:
                if not _locked(exc):
                    raise DependencyUnavailable(f"sqlite state: {exc}") from exc
                with contextlib.suppress(sqlite3.Error):  # a transaction left open
                    if fast.in_transaction:
                        fast.execute("ROLLBACK")
            else:
                if writes:
                    self._wrote()
                return result

        def call() -> T:
            try:
                return work(db)
            except sqlite3.Error as exc:
                raise DependencyUnavailable(f"sqlite state: {exc}") from exc

        self._in_flight += 1
        try:
            return await self._in_thread(call)
        finally:
            self._in_flight -= 1

    def _wrote(self) -> None:
        """Count a write; every CHECKPOINT_EVERY, copy the WAL into the database in the
        thread and start it over, so the WAL stays small (see ``_checkpoint``)."""
        self._writes += 1
        if self._writes < CHECKPOINT_EVERY or self._thread is None or self._db is None:
            return
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        self._writes = 0
        self._checkpoints += 1
        db = self._db
        self._checkpoint = asyncio.get_running_loop().run_in_executor(
            self._thread, partial(_checkpoint, db,
                                  restart=self._checkpoints % RESTART_EVERY == 0))

    # --- the port ----------------------------------------------------------------------

    async def load(self, room_id: RoomId, *, logs: bool = False) -> Room | None:
        room = self._rooms.get(room_id)
        if room is None:
            row = await self._run(lambda db: db.execute(
                "SELECT document FROM rooms WHERE room_id = ?", (room_id,)).fetchone())
            if row is None:
                return None
            room = self._rooms[room_id] = _decode(row[0])
        if not logs or not room.logs_apart:
            return room

        def read(db: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            return ([r[0] for r in db.execute(
                        "SELECT entry FROM room_moves WHERE room_id = ? ORDER BY n",
                        (room_id,))],
                    [r[0] for r in db.execute(
                        "SELECT entry FROM room_chat WHERE room_id = ? ORDER BY n",
                        (room_id,))])

        moves, chat = await self._run(read)
        try:
            return msgspec.structs.replace(
                room, moves=tuple(_move_decoder.decode(m) for m in moves),
                chat=tuple(_chat_decoder.decode(c) for c in chat))
        except msgspec.DecodeError as exc:
            raise ServerFault(f"room {room_id}: unreadable log entry ({exc})") from exc

    async def commit(self, plan: CommitPlan) -> list[bytes]:
        """Check and write ``plan`` all or nothing; ``Conflict`` if a check fails. The
        room's unsent outbox when the plan added to it (see the port)."""
        if self._db is None:
            raise DependencyUnavailable("state store is not open")
        document = None if plan.room is None else encode_room(plan.room)
        done: asyncio.Future[list[bytes]] = asyncio.get_running_loop().create_future()
        self._commits.append((plan, document, done))
        self._hand_over()
        return await done

    def _hand_over(self) -> None:
        if self._committer is None:
            self._committer = asyncio.get_running_loop().create_task(self._hand_over_commits())

    async def outbox(self, room_id: RoomId) -> list[bytes]:
        rows = await self._run(lambda db: db.execute(
            "SELECT envelope FROM outbox WHERE room_id = ? ORDER BY id", (room_id,)).fetchall())
        return [bytes(row[0]) for row in rows]

    async def outbox_sent(self, room_id: RoomId, last: bytes) -> None:
        """Written with the next group of commits, in one transaction: a roll's
        confirmation does not cost a commit of its own, and is not written before the
        events it confirms reach the sockets (the writer runs after them)."""
        if self._db is None:
            raise DependencyUnavailable("state store is not open")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sent.append((room_id, last, done))
        self._hand_over()
        await done

    async def claim_outboxes(self, now: datetime, until: datetime, limit: int) -> list[RoomId]:
        def claim(db: sqlite3.Connection) -> list[RoomId]:
            with db:
                db.execute("BEGIN IMMEDIATE")
                rows = db.execute("SELECT room_id FROM outbox_due WHERE due <= ? "
                                  "ORDER BY due LIMIT ?", (now.timestamp(), limit)).fetchall()
                db.executemany("UPDATE outbox_due SET due = ? WHERE room_id = ?",
                               [(until.timestamp(), row[0]) for row in rows])
            return [RoomId(row[0]) for row in rows]

        return await self._run(claim, writes=True)

    async def _hand_over_commits(self) -> None:
        """Give the waiting commits to the thread, a group at a time, until none wait
        (those asked for while a group is written go in the next)."""
        try:
            while self._commits or self._sent:
                group, self._commits = self._commits, []
                sent, self._sent = self._sent, []
                plans = [(plan, document) for plan, document, _ in group]
                outcomes: list[Exception | list[bytes]]
                try:
                    outcomes = await self._run(partial(
                        _commit_group, plans=plans, sent=[(r, last) for r, last, _ in sent]),
                        writes=True)
                except Exception as exc:  # the transaction failed: every commit did
                    outcomes = [exc] * len(group)
                    for *_, confirmed in sent:
                        if not confirmed.done():
                            confirmed.set_exception(exc)
                else:
                    for *_, confirmed in sent:
                        if not confirmed.done():
                            confirmed.set_result(None)
                for (plan, _, done), outcome in zip(group, outcomes, strict=True):
                    self._remember(plan, outcome if isinstance(outcome, Exception) else None)
                    if done.done():
                        continue  # its caller was cancelled; the outcome stands anyway
                    if isinstance(outcome, Exception):
                        done.set_exception(outcome)
                    else:
                        done.set_result(outcome)
        finally:
            self._committer = None

    def _remember(self, plan: CommitPlan, outcome: Exception | None) -> None:
        """Keep the room as committed; forget it when the commit failed (stale because
        another writer changed it, or not known to be written)."""
        if outcome is not None or plan.room is None:
            self._rooms.pop(plan.room_id, None)
        else:
            self._rooms[plan.room_id] = plan.room

    async def player_room(self, user_id: UserId) -> RoomId | None:
        row = await self._run(lambda db: db.execute(
            "SELECT room_id FROM player_rooms WHERE user_id = ?", (user_id,)).fetchone())
        return None if row is None else RoomId(row[0])

    async def watched_rooms(self, user_id: UserId) -> list[RoomId]:
        rows = await self._run(lambda db: db.execute(
            "SELECT room_id FROM watching WHERE user_id = ? ORDER BY room_id",
            (user_id,)).fetchall())
        return [RoomId(row[0]) for row in rows]

    async def room_named(self, name: str) -> RoomId | None:
        return await self.owner(name_claim(name))

    async def owner(self, claim: str) -> RoomId | None:
        row = await self._run(lambda db: db.execute(
            "SELECT room_id FROM claims WHERE claim = ?", (claim,)).fetchone())
        return None if row is None else RoomId(row[0])

    async def open_tables(self, kind: str, limit: int) -> list[RoomId]:
        rows = await self._run(lambda db: db.execute(
            "SELECT room_id FROM open_tables WHERE kind = ? ORDER BY score, room_id LIMIT ?",
            (kind, limit)).fetchall())
        return [RoomId(row[0]) for row in rows]

    async def count_attempt(self, key: str, window_seconds: float) -> int:
        now = time.time()

        def count(db: sqlite3.Connection) -> int:
            with db:  # one transaction: read, then write the new count
                db.execute("BEGIN IMMEDIATE")
                row = db.execute("SELECT started, count FROM attempts WHERE key = ?",
                                 (key,)).fetchone()
                started, tries = (now, 0) if row is None or row[0] + window_seconds <= now \
                    else (row[0], row[1])
                db.execute("INSERT OR REPLACE INTO attempts VALUES (?, ?, ?)",
                           (key, started, tries + 1))
                # Old windows go with the writes that find them, so the table stays small.
                db.execute("DELETE FROM attempts WHERE started < ?", (now - 3600,))
            return int(tries + 1)

        return await self._run(count, writes=True)

    async def active_rooms(self, limit: int) -> list[Room]:
        """Active rooms, oldest first."""
        rows = await self._run(lambda db: db.execute(
            "SELECT room_id, version, document FROM rooms WHERE active "
            "ORDER BY created_at, room_id LIMIT ?", (limit,)).fetchall())
        rooms = []
        for room_id, version, document in rows:
            kept = self._rooms.get(room_id)  # decoded already: the lobby lists often
            rooms.append(kept if kept is not None and kept.version == version
                         else _decode(document))
        return rooms

    async def due(self, now: datetime, limit: int) -> list[RoomId]:
        """Rooms whose deadline is at or before ``now``, earliest first."""
        rows = await self._run(lambda db: db.execute(
            "SELECT room_id FROM rooms WHERE deadline <= ? ORDER BY deadline LIMIT ?",
            (now.timestamp(), limit)).fetchall())
        return [RoomId(row[0]) for row in rows]

    async def ping(self) -> None:
        await self._run(lambda db: db.execute("SELECT 1").fetchone())


def _migrate(db: sqlite3.Connection) -> None:
    """Move the rooms of a file written with a WITHOUT ROWID ``rooms`` table to the
    rowid one, in one transaction (a crash half-way leaves the old table whole)."""
    (sql,) = db.execute("SELECT sql FROM sqlite_schema WHERE name = 'rooms'").fetchone()
    if "WITHOUT ROWID" not in sql.upper():
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DROP INDEX rooms_by_deadline")
        db.execute("DROP INDEX active_rooms_by_age")
        db.execute("ALTER TABLE rooms RENAME TO rooms_without_rowid")
        for statement in _ROOMS.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO rooms SELECT * FROM rooms_without_rowid")
        db.execute("DROP TABLE rooms_without_rowid")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _checkpoint(db: sqlite3.Connection, *, restart: bool) -> None:
    # Passive checkpoints copy the WAL into the database without holding writers; made
    # often, each flushes little, and a commit that meets the flush on the disk waits
    # less. But they never catch up with a steady stream of commits (the frames written
    # while one flushes are left), so the WAL would never start over and would grow by
    # every commit (700 MB in 30 s of one game's rolls): every RESTART_EVERY-th also
    # runs a RESTART, which holds new writers (the loop's go to the thread, behind it)
    # while it copies what came in meanwhile, and the next commit writes from the
    # start of the file again.
    with contextlib.suppress(sqlite3.Error):  # busy or failing: the next one tries again
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        if restart:
            db.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()


def _commit_group(db: sqlite3.Connection, *,
                  plans: list[tuple[CommitPlan, bytes | None]],
                  sent: Sequence[tuple[RoomId, bytes]] = (),
                  ) -> list[Exception | list[bytes]]:
    """One transaction for the group; each outcome is the outbox (written) or the commit's
    ``Conflict`` (nothing of it written: every check comes before its first write). A
    database error fails the whole group. Then the outboxes confirmed ``sent`` (up to
    and including each envelope) lose what was sent."""
    outcomes: list[Exception | list[bytes]] = []
    db.execute("BEGIN IMMEDIATE")  # the write lock first: nothing changes under the checks
    try:
        outcomes = [_commit_one(db, plan, document) for plan, document in plans]
        for room_id, last in sent:
            _mark_sent(db, room_id, last)
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # a broken connection has nothing to undo
            db.execute("ROLLBACK")
        raise
    return outcomes


def _mark_sent(db: sqlite3.Connection, room_id: RoomId, last: bytes) -> None:
    row = db.execute("SELECT max(id) FROM outbox WHERE room_id = ? AND envelope = ?",
                     (room_id, last)).fetchone()
    if row is not None and row[0] is not None:
        db.execute("DELETE FROM outbox WHERE room_id = ? AND id <= ?", (room_id, row[0]))
    if db.execute("SELECT 1 FROM outbox WHERE room_id = ? LIMIT 1",
                  (room_id,)).fetchone() is None:
        db.execute("DELETE FROM outbox_due WHERE room_id = ?", (room_id,))


def _commit_one(db: sqlite3.Connection, plan: CommitPlan,
                document: bytes | None) -> Conflict | list[bytes]:
    """Check ``plan`` and write it, or say why not. The claims are read first; the
    room's own write is its version check (no row changed: the version moved), so a
    refusal has written nothing and a roll costs one statement."""
    rid = plan.room_id
    for claim in plan.claims:
        owner = db.execute("SELECT room_id FROM claims WHERE claim = ?", (claim,)).fetchone()
        if owner is not None and owner[0] != rid:
            return Conflict(f"{claim!r} is held by another room")
    for user in plan.claim_players:
        owner = db.execute("SELECT room_id FROM player_rooms WHERE user_id = ?",
                           (user,)).fetchone()
        if owner is not None and owner[0] != rid:
            return Conflict(f"user {user} plays elsewhere")
    room = plan.room
    deadline = None if plan.deadline is None else plan.deadline.timestamp()
    if plan.expected_version is None:
        if room is None or document is None:
            return Conflict(f"room {rid}: nothing to create")
        try:
            db.execute("INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?)",
                       (rid, room.version, int(plan.active), room.created_at.timestamp(),
                        deadline, document))
        except sqlite3.IntegrityError:
            return Conflict(f"room {rid} already exists")
    elif room is None or document is None:
        if db.execute("DELETE FROM rooms WHERE room_id = ? AND version = ?",
                      (rid, plan.expected_version)).rowcount == 0:
            return Conflict(f"room {rid} changed underneath")
    else:
        columns = "version = ?, deadline = ?, document = ?"
        values: list[object] = [room.version, deadline, document]
        if plan.active != plan.was_active:  # (setting it rewrites its index's entry)
            columns += ", active = ?"
            values.append(int(plan.active))
        if db.execute(f"UPDATE rooms SET {columns} WHERE room_id = ? AND version = ?",
                      (*values, rid, plan.expected_version)).rowcount == 0:
            return Conflict(f"room {rid} changed underneath")
    _write_indexes(db, plan)
    _write_logs(db, plan)
    if not plan.outbox:
        return []
    assert plan.outbox_due is not None
    db.executemany("INSERT INTO outbox (room_id, envelope) VALUES (?, ?)",
                   [(rid, envelope) for envelope in plan.outbox])
    db.execute("INSERT OR IGNORE INTO outbox_due VALUES (?, ?)",
               (rid, plan.outbox_due.timestamp()))
    return [bytes(row[0]) for row in db.execute(
        "SELECT envelope FROM outbox WHERE room_id = ? ORDER BY id", (rid,))]


def _write_logs(db: sqlite3.Connection, plan: CommitPlan) -> None:
    rid, logs = plan.room_id, plan.logs
    if plan.room is None:
        db.execute("DELETE FROM room_moves WHERE room_id = ?", (rid,))
        db.execute("DELETE FROM room_chat WHERE room_id = ?", (rid,))
        return
    if not logs:
        return
    if logs.new_game:
        db.execute("DELETE FROM room_moves WHERE room_id = ?", (rid,))
    # Each log is one b-tree ordered by (room, n): a move touches the room's own leaf.
    if logs.moves:
        _append(db, "room_moves", rid, [_log_encoder.encode(m) for m in logs.moves])
    if logs.chat:
        last = _append(db, "room_chat", rid, [_log_encoder.encode(c) for c in logs.chat])
        db.execute("DELETE FROM room_chat WHERE room_id = ? AND n <= ?",
                   (rid, last - CHAT_LINES_KEPT))


def _append(db: sqlite3.Connection, table: str, room_id: str, entries: list[bytes]) -> int:
    """Append ``entries`` to a log table after the room's last entry; the last ``n``."""
    (last,) = db.execute(f"SELECT coalesce(max(n), 0) FROM {table} WHERE room_id = ?",
                         (room_id,)).fetchone()
    db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)",
                   [(room_id, last + i, entry) for i, entry in enumerate(entries, 1)])
    return int(last) + len(entries)


def _write_indexes(db: sqlite3.Connection, plan: CommitPlan) -> None:
    rid = plan.room_id
    # Most commits (a roll, a chat line) claim and release nothing: skip the statements.
    if plan.claims:
        db.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?)",
                       [(claim, rid) for claim in plan.claims])
    if plan.releases:
        db.executemany("DELETE FROM claims WHERE claim = ? AND room_id = ?",
                       [(claim, rid) for claim in plan.releases])
    if plan.open_table is not None:
        db.execute("INSERT OR REPLACE INTO open_tables VALUES (?, ?, ?)",
                   (rid, plan.table_kind, plan.open_table))
    elif plan.was_open_table or plan.room is None:
        db.execute("DELETE FROM open_tables WHERE room_id = ?", (rid,))
    for sql, users in (("INSERT OR REPLACE INTO player_rooms VALUES (?, ?)", plan.claim_players),
                       ("DELETE FROM player_rooms WHERE user_id = ? AND room_id = ?",
                        plan.release_players),
                       ("INSERT OR IGNORE INTO watching VALUES (?, ?)", plan.watch),
                       ("DELETE FROM watching WHERE user_id = ? AND room_id = ?", plan.unwatch)):
        if users:
            db.executemany(sql, [(user, rid) for user in users])


def _decode(data: bytes | str) -> Room:
    try:
        return decode_room(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ServerFault(f"stored room does not decode: {exc}") from exc
