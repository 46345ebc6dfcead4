"""A game in two Chromium pages survives ``kill -9`` of the embedded server: started
again on the same port and data, the pages reconnect and rejoin by themselves, the
turn timer still runs, and the game finishes with every move counted once."""

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    SERVER_DOWN,
    Pages,
    ServerFactory,
    play,
    screenshot,
    seat_and_start,
)

pytestmark = pytest.mark.browser
# Longer than a restart plus the pages' reconnect attempts (quicker here than the
# page's default 1, 2, 4, 8, 16 s, so the test does not wait on the backoff).
TURN_SECONDS = 12
TIMING = "globalThis.BLAZING_TIMING = {backoffMs: [250, 500, 1000, 2000, 4000]};"


async def test_a_game_survives_kill_9_of_the_server(make_server: ServerFactory, pages: Pages,
                                                    tmp_path: Path) -> None:
    server = await make_server("--state-url", f"sqlite:///{tmp_path / 'state.db'}",
                               "--turn-seconds", str(TURN_SECONDS))
    alice = await pages.sign_in(server, "alice", init_script=TIMING)
    bob = await pages.sign_in(server, "bob", init_script=TIMING)
    await seat_and_start(alice, bob, "Survivor")
    clicked = await play([alice, bob], alice, rolls=5)
    for p in (alice, bob):
        await expect(p.room).to_have_attribute("data-turn-number", str(clicked + 1))
    await screenshot(alice, "durable-1-before-kill.png")

    pages.console.allow(SERVER_DOWN)  # the pages retry while the server is down
    await server.kill()
    for p in (alice, bob):
        await expect(p.by("connection-banner")).to_be_visible()
        await expect(p.by("roll-button")).to_be_disabled()
    await screenshot(alice, "durable-2-server-killed.png")

    await server.start()  # same port, same data
    for p in (alice, bob):
        await expect(p.by("connection-banner")).to_be_hidden(timeout=30_000)
        await expect(p.room).to_be_visible()
        await expect(p.room).to_have_attribute("data-status", "in_progress")
        await expect(p.by("room-title")).to_have_text("Survivor")
        # Nothing lost, nothing doubled: the same roll count as before the kill.
        await expect(p.room).to_have_attribute("data-turn-number", str(clicked + 1))
        await expect(p.page.locator('[data-testid="seat"][data-connected="true"]')
                     ).to_have_count(2)
    await screenshot(alice, "durable-3-rejoined.png")

    # Nobody rolls: the turn timer, kept with the room on disk, rolls for the player.
    # (The page's own words for it may be replaced at once by the round's result, so
    # the roll count is what is waited for.)
    await expect(alice.room).to_have_attribute("data-turn-number", str(clicked + 2),
                                               timeout=(TURN_SECONDS + 5) * 1000)
    clicked += await play([alice, bob], alice)
    for p in (alice, bob):
        await expect(p.room).to_have_attribute("data-status", "finished")
    await screenshot(alice, "durable-4-game-over.png")

    room_id = await alice.room.get_attribute("data-room-id")
    async with aiohttp.ClientSession() as http, \
            http.get(f"{server.base_url}/api/games/history/{room_id}") as response:
        assert response.status == 200
        game = await response.json()
    rolls = sum(len(r["rolls"]) for r in game["rounds"])
    # Every click and the one roll the timer made, once each (a last half-round, if
    # any, is not a round of the record).
    assert rolls in (clicked + 1, clicked)
    assert max(p["final_score"] for p in game["players"]) == 10
