"""What one command costs, per command type: CPU, bus and store traffic, history writes.

While a gateway handles one frame, or a game service one command, a :class:`Tally`
sits in a context variable (every task started meanwhile copies it). The bus, the
Redis connections and the history store add what they do to the tally of the
command being handled; :func:`metered` runs the handling coroutine, adds the CPU
time of each of its steps (``time.thread_time`` around each resumption, so the
other tasks that run while it waits are not charged to it), and when the handling
ends flushes the tally to the ``blazing_command_*`` counters in one go (a few
``inc`` calls per command, label children looked up once per type). Work done
outside any command (timers, outbox resends, heartbeats) is counted under the
type ``(none)``.

Redis is metered from outside the state module: :func:`meter_redis` patches the
asyncio connection of redis-py once per process so that a connection's reader and
writer count bytes (each write of a command or a pipeline is one round trip).
"""

import asyncio
import time
from collections.abc import Awaitable, Coroutine, Generator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from blazing import metrics

T = TypeVar("T")

GATEWAY = "gateway"
GAME_SERVICE = "game-service"
NONE = "(none)"  # work outside the handling of a command
UNPUBLISHED = "(unpublished)"  # gateway frames that publish nothing (auth, ping, refusals)


@dataclass(frozen=True, slots=True)
class Children:
    """The label children of one (process, type), looked up once."""

    commands: Any
    cpu: Any
    bus_messages: Any
    bus_bytes: Any
    store_calls: Any
    store_sent: Any
    store_received: Any
    history_writes: Any


@cache
def children(process: str, command_type: str) -> Children:
    return Children(
        commands=metrics.COMMAND_HANDLED.labels(process, command_type),
        cpu=metrics.COMMAND_CPU.labels(process, command_type),
        bus_messages=metrics.COMMAND_BUS_MESSAGES.labels(process, command_type),
        bus_bytes=metrics.COMMAND_BUS_BYTES.labels(process, command_type),
        store_calls=metrics.COMMAND_STORE_CALLS.labels(process, command_type),
        store_sent=metrics.COMMAND_STORE_BYTES.labels(process, command_type, "sent"),
        store_received=metrics.COMMAND_STORE_BYTES.labels(process, command_type, "received"),
        history_writes=metrics.COMMAND_HISTORY_WRITES.labels(process, command_type),
    )


class Tally:
    """What the handling of one command did so far (plain numbers: no lock, no lookup).
    Once flushed, late additions (a task the handling started and that outlived it) go
    straight to the counters."""

    __slots__ = ("bus_bytes", "bus_messages", "cpu", "flushed", "history_writes", "process",
                 "store_calls", "store_received", "store_sent", "type")

    def __init__(self, process: str, command_type: str | None = None) -> None:
        self.process = process
        self.type = command_type
        self.cpu = 0.0
        self.bus_messages = self.bus_bytes = 0
        self.store_calls = self.store_sent = self.store_received = 0
        self.history_writes = 0
        self.flushed = False

    def flush(self, *, count: bool) -> None:
        """Add everything to the counters (``count``: and one command)."""
        kids = children(self.process, self.type or UNPUBLISHED)
        if count:
            kids.commands.inc()
        if self.cpu:
            kids.cpu.inc(self.cpu)
        if self.bus_messages:
            kids.bus_messages.inc(self.bus_messages)
            kids.bus_bytes.inc(self.bus_bytes)
        if self.store_calls:
            kids.store_calls.inc(self.store_calls)
        if self.store_sent:
            kids.store_sent.inc(self.store_sent)
        if self.store_received:
            kids.store_received.inc(self.store_received)
        if self.history_writes:
            kids.history_writes.inc(self.history_writes)
        self.cpu = 0.0
        self.bus_messages = self.bus_bytes = 0
        self.store_calls = self.store_sent = self.store_received = 0
        self.history_writes = 0
        self.flushed = True


_current: ContextVar[Tally | None] = ContextVar("blazing_command", default=None)
_process = [GAME_SERVICE]  # the role of work done outside any command, set at start


def set_process(process: str) -> None:
    """The role (``gateway`` or ``game-service``) that background work is counted under."""
    _process[0] = process


def current() -> Tally | None:
    return _current.get()


def name_command(command_type: str) -> None:
    """The frame being handled turned out to be a command of ``command_type``."""
    tally = _current.get()
    if tally is not None:
        tally.type = command_type


def _tally() -> Tally:
    tally = _current.get()
    if tally is None:
        tally = Tally(_process[0], NONE)
        tally.flushed = True  # nothing will flush it: count at once
    return tally


def bus_published(messages: int, size: int) -> None:
    """The bus handed ``messages`` messages of ``size`` bytes in all to the broker."""
    tally = _tally()
    tally.bus_messages += messages
    tally.bus_bytes += size
    if tally.flushed:
        tally.flush(count=False)


def store_call(sent: int) -> None:
    """One request (a command or a pipeline) of ``sent`` bytes written to Redis."""
    tally = _tally()
    tally.store_calls += 1
    tally.store_sent += sent
    if tally.flushed:
        tally.flush(count=False)


def store_received(size: int) -> None:
    tally = _tally()
    tally.store_received += size
    if tally.flushed:
        tally.flush(count=False)


def history_written() -> None:
    """One game record written to the history store."""
    tally = _tally()
    tally.history_writes += 1
    if tally.flushed:
        tally.flush(count=False)


_EVENT_TYPE = b'"event_type":"'


def command_type_of(envelope: bytes) -> str:
    """The ``event_type`` of an encoded bus envelope, without decoding the rest."""
    start = envelope.find(_EVENT_TYPE)
    if start < 0:
        return "(undecodable)"
    start += len(_EVENT_TYPE)
    end = envelope.find(b'"', start)
    if end < 0 or end - start > 64:
        return "(undecodable)"
    return envelope[start:end].decode("ascii", "replace")


async def metered(process: str, work: Coroutine[Any, Any, T],
                  command_type: str | None = None) -> T:
    """Run ``work`` as the handling of one command: its CPU and traffic are counted
    under ``command_type`` (or the type :func:`name_command` gives it meanwhile)."""
    tally = Tally(process, command_type)
    token = _current.set(tally)
    try:
        return await _Stepped(work, tally)
    finally:
        _current.reset(token)
        tally.flush(count=True)


class _Stepped(Awaitable[T]):
    """Drives a coroutine step by step, adding each step's thread CPU time to a tally."""

    __slots__ = ("_coro", "_tally")

    def __init__(self, coro: Coroutine[Any, Any, T], tally: Tally) -> None:
        self._coro, self._tally = coro, tally

    def __await__(self) -> Generator[Any, Any, T]:
        coro, tally, clock = self._coro, self._tally, time.thread_time
        value: Any = None
        error: BaseException | None = None
        while True:
            began = clock()
            try:
                signal = coro.send(value) if error is None else coro.throw(error)
            except StopIteration as done:
                tally.cpu += clock() - began
                return done.value  # type: ignore[no-any-return]
            except BaseException:
                tally.cpu += clock() - began
                raise
            tally.cpu += clock() - began
            try:
                value, error = (yield signal), None
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation, thrown in while suspended
                value, error = None, exc


# --- Redis (redis-py asyncio), metered from outside the state module ------------------

class _CountingReader(asyncio.StreamReader):
    """A StreamReader that counts what the Redis parsers read (in the reading task)."""

    async def read(self, n: int = -1) -> bytes:
        data = await super().read(n)
        store_received(len(data))
        return data

    async def readline(self) -> bytes:
        data = await super().readline()
        store_received(len(data))
        return data

    async def readexactly(self, n: int) -> bytes:
        data = await super().readexactly(n)
        store_received(n)
        return data


class _CountingWriter(asyncio.StreamWriter):
    """A StreamWriter that counts each ``writelines`` (one command or pipeline)."""

    def writelines(self, data: Any) -> None:
        parts = list(data)
        store_call(sum(len(part) for part in parts))
        super().writelines(parts)


_redis_metered = [False]


def meter_redis() -> None:
    """Count Redis round trips and bytes of every asyncio connection of this process
    (idempotent; a no-op without redis-py)."""
    if _redis_metered[0]:
        return
    try:
        from redis.asyncio.connection import Connection
    except ImportError:
        return
    original: Any = Connection._connect

    async def _connect(self: Any) -> None:
        await original(self)
        # Same classes plus counting: the parsers keep reading the buffers they know.
        if type(self._reader) is asyncio.StreamReader:
            self._reader.__class__ = _CountingReader
        if type(self._writer) is asyncio.StreamWriter:
            self._writer.__class__ = _CountingWriter

    Connection._connect = _connect  # type: ignore[method-assign]
    _redis_metered[0] = True
