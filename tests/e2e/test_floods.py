"""Peers that send and never read: what they cost the server is bounded, whether
they are signed in or not, on both transports. Memory is the server process's own
resident set, read from /proc (the server runs as a process of its own)."""

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from blazing.wiring import Running
from tests.conftest import ClientFactory, ServerFactory, token_for
from tests.support.process import ServeProcess, rss_bytes
from tests.support.raw import OP_PING, RawSocket, frame

MiB = 1024 * 1024
FLOOD_SECONDS = 2.0
FLOOD_PINGS = 400_000  # what the attack run sent in two seconds
PING_PAYLOAD = b"p" * 125  # the largest a control frame may carry: each PONG echoes it
CUT_OFF_WITHIN = 5.0  # seconds after the flood (the auth deadline, 10 s, must not do it)
ALLOWED_GROWTH = 12 * MiB  # before the fix one socket grew the server by 58-70 MiB


@pytest.fixture(params=["picows", "aiohttp"])
async def serve(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ServeProcess]:
    server = ServeProcess(tmp_path, ["--ws-transport", request.param,
                                     "--state-url", "memory://",
                                     "--history-url", "sqlite:///:memory:",
                                     "--log-level", "WARNING"])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class NonReader:
    """A blocking socket that upgrades, then only sends (tiny receive buffer)."""

    def __init__(self, port: int, token: str | None) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        query = f"?token={token}" if token else ""
        self.sock.sendall((f"GET /ws/games{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.sock.settimeout(FLOOD_SECONDS)
        self.sent = 0
        self.cut_off = False  # the server closed or reset the connection

    def flood(self, chunk: bytes, per_chunk: int, total: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.sent < total and time.monotonic() < deadline:
            try:
                self.sock.sendall(chunk)
            except TimeoutError:
                break  # the server stopped reading us (TCP backpressure): also bounded
            except OSError:
                self.cut_off = True
                return
            self.sent += per_chunk

    def server_closed(self, timeout: float = 15.0) -> bool:
        """Read (at last) until the server ends the connection; False if it did not."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(1 << 16):
                pass
        except TimeoutError:
            return self.cut_off
        except OSError:
            return True
        return True


def peak_rss_while(pid: int, work: threading.Thread) -> int:
    peak = rss_bytes(pid)
    while work.is_alive():
        peak = max(peak, rss_bytes(pid))
        work.join(0.02)
    return max(peak, rss_bytes(pid))


@pytest.mark.parametrize("sign_in", [False, True], ids=["anonymous", "signed-in"])
async def test_a_ping_flood_from_a_peer_that_never_reads_is_cut_off_and_costs_little_memory(
        serve: ServeProcess, sign_in: bool) -> None:
    token = token_for(9, "flooder") if sign_in else None
    # Warm up (first connection, first ping) so the baseline is a serving process.
    warm = await RawSocket.open(serve.port, token=token_for(8, "warm"))
    await warm.expect_json("authenticated")
    await warm.close()
    baseline = rss_bytes(serve.pid)
    flooder = await asyncio.to_thread(NonReader, serve.port, token)
    pings_per_chunk = 1000
    chunk = b"".join(frame(OP_PING, PING_PAYLOAD) for _ in range(pings_per_chunk))
    work = threading.Thread(target=flooder.flood,
                            args=(chunk, pings_per_chunk, FLOOD_PINGS, FLOOD_SECONDS))
    work.start()
    peak = await asyncio.to_thread(peak_rss_while, serve.pid, work)
    closed = await asyncio.to_thread(flooder.server_closed, CUT_OFF_WITHIN)
    flooder.sock.close()
    growth = peak - baseline
    print(f"sent {flooder.sent} pings; server RSS {baseline / MiB:.1f} MiB -> peak "
          f"{peak / MiB:.1f} MiB (+{growth / MiB:.1f} MiB); closed by server: {closed}")
    assert closed, "the server kept a control-frame flooder open"
    assert growth < ALLOWED_GROWTH, f"+{growth / MiB:.1f} MiB for one flooding socket"
    # ... and it still serves everyone else.
    after = await RawSocket.open(serve.port, token=token_for(10, "after"))
    await after.expect_json("authenticated")
    await after.close()


@pytest.mark.parametrize("sign_in", [False, True], ids=["anonymous", "signed-in"])
async def test_unread_output_past_the_byte_bound_closes_with_4409_signed_in_or_not(
        make_server: ServerFactory, connect: ClientFactory, sign_in: bool) -> None:
    # Small bound and a generous rate, so that a few thousand refusals (~130 bytes of
    # `error` each) fill the kernel buffers and then the bound quickly.
    server: Running = await make_server(outbound_queue_bytes=16 * 1024,
                                        rate_per_second=100_000, rate_burst=100_000,
                                        flood_close_after=10**9)
    bystander = await connect(server, 2, "bystander")
    flooder = await asyncio.to_thread(NonReader, server.port,
                                      token_for(9, "reader") if sign_in else None)
    slow_closes = REGISTRY.get_sample_value("blazing_slow_consumer_closes_total") or 0.0
    bad = frame(0x1, b"{}")  # INVALID_MESSAGE, signed in or not
    work = threading.Thread(target=flooder.flood, args=(bad * 1000, 1000, 400_000, 10.0))
    work.start()
    await asyncio.to_thread(work.join)
    assert await asyncio.to_thread(flooder.server_closed)
    flooder.sock.close()
    # The server's decision (the close frame itself may be lost to a reset, as the
    # peer's unread frames are still in the server's socket when it closes).
    assert REGISTRY.get_sample_value("blazing_slow_consumer_closes_total") == slow_closes + 1
    await bystander.send("ping")
    await bystander.expect("pong")
    assert server.gateway is not None
    async with asyncio.timeout(5):
        while server.gateway.connection_count > 1:  # noqa: ASYNC110 - poll with a deadline
            await asyncio.sleep(0.02)
