"""The picows WebSocket transport for ``/ws/games`` (``WS_TRANSPORT=picows``).

picows parses frames in C and writes each frame straight into the socket's
transport: no task and no queue per idle socket, so a socket costs less memory
and a delivery less CPU than with aiohttp. The same :class:`Gateway` logic runs
behind it. Connections get here through the admission layer, which hands
upgrade requests for the WebSocket path to picows and everything else to aiohttp
on the same port.

Inbound frames of one socket are handled in order by a task that exists only
while that socket has frames waiting; outbound frames queue only while the
kernel's buffer is full (``pause_writing``), up to ``OUTBOUND_QUEUE_BYTES``,
after which the socket is closed with 4409. The frames a socket is given in one
turn of the event loop (the events of one command, or of one bus batch) go out in
one write at the end of that turn: one system call instead of one per frame.

picows checks masking, opcodes and control-frame sizes; this module adds the rest
of RFC 6455's framing rules that picows leaves to its user (reserved bits without
an extension, continuations out of place: close 1002) and answers PINGs itself, so
that control frames spend the session's budget and a peer that does not read holds
at most one unsent PONG (picows's automatic answer buffers every one of them).
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from picows import (
    WSAutoPingStrategy,
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
)

# picows's public entry point (ws_create_server) owns its listening socket; to share
# the port with aiohttp, the admission layer builds the per-connection protocol
# itself, with the arguments ws_create_server passes (picows is pinned for this).
from picows.picows import WSProtocol  # type: ignore[attr-defined]  # not in its stubs

from blazing import metrics
from blazing.gateway.auth import Identity
from blazing.gateway.server import (
    AUTH_COOKIE,
    CLOSE_FLUSH_TIMEOUT,
    CLOSE_HANDSHAKE_TIMEOUT,
    PING_INTERVAL,
    WS_PATH,
    Gateway,
    close_reason,
    count_close,
)
from blazing.gateway.session import CloseCode, Session

READ_BUFFER = 2048  # picows starts each socket with 16 KiB otherwise; it grows on demand

# picows logs every accepted connection at INFO and gives each one a child logger
# unless the logger is not a logging.Logger: an adapter at WARNING avoids both.
log = logging.getLogger(__name__)
_picows_log = logging.getLogger("blazing.gateway.picows")
_picows_log.setLevel(logging.WARNING)
_QUIET_LOG = logging.LoggerAdapter(_picows_log, {})

_OPEN, _TEXT, _BINARY, _OVERSIZE, _CLOSED = range(5)
Inbound = tuple[int, bytes | int | None]
# The kind of a fragmented message that was refused as too large: its remaining
# continuations are dropped unread.
_DISCARDING = WSMsgType.CONTINUATION
# Close codes below 3000 a peer may send (the ones aiohttp's reader accepts, so that
# both transports judge a peer's CLOSE alike); 3000 and up are for applications.
_PEER_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1010, 1011,
                               1012, 1013, 1014})


class _ParserErrorsAtDebug(logging.Filter):
    """picows logs each frame that breaks the protocol at ERROR: the peer's doing, so
    a client would control our log volume. Counted in a metric and logged at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.getMessage().startswith("WS parser error"):
            metrics.PROTOCOL_ERRORS.inc()
            log.debug("%s", record.getMessage())
            return False
        return True


_picows_log.addFilter(_ParserErrorsAtDebug())


def _text_frame_header(size: int) -> bytes:
    """The header of an unmasked, final TEXT frame of ``size`` bytes (RFC 6455 §5.2)."""
    if size < 126:
        return bytes((0x81, size))
    if size < 1 << 16:
        return b"\x81\x7e" + size.to_bytes(2, "big")
    return b"\x81\x7f" + size.to_bytes(8, "big")


def _cookie_value(header: str | None, name: str) -> str | None:
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')
    return None


class PicowsLink(WSListener):
    """One socket on picows: the gateway's :class:`~blazing.gateway.server.Link`."""

    __slots__ = ("_failure", "_gateway", "_identity", "_inbox", "_limit", "_loop", "_outbox",
                 "_outbox_bytes", "_partial", "_partial_kind", "_partial_size", "_pending",
                 "_pong", "_registered", "_worker", "admitted", "close_requested", "session",
                 "socket_id", "transport")

    def __init__(self, gateway: Gateway, session: Session, identity: Identity | None,
                 failure: str | None) -> None:
        self._gateway = gateway
        self.session = session
        self.socket_id = session.socket_id
        self._identity = identity
        self._failure = failure
        self._limit = gateway.limits.outbound_queue_bytes
        self.admitted = False
        self.close_requested: tuple[int, str] | None = None
        self.transport: WSTransport | None = None
        self._registered = False  # the gateway knows this socket
        self._inbox: deque[Inbound] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._outbox: deque[bytes] | None = None  # not None while writing is paused
        self._outbox_bytes = 0
        # Frames given this turn of the loop, written together at its end.
        self._pending: list[bytes] | None = None
        self._loop = asyncio.get_running_loop()  # the one its transport and tasks run on
        self._pong: bytes | None = None  # the PONG owed while writing is paused
        # A fragmented message being assembled: its kind and size, and its bytes if it
        # is text (binary messages are refused unread, so only their size is kept).
        self._partial_kind: WSMsgType | None = None
        self._partial: bytearray | None = None
        self._partial_size = 0

    # --- picows callbacks ------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        if self._failure is not None:
            self.close_soon(CloseCode.UNAUTHENTICATED, self._failure)
            return
        self._registered = True
        self._enqueue((_OPEN, None))

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.CLOSE:
            self._peer_closed(transport, frame.get_payload_as_bytes())
            return
        if self.close_requested is not None or transport.is_close_frame_sent:
            return  # closing: what the peer still sends is dropped, as with aiohttp
        if frame.rsv1 or frame.rsv2 or frame.rsv3:
            self._protocol_error("reserved bits set without an extension")
        elif kind == WSMsgType.PING or kind == WSMsgType.PONG:
            self._gateway.control(self, frame.get_payload_as_bytes(), kind == WSMsgType.PING)
        elif kind == WSMsgType.CONTINUATION:
            self._continued(frame)
        elif self._partial_kind is not None:
            self._protocol_error("a new message began before the fragmented one ended")
        elif frame.fin:
            self._message(kind, frame.get_payload_as_bytes() if kind == WSMsgType.TEXT
                          else frame.payload_size)
        elif frame.payload_size > self._gateway.limits.hard_frame_bytes:
            self._enqueue((_OVERSIZE, frame.payload_size))
            self._partial_kind = _DISCARDING
        else:
            self._partial_kind = kind
            self._partial_size = frame.payload_size
            if kind == WSMsgType.TEXT:
                self._partial = bytearray(frame.get_payload_as_memoryview())

    def _continued(self, frame: WSFrame) -> None:
        kind = self._partial_kind
        if kind is None:
            self._protocol_error("a continuation frame with no message to continue")
            return
        if kind == _DISCARDING:
            if frame.fin:
                self._partial_kind = None
            return
        self._partial_size += frame.payload_size
        if self._partial_size > self._gateway.limits.hard_frame_bytes:
            # Refused (and the socket closed) without reading the rest of it.
            self._enqueue((_OVERSIZE, self._partial_size))
            self._partial_kind = None if frame.fin else _DISCARDING
            self._partial = None
            return
        if self._partial is not None:
            self._partial += frame.get_payload_as_memoryview()
        if frame.fin:
            data, self._partial_kind, self._partial = self._partial, None, None
            self._message(kind, bytes(data) if data is not None else self._partial_size)

    def _peer_closed(self, transport: WSTransport, payload: bytes) -> None:
        """Answer the peer's CLOSE (with 1000, or 1002/1007 for a malformed one, as
        aiohttp's reader judges them) and hang up."""
        reply = WSCloseCode.OK
        if len(payload) == 1:
            reply = WSCloseCode.PROTOCOL_ERROR
        elif payload:
            code = int.from_bytes(payload[:2], "big")
            if code < 3000 and code not in _PEER_CLOSE_CODES:
                reply = WSCloseCode.PROTOCOL_ERROR
            elif not payload[2:].isascii():
                try:
                    payload[2:].decode()
                except UnicodeDecodeError:
                    reply = WSCloseCode.INVALID_TEXT
        if reply != WSCloseCode.OK:
            metrics.PROTOCOL_ERRORS.inc()
        if not transport.is_close_frame_sent:
            transport.send_close(reply)
        transport.disconnect()

    def _message(self, kind: WSMsgType, data: bytes | int) -> None:
        self._enqueue((_TEXT, data) if kind == WSMsgType.TEXT else (_BINARY, data))

    def _protocol_error(self, reason: str) -> None:
        metrics.PROTOCOL_ERRORS.inc()
        self.close_soon(CloseCode.PROTOCOL_ERROR, reason)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._outbox, self._pong = None, None
        if self._registered:
            self._enqueue((_CLOSED, None))

    def pause_writing(self) -> None:
        if self._outbox is None:
            # Frames still waiting for this turn's write are older than any pushed
            # from now on: they head the queue.
            pending, self._pending = self._pending, None
            self._outbox = deque(pending or ())
            self._outbox_bytes = sum(len(data) for data in self._outbox)

    def resume_writing(self) -> None:
        outbox, self._outbox = self._outbox, None
        transport = self.transport
        if outbox is None or transport is None:
            return
        pong, self._pong = self._pong, None
        if pong is not None:
            transport.send_pong(pong)
        while outbox:
            if self._outbox is not None:  # paused again while flushing: keep the order
                self._outbox.extendleft(reversed(outbox))
                self._outbox_bytes = sum(len(data) for data in self._outbox)
                return
            transport.send(WSMsgType.TEXT, outbox.popleft())
        if self.close_requested is not None:
            self._send_close()

    # --- the Link interface ----------------------------------------------------------

    def push(self, data: bytes) -> None:
        transport = self.transport
        if self.close_requested is not None or transport is None or transport.is_disconnected:
            return
        outbox = self._outbox
        if outbox is None:
            pending = self._pending
            if pending is None:
                self._pending = [data]
                self._loop.call_soon(self._write_pending)
            else:
                pending.append(data)
        elif self._outbox_bytes + len(data) > self._limit:
            self.close_soon(CloseCode.TOO_SLOW, "outbound queue overflow")
        else:
            outbox.append(data)
            self._outbox_bytes += len(data)

    def pong(self, payload: bytes) -> None:
        """Answer a PING; while the peer is not reading, only the latest is owed
        (RFC 6455 §5.5.3 allows answering just the most recent PING)."""
        transport = self.transport
        if self.close_requested is not None or transport is None or transport.is_disconnected:
            return
        if self._outbox is None:
            transport.send_pong(payload)
        else:
            self._pong = payload

    def close_soon(self, code: int, reason: str) -> None:
        if self.close_requested is not None:
            return
        self.close_requested = (code, reason)
        count_close(code)
        if code == CloseCode.TOO_SLOW:
            self._outbox = self._pending = None  # the peer is not reading: drop its backlog
        if self._outbox is None:
            self._send_close()  # else after the queued frames, in resume_writing
        elif self.transport is not None:
            # A peer that never reads never resumes our writing: reset it in the end.
            self._loop.call_later(CLOSE_FLUSH_TIMEOUT, _abort, self.transport)

    async def finish(self, flush_timeout: float = CLOSE_FLUSH_TIMEOUT) -> None:
        transport = self.transport
        if transport is None or transport.is_disconnected or self.close_requested is None:
            return
        with contextlib.suppress(Exception):  # a timeout, or a callback's error re-raised
            await asyncio.wait_for(transport.wait_disconnected(), flush_timeout)
        if not transport.is_disconnected:
            transport.disconnect(graceful=False)

    # --- inside ----------------------------------------------------------------------

    def _write_pending(self) -> None:
        """Write the frames given this turn, in one system call when there are several
        (picows writes each frame it is given at once)."""
        pending, self._pending = self._pending, None
        transport = self.transport
        if (not pending or transport is None or transport.is_disconnected
                or transport.is_close_frame_sent):
            return
        if len(pending) == 1:
            transport.send(WSMsgType.TEXT, pending[0])
            return
        parts: list[bytes] = []
        for data in pending:
            parts.append(_text_frame_header(len(data)))
            parts.append(data)
        # The same socket as picows's own writes, which wait behind anything the
        # transport still buffers: the order of frames holds.
        transport.underlying_transport.write(b"".join(parts))

    def _send_close(self) -> None:
        transport = self.transport
        if transport is None or transport.is_disconnected or self.close_requested is None:
            return
        self._write_pending()  # the frames given before the close go before it
        code, reason = self.close_requested
        transport.send_close(WSCloseCode(code), close_reason(reason))
        # The peer answers with its close frame (then we disconnect); if it does not,
        # hang up anyway, and reset a connection whose buffers never drain.
        self._loop.call_later(CLOSE_HANDSHAKE_TIMEOUT, transport.disconnect)
        self._loop.call_later(CLOSE_FLUSH_TIMEOUT, _abort, transport)

    def _enqueue(self, item: Inbound) -> None:
        inbox = self._inbox
        if inbox is None:
            inbox = self._inbox = deque()
        inbox.append(item)
        if self._worker is None:
            self._worker = self._loop.create_task(self._work())

    async def _work(self) -> None:
        """Hand waiting frames to the gateway, in order, one at a time."""
        gateway = self._gateway
        inbox = self._inbox
        try:
            while inbox:
                kind, data = inbox.popleft()
                try:
                    if kind == _TEXT:
                        if self.close_requested is None:
                            await gateway.received(self, data)  # type: ignore[arg-type]
                    elif kind == _OPEN:
                        await gateway.opened(self, self._identity)
                    elif kind == _BINARY:
                        if self.close_requested is None:
                            await gateway.received_binary(self, data)  # type: ignore[arg-type]
                    elif kind == _OVERSIZE:
                        await gateway.oversize(self, data)  # type: ignore[arg-type]
                    else:
                        await gateway.closed(self)
                except Exception:
                    # A bug, not the peer's doing: say so and end this socket only.
                    log.exception("socket %s: handling a frame failed", self.socket_id)
                    self.close_soon(CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            self._worker = None
            self._inbox = inbox or None


def _abort(transport: WSTransport) -> None:
    if not transport.is_disconnected:
        transport.disconnect(graceful=False)


def listener_factory(gateway: Gateway) -> Callable[[WSUpgradeRequest], object]:
    """What picows calls with each upgrade request: a listener, or a refusal."""

    def make_listener(request: WSUpgradeRequest) -> object:
        target = urlsplit(request.path.decode("latin-1"))
        if target.path != WS_PATH:
            return None  # 404
        headers = request.headers
        query_tokens = parse_qs(target.query).get("token")
        identity, failure = gateway.identity_from(
            _cookie_value(headers.get("Cookie"), AUTH_COOKIE),
            query_tokens[0] if query_tokens else None)
        refused = gateway.refusal(headers.get("Origin"), headers.get("Host", ""), identity)
        if refused is not None:
            response = WSUpgradeResponse.create_error_response(refused.status,
                                                               refused.text.encode())
            return WSUpgradeResponseWithListener(response, None)
        return PicowsLink(gateway, gateway.new_session(), identity, failure)

    return make_listener


def protocol_factory(gateway: Gateway) -> Callable[[], asyncio.BaseProtocol]:
    """Per-connection picows protocols for ``/ws/games``, as ws_create_server makes them."""
    make_listener = listener_factory(gateway)
    # Frames up to the session's limits are read and refused by the session; this is
    # the ceiling beyond which picows will not buffer a frame (it closes with 1009).
    max_frame = gateway.limits.hard_frame_bytes * 16

    def make_protocol() -> asyncio.BaseProtocol:
        protocol: asyncio.BaseProtocol = WSProtocol(
            None, None, False,  # no host, no path: the server side
            make_listener, _QUIET_LOG,
            True,  # disconnect when a listener callback raises
            None,  # handshake deadline: the admission layer has one already
            # No auto-ping: a task per socket. Dead peers are found by the session's
            # idle timeout (clients ping every 30 s by protocol).
            False, PING_INTERVAL, PING_INTERVAL, WSAutoPingStrategy.PING_WHEN_IDLE,
            False,  # do not answer pings: PicowsLink does, within the session's budget
            max_frame, None, READ_BUFFER)
        return protocol

    return make_protocol
