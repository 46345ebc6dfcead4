"""What every scenario's worker uses: its spec, counters, barriers and peers.

A :class:`Peer` is one authenticated socket of one user. Frames are decoded
into :class:`Event` (only the fields the drivers look at; the rest is skipped
by msgspec), counted, checked for ``error``, and either handed to a waiter or
kept in a small inbox, so a driver can ``expect`` a frame that may already
have arrived.
"""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from blazing.bench import wsclient
from blazing.gateway.auth import issue_token

MAX_SAMPLES = 2_000_000  # per worker and series: bounds the memory of a long run
MAX_ERROR_TEXTS = 20


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything one worker process needs (picklable)."""

    scenario: str
    index: int
    workers: int
    host: str
    port: int
    path: str
    secret: str
    source_host: str | None  # local address to bind (spreads ephemeral ports)
    user_base: int  # user ids of this worker start here
    tag: str  # unique per run: room names
    deadline_s: float  # the worker gives up after this long
    params: dict[str, Any] = field(default_factory=dict)


class Event(msgspec.Struct):
    """The fields of a server frame the drivers read (others are ignored)."""

    type: str
    room_id: str | None = None
    player_id: int | None = None
    current_turn: int | None = None
    first_turn: int | None = None
    user_id: int | None = None
    code: str | None = None
    message: str | None = None
    reason: str | None = None
    board: list[str | None] | None = None


_decode = msgspec.json.Decoder(Event).decode
_encode = msgspec.json.Encoder().encode


def command(type: str, **fields: Any) -> bytes:
    return _encode({"type": type, **fields})


class Stats:
    """Counters, latency samples (ns) and the first error texts of one worker."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.samples: dict[str, list[int]] = {}
        self.errors = 0
        self.error_texts: list[str] = []
        self.recording = True  # latency samples are taken only while True

    def add(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    def sample(self, name: str, ns: int) -> None:
        if not self.recording:
            return
        series = self.samples.setdefault(name, [])
        if len(series) < MAX_SAMPLES:
            series.append(ns)

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_texts) < MAX_ERROR_TEXTS:
            self.error_texts.append(text)

    def snapshot(self) -> dict[str, int]:
        return {**self.counters, "errors": self.errors}


PhaseWaiter = Callable[[str], Awaitable[None]]


class WorkerContext:
    def __init__(self, spec: WorkerSpec, phase_waiter: PhaseWaiter) -> None:
        self.spec = spec
        self.stats = Stats()
        self.marks: dict[str, float] = {}  # time.monotonic() of named moments
        self.extra: dict[str, Any] = {}  # scenario-specific figures for the summary
        self._phase_waiter = phase_waiter
        self.started = time.monotonic()

    async def phase(self, name: str) -> None:
        """Tell the coordinator this worker reached ``name``; wait until all have."""
        self.marks[f"{name}_reached"] = time.monotonic()
        self.marks[f"{name}_cpu_reached"] = time.process_time()
        await self._phase_waiter(name)
        self.marks[f"{name}_released"] = time.monotonic()
        self.marks[f"{name}_cpu_released"] = time.process_time()

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()

    @property
    def remaining(self) -> float:
        return self.spec.deadline_s - (time.monotonic() - self.started)

    def token(self, user_id: int) -> str:
        return issue_token(secret=self.spec.secret, user_id=user_id,
                           username=f"u{user_id}", ttl_seconds=6 * 3600)

    async def connect(self, user_id: int, *, keep: bool = True, token: str | None = None,
                      within: float = 15.0) -> "Peer":
        """A new authenticated peer for ``user_id`` (raises on failure)."""
        peer = Peer(self, user_id, keep=keep)
        await peer.open(token or self.token(user_id), within)
        return peer


class Peer:
    def __init__(self, ctx: WorkerContext, user_id: int, *, keep: bool = True) -> None:
        self.ctx = ctx
        self.stats = ctx.stats
        self.user_id = user_id
        self.keep = keep  # keep unclaimed frames in the inbox (players) or drop them
        self.inbox: deque[Event] = deque(maxlen=256)
        self.conn: wsclient.WsClient | None = None
        self.expect_errors = False
        self.closed_by_us = False
        self._want: tuple[frozenset[str], dict[str, Any], asyncio.Future[Event]] | None = None
        self.ping_sent_ns = 0
        self.pong_series: str | None = None  # record ping→pong round trips under this name
        self.on_event: Callable[[Event], None] | None = None  # sees every decoded frame

    async def open(self, token: str, within: float) -> None:
        spec = self.ctx.spec
        started = time.perf_counter_ns()
        waiter = self._arm(frozenset({"authenticated"}), {})
        self.conn = await wsclient.connect(
            spec.host, spec.port, f"{spec.path}?token={token}", self._on_message,
            local_host=spec.source_host, within=within)
        self.conn.on_close = self._on_close
        self.stats.add("connects")
        try:
            await asyncio.wait_for(waiter, within)
        except BaseException:
            self._want = None
            self.abort()
            raise
        self.stats.sample("connect", time.perf_counter_ns() - started)

    # --- receiving -------------------------------------------------------------------

    def _on_message(self, data: bytes) -> None:
        stats = self.stats
        stats.add("received")
        try:
            event = _decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            stats.error(f"user {self.user_id}: undecodable frame ({exc}): {data[:80]!r}")
            return
        kind = event.type
        if self.on_event is not None:
            self.on_event(event)
        if kind == "error" and not self.expect_errors:
            stats.error(f"user {self.user_id}: error {event.code}: {event.message}")
        elif kind == "pong" and self.pong_series is not None and self.ping_sent_ns:
            stats.sample(self.pong_series, time.perf_counter_ns() - self.ping_sent_ns)
            self.ping_sent_ns = 0
            stats.add("pongs")
        want = self._want
        if want is not None and kind in want[0] and _matches(event, want[1]):
            self._want = None
            if not want[2].done():
                want[2].set_result(event)
        elif self.keep:
            self.inbox.append(event)

    def _on_close(self, code: int) -> None:
        if not self.closed_by_us:
            self.stats.error(f"user {self.user_id}: socket closed by the server ({code})")
        want = self._want
        if want is not None and not want[2].done():
            want[2].set_exception(ConnectionError(f"closed ({code})"))
        self._want = None

    def _arm(self, types: frozenset[str], fields: dict[str, Any]) -> asyncio.Future[Event]:
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._want = (types, fields, future)
        return future

    # --- scripting -------------------------------------------------------------------

    def send(self, frame: bytes) -> None:
        if self.conn is None:
            raise ConnectionError("not connected")
        self.stats.add("sent")
        self.conn.send(frame)

    async def expect(self, types: frozenset[str], within: float = 15.0,
                     **fields: Any) -> Event:
        """The next frame of one of ``types`` with these field values (earlier
        frames of other kinds are skipped), from the inbox or yet to come."""
        while self.inbox:
            event = self.inbox.popleft()
            if event.type in types and _matches(event, fields):
                return event
        return await self._await(self._arm(types, fields), types, within)

    async def request(self, frame: bytes, types: frozenset[str], within: float = 15.0,
                      **fields: Any) -> Event:
        """Send ``frame`` and wait for the first matching answer."""
        future = self._arm(types, fields)
        self.send(frame)
        return await self._await(future, types, within)

    async def _await(self, future: asyncio.Future[Event], types: frozenset[str],
                     within: float) -> Event:
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            raise TimeoutError(f"user {self.user_id}: no {sorted(types)} within "
                               f"{within}s") from None
        finally:
            if self._want is not None and self._want[2] is future:
                self._want = None

    def ping(self) -> None:
        self.ping_sent_ns = time.perf_counter_ns()
        self.send(b'{"type":"ping"}')

    def close(self) -> None:
        self.closed_by_us = True
        if self.conn is not None:
            self.conn.close()

    def abort(self) -> None:
        self.closed_by_us = True
        if self.conn is not None:
            self.conn.abort()

    async def close_and_wait(self, within: float = 5.0) -> None:
        self.close()
        if self.conn is not None:
            await self.conn.wait_closed(within)


def _matches(event: Event, fields: dict[str, Any]) -> bool:
    return all(getattr(event, name) == value for name, value in fields.items())


async def connect_many(ctx: WorkerContext, user_ids: list[int], concurrency: int, *,
                       keep: bool = True, tokens: list[str] | None = None,
                       tolerant: bool = False) -> list[Peer]:
    """Connect every user, ``concurrency`` handshakes in flight. A failure is
    raised (``tolerant``: counted as an error and that user left out)."""
    peers: list[Peer | None] = [None] * len(user_ids)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with semaphore:
            try:
                peers[i] = await ctx.connect(user_ids[i], keep=keep,
                                             token=tokens[i] if tokens else None)
            except (OSError, TimeoutError, wsclient.HandshakeError) as exc:
                if not tolerant:
                    raise
                ctx.stats.error(f"connect user {user_ids[i]}: {type(exc).__name__}: {exc}")

    tasks = [asyncio.create_task(one(i)) for i in range(len(user_ids))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        for peer in peers:
            if peer is not None:
                peer.abort()
        raise
    return [p for p in peers if p is not None]


async def cancel_all(tasks: list["asyncio.Task[None]"]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def sleep_until(monotonic_deadline: float) -> None:
    delay = monotonic_deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
