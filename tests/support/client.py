"""A small WebSocket test client: records every frame and waits on events
(never on the clock) with a deadline."""

import asyncio
import json
from typing import Any

import aiohttp

DEFAULT_TIMEOUT = 5.0


class Closed(Exception):
    pass


class WsClient:
    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse,
                 name: str) -> None:
        self.session, self.ws, self.name = session, ws, name
        self.log: list[dict[str, Any]] = []
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.closed = asyncio.Event()

    @classmethod
    async def connect(cls, url: str, name: str = "client", *, token: str | None = None,
                      cookie: str | None = None, headers: dict[str, str] | None = None,
                      ) -> "WsClient":
        session = aiohttp.ClientSession(cookies={"auth_token": cookie} if cookie else None)
        params = {"token": token} if token else None
        ws = await session.ws_connect(url, params=params, headers=headers, autoping=True,
                                      max_msg_size=0)
        return cls(session, ws, name)

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    self.log.append(data)
                    await self._queue.put(data)
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = (self.ws._close_message or "") if hasattr(
                self.ws, "_close_message") else ""
            self.closed.set()
            await self._queue.put(None)

    async def send(self, type: str, **fields: Any) -> None:
        await self.ws.send_str(json.dumps({"type": type, **fields}))

    async def send_raw(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def expect(self, type: str, timeout: float = DEFAULT_TIMEOUT,
                     **fields: Any) -> dict[str, Any]:
        """The next frame of ``type`` whose fields match; earlier others are skipped."""
        return await self.expect_one_of((type,), timeout, **fields)

    async def expect_one_of(self, types: tuple[str, ...], timeout: float = DEFAULT_TIMEOUT,
                            **fields: Any) -> dict[str, Any]:
        """The next frame whose type is in ``types`` and whose fields match."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no {types} {fields} within {timeout}s; "
                                   f"last frames: {self.log[-5:]}")
            try:
                msg = await asyncio.wait_for(self._queue.get(), remaining)
            except TimeoutError:
                continue
            if msg is None:
                await self._queue.put(None)
                raise Closed(f"{self.name}: closed ({self.close_code}) waiting for {types}")
            if msg.get("type") in types and all(msg.get(k) == v for k, v in fields.items()):
                return msg

    async def expect_error(self, code: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return await self.expect("error", timeout, code=code)

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    def types(self) -> list[str]:
        return [m["type"] for m in self.log]

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()
        self._reader.cancel()
