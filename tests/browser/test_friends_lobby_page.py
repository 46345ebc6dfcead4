"""Playing with friends from the lobby, in a real browser: a private table's invite
link opened in another browser (which signs in, is asked for the table's password
and takes the seat), a renewed link,
a password prompt (wrong, then right; Esc cancels), quick play pairing two pages at
one table, and the lobby's filters and rows."""

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    Pages,
    Player,
    ServerProcess,
    create_room,
    room_row,
    screenshot,
)

pytestmark = pytest.mark.browser

INVITE_LINK = re.compile(r"^http://127\.0\.0\.1:\d+/games/join/[2-9A-HJ-NP-Z]{10}$")
MOBILE = {"width": 360, "height": 740}


async def create_with(player: Player, name: str, *, private: bool = False,
                      password: str | None = None, game: str | None = None) -> str:
    """Create ``name`` with the form's visibility and password set as asked."""
    if private:
        await player.by("visibility-private").check()
    if password is not None:
        await player.by("create-password").fill(password)
    return await create_room(player, name, game=game)


async def sign_in_here(player: Player) -> None:
    """The dev sign-in form of a page that was opened at an invite link."""
    await expect(player.by("signin-form")).to_be_visible()
    await player.by("signin-username").fill(player.name)
    await player.by("signin-submit").click()
    await expect(player.page.locator("body")).to_have_attribute("data-connection", "open")
    player.user_id = int(await player.page.locator("body").get_attribute("data-user-id") or 0)


async def test_an_invite_link_seats_a_friend_at_a_private_table(server: ServerProcess,
                                                                 pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    await alice.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                          origin=server.base_url)
    bob = await pages.sign_in(server, "bob")
    await create_with(alice, "Friends only", private=True, password="open sesame")
    await expect(alice.by("room-private")).to_be_visible()
    await expect(alice.by("room-locked")).to_be_visible()
    await expect(alice.by("invite-card")).to_be_visible()
    await expect(alice.by("invite-hint")).to_have_text("This table is private: only people with "
                                                       "this link can join. They will need the "
                                                       "password too.")
    await expect(alice.by("invite-link")).to_have_value(INVITE_LINK)

    # Copy puts the link on the clipboard, and says so.
    await alice.by("invite-copy").click()
    await expect(alice.by("invite-feedback")).to_have_text(re.compile("^Link copied"))
    link = await alice.page.evaluate("navigator.clipboard.readText()")
    assert link == await alice.by("invite-link").input_value()
    await screenshot(alice, "invite-host.png")

    # A friend opens the link in another browser: signs in, gives the password (wrong
    # first), and sits down.
    dana = await pages.open(server, "dana", url=link, viewport=MOBILE)
    await expect(dana.by("signin-invite")).to_be_visible()
    await screenshot(dana, "invite-signin-360.png")
    await sign_in_here(dana)
    await expect(dana.by("password-dialog")).to_be_visible()
    await expect(dana.by("password-title")).to_have_text("This table needs a password")
    await expect(dana.by("password-error")).to_be_hidden()
    await dana.by("password-input").fill("sesame")
    await dana.page.keyboard.press("Enter")
    await expect(dana.by("password-error")).to_have_text(
        "That is not the room's password. Try again.")
    await screenshot(dana, "invite-password-360.png", full_page=False)
    await dana.by("password-input").fill("open sesame")
    await dana.page.keyboard.press("Enter")
    await expect(dana.by("room-view")).to_be_visible()
    await expect(dana.by("room-title")).to_have_text("Friends only")
    await expect(dana.room).to_have_attribute("data-role", "player")
    await expect(dana.page).to_have_url(re.compile(r"/games$"))  # the code leaves the address
    await expect(dana.by("invite-card")).to_be_hidden()  # only the host has the link
    await expect(alice.page.locator(f'[data-testid="seat"][data-user-id="{dana.user_id}"]')
                 ).to_be_visible()
    # The private table never shows in a lobby.
    await expect(bob.by("room-list-empty")).to_be_visible()
    await expect(room_row(bob, "Friends only")).to_have_count(0)
    await screenshot(dana, "invite-joined-360.png")

    # A new link: the old one stops working.
    await alice.by("invite-renew").click()
    await expect(alice.by("invite-feedback")).to_have_text(re.compile("old one no longer works"))
    await expect(alice.by("invite-link")).not_to_have_value(link)
    await expect(alice.by("invite-link")).to_have_value(INVITE_LINK)
    eve = await pages.open(server, "eve", url=link)
    await sign_in_here(eve)
    await expect(eve.by("lobby-view")).to_be_visible()
    await expect(eve.by("notice-text")).to_have_text(re.compile("invite link does not work"))
    await expect(eve.page).to_have_url(re.compile(r"/games$"))
    await screenshot(eve, "invite-old-link.png")


async def test_a_copy_without_clipboard_access_selects_the_link(server: ServerProcess,
                                                                pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice", init_script=(
        "Object.defineProperty(navigator, 'clipboard', {value: {writeText: "
        "() => Promise.reject(new Error('denied'))}});"))
    await create_with(alice, "No clipboard", private=True)
    await alice.by("invite-copy").click()
    await expect(alice.by("invite-feedback")).to_contain_text("press Ctrl+C")
    await expect(alice.by("invite-link")).to_be_focused()
    selected = await alice.by("invite-link").evaluate(
        "el => el.value.slice(el.selectionStart, el.selectionEnd)")
    assert selected == await alice.by("invite-link").input_value()


async def test_a_locked_room_asks_for_its_password(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol", viewport=MOBILE)
    await create_with(alice, "Locked", password="sesame")
    await expect(alice.by("room-locked")).to_be_visible()
    row = room_row(bob, "Locked")
    await expect(row.get_by_test_id("room-lock")).to_be_visible()
    await expect(row).to_have_attribute("data-locked", "true")
    await screenshot(bob, "lobby-lock.png")

    # Esc cancels, and the focus goes back to the Join button.
    join = row.get_by_test_id("join-button")
    await join.focus()
    await bob.page.keyboard.press("Enter")
    dialog = bob.by("password-dialog")
    await expect(dialog).to_be_visible()
    await expect(bob.by("password-input")).to_be_focused()
    await expect(dialog).to_have_accessible_name("“Locked” is locked")
    await bob.page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(join).to_be_focused()

    # A wrong password, then the right one.
    await join.click()
    await bob.by("password-input").fill("open up")
    await bob.page.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await expect(bob.by("password-error")).to_have_text(
        "That is not the room's password. Try again.")
    await expect(bob.by("password-input")).to_have_value("")
    await screenshot(bob, "password-dialog.png", full_page=False)
    await bob.by("password-input").fill("sesame")
    await bob.by("password-submit").click()
    await expect(bob.by("room-title")).to_have_text("Locked")
    await expect(bob.room).to_have_attribute("data-role", "player")

    # Watching needs it too; five wrong tries a minute, then even the right one waits.
    watch = room_row(carol, "Locked").get_by_test_id("spectate-button")
    await watch.click()
    for attempt in range(5):
        await expect(carol.by("password-dialog")).to_be_visible()
        if attempt:
            await expect(carol.by("password-error")).to_contain_text("not the room's password")
        await carol.by("password-input").fill(f"guess {attempt}")
        await carol.by("password-submit").click()
    await expect(carol.by("password-error")).to_contain_text("not the room's password")
    await screenshot(carol, "password-dialog-360.png", full_page=False)
    await carol.by("password-input").fill("sesame")
    await carol.by("password-submit").click()
    await expect(carol.by("password-dialog")).to_be_hidden()
    await expect(room_row(carol, "Locked").get_by_test_id("row-error")).to_have_text(
        "Too many tries for now. Wait a minute, then try again.")
    await expect(carol.by("lobby-view")).to_be_visible()


async def test_quick_play_pairs_two_players_at_one_table(server: ServerProcess,
                                                         pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice", viewport=MOBILE)
    bob = await pages.sign_in(server, "bob")
    quick_ttt = '[data-testid="quick-play-button"][data-game-type="tic_tac_toe"]'

    # Alone: a table opens and waits; Cancel leaves it.
    await alice.page.locator(quick_ttt).click()
    await expect(alice.by("room-view")).to_be_visible()
    await expect(alice.room).to_have_attribute("data-quick", "looking")
    await expect(alice.by("turn-indicator")).to_have_text("Looking for players…")
    await expect(alice.by("quick-status")).to_contain_text("1 of 2 seats taken")
    await expect(alice.by("quick-cancel")).to_be_visible()
    await screenshot(alice, "quick-play-waiting-360.png")
    await alice.by("quick-cancel").click()
    await expect(alice.by("lobby-view")).to_be_visible()
    await expect(alice.page.locator(quick_ttt)).to_be_focused()
    await expect(bob.by("room-list-empty")).to_be_visible()  # the table closed

    # Both press at once: one table, both seated.
    await asyncio.gather(alice.page.locator(quick_ttt).click(), bob.page.locator(quick_ttt).click())
    for p in (alice, bob):
        await expect(p.by("room-view")).to_be_visible()
        await expect(p.by("seat")).to_have_count(2)
        await expect(p.page.locator('[data-testid="seat"][data-user-id=""]')).to_have_count(0)
        await expect(p.room).to_have_attribute("data-quick", "")
        await expect(p.by("quick-cancel")).to_be_hidden()
        await expect(p.by("ready-deadline")).to_have_text(re.compile(r"^Get ready: \d+ s left"))
    room_id = await alice.room.get_attribute("data-room-id")
    assert room_id and room_id == await bob.room.get_attribute("data-room-id")
    await expect(alice.by("room-title")).to_have_text(re.compile("^Quick play Tic Tac Toe"))
    await bob.by("ready-button").click()
    await expect(alice.by("ready-deadline")).to_have_text(re.compile(r"^Get ready: \d+ s left"))
    await expect(bob.by("ready-deadline")).to_have_text(
        re.compile(r"^alice has \d+ s to get ready, or lose the seat\.$"))
    await screenshot(alice, "quick-play-paired-360.png")
    await alice.by("ready-button").click()
    for p in (alice, bob):
        await expect(p.room).to_have_attribute("data-status", "in_progress")
        await expect(p.by("ready-deadline")).to_be_hidden()

    # Leaving mid-game asks first (a dialog; Cancel keeps the game), then forfeits.
    await alice.by("leave-button").click()
    await expect(alice.by("confirm-title")).to_have_text("Leave the game?")
    await alice.by("confirm-cancel").click()
    await expect(alice.by("leave-button")).to_be_focused()
    await expect(alice.room).to_have_attribute("data-status", "in_progress")
    await alice.by("leave-button").click()
    await alice.by("confirm-ok").click()
    await expect(alice.by("lobby-view")).to_be_visible()
    await expect(bob.by("game-over")).to_have_attribute("data-reason", "forfeit")
    await expect(bob.by("rematch-status")).to_have_text("alice left the game — no rematch.")
    await expect(bob.by("rematch-button")).to_be_hidden()


async def test_the_lobby_filters_by_game_and_free_seat(server: ServerProcess,
                                                       pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol")
    dan = await pages.sign_in(server, "dan", viewport=MOBILE)
    await create_room(alice, "Dice table", game="bigger_dice", seats=3)
    await create_room(bob, "Noughts", game="tic_tac_toe")
    await room_row(carol, "Noughts").get_by_test_id("join-button").click()
    await expect(carol.by("room-title")).to_have_text("Noughts")

    rows = dan.by("room-row")
    await expect(rows).to_have_count(2)
    dice = room_row(dan, "Dice table")
    await expect(dice.get_by_test_id("room-row-game")).to_have_text("Bigger Dice")
    await expect(dice.get_by_test_id("room-seats")).to_have_text("1/3")
    await expect(dice.get_by_test_id("room-watchers")).to_have_text("0 watching")
    await expect(room_row(dan, "Noughts").get_by_test_id("room-seats")).to_have_text("2/2")

    await dan.by("filter-free").check()
    await expect(rows).to_have_count(1)
    await expect(dice).to_be_visible()
    await expect(dan.by("room-count")).to_have_text("1 of 2")
    await dan.by("filter-free").uncheck()
    await dan.by("filter-game").select_option("tic_tac_toe")
    await expect(rows).to_have_count(1)
    await expect(room_row(dan, "Noughts")).to_be_visible()
    await dan.by("filter-free").check()
    await expect(rows).to_have_count(0)
    await expect(dan.by("room-list-filtered")).to_be_visible()
    # The filters hold for rooms that come later (the lobby's live updates).
    erin = await pages.sign_in(server, "erin")
    await create_room(erin, "Noughts 2", game="tic_tac_toe")
    await expect(rows).to_have_count(1)
    await expect(room_row(dan, "Noughts 2")).to_be_visible()
    await screenshot(dan, "lobby-filters-360.png")
    width = await dan.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the lobby scrolls sideways at 360 px ({width} px wide)"
