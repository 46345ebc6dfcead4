"""What one command costs, per command type: CPU, bus and store traffic, history writes.

While a gateway handles one frame, or a game service one command, a :class:`Tally`
sits in a context variable (every task started meanwhile copies it). The bus, the
Redis connections and the history store add what they do to the tally of the
command being handled; :func:`metered` runs the handling coroutine, adds the CPU
time of each of its steps (``time.thread_time`` around each resumption, so the
other tasks that run while it waits are not charged to it; one command in
:data:`CPU_SAMPLE_EVERY` is timed and counted that many times), and when the handling
ends adds the tally to the totals of its (process, type): plain numbers, no lock,
reported as the ``blazing_command_*`` counters when /metrics is scraped. Work done
outside any command (timers, outbox resends, heartbeats) is counted under the
type ``(none)``.

Redis is metered from outside the state module: :func:`meter_redis` patches the
asyncio connection of redis-py once per process so that a connection's reader and
writer count bytes (each write of a command or a pipeline is one round trip).
"""

import asyncio
import time
from collections.abc import Awaitable, Coroutine, Generator, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from prometheus_client import REGISTRY, Metric
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from blazing import metrics

T = TypeVar("T")

GATEWAY = "gateway"
GAME_SERVICE = "game-service"
NONE = "(none)"  # work outside the handling of a command
UNPUBLISHED = "(unpublished)"  # gateway frames that publish nothing (auth, ping, refusals)


class Totals:
    """What every command of one (process, type) cost so far, in plain numbers."""

    __slots__ = ("bus_bytes", "bus_messages", "commands", "cpu", "history_writes",
                 "store_calls", "store_received", "store_sent")

    def __init__(self) -> None:
        self.commands = self.bus_messages = self.bus_bytes = 0
        self.store_calls = self.store_sent = self.store_received = 0
        self.history_writes = 0
        self.cpu = 0.0


_totals: dict[tuple[str, str], Totals] = {}


def totals(process: str, command_type: str) -> Totals:
    """The totals of (``process``, ``command_type``), made on first use."""
    key = (process, command_type)
    found = _totals.get(key)
    if found is None:
        found = _totals[key] = Totals()
    return found


class _Collector(Collector):
    """Reports the totals as the ``blazing_command_*`` counters (metrics.PER_COMMAND)."""

    def collect(self) -> Iterator[Metric]:
        families: dict[str, CounterMetricFamily] = {}
        for field, (name, documentation, extra) in metrics.PER_COMMAND.items():
            family = families.get(name)
            if family is None:
                labels = ["process", "type", *(["direction"] if extra else [])]
                family = families[name] = CounterMetricFamily(name, documentation,
                                                              labels=labels)
            for (process, kind), kept in list(_totals.items()):
                family.add_metric([process, kind, *extra], getattr(kept, field))
        yield from families.values()


REGISTRY.register(_Collector())


class Tally:
    """What the handling of one command did so far (plain numbers: no lock, no lookup).
    Once flushed, late additions (a task the handling started and that outlived it) go
    straight to the totals."""

    __slots__ = ("bus_bytes", "bus_messages", "cpu_ns", "flushed", "history_writes", "process",
                 "store_calls", "store_received", "store_sent", "type")

    def __init__(self, process: str, command_type: str | None = None) -> None:
        self.process = process
        self.type = command_type
        self.cpu_ns = 0
        self.bus_messages = self.bus_bytes = 0
        self.store_calls = self.store_sent = self.store_received = 0
        self.history_writes = 0
        self.flushed = False

    def flush(self, *, count: bool) -> None:
        """Add everything to the totals (``count``: and one command), once."""
        kept = totals(self.process, self.type or UNPUBLISHED)
        if count:
            kept.commands += 1
        kept.cpu += self.cpu_ns / 1e9
        kept.bus_messages += self.bus_messages
        kept.bus_bytes += self.bus_bytes
        kept.store_calls += self.store_calls
        kept.store_sent += self.store_sent
        kept.store_received += self.store_received
        kept.history_writes += self.history_writes
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


def _sink() -> "Tally | Totals":
    """Where traffic goes now: the tally of the command being handled, else (outside any
    command, or after its handling ended) the totals straight away."""
    tally = _current.get()
    if tally is None:
        return totals(_process[0], NONE)
    if tally.flushed:
        return totals(tally.process, tally.type or UNPUBLISHED)
    return tally


def bus_published(messages: int, size: int) -> None:
    """The bus handed ``messages`` messages of ``size`` bytes in all to the broker."""
    sink = _sink()
    sink.bus_messages += messages
    sink.bus_bytes += size


def store_call(sent: int) -> None:
    """One request (a command or a pipeline) of ``sent`` bytes written to Redis."""
    sink = _sink()
    sink.store_calls += 1
    sink.store_sent += sent


def store_received(size: int) -> None:
    _sink().store_received += size


def history_written() -> None:
    """One game record written to the history store."""
    _sink().history_writes += 1


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


# The CPU of one command in CPU_SAMPLE_EVERY is measured, and counted that many times:
# reading the thread's clock around every step of every command cost more than the
# rest of the counting (~3 µs a command); every command's traffic is counted.
CPU_SAMPLE_EVERY = 8
_handled = [0]


async def metered(process: str, work: Coroutine[Any, Any, T],
                  command_type: str | None = None) -> T:
    """Run ``work`` as the handling of one command: its CPU and traffic are counted
    under ``command_type`` (or the type :func:`name_command` gives it meanwhile)."""
    _handled[0] += 1
    if _handled[0] % CPU_SAMPLE_EVERY == 0:
        return await _Metered(process, work, command_type)
    tally = Tally(process, command_type)
    token = _current.set(tally)
    try:
        return await work
    finally:
        _current.reset(token)
        tally.flush(count=True)


class _Metered(Awaitable[T]):
    """Drives a coroutine step by step with its tally in the context, adding each
    step's thread CPU time (one generator, no extra coroutine: this is the hot path)."""

    __slots__ = ("_coro", "_process", "_type")

    def __init__(self, process: str, coro: Coroutine[Any, Any, T],
                 command_type: str | None) -> None:
        self._process, self._coro, self._type = process, coro, command_type

    def __await__(self) -> Generator[Any, Any, T]:
        coro, clock = self._coro, time.thread_time_ns
        tally = Tally(self._process, self._type)
        token = _current.set(tally)
        value: Any = None
        error: BaseException | None = None
        try:
            while True:
                began = clock()
                try:
                    signal = coro.send(value) if error is None else coro.throw(error)
                except StopIteration as done:
                    tally.cpu_ns += (clock() - began) * CPU_SAMPLE_EVERY
                    return done.value  # type: ignore[no-any-return]
                except BaseException:
                    tally.cpu_ns += (clock() - began) * CPU_SAMPLE_EVERY
                    raise
                tally.cpu_ns += (clock() - began) * CPU_SAMPLE_EVERY
                try:
                    value, error = (yield signal), None
                except GeneratorExit:
                    coro.close()
                    raise
                except BaseException as exc:  # cancellation, thrown in while suspended
                    value, error = None, exc
        finally:
            _current.reset(token)
            tally.flush(count=True)


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
