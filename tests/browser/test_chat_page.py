"""The chat that lasts, in a real browser: the spectators' own channel (a spectator's
message reaches the other spectators and never a player), both channels back after
a reload (from room_state, not from the browser), and hiding a user's messages on
one's own page (kept across reloads, shown again on demand)."""

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    Pages,
    Player,
    ServerProcess,
    create_room,
    join_room,
    screenshot,
    spectate_room,
)

pytestmark = pytest.mark.browser


async def say(player: Player, text: str) -> None:
    await player.by("chat-input").fill(text)
    await player.by("chat-input").press("Enter")
    await expect(player.by("chat-input")).to_have_value("")


async def test_spectators_have_a_channel_players_never_see(server: ServerProcess,
                                                           pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol")
    dan = await pages.sign_in(server, "dan", viewport={"width": 360, "height": 740})
    await create_room(alice, "Two channels")
    await join_room(bob, "Two channels")
    await spectate_room(carol, "Two channels")
    await spectate_room(dan, "Two channels")

    # Players have one chat; spectators two tabs, their own selected.
    await expect(alice.by("chat-tabs")).to_be_hidden()
    for p in (carol, dan):
        await expect(p.by("chat-tabs")).to_be_visible()
        await expect(p.by("chat-tab-spectators")).to_have_attribute("aria-selected", "true")

    await say(carol, "psst, spectators only")
    await expect(dan.by("chat-text")).to_have_text(["psst, spectators only"])
    await expect(dan.by("chat-message").get_by_test_id("chat-author")).to_have_text(["carol"])
    await expect(dan.by("announcer")).to_contain_text("carol says to the spectators")
    # A player's line reaches everyone; players never got the spectators' line.
    await say(alice, "good luck bob")
    await expect(bob.by("chat-text")).to_have_text(["good luck bob"])
    await expect(alice.by("chat-text")).to_have_text(["good luck bob"])
    await expect(dan.by("chat-tab-room")).to_have_class("chat-tab has-new")
    await dan.by("chat-tab-room").click()
    await expect(dan.by("chat-text")).to_have_text(["good luck bob"])
    await expect(dan.by("chat-form")).to_be_hidden()  # spectators do not write here
    await expect(dan.by("chat-note")).to_contain_text("go to the spectators' chat")
    await expect(dan.by("chat-tab-room")).to_have_class("chat-tab")
    await screenshot(dan, "chat-spectators-360.png")
    # Arrow keys move between the tabs (one tab stop).
    await dan.by("chat-tab-room").focus()
    await dan.page.keyboard.press("ArrowRight")
    await expect(dan.by("chat-tab-spectators")).to_be_focused()
    await expect(dan.by("chat-tab-spectators")).to_have_attribute("aria-selected", "true")
    await expect(dan.by("chat-text")).to_have_text(["psst, spectators only"])

    # The chat comes back from the server after a reload, each channel for its readers.
    await dan.page.reload()
    await expect(dan.by("chat-text")).to_have_text(["psst, spectators only"])
    await dan.by("chat-tab-room").click()
    await expect(dan.by("chat-text")).to_have_text(["good luck bob"])
    await bob.page.reload()
    await expect(bob.by("room-view")).to_be_visible()
    await expect(bob.by("chat-text")).to_have_text(["good luck bob"])
    for p in (alice, bob):
        await expect(p.page.get_by_text("psst, spectators only")).to_have_count(0)
    stored = await bob.page.evaluate("Object.keys(sessionStorage).filter(k => k.includes('chat'))")
    assert stored == [], "the chat is the server's, not kept in the browser"
    await screenshot(carol, "chat-spectators.png")


async def test_a_user_can_hide_someones_messages(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    await create_room(alice, "Noisy")
    await join_room(bob, "Noisy")
    await say(bob, "spam one")
    await say(bob, "spam two")
    await say(alice, "hello")
    await expect(alice.by("chat-text")).to_have_text(["spam one", "spam two", "hello"])
    await expect(alice.by("chat-message").last.get_by_test_id("chat-hide")).to_have_count(0)

    hide = alice.by("chat-message").first.get_by_test_id("chat-hide")
    await expect(hide).to_have_accessible_name("Hide messages from bob")
    await hide.click()
    await expect(alice.by("chat-text")).to_have_text(["hello"])
    row = alice.by("chat-hidden-row")
    await expect(row).to_contain_text("2 messages from bob hidden")
    await expect(row.get_by_test_id("chat-show")).to_be_focused()  # the way back
    await expect(alice.by("announcer")).to_contain_text("Messages from bob are hidden")
    await expect(bob.by("chat-text")).to_have_text(["spam one", "spam two", "hello"])
    await say(bob, "spam three")
    await expect(row).to_contain_text("3 messages from bob hidden")
    await expect(alice.by("chat-text")).to_have_text(["hello"])
    await screenshot(alice, "chat-hidden.png")

    # Kept in this browser: still hidden after a reload.
    await alice.page.reload()
    await expect(alice.by("room-view")).to_be_visible()
    await expect(alice.by("chat-text")).to_have_text(["hello"])
    await alice.by("chat-show").click()
    everything = ["spam one", "spam two", "hello", "spam three"]
    await expect(alice.by("chat-text")).to_have_text(everything)
    await expect(alice.by("chat-hidden")).to_be_hidden()
