"""The page against the distributed mode: a gateway restart mid-game."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    SERVER_DOWN,
    Pages,
    create_room,
    join_room,
    play,
    start_game,
)
from tests.distributed.cluster import Cluster, running_cluster

pytestmark = [pytest.mark.browser, pytest.mark.services]


@dataclass
class Gateway:
    games_url: str


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with running_cluster() as running:
        yield running


async def test_a_gateway_restart_mid_game_goes_on_where_it_was(cluster: Cluster,
                                                               pages: Pages) -> None:
    await cluster.game_service()
    gateway = await cluster.gateway()
    target = Gateway(games_url=f"{gateway.url}/games")
    alice = await pages.sign_in(target, "alice")  # type: ignore[arg-type]
    bob = await pages.sign_in(target, "bob")  # type: ignore[arg-type]
    await create_room(alice, "Sturdy")
    await join_room(bob, "Sturdy")
    await start_game(alice, bob)
    await play([alice, bob], alice, rolls=3)
    await expect(alice.room).to_have_attribute("data-turn-number", "4")

    pages.console.allow(SERVER_DOWN)  # the pages retry while no gateway listens
    port = gateway.port
    await gateway.stop()
    for p in (alice, bob):
        await expect(p.by("connection-banner")).to_be_visible()
        await expect(p.by("connection-text")).to_contain_text("reconnecting")
    await cluster.gateway(port=port)  # a new gateway process on the same address
    for p in (alice, bob):
        await expect(p.by("connection-banner")).to_be_hidden(timeout=20_000)
        await expect(p.by("room-view")).to_be_visible()
        await expect(p.room).to_have_attribute("data-status", "in_progress")
        await expect(p.room).to_have_attribute("data-turn-number", "4")
    await play([alice, bob], alice)
    for p in (alice, bob):
        await expect(p.room).to_have_attribute("data-status", "finished")
