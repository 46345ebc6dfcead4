"""Backends for the contract suites. Each port's suite runs against every
adapter listed here; real-server adapters join when their service is reachable
(and, with CI=true, a missing service fails the run instead of skipping)."""

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from blazing.bus.memory import MemoryBus
from blazing.history.sqlite import SqliteHistory
from blazing.state.memory import MemoryPresence, MemoryRoomStore

Factory = Callable[[], AbstractAsyncContextManager[Any]]

STORE_BACKENDS: dict[str, Factory] = {"memory": MemoryRoomStore}
PRESENCE_BACKENDS: dict[str, Factory] = {"memory": MemoryPresence}
BUS_BACKENDS: dict[str, Factory] = {"memory": MemoryBus}
HISTORY_BACKENDS: dict[str, Factory] = {"sqlite": lambda: SqliteHistory(":memory:")}


def unavailable(service: str, reason: str) -> None:
    """A backend's server is not reachable: fail in CI, skip with a reason locally."""
    message = f"{service} is not reachable ({reason}); start it with `scripts/services up`"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


async def _open(factories: dict[str, Factory], name: str) -> AsyncIterator[Any]:
    async with factories[name]() as adapter:
        yield adapter


@pytest.fixture(params=sorted(STORE_BACKENDS))
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(STORE_BACKENDS, request.param):
        yield adapter


@pytest.fixture(params=sorted(PRESENCE_BACKENDS))
async def presence(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(PRESENCE_BACKENDS, request.param):
        yield adapter


@pytest.fixture(params=sorted(BUS_BACKENDS))
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(BUS_BACKENDS, request.param):
        yield adapter


@pytest.fixture(params=sorted(HISTORY_BACKENDS))
async def history(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async for adapter in _open(HISTORY_BACKENDS, request.param):
        yield adapter
