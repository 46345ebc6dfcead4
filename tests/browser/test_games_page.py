"""The /games page in a real browser: sign-in, lobby, a whole game, spectating,
chat, reload, errors and the connection's recovery (issue #4)."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    SERVER_DOWN,
    Pages,
    ServerFactory,
    ServerProcess,
    create_room,
    join_room,
    play,
    room_row,
    screenshot,
    seat_and_start,
    sign_in,
    spectate_room,
    start_game,
)

pytestmark = pytest.mark.browser


async def test_whole_game_with_a_spectator(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol")

    await create_room(alice, "Table 1")
    await expect(alice.room).to_have_attribute("data-role", "player")
    await expect(alice.by("seat-name").first).to_contain_text("alice")
    # Bob's lobby learns about the room live (room_created / room_updated).
    await expect(room_row(bob, "Table 1")).to_be_visible()
    await join_room(bob, "Table 1")
    for p in (alice, bob):
        await expect(p.by("seat-name").nth(1)).to_contain_text("bob")
        await expect(p.by("ready-button")).to_be_enabled()
        for seat in range(2):  # tags that are absent leave nothing behind (once: "null")
            await expect(p.by("seat-name").nth(seat)).not_to_contain_text("null")

    await alice.by("ready-button").click()
    await expect(bob.page.locator('[data-testid="seat"][data-ready="true"]')).to_have_count(1)
    await expect(bob.by("seat-ready").first).to_have_text("Ready")
    await bob.by("ready-button").click()
    for p in (alice, bob):
        await expect(p.room).to_have_attribute("data-status", "in_progress")
        await expect(p.by("ready-button")).to_be_hidden()
        await expect(p.by("roll-button")).to_be_visible()
        await expect(p.by("turn-countdown")).to_have_text(re.compile(r"^\d+ s$"))

    # Carol watches from the lobby: same board, no controls, a clear banner.
    await expect(room_row(carol, "Table 1")).to_have_attribute("data-status", "in_progress")
    await expect(room_row(carol, "Table 1").get_by_test_id("join-button")).to_have_count(0)
    await spectate_room(carol, "Table 1")
    await expect(carol.by("watching-banner")).to_be_visible()
    await expect(carol.by("roll-button")).to_be_hidden()
    await expect(carol.by("ready-button")).to_be_hidden()
    for p in (alice, bob, carol):
        await expect(p.by("spectator-count")).to_have_text("1")
    await expect(alice.by("spectator-list")).to_contain_text("carol")

    await play([alice, bob], alice, rolls=6)
    for p in (alice, bob, carol):
        await expect(p.room).to_have_attribute("data-rounds", "3")
        await expect(p.page.locator('[data-testid="rounds-table"] [data-testid="round-row"]')
                     ).to_have_count(3)
    # Whoever has the turn sees an enabled Roll; the other a disabled one.
    await expect(alice.room).to_have_attribute("data-turn-number", "7")  # the 6th roll is in
    turn = int(await alice.room.get_attribute("data-current-turn") or 0)
    roller, waiter = (alice, bob) if turn == alice.user_id else (bob, alice)
    await expect(roller.by("roll-button")).to_be_enabled()
    await expect(roller.by("turn-indicator")).to_have_text("Your turn — roll the die!")
    await expect(waiter.by("roll-button")).to_be_disabled()
    await expect(waiter.by("turn-indicator")).to_have_text(f"{roller.name}'s turn")
    await screenshot(alice, "room-mid-game.png")
    await screenshot(carol, "spectator.png")

    await play([alice, bob], alice)
    for p in (alice, bob, carol):
        await expect(p.by("game-over")).to_be_visible()
        await expect(p.by("board")).to_be_hidden()
    winner_id = int(await alice.by("game-over").get_attribute("data-winner-id") or 0)
    winner, loser = (alice, bob) if winner_id == alice.user_id else (bob, alice)
    await expect(winner.by("game-over-title")).to_have_text("You win!")
    await expect(loser.by("game-over-title")).to_contain_text(f"{winner.name} wins")
    await expect(carol.by("game-over-title")).to_have_text(f"{winner.name} wins!")

    def points(page_player, user_id: int):  # type: ignore[no-untyped-def]
        return page_player.page.locator(
            f'[data-testid="final-score"][data-user-id="{user_id}"] [data-testid="final-points"]')

    await expect(points(alice, winner.user_id)).to_have_text("10")
    loser_points = await points(alice, loser.user_id).text_content()
    assert loser_points is not None and 0 <= int(loser_points) < 10
    for p in (bob, carol):  # the spectator sees the same final score
        await expect(points(p, winner.user_id)).to_have_text("10")
        await expect(points(p, loser.user_id)).to_have_text(loser_points)
    rounds = await alice.room.get_attribute("data-rounds")
    for p in (alice, bob, carol):
        await expect(p.page.locator('[data-testid="final-rounds-table"] [data-testid="round-row"]')
                     ).to_have_count(int(rounds or 0))
    await screenshot(winner, "game-over.png")

    # Back in the lobby: the finished game is in "your recent games".
    await alice.by("back-to-lobby").click()
    await expect(alice.by("lobby-view")).to_be_visible()
    await expect(alice.by("room-list-empty")).to_be_visible()
    row = alice.page.get_by_test_id("history-row").first
    await expect(row).to_have_attribute("data-result", "won" if winner is alice else "lost")
    mine, theirs = ("10", loser_points) if winner is alice else (loser_points, "10")
    await expect(row.get_by_test_id("history-score")).to_have_text(f"{mine} – {theirs}")
    await expect(row).to_contain_text("vs bob")
    # Others open new tables; Alice's lobby picks them up live.
    await bob.by("back-to-lobby").click()
    await create_room(bob, "Rematch?")
    await carol.by("back-to-lobby").click()
    await expect(carol.by("lobby-view")).to_be_visible()
    await spectate_room(carol, "Rematch?")
    await expect(room_row(alice, "Rematch?")).to_contain_text("1 watching")
    await expect(room_row(alice, "Rematch?").get_by_test_id("join-button")).to_be_enabled()
    await expect(alice.by("room-count")).to_have_text("1")
    await screenshot(alice, "lobby.png")


async def test_chat_and_reload_mid_game(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob", viewport={"width": 360, "height": 740})
    await create_room(alice, "Chatty")
    await join_room(bob, "Chatty")

    await alice.by("chat-input").fill("hello bob")
    await alice.by("chat-input").press("Enter")
    await expect(bob.by("chat-message").last.get_by_test_id("chat-text")).to_have_text("hello bob")
    await expect(bob.by("chat-message").last.get_by_test_id("chat-author")).to_have_text("alice")
    await bob.by("chat-input").fill("<b>hi</b>")
    await bob.by("chat-send").click()
    for p in (alice, bob):
        last_text = p.by("chat-message").last.get_by_test_id("chat-text")
        await expect(last_text).to_have_text("<b>hi</b>")
        await expect(p.page.locator('[data-testid="chat-log"] b')).to_have_count(0)
    await expect(bob.by("chat-input")).to_have_value("")

    await start_game(alice, bob)
    await play([alice, bob], alice, rolls=5)
    await expect(bob.room).to_have_attribute("data-rounds", "2")
    await screenshot(bob, "mobile-360.png")
    width = await bob.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"

    # Bob reloads mid-game and is put back in place, from room_state.
    await expect(alice.room).to_have_attribute("data-turn-number", "6")  # the 5th roll is in
    turn = await alice.room.get_attribute("data-turn-number")
    scores = await alice.by("seat-score").all_text_contents()
    await bob.page.reload()
    await expect(bob.by("room-view")).to_be_visible()
    await expect(bob.room).to_have_attribute("data-status", "in_progress")
    await expect(bob.room).to_have_attribute("data-turn-number", turn or "")
    await expect(bob.room).to_have_attribute("data-rounds", "2")
    await expect(bob.by("seat-score")).to_have_text(scores)
    await expect(bob.by("chat-text")).to_have_text(["hello bob", "<b>hi</b>"])
    # Alice never sees Bob as gone for good: any grace countdown clears.
    gone = alice.page.locator('[data-testid="seat"][data-connected="false"]')
    await expect(gone).to_have_count(0)
    await play([alice, bob], alice, rolls=3)
    await expect(bob.room).to_have_attribute("data-rounds", "4")
    await expect(alice.room).to_have_attribute("data-rounds", "4")


async def test_keyboard_only_play_and_announcements(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.open(server, "alice")
    await expect(alice.by("signin-username")).to_be_focused()
    await alice.page.keyboard.type("alice")
    await alice.page.keyboard.press("Enter")
    await expect(alice.by("lobby-view")).to_be_visible()
    alice.user_id = int(await alice.page.locator("body").get_attribute("data-user-id") or 0)
    bob = await pages.sign_in(server, "bob")

    await alice.by("create-name").focus()
    await alice.page.keyboard.type("Keys")
    await alice.page.keyboard.press("Enter")
    await expect(alice.by("room-title")).to_be_focused()
    await join_room(bob, "Keys")
    await expect(alice.by("ready-button")).to_be_enabled()
    await alice.page.keyboard.press("Tab")
    await expect(alice.by("leave-button")).to_be_focused()
    # The host's invite link, then each seat's name (it opens the profile card) and the
    # host's buttons on Bob's seat, then I'm ready.
    alice_seat = alice.page.locator(f'[data-testid="seat"][data-user-id="{alice.user_id}"]')
    bob_seat = alice.page.locator(f'[data-testid="seat"][data-user-id="{bob.user_id}"]')
    for control in (alice.by("invite-link"), alice.by("invite-copy"), alice.by("invite-renew"),
                    alice_seat.get_by_test_id("profile-link"),
                    bob_seat.get_by_test_id("profile-link"),
                    bob_seat.get_by_test_id("mute-button"), bob_seat.get_by_test_id("kick-button")):
        await alice.page.keyboard.press("Tab")
        await expect(control).to_be_focused()
    await alice.page.keyboard.press("Tab")
    ready = alice.by("ready-button")
    await expect(ready).to_be_focused()
    ring = await ready.evaluate("el => getComputedStyle(el).boxShadow")
    assert ring and ring != "none", "focused controls show a focus ring"
    await alice.page.keyboard.press("Enter")
    await expect(ready).to_have_text("Ready ✓")
    await bob.by("ready-button").click()
    await expect(alice.room).to_have_attribute("data-status", "in_progress")

    if await alice.room.get_attribute("data-current-turn") != str(alice.user_id):
        await bob.by("roll-button").click()
        await expect(alice.by("announcer")).to_contain_text("bob rolled")
    await expect(alice.by("roll-button")).to_be_enabled()
    await expect(alice.by("announcer")).to_contain_text("Your turn")
    await alice.page.locator("body").press("r")  # the keyboard shortcut for Roll
    await expect(alice.by("announcer")).to_contain_text("You rolled")
    await expect(alice.by("roll-button")).to_be_disabled()
    value = await alice.page.locator(
        f'[data-testid="seat"][data-user-id="{alice.user_id}"] [data-testid="die"]'
    ).get_attribute("data-value")
    assert value in {"1", "2", "3", "4", "5", "6"}


async def test_opponent_sees_the_grace_countdown(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    await seat_and_start(alice, bob, "Patience")

    await bob.page.goto("about:blank")  # Bob's socket closes; his grace period starts
    bob_seat = alice.page.locator(f'[data-testid="seat"][data-user-id="{bob.user_id}"]')
    await expect(bob_seat).to_have_attribute("data-connected", "false")
    await expect(bob_seat.get_by_test_id("seat-connection")).to_have_text(
        re.compile(r"^reconnecting… \d+ s$"))
    await bob.page.goto(server.games_url)  # same tab: the room id is in sessionStorage
    await expect(bob.room).to_have_attribute("data-status", "in_progress")
    await expect(bob_seat).to_have_attribute("data-connected", "true")
    await expect(bob_seat.get_by_test_id("seat-connection")).to_be_hidden()


async def test_create_errors_are_shown_inline(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    await create_room(alice, "Table 1")
    await expect(room_row(bob, "Table 1")).to_be_visible()

    await bob.by("create-name").fill("table 1")  # names are unique case-insensitively
    await bob.by("create-submit").click()
    await expect(bob.by("create-error")).to_have_text(re.compile("already exists"))
    await expect(bob.by("create-name")).to_have_attribute("aria-invalid", "true")
    await expect(bob.by("create-name")).to_be_focused()
    await expect(bob.by("lobby-view")).to_be_visible()

    await bob.by("create-name").fill("   ")  # the server trims and refuses it
    await expect(bob.by("create-error")).to_be_hidden()  # typing clears the old error
    await bob.by("create-submit").click()
    await expect(bob.by("create-error")).to_have_text(re.compile("1–64"))

    # An unknown event type is logged once and is not fatal.
    logged = await bob.page.evaluate("""async () => {
        const { dispatch } = await import('/static/protocol.js');
        const seen = [];
        const original = console.warn;
        console.warn = (...args) => seen.push(args.join(' '));
        try {
            dispatch({}, { type: 'from_the_future' });
            dispatch({}, { type: 'from_the_future' });
        } finally { console.warn = original; }
        return seen;
    }""")
    assert len(logged) == 1 and "from_the_future" in logged[0]
    await bob.by("create-name").fill("Table 2")
    await bob.by("create-submit").click()
    await expect(bob.by("room-title")).to_have_text("Table 2")


async def test_server_restart_returns_to_lobby(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    await seat_and_start(alice, bob, "Doomed")

    pages.console.allow(SERVER_DOWN)  # the page retries while the server is down
    await server.stop()
    for p in (alice, bob):
        await expect(p.by("connection-banner")).to_be_visible()
        await expect(p.by("connection-text")).to_contain_text("reconnecting")
        await expect(p.by("roll-button")).to_be_disabled()
    await server.start()  # same port; the embedded room died with the old process
    assert server.starts == 2
    for p in (alice, bob):
        await expect(p.by("connection-banner")).to_be_hidden(timeout=20_000)
        await expect(p.by("lobby-view")).to_be_visible()
        await expect(p.by("notice-text")).to_contain_text("“Doomed” is no longer available")
        stored = await p.page.evaluate("sessionStorage.getItem('blazing.room')")
        assert stored is None
    # And the new server is fully usable from the same page.
    await create_room(alice, "Phoenix")
    await expect(room_row(bob, "Phoenix")).to_be_visible()


async def test_offline_after_five_attempts_then_retry(server: ServerProcess, pages: Pages) -> None:
    timing = "globalThis.BLAZING_TIMING = {backoffMs: [50, 50, 50, 50, 50]};"
    alice = await pages.open(server, "alice", init_script=timing)
    await sign_in(alice)
    await create_room(alice, "Lonely")

    pages.console.allow(SERVER_DOWN)
    await server.stop()
    await expect(alice.by("connection-banner")).to_have_attribute("data-state", "offline")
    await expect(alice.by("connection-text")).to_contain_text("Offline")
    await expect(alice.by("retry-button")).to_be_visible()
    await server.start()
    await alice.by("retry-button").click()
    await expect(alice.by("connection-banner")).to_be_hidden()
    await expect(alice.by("notice-text")).to_contain_text("“Lonely” is no longer available")


async def test_heartbeat_timeout_reconnects_and_resumes(server: ServerProcess,
                                                        pages: Pages) -> None:
    timing = "globalThis.BLAZING_TIMING = {pingMs: 300, pongTimeoutMs: 400};"
    alice = await pages.open(server, "alice", init_script=timing)
    await sign_in(alice)
    bob = await pages.sign_in(server, "bob")
    await seat_and_start(alice, bob, "Frozen")

    server.pause()  # sockets stay open, but no pong comes back
    try:
        await expect(alice.by("connection-banner")).to_be_visible()
        await expect(alice.by("connection-text")).to_contain_text("reconnecting")
    finally:
        server.resume()
    await expect(alice.by("connection-banner")).to_be_hidden()
    await expect(alice.room).to_have_attribute("data-status", "in_progress")
    await play([alice, bob], bob, rolls=2)
    await expect(alice.room).to_have_attribute("data-rounds", "1")


async def test_turn_timeout_auto_roll_is_shown(make_server: ServerFactory, pages: Pages) -> None:
    server = await make_server("--turn-seconds", "1.5")
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    await seat_and_start(alice, bob, "Sleepy")
    # Nobody rolls: the countdown runs out and the server rolls instead.
    await expect(alice.by("round-result")).to_contain_text("time ran out", timeout=6_000)
    await expect(alice.by("announcer")).to_contain_text("Time ran out")
    rolled = alice.page.locator('[data-testid="die"]:not([data-value=""])')
    await expect(rolled).not_to_have_count(0)


async def test_without_dev_login_points_to_the_main_site(make_server: ServerFactory,
                                                         pages: Pages) -> None:
    server = await make_server("--no-dev-login")
    visitor = await pages.open(server, "visitor")
    await expect(visitor.by("signin-external")).to_be_visible()
    await expect(visitor.by("signin-external")).to_contain_text("sign in on the main site")
    await expect(visitor.by("signin-form")).to_be_hidden()
