"""Players and spectators that behave like the games page under faults: they keep
every frame they receive (with its arrival time and the socket it came on), roll on
their turn, try again after SERVICE_UNAVAILABLE, reconnect to another gateway when
their socket closes and rejoin their room, and resynchronise with ``rejoin_room``
after a long silence, as the page does on a gap."""

import asyncio
import contextlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.conftest import token_for

RETRY_AFTER = 0.5  # seconds before a command refused with SERVICE_UNAVAILABLE goes again
RESYNC_AFTER = 4.0  # seconds of silence in a running game before a rejoin_room
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Frame:
    at: float  # loop time it arrived
    socket: int  # which of the seat's sockets (0, 1, … as it reconnected)
    data: dict[str, Any]


@dataclass
class Seat:
    """One person at one game: a player (``rolls``) or a spectator."""

    user_id: int
    name: str
    gateways: Callable[[], list[str]]  # WebSocket URLs of the gateways alive now
    home: int  # index of the gateway it prefers
    rolls: bool
    think: float  # seconds a player waits before rolling
    frames: list[Frame] = field(default_factory=list)
    room_id: str | None = None
    sent_rolls: dict[str, int] = field(default_factory=dict)  # request_id -> turn number
    refused: list[dict[str, Any]] = field(default_factory=list)  # errors it got
    resyncs: int = 0
    sockets: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _http: aiohttp.ClientSession | None = None
    _inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _turn: tuple[int, int] = (0, 0)  # (current player, turn number) as last seen
    _failed_turn: int = 0  # a turn whose roll was refused as unavailable
    _last_event: float = 0.0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    # --- connection ------------------------------------------------------------------

    async def open(self) -> None:
        self._http = aiohttp.ClientSession()
        await self._connect()
        self._tasks.append(asyncio.create_task(self._keep_connected()))

    async def _connect(self) -> None:
        """A socket to the preferred gateway, else the next one alive; keeps trying."""
        assert self._http is not None
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            urls = self.gateways()
            url = urls[(self.home + attempt) % len(urls)]
            try:
                ws = await self._http.ws_connect(
                    url, params={"token": token_for(self.user_id, self.name)},
                    timeout=aiohttp.ClientWSTimeout(ws_close=CONNECT_TIMEOUT),
                    max_msg_size=0)
            except (aiohttp.ClientError, OSError, TimeoutError):
                attempt += 1
                await asyncio.sleep(min(0.1 * attempt, 1.0))  # backoff between tries
                continue
            self._ws = ws
            self.sockets += 1
            self._last_event = loop.time()
            return

    async def _keep_connected(self) -> None:
        """Read every frame; when the socket closes, reconnect and rejoin."""
        while True:
            ws = self._ws
            assert ws is not None
            socket = self.sockets - 1
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._received(socket, json.loads(message.data))
            if self.ended.is_set():
                return
            await self._connect()
            if self.room_id is not None:
                await self.send("rejoin_room", room_id=self.room_id)

    async def send(self, type: str, **fields: Any) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            return  # the reader reconnects and rejoins; the resync covers the rest
        with contextlib.suppress(ConnectionError, aiohttp.ClientError):
            await ws.send_str(json.dumps({"type": type, **fields}))

    async def close(self) -> None:
        self.ended.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()

    # --- what arrives ------------------------------------------------------------------

    def _received(self, socket: int, data: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        self.frames.append(Frame(loop.time(), socket, data))
        self._inbox.put_nowait(data)
        if data.get("room_id") != self.room_id or self.room_id is None:
            if data.get("type") == "error":
                self._error(data)
            return
        self._last_event = loop.time()
        kind = data["type"]
        if kind == "game_started":
            self._saw_turn(int(data["first_turn"]), 1)
        elif kind == "turn_changed":
            self._saw_turn(int(data["current_turn"]), int(data["turn_number"]))
        elif kind == "room_state":
            room = data["room"]
            if room["status"] in ("finished", "abandoned"):
                self.ended.set()
            elif room.get("current_turn"):
                player, number = int(room["current_turn"]), int(room["turn_number"])
                if player == self.user_id and number in self.sent_rolls.values():
                    # Still our turn after we rolled (asked again after a silence or a
                    # reconnect): the roll never arrived; try again.
                    self._failed_turn = number
                self._saw_turn(player, number)
                self._changed.set()
        elif kind == "game_ended":
            self.ended.set()
        elif kind == "error":
            self._error(data)

    def _saw_turn(self, player: int, number: int) -> None:
        if number >= self._turn[1]:
            self._turn = (player, number)
            self._changed.set()

    def _error(self, data: dict[str, Any]) -> None:
        self.refused.append(data)
        request_id = data.get("request_id")
        if data.get("code") == "SERVICE_UNAVAILABLE" and request_id in self.sent_rolls:
            self._failed_turn = self.sent_rolls[request_id]
            self._changed.set()

    async def expect(self, type: str, timeout: float = 30.0, **fields: Any) -> dict[str, Any]:
        """The next frame of ``type`` whose fields match (for setting a game up)."""
        async with asyncio.timeout(timeout):
            while True:
                data = await self._inbox.get()
                if data.get("type") == type and all(
                        data.get(k) == v for k, v in fields.items()):
                    return data

    # --- playing -------------------------------------------------------------------------

    def start_playing(self) -> None:
        if self.rolls:
            self._tasks.append(asyncio.create_task(self._play()))
        self._tasks.append(asyncio.create_task(self._watch_silence()))

    async def _play(self) -> None:
        """Roll once per turn of ours; again if the roll was refused as unavailable."""
        rolled_for = 0
        attempt = 0
        rng = random.Random(self.user_id)
        while not self.ended.is_set():
            await self._changed.wait()
            self._changed.clear()
            player, number = self._turn
            if player != self.user_id:
                continue
            if number == rolled_for:
                if self._failed_turn != number:
                    continue
                await asyncio.sleep(RETRY_AFTER)  # the service is down: not at once
                self._failed_turn = 0
            else:
                await asyncio.sleep(self.think * rng.uniform(0.5, 1.5))  # a player thinks
            if self._turn != (player, number) or self.ended.is_set():
                self._changed.set()  # the turn moved meanwhile: look again
                continue
            attempt += 1
            request_id = f"roll-{self.user_id}-{number}-{attempt}"
            self.sent_rolls[request_id] = number
            rolled_for = number
            await self.send("bigger_dice.roll", room_id=self.room_id, request_id=request_id)

    async def _watch_silence(self) -> None:
        """After a long silence in a running game, ask for the room's state."""
        loop = asyncio.get_running_loop()
        while not self.ended.is_set():
            quiet = loop.time() - self._last_event
            if quiet < RESYNC_AFTER:
                await asyncio.sleep(RESYNC_AFTER - quiet)
                continue
            self.resyncs += 1
            self._last_event = loop.time()
            await self.send("rejoin_room", room_id=self.room_id)
