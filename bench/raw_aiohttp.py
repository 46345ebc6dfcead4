#!/usr/bin/env python3
"""Raw aiohttp baseline: the smallest aiohttp WebSocket server that answers the
benchmark's frames (see raw_common.py). Same socket options as the gateway
(heartbeat 30 s, no compression, bytes frames), uvloop when installed, one
process. Each reply is sent straight from the reading handler, no queue, no
writer task.

    python bench/raw_aiohttp.py --port 0     # prints: raw-aiohttp: listening on http://…
"""

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from aiohttp import WSMsgType, web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from raw_common import Core, run_server

core = Core()


async def handle(request: web.Request) -> web.StreamResponse:
    ws = web.WebSocketResponse(heartbeat=30.0, compress=False, max_msg_size=1 << 20,
                               decode_text=False)
    await ws.prepare(request)
    out = core.open(ws, request.query.get("token"))
    if out is None:
        await ws.close(code=4401, message=b"invalid token")
        return ws
    try:
        await _send(out)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await _send(core.message(ws, msg.data))
            elif msg.type != WSMsgType.BINARY:
                break
    finally:
        await _send(core.close(ws))
    return ws


async def _send(out: list[tuple[list[object], bytes]]) -> None:
    for targets, data in out:
        for target in targets:
            assert isinstance(target, web.WebSocketResponse)
            if not target.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await target.send_frame(data, WSMsgType.TEXT)


async def main(host: str, port: int) -> None:
    app = web.Application()
    app.router.add_get("/ws/games", handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096, reuse_address=True)
    await site.start()
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
    print(f"raw-aiohttp: listening on http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    run_server(__doc__.split("\n\n")[0], 8001, main)
