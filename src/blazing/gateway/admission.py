"""Admission at TCP accept, before aiohttp parses a byte.

A client hammering the server with new connections, or holding many half-sent
requests open (slowloris), is refused here: a refusal costs an accept and one
canned write instead of an HTTP parse, a request object and a token check, so
established games keep their share of the CPU.

:class:`Admission` is the per-address bookkeeping (no I/O, time passed in);
:class:`AdmittedProtocol` puts it in front of aiohttp's protocol.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from blazing import metrics
from blazing.gateway.ratelimit import TokenBucket

REFUSAL = (
    b"HTTP/1.1 429 Too Many Requests\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n"
    b"Content-Length: 41\r\n"
    b"\r\n"
    b"too many connections from this address\r\n\r\n"
)
REFUSAL_LINGER = 2.0  # seconds a refused peer has to read the 429 before a reset
PRUNE_EVERY = 1024  # admissions between sweeps of the idle per-address buckets


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    max_open_per_address: int = 1000  # HTTP and WebSocket connections; 0: no limit
    connects_per_second: float = 50.0  # new connections per address; 0: no limit
    handshake_timeout: float = 10.0  # to send the first request's headers; 0: none

    @property
    def connect_burst(self) -> float:
        return 2 * self.connects_per_second


class Admission:
    """Open connections and connect rate per client address."""

    def __init__(self, limits: AdmissionLimits) -> None:
        self.limits = limits
        self._open: dict[str, int] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._since_prune = 0

    def admit(self, address: str, now: float) -> str | None:
        """Count a new connection in, or say why it is refused."""
        limits = self.limits
        open_now = self._open.get(address, 0)
        if limits.max_open_per_address and open_now >= limits.max_open_per_address:
            return "open_connections"
        if limits.connects_per_second:
            bucket = self._buckets.get(address)
            if bucket is None:
                bucket = self._buckets[address] = TokenBucket(
                    limits.connects_per_second, limits.connect_burst)
            if not bucket.take(now):
                return "connect_rate"
            self._since_prune += 1
            if self._since_prune >= PRUNE_EVERY:
                self._prune(now)
        self._open[address] = open_now + 1
        return None

    def release(self, address: str) -> None:
        left = self._open.pop(address, 0) - 1
        if left > 0:
            self._open[address] = left

    def open_connections(self, address: str) -> int:
        return self._open.get(address, 0)

    def _prune(self, now: float) -> None:
        """Forget addresses whose bucket has filled up again (they look new anyway)."""
        self._since_prune = 0
        rate, burst = self.limits.connects_per_second, self.limits.connect_burst
        full = [address for address, b in self._buckets.items()
                if b.tokens + (now - b.updated) * rate >= burst]
        for address in full:
            del self._buckets[address]

    @property
    def tracked_addresses(self) -> int:
        return len(self._buckets)


def _address_of(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) and peer else ""


class AdmittedProtocol(asyncio.Protocol):
    """Wraps aiohttp's per-connection protocol: admits or refuses the connection,
    then forwards everything; aborts one that has not sent its request headers
    by the handshake deadline."""

    __slots__ = ("_address", "_admission", "_deadline", "_factory", "_inner", "_tail",
                 "_transport")

    def __init__(self, factory: Callable[[], asyncio.Protocol], admission: Admission) -> None:
        self._factory = factory
        self._admission = admission
        self._inner: asyncio.Protocol | None = None
        self._address = ""
        self._deadline: asyncio.TimerHandle | None = None
        self._tail = b""  # the last bytes seen while the headers are incomplete
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        tcp = cast(asyncio.Transport, transport)
        self._transport = tcp
        loop = asyncio.get_running_loop()
        address = _address_of(tcp)
        refused = self._admission.admit(address, loop.time())
        if refused is not None:
            metrics.REFUSED_CONNECTIONS.labels(refused).inc()
            # Answer and half-close, then let the peer read it: closing with its
            # request unread would reset the connection and lose the 429.
            tcp.write(REFUSAL)
            if tcp.can_write_eof():
                tcp.write_eof()
            self._deadline = loop.call_later(REFUSAL_LINGER, tcp.abort)
            return
        self._address = address
        self._inner = self._factory()
        timeout = self._admission.limits.handshake_timeout
        if timeout:
            self._deadline = loop.call_later(timeout, self._handshake_expired)
        self._inner.connection_made(tcp)

    def _handshake_expired(self) -> None:
        self._deadline = None
        metrics.REFUSED_CONNECTIONS.labels("handshake_timeout").inc()
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        inner = self._inner
        if inner is None:
            return  # a refused peer's request: dropped
        if self._deadline is not None:
            seen = self._tail + data
            if b"\r\n\r\n" in seen:
                self._deadline.cancel()
                self._deadline, self._tail = None, b""
            else:
                self._tail = seen[-3:]
        inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self._inner is None:
            return None  # refused: close now that the peer is done
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        inner, self._inner, self._transport = self._inner, None, None
        if inner is not None:
            self._admission.release(self._address)
            inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


async def listen(factory: Callable[[], asyncio.Protocol], admission: Admission, host: str,
                 port: int, *, backlog: int = 4096) -> asyncio.Server:
    """Listen on ``host:port`` with every connection going through ``admission``."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: AdmittedProtocol(factory, admission), host, port,
                                    backlog=backlog, reuse_address=True)

