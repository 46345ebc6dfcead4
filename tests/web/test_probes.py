"""/healthz and /readyz say what the process can do: a failed process is neither
alive nor ready; a required dependency that fails or hangs makes it unready, an
optional one only degraded."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from blazing.errors import DependencyUnavailable
from blazing.supervision import Liveness
from blazing.web.app import PROBE_TIMEOUT, Probe, build_probe_app


async def fine() -> None:
    return None


async def down() -> None:
    raise DependencyUnavailable("refused")


async def hangs() -> None:
    await asyncio.sleep(3600)


Get = Callable[[str], Any]


@pytest.fixture
async def probe_app() -> AsyncIterator[Callable[..., Any]]:
    servers: list[TestServer] = []
    http = aiohttp.ClientSession()

    async def start(probes: dict[str, Probe], liveness: Liveness | None = None,
                    optional: frozenset[str] = frozenset()) -> Get:
        server = TestServer(build_probe_app(probes, liveness, optional))
        await server.start_server()
        servers.append(server)

        async def get(path: str) -> tuple[int, dict[str, Any]]:
            async with http.get(server.make_url(path)) as response:
                return response.status, await response.json()

        return get

    yield start
    await http.close()
    for server in servers:
        await server.close()


async def test_all_answering_is_ready(probe_app: Any) -> None:
    get = await probe_app({"bus": fine, "state": fine, "history": fine})
    assert await get("/healthz") == (200, {"status": "ok"})
    assert await get("/readyz") == (200, {"status": "ready"})


async def test_a_required_dependency_down_is_unready_and_named(probe_app: Any) -> None:
    get = await probe_app({"bus": down, "state": fine, "history": fine})
    status, body = await get("/readyz")
    assert status == 503 and list(body["failing"]) == ["bus"]


async def test_an_optional_dependency_down_leaves_it_ready_but_degraded(probe_app: Any) -> None:
    get = await probe_app({"bus": fine, "history": down}, optional=frozenset({"history"}))
    status, body = await get("/readyz")
    assert status == 200 and list(body["degraded"]) == ["history"]


async def test_a_dependency_that_hangs_counts_as_down_in_bounded_time(probe_app: Any) -> None:
    get = await probe_app({"bus": fine, "state": hangs})
    started = time.monotonic()
    status, body = await get("/readyz")
    assert status == 503 and "state" in body["failing"]
    assert time.monotonic() - started < PROBE_TIMEOUT + 1


async def test_a_process_that_failed_is_neither_alive_nor_ready(probe_app: Any) -> None:
    liveness = Liveness()
    get = await probe_app({"bus": fine}, liveness)
    liveness.fail("command consumer stopped")
    assert (await get("/healthz"))[0] == 503
    status, body = await get("/readyz")
    assert status == 503 and body["failing"]["process"] == "command consumer stopped"
