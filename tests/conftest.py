"""Shared fixtures: an embedded server on 127.0.0.1:0 and token-bearing clients."""

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from blazing.games.base import RandomRng
from blazing.gateway.auth import issue_token
from blazing.settings import Settings
from blazing.wiring import Running, embedded
from tests.support.client import WsClient

SECRET = "test-secret-that-is-long-enough-for-hs256"

# One scaled time unit for tests that depend on timers; raise it on a slow machine.
TIME_UNIT = float(os.environ.get("BLAZING_TEST_TIME_UNIT", "0.2"))


def token_for(user_id: int, username: str, **extra: Any) -> str:
    return issue_token(secret=SECRET, user_id=user_id, username=username, **extra)


@pytest.fixture(autouse=True, scope="session")
def _data_dir_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Whatever runs without an explicit URL (a `blazing serve` subprocess, a server
    built from default settings) keeps its files in a folder of this test session,
    never in the user's $XDG_DATA_HOME."""
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if before is None:
        del os.environ["XDG_DATA_HOME"]
    else:
        os.environ["XDG_DATA_HOME"] = before


ServerFactory = Callable[..., Awaitable[Running]]


@pytest.fixture(params=["aiohttp", "picows"])
async def make_server(request: pytest.FixtureRequest,
                      tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Embedded servers, once with each WebSocket transport: both must pass every
    test that talks to a server. Rooms are kept as `blazing serve` keeps them by
    default, in a SQLite file (one per server)."""
    async with AsyncExitStack() as stack:
        started = 0

        async def start(seed: int = 7, **overrides: Any) -> Running:
            nonlocal started
            started += 1
            options: dict[str, Any] = {
                "port": 0, "history_url": "sqlite:///:memory:",
                "state_url": f"sqlite:///{tmp_path / f'state-{started}.db'}",
                "jwt_secret": SECRET, "timer_interval": 0.02, "ws_transport": request.param}
            options.update(overrides)
            return await stack.enter_async_context(
                embedded(Settings(**options), rng=RandomRng.seeded(seed)))

        yield start


@pytest.fixture
async def server(make_server: ServerFactory) -> Running:
    # The tests' players move the moment they may, faster than the default per-socket
    # rate; the rate limit has tests of its own (tests/e2e/test_errors.py).
    return await make_server(rate_per_second=200.0, rate_burst=400.0)


ClientFactory = Callable[..., Awaitable[WsClient]]


@pytest.fixture
async def connect() -> AsyncIterator[ClientFactory]:
    clients: list[WsClient] = []

    async def open_client(running: Running, user_id: int, username: str | None = None,
                          *, authenticated: bool = True, **kw: Any) -> WsClient:
        name = username or f"user{user_id}"
        token = token_for(user_id, name) if authenticated else None
        client = await WsClient.connect(running.ws_url, name, token=token, **kw)
        clients.append(client)
        if authenticated:
            await client.expect("authenticated", user_id=user_id)
        return client

    yield open_client
    for client in clients:
        await client.close()
