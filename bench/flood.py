"""A hostile client for the flood measurement: one user sending as fast as it can,
reconnecting whenever the server closes it (4429), for a bounded time.

    python bench/flood.py --url ws://127.0.0.1:8123/ws/games --secret S --seconds 25

Prints how many frames it sent, how many RATE_LIMITED errors and 4429 closes it got.
Run it beside `blazing bench --url ... --scenarios games --think-ms 100` and compare
the games' round trips with and without it (docs/performance.md).
"""

import argparse
import asyncio
import json
import time
from collections import Counter

import aiohttp

from blazing.gateway.auth import issue_token


async def flood(url: str, secret: str, seconds: float, max_connects: int,
                source: str | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    token = issue_token(secret=secret, user_id=999_999, username="flooder")
    frame = json.dumps({"type": "list_rooms"})
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(local_addr=(source, 0) if source else None)
    async with aiohttp.ClientSession(connector=connector) as http:
        while time.monotonic() < deadline and counts["connects"] < max_connects:
            counts["connects"] += 1
            try:
                async with http.ws_connect(url, params={"token": token}) as ws:
                    reader = asyncio.create_task(_read(ws, counts))
                    while not ws.closed and time.monotonic() < deadline:
                        await ws.send_str(frame)
                        counts["sent"] += 1
                        if counts["sent"] % 64 == 0:
                            await asyncio.sleep(0)  # let the reader run
                    await reader
                    counts[f"close {ws.close_code}"] += 1
            except (aiohttp.ClientError, ConnectionError):
                counts["refused"] += 1
    return counts


async def _read(ws: aiohttp.ClientWebSocketResponse, counts: Counter[str]) -> None:
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT and '"RATE_LIMITED"' in msg.data:
            counts["rate_limited"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--max-connects", type=int, default=2000)
    parser.add_argument("--source", default=None,
                        help="source address to connect from, e.g. 127.0.0.9 (the attacker's "
                             "address, apart from the measured clients')")
    args = parser.parse_args()
    counts = asyncio.run(flood(args.url, args.secret, args.seconds, args.max_connects,
                               args.source))
    print(json.dumps(dict(counts), sort_keys=True))


if __name__ == "__main__":
    main()
