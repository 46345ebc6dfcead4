#!/usr/bin/env python3
"""Raw picows baseline: the same core as raw_aiohttp.py (raw_common.py) over
picows, a Cython WebSocket library with synchronous sends and frame callbacks.
Tuned as DESIGN.md measured it: a small initial read buffer per socket.
Needs ``pip install picows``; the harness skips it with a note otherwise.

    python bench/raw_picows.py --port 0      # prints: raw-picows: listening on http://…
"""

import asyncio
import signal
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from picows import (  # type: ignore[import-not-found, unused-ignore]
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    ws_create_server,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from raw_common import Core, Out, run_server

core = Core()
READ_BUFFER = 2048  # picows defaults to 16 KiB per socket


class Listener(WSListener):  # type: ignore[misc, unused-ignore]
    def __init__(self, token: str | None) -> None:
        self.token = token
        self.transport: WSTransport | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        out = core.open(self, self.token)
        if out is None:
            transport.send_close(WSCloseCode(4401), b"invalid token")
            transport.disconnect()
            return
        _send(out)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            _send(core.message(self, frame.get_payload_as_bytes()))
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        _send(core.close(self))
        self.transport = None


def _send(out: Out) -> None:
    for targets, data in out:
        for target in targets:
            transport = getattr(target, "transport", None)
            if transport is not None:
                transport.send(WSMsgType.TEXT, data)


def factory(request: WSUpgradeRequest) -> Listener | None:
    target = request.path.decode("latin-1")
    if urlsplit(target).path != "/ws/games":
        return None  # picows answers 404
    token = parse_qs(urlsplit(target).query).get("token", [None])[0]
    return Listener(token)


async def main(host: str, port: int) -> None:
    server = await ws_create_server(factory, host, port, enable_auto_ping=True,
                                    auto_ping_idle_timeout=30, auto_ping_reply_timeout=30,
                                    read_buffer_init_size=READ_BUFFER, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    print(f"raw-picows: listening on http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    run_server(__doc__.split("\n\n")[0], 8002, main)
