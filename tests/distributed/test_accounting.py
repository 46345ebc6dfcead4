"""The per-command counters of /metrics (blazing.accounting) move in both processes
when a real game is played over Kafka, Redis and FerretDB."""

import asyncio

import aiohttp
import pytest

from tests.support.optional import require_modules

require_modules("aiokafka", "redis", "pymongo")

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import token_for
from tests.distributed.cluster import Cluster, Proc
from tests.e2e.helpers import play_to_the_end, start_game
from tests.support.client import WsClient

pytestmark = pytest.mark.services
SLOW = 45.0

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(proc: Proc) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(f"{proc.url}/metrics") as response:
        text = await response.text()
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Summed over the labels not given."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= set(got))


async def test_each_command_counter_moves_in_gateway_and_game_service(
        cluster: Cluster) -> None:
    service = await cluster.game_service()
    gateway = await cluster.gateway()
    host = await WsClient.connect(gateway.ws_url, "ann", token=token_for(1, "ann"))
    guest = await WsClient.connect(gateway.ws_url, "bob", token=token_for(2, "bob"))
    for ws in (host, guest):
        await ws.expect("authenticated", timeout=SLOW)
    room_id, first = await start_game(host, guest, "Accounting")
    await play_to_the_end({1: host, 2: guest}, room_id, first, host)
    await host.close()
    await guest.close()

    roll = {"type": "bigger_dice.roll"}
    gw = await scrape(gateway)
    on_gateway = {"process": "gateway", **roll}
    assert value(gw, "blazing_command_handled_total", **on_gateway) >= 10
    assert value(gw, "blazing_command_cpu_seconds_total", **on_gateway) > 0
    assert value(gw, "blazing_command_bus_messages_total", **on_gateway) >= 10
    assert value(gw, "blazing_command_bus_bytes_total", **on_gateway) > 100
    # the gateway's Redis traffic is presence (sign-in, heartbeats): not a command's
    assert total(gw, "blazing_command_store_calls_total", process="gateway") > 0

    svc = await scrape(service)
    on_service = {"process": "game-service", **roll}
    rolls = value(svc, "blazing_command_handled_total", **on_service)
    assert rolls >= 10
    assert value(svc, "blazing_command_cpu_seconds_total", **on_service) > 0
    assert value(svc, "blazing_command_bus_messages_total", **on_service) >= rolls
    assert value(svc, "blazing_command_bus_bytes_total", **on_service) > 100 * rolls
    assert value(svc, "blazing_command_store_calls_total", **on_service) >= rolls
    for direction in ("sent", "received"):
        assert value(svc, "blazing_command_store_bytes_total", direction=direction,
                     **on_service) > 0
    # the game's record is written by the timer loop once it ended: outside a command
    for _ in range(100):
        if total(svc, "blazing_command_history_writes_total") >= 1:
            break
        await asyncio.sleep(0.1)
        svc = await scrape(service)
    assert value(svc, "blazing_command_history_writes_total", process="game-service",
                 type="(none)") == 1
    for command in ("create_room", "join_room", "ready"):
        assert value(svc, "blazing_command_handled_total", process="game-service",
                     type=command) >= 1
