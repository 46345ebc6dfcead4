"""The host's controls before the start, in a real browser: removing a seated player
and a spectator (with a confirmation; the removed are back in the lobby and cannot
come back), muting in the chat, closing the room to new spectators, and the ready
deadline that frees the seat of a player who never gets ready."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    Pages,
    ServerFactory,
    ServerProcess,
    create_room,
    join_room,
    room_row,
    screenshot,
    spectate_room,
)

pytestmark = pytest.mark.browser

KICKED = "The host removed you from this room, so you cannot come back to it."


async def test_the_host_removes_a_player_and_a_spectator(server: ServerProcess,
                                                         pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol", viewport={"width": 360, "height": 740})
    await create_room(alice, "Strict")
    await join_room(bob, "Strict")
    await spectate_room(carol, "Strict")
    bob_seat = alice.page.locator(f'[data-testid="seat"][data-user-id="{bob.user_id}"]')
    # Only the host has the buttons, and never on their own seat.
    await expect(bob_seat.get_by_test_id("kick-button")).to_have_accessible_name(
        "Remove bob from the room")
    await expect(alice.page.locator(
        f'[data-testid="seat"][data-user-id="{alice.user_id}"] [data-testid="kick-button"]'
    )).to_have_count(0)
    await expect(bob.by("kick-button")).to_have_count(0)
    await expect(carol.by("kick-button")).to_have_count(0)

    # Cancel first: nothing happens, focus is back on the button.
    await bob_seat.get_by_test_id("kick-button").click()
    await expect(alice.by("confirm-dialog")).to_be_visible()
    await expect(alice.by("confirm-title")).to_have_text("Remove bob?")
    await expect(alice.by("confirm-cancel")).to_be_focused()
    await screenshot(alice, "kick-confirm.png", full_page=False)
    await alice.page.keyboard.press("Escape")
    await expect(alice.by("confirm-dialog")).to_be_hidden()
    await expect(bob_seat.get_by_test_id("kick-button")).to_be_focused()
    await expect(bob.room).to_be_visible()

    await bob_seat.get_by_test_id("kick-button").click()
    await alice.by("confirm-ok").click()
    await expect(bob.by("lobby-view")).to_be_visible()
    await expect(bob.by("notice-text")).to_have_text(
        "The host removed you from “Strict”. You cannot come back to that room.")
    await expect(alice.page.locator('[data-testid="seat"][data-user-id=""]')).to_have_count(1)
    await expect(alice.by("announcer")).to_contain_text("The host removed bob.")
    await expect(carol.page.locator('[data-testid="seat"][data-user-id=""]')).to_have_count(1)
    await screenshot(bob, "kicked-lobby.png")
    # He cannot come back: neither to a seat nor to watch.
    row = room_row(bob, "Strict")
    await row.get_by_test_id("join-button").click()
    await expect(row.get_by_test_id("row-error")).to_have_text(KICKED)
    await row.get_by_test_id("spectate-button").click()
    await expect(row.get_by_test_id("row-error")).to_have_text(KICKED)
    await expect(bob.by("lobby-view")).to_be_visible()

    # A spectator, too.
    carol_row = alice.page.locator(f'[data-testid="spectator"][data-user-id="{carol.user_id}"]')
    await carol_row.get_by_test_id("kick-button").click()
    await alice.by("confirm-ok").click()
    await expect(carol.by("lobby-view")).to_be_visible()
    await expect(carol.by("notice-text")).to_contain_text("The host removed you")
    await expect(alice.by("spectator")).to_have_count(0)
    await expect(alice.by("spectator-count")).to_have_text("0")


async def test_the_host_mutes_and_closes_the_room_to_spectators(server: ServerProcess,
                                                                pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol")
    dan = await pages.sign_in(server, "dan")
    await create_room(alice, "Quiet please")
    await join_room(bob, "Quiet please")
    await spectate_room(carol, "Quiet please")

    bob_seat = alice.page.locator(f'[data-testid="seat"][data-user-id="{bob.user_id}"]')
    mute = bob_seat.get_by_test_id("mute-button")
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await expect(mute).to_have_text("Unmute")
    await expect(mute).to_be_focused()  # a redraw keeps the host's place
    await expect(bob.by("chat-input")).to_be_disabled()
    await expect(bob.by("chat-note")).to_have_text("The host has muted you in this room's chat.")
    await expect(bob.by("announcer")).to_contain_text("The host muted you")
    for p in (alice, carol):
        await expect(p.page.locator(
            f'[data-testid="seat"][data-user-id="{bob.user_id}"] [data-testid="seat-muted"]'
        )).to_be_visible()
    await screenshot(alice, "host-controls.png")
    await mute.click()
    await expect(bob.by("chat-input")).to_be_enabled()
    await bob.by("chat-input").fill("thanks")
    await bob.by("chat-input").press("Enter")
    await expect(alice.by("chat-text").last).to_have_text("thanks")

    # Closed to new spectators: those watching stay, the lobby offers no Watch.
    await alice.by("spectators-open").uncheck()
    await expect(carol.by("spectators-closed")).to_have_text(
        "Closed to new spectators: those watching stay.")
    await expect(carol.room).to_have_attribute("data-role", "spectator")
    row = room_row(dan, "Quiet please")
    await expect(row.get_by_test_id("room-closed")).to_have_text("no new spectators")
    await expect(row.get_by_test_id("spectate-button")).to_have_count(0)
    await alice.by("spectators-open").check()
    await expect(row.get_by_test_id("spectate-button")).to_be_visible()
    await expect(carol.by("spectators-closed")).to_be_hidden()


async def test_a_player_who_never_gets_ready_loses_the_seat(make_server: ServerFactory,
                                                            pages: Pages) -> None:
    server = await make_server("--ready-seconds", "3")
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    await create_room(alice, "Hurry")
    await expect(alice.by("ready-deadline")).to_be_hidden()  # a seat is open: no clock
    await join_room(bob, "Hurry")
    await alice.by("ready-button").click()
    await expect(alice.by("ready-deadline")).to_have_text(
        re.compile(r"^bob has \d s to get ready, or lose the seat\.$"))
    await expect(bob.by("ready-deadline")).to_have_text(
        re.compile(r"^Get ready: \d s left, or you lose your seat\.$"))
    await screenshot(bob, "ready-deadline.png")
    await expect(bob.by("lobby-view")).to_be_visible(timeout=8_000)
    await expect(bob.by("notice-text")).to_have_text(
        "You did not get ready in time, so you lost your seat in “Hurry”.")
    await expect(alice.page.locator('[data-testid="seat"][data-user-id=""]')).to_have_count(1)
    await expect(alice.by("ready-deadline")).to_be_hidden()
    await expect(alice.by("announcer")).to_contain_text("bob did not get ready in time")
