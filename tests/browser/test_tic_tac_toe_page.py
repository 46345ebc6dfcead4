"""Tic Tac Toe in a real browser: a whole match to 5 game wins between two pages
(one of them 360 px wide) with a spectator, played by mouse and by keyboard, and a
missed turn that loses a game."""

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    Pages,
    Player,
    ServerFactory,
    ServerProcess,
    create_room,
    join_room,
    model,
    room_row,
    screenshot,
    spectate_room,
    start_all,
    wait_next_turn,
)

pytestmark = pytest.mark.browser

X_WINS = [0, 3, 1, 4, 2]  # X takes the top row while O plays 3 and 4
DRAW = [0, 1, 2, 4, 3, 5, 7, 6, 8]  # a full board with no line


def cell(player: Player, index: int) -> Any:
    return player.page.locator(f'[data-testid="cell"][data-index="{index}"]')


def css(player: Player, selector: str) -> Any:
    return player.page.locator(selector)


def seat_mark(player: Player, user_id: int) -> Any:
    return css(player, f'[data-testid="seat"][data-user-id="{user_id}"] [data-testid="seat-mark"]')


def final_points(player: Player, user_id: int) -> Any:
    return css(player, f'[data-testid="final-score"][data-user-id="{user_id}"] '
               '[data-testid="final-points"]')


async def move(players: dict[int, Player], watcher: Player, last_turn: str,
               position: int) -> tuple[Player, str]:
    """Whoever has the turn (as the watcher's page shows it) plays ``position``."""
    state = await wait_next_turn(watcher, last_turn)
    assert state["status"] == "in_progress", f"the match ended early: {state}"
    mover = players[int(state["currentTurn"])]
    target = cell(mover, position)
    await expect(target).to_have_attribute("aria-disabled", "false")
    await target.click()
    return mover, state["turnNumber"]


async def play_game(players: dict[int, Player], watcher: Player, last_turn: str,
                    positions: list[int]) -> str:
    for position in positions:
        _, last_turn = await move(players, watcher, last_turn, position)
    return last_turn


async def expect_games(pages: list[Player], played: int, score: str) -> None:
    """Every page lists ``played`` finished games and shows the match score
    (seat order, as ``data-match-score``)."""
    for p in pages:
        await expect(p.page.locator('[data-testid="games-list"] [data-testid="game-row"]')
                     ).to_have_count(played)
        await expect(p.room).to_have_attribute("data-match-score", score)


async def test_a_tic_tac_toe_match_to_five_wins(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob", viewport={"width": 360, "height": 740})
    carol = await pages.sign_in(server, "carol")

    await create_room(alice, "Noughts", game="tic_tac_toe")
    await expect(alice.room).to_have_attribute("data-game-type", "tic_tac_toe")
    await expect(alice.by("room-game")).to_have_text("Tic Tac Toe")
    await expect(alice.by("seat")).to_have_count(2)
    row_game = room_row(bob, "Noughts").get_by_test_id("room-row-game")
    await expect(row_game).to_have_text("Tic Tac Toe")
    await join_room(bob, "Noughts")
    await spectate_room(carol, "Noughts")
    await start_all([alice, bob])
    everyone = [alice, bob, carol]
    players = {alice.user_id: alice, bob.user_id: bob}
    seat_order = [alice, bob]  # seats follow joining order

    # An empty board of nine real buttons, labelled for screen readers.
    for p in everyone:
        await expect(p.by("cell")).to_have_count(9)
        await expect(cell(p, 4)).to_have_attribute("aria-label", "Cell 5, empty")
        await expect(p.room).to_have_attribute("data-board", "-" * 9)
    first_x = players[int(await alice.room.get_attribute("data-current-turn") or 0)]
    first_o = bob if first_x is alice else alice
    # Whose mark is whose, on every page; only X may play.
    for p in everyone:
        await expect(seat_mark(p, first_x.user_id)).to_have_attribute("aria-label", "plays X")
        await expect(seat_mark(p, first_o.user_id)).to_have_attribute("aria-label", "plays O")
    await expect(first_x.by("turn-indicator")).to_have_text("Your turn — place your X")
    await expect(first_o.by("turn-indicator")).to_have_text(f"{first_x.name}'s turn (X)")
    await expect(first_x.by("ttt-marks")).to_contain_text("You play X")
    await expect(cell(first_o, 0)).to_have_attribute("aria-disabled", "true")
    await expect(carol.by("watching-banner")).to_be_visible()
    await expect(cell(carol, 0)).to_have_attribute("aria-disabled", "true")

    # Game 1: X takes the top row.
    last = await play_game(players, alice, "", X_WINS)
    for p in everyone:
        await expect(p.room).to_have_attribute("data-game", "2")
        await expect(p.by("game-result")).to_contain_text("game 1 with three in a row")
        # The finished game stays in view with its winning line highlighted.
        await expect(css(p, '[data-testid="last-game"] [data-win="true"]')).to_have_count(3)
        await expect(css(p, '[data-testid="last-game"] [data-testid="mini-cell"][data-index="0"]')
                     ).to_have_attribute("data-win", "true")
        await expect(p.room).to_have_attribute("data-board", "-" * 9)
    await expect(first_x.by("game-result")).to_contain_text("You win game 1")
    score = {first_x.user_id: 1, first_o.user_id: 0}
    await expect_games(everyone, 1, "-".join(str(score[p.user_id]) for p in seat_order))
    # Marks swap: O of game 1 is X now and moves first.
    await expect(first_o.by("turn-indicator")).to_have_text("Your turn — place your X")
    await expect(first_o.by("game-result")).to_contain_text("You are X now and move first")

    # Game 2: a draw, with a screenshot mid-game (and of the 360 px page).
    last = await play_game(players, alice, last, DRAW[:4])
    await expect(alice.room).to_have_attribute("data-board", "XOX-O----")
    await expect(cell(alice, 0)).to_have_attribute("aria-label", "Cell 1, X")
    await expect(cell(bob, 1)).to_have_attribute("aria-label", "Cell 2, O")
    await expect(bob.room).to_have_attribute("data-board", "XOX-O----")
    # The page's model, kept by events, equals a fresh room_state from the server.
    await carol.page.reload()
    await expect(carol.room).to_have_attribute("data-board", "XOX-O----")
    assert (await model(carol))["game_state"] == (await model(alice))["game_state"]
    await screenshot(alice, "ttt-mid-game.png")
    await screenshot(bob, "ttt-mobile-360.png")
    width = await bob.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"
    last = await play_game(players, alice, last, DRAW[4:])
    for p in everyone:
        await expect(p.by("game-result")).to_contain_text("Game 2 is a draw")
        await expect(css(p, '[data-testid="last-game"] [data-win="true"]')).to_have_count(0)
    await expect_games(everyone, 2, "-".join(str(score[p.user_id]) for p in seat_order))

    # Game 3 is X's again; its first move is made with the keyboard only.
    state = await wait_next_turn(alice, last)
    x3 = players[int(state["currentTurn"])]
    assert x3 is first_x
    await expect(cell(x3, 0)).to_have_attribute("aria-disabled", "false")
    await x3.page.locator('[data-testid="cell"][tabindex="0"]').focus()
    await x3.page.keyboard.press("Home")
    await expect(cell(x3, 0)).to_be_focused()
    await x3.page.keyboard.press("ArrowRight")
    await expect(cell(x3, 1)).to_be_focused()
    await x3.page.keyboard.press("ArrowLeft")
    await x3.page.keyboard.press("Enter")
    await expect(cell(x3, 0)).to_have_attribute("data-mark", "X")
    await expect(x3.by("announcer")).to_contain_text("You put X on cell 1")
    await expect(cell(x3, 0)).to_have_attribute("aria-label", "Cell 1, X")
    await x3.page.keyboard.press("ArrowDown")  # arrows go on from the cell just played
    await expect(cell(x3, 3)).to_be_focused()
    last = await play_game(players, alice, state["turnNumber"], X_WINS[1:])
    score[first_x.user_id] += 1

    # Games 4 to 9: X wins every one; the marks alternate, so first_x reaches 5.
    for game in range(4, 10):
        x = first_o if game % 2 == 0 else first_x
        last = await play_game(players, alice, last, X_WINS)
        score[x.user_id] += 1
        if game < 9:
            await expect_games(everyone, game, "-".join(str(score[p.user_id]) for p in seat_order))
    assert score == {first_x.user_id: 5, first_o.user_id: 3}

    # The match is over: 5 game wins, the server's final scores on every page.
    for p in everyone:
        await expect(p.by("game-over")).to_be_visible()
        await expect(p.by("board")).to_be_hidden()
        await expect(p.by("game-over")).to_have_attribute("data-winner-id", str(first_x.user_id))
        await expect(final_points(p, first_x.user_id)).to_have_text("5")
        await expect(final_points(p, first_o.user_id)).to_have_text("3")
        await expect(css(p, '[data-testid="final-games-list"] [data-testid="game-row"]')
                     ).to_have_count(9)
        await expect(css(p, '[data-testid="final-board"] [data-win="true"]')).to_have_count(3)
        await expect(p.by("game-over-reason")).to_have_text("First to 5 game wins takes the match.")
    await expect(first_x.by("game-over-title")).to_have_text("You win!")
    await expect(first_o.by("game-over-title")).to_contain_text(f"{first_x.name} wins")
    await expect(carol.by("game-over-title")).to_have_text(f"{first_x.name} wins!")
    await screenshot(alice, "ttt-game-over.png")
    await screenshot(bob, "ttt-game-over-360.png")

    # The lobby's recent games has the match, with its score.
    await alice.by("back-to-lobby").click()
    row = alice.page.get_by_test_id("history-row").first
    await expect(row).to_have_attribute("data-result", "won" if first_x is alice else "lost")
    await expect(row).to_contain_text("Tic Tac Toe")


async def test_a_missed_turn_loses_that_game(make_server: ServerFactory, pages: Pages) -> None:
    server = await make_server("--turn-seconds", "1.5")
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    await create_room(alice, "Slow hands", game="tic_tac_toe")
    await join_room(bob, "Slow hands")
    await start_all([alice, bob])
    await expect(alice.by("turn-countdown")).to_have_text(re.compile(r"^\d+ s$"))
    late = int(await alice.room.get_attribute("data-current-turn") or 0)
    sleeper, winner = (alice, bob) if late == alice.user_id else (bob, alice)
    # Nobody moves: X's deadline passes and the point goes to O.
    await expect(alice.by("game-result")).to_contain_text("ran out of time", timeout=6_000)
    await expect(sleeper.by("game-result")).to_contain_text(
        f"You ran out of time: {winner.name} wins game 1")
    row = alice.page.locator('[data-testid="games-list"] [data-testid="game-row"]').first
    await expect(row).to_have_attribute("data-reason", "timeout")
    await expect(row).to_have_attribute("data-winner-id", str(winner.user_id))
    await expect(css(winner, f'[data-testid="seat"][data-user-id="{winner.user_id}"] '
                     '[data-testid="seat-score"]')).to_have_text("1")
