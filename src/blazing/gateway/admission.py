"""Admission at TCP accept, before aiohttp parses a byte.

A client hammering the server with new connections, or holding many half-sent
requests open (slowloris), is refused here: a refusal costs an accept and one
canned write instead of an HTTP parse, a request object and a token check, so
established games keep their share of the CPU.

:class:`Admission` is the per-address bookkeeping (no I/O, time passed in);
:class:`AdmittedProtocol` puts it in front of each connection and routes the
connection, once its request headers are in, to picows (WebSocket upgrades, when
that transport is on) or aiohttp (everything else).
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
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
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n"
    b"Content-Length: 30\r\n"
    b"\r\n"
    b"request headers are too large\n"
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


ProtocolFactory = Callable[[], asyncio.BaseProtocol]
# The largest request line plus headers: larger is refused here with 431, whatever the
# path and the transport, so both WebSocket transports take the same requests (picows
# drops a handshake over 16 KiB without an answer). It leaves room for an 8 KiB token in
# the query or a cookie; the HTTP server is given the same limits.
MAX_HEAD = 16 * 1024


class AdmittedProtocol(asyncio.Protocol):
    """In front of each connection: admits or refuses it, waits (bounded by the
    handshake deadline) for its request headers, hands it to the WebSocket
    protocol if it asks for the WebSocket path and one is given, else to the HTTP
    protocol, and forwards everything after that."""

    __slots__ = ("_address", "_admission", "_counted", "_deadline", "_feed", "_head", "_http",
                 "_inner", "_transport", "_websocket", "_ws_request_line")

    def __init__(self, http: ProtocolFactory, admission: Admission,
                 websocket: ProtocolFactory | None = None, ws_path: bytes = b"") -> None:
        self._http = http
        self._websocket = websocket
        self._ws_request_line = b"GET " + ws_path
        self._admission = admission
        self._inner: asyncio.BaseProtocol | None = None
        self._feed: Callable[[bytes], None] | None = None  # to the inner protocol
        self._address = ""
        self._counted = False  # admitted: released from the per-address count at the end
        self._deadline: asyncio.TimerHandle | None = None
        self._head: bytearray | None = None  # the request so far, until it is routed
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
        self._counted = True
        self._head = bytearray()
        timeout = self._admission.limits.handshake_timeout
        if timeout:
            self._deadline = loop.call_later(timeout, self._handshake_expired)

    def _handshake_expired(self) -> None:
        self._deadline = None
        metrics.REFUSED_CONNECTIONS.labels("handshake_timeout").inc()
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        feed = self._feed
        if feed is not None:
            feed(data)
            return
        head = self._head
        if head is None:
            return  # a refused peer's request: dropped
        start = max(0, len(head) - 3)
        head += data
        end = head.find(b"\r\n\r\n", start)
        if end < 0 and len(head) <= MAX_HEAD:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._head = None
        if end < 0 or end + 4 > MAX_HEAD:
            self._refuse_head()
            return
        self._route(bytes(head))

    def _refuse_head(self) -> None:
        """Headers over MAX_HEAD: answer 431, half-close, and reset after a linger."""
        metrics.REFUSED_CONNECTIONS.labels("head_too_large").inc()
        transport = self._transport
        assert transport is not None
        transport.write(HEAD_TOO_LARGE)
        if transport.can_write_eof():
            transport.write_eof()
        self._deadline = asyncio.get_running_loop().call_later(REFUSAL_LINGER, transport.abort)

    def _route(self, head: bytes) -> None:
        """Start the protocol the request asks for and give it what was read."""
        transport = self._transport
        assert transport is not None
        line = self._ws_request_line
        asks_for_websocket = head.startswith(line) and head[len(line):len(line) + 1] in (b" ", b"?")
        factory = self._websocket if self._websocket and asks_for_websocket else self._http
        inner = factory()
        self._inner = inner
        if isinstance(inner, asyncio.BufferedProtocol):
            self._feed = partial(_feed_buffered, inner)
        else:
            self._feed = cast(asyncio.Protocol, inner).data_received
        inner.connection_made(transport)
        self._feed(head)

    def eof_received(self) -> bool | None:
        inner = self._inner
        if isinstance(inner, asyncio.Protocol | asyncio.BufferedProtocol):
            return inner.eof_received()
        return None  # refused, or no request yet: close

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._counted:
            self._counted = False
            self._admission.release(self._address)
        inner, self._inner, self._transport, self._feed = self._inner, None, None, None
        self._head = None
        if inner is not None:
            inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


def _feed_buffered(protocol: asyncio.BufferedProtocol, data: bytes) -> None:
    """Hand ``data`` to a protocol that reads into its own buffer."""
    view = memoryview(data)
    while view:
        buffer = memoryview(protocol.get_buffer(len(view)))
        size = min(len(buffer), len(view))
        buffer[:size] = view[:size]
        protocol.buffer_updated(size)
        view = view[size:]


async def listen(http: ProtocolFactory, admission: Admission, host: str, port: int, *,
                 websocket: ProtocolFactory | None = None, ws_path: str = "",
                 backlog: int = 4096) -> asyncio.Server:
    """Listen on ``host:port``; every connection goes through ``admission``, then to
    ``websocket`` if it is an upgrade request for ``ws_path``, else to ``http``."""
    loop = asyncio.get_running_loop()
    path = ws_path.encode()
    return await loop.create_server(lambda: AdmittedProtocol(http, admission, websocket, path),
                                    host, port, backlog=backlog, reuse_address=True)

