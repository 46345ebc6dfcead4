"""Bigger Dice for more than two in a real browser: the lobby's game picker and seat
choice, and a whole three-player game (with its ties and tiebreaks) watched by a
spectator, checked against what the server recorded."""

from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import (
    Pages,
    Player,
    ServerProcess,
    create_room,
    join_room,
    model,
    play,
    room_row,
    screenshot,
    spectate_room,
    start_all,
)

pytestmark = pytest.mark.browser


def points(player: Player, user_id: int) -> Any:
    return player.page.locator(
        f'[data-testid="final-score"][data-user-id="{user_id}"] [data-testid="final-points"]')


def seat(player: Player, user_id: int) -> Any:
    return player.page.locator(f'[data-testid="seat"][data-user-id="{user_id}"]')


async def test_the_lobby_offers_every_game_with_its_seats(server: ServerProcess,
                                                          pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol")
    answer = await alice.page.request.get(f"{server.base_url}/api/games")
    catalogue = (await answer.json())["games"]

    # The picker offers the server's games, by title, in its order.
    options = alice.page.locator(".game-option")
    await expect(options).to_have_count(len(catalogue))
    for option, game in zip(await options.all(), catalogue, strict=True):
        await expect(option).to_contain_text(game["title"])
        await expect(option.get_by_test_id("game-option")).to_have_value(game["game_type"])
    # Seats are offered where the game has a range, with its range.
    await alice.page.locator('[data-testid="game-option"][value="bigger_dice"]').check()
    await expect(alice.by("create-seats-field")).to_be_visible()
    await expect(alice.by("create-seats").locator("option")).to_have_count(9)  # 2 to 10
    await expect(alice.by("create-seats")).to_have_value("2")
    await alice.page.locator('[data-testid="game-option"][value="tic_tac_toe"]').check()
    await expect(alice.by("create-seats-field")).to_be_hidden()

    await create_room(bob, "Four of a kind", game="bigger_dice", seats=4)
    await expect(bob.by("seat")).to_have_count(4)
    await expect(bob.by("seat-count")).to_have_text("1/4 seats")
    await create_room(carol, "Noughts", game="tic_tac_toe")
    four = room_row(alice, "Four of a kind")
    await expect(four.get_by_test_id("room-row-game")).to_have_text("Bigger Dice")
    await expect(four.get_by_test_id("room-seats")).to_have_text("1/4")
    noughts = room_row(alice, "Noughts")
    await expect(noughts.get_by_test_id("room-row-game")).to_have_text("Tic Tac Toe")
    await expect(noughts.get_by_test_id("room-seats")).to_have_text("1/2")
    await join_room(alice, "Four of a kind")
    await expect(bob.by("seat-count")).to_have_text("2/4 seats")
    await expect(bob.by("turn-indicator")).to_have_text("Waiting for 2 more players to join…")
    await alice.by("leave-button").click()
    await alice.page.locator('[data-testid="game-option"][value="bigger_dice"]').check()
    await alice.by("create-seats").select_option("6")
    await expect(room_row(alice, "Four of a kind").get_by_test_id("room-seats")).to_have_text("1/4")
    await screenshot(alice, "lobby-games.png")

    # Many seats: a grid of compact seats, still readable at 360 px.
    await create_room(alice, "Big table", game="bigger_dice", seats=6)
    await expect(alice.by("seat")).to_have_count(6)
    await expect(alice.by("board")).to_have_attribute("data-layout", "many")
    await expect(alice.page.locator('[data-testid="seat"].is-empty')).to_have_count(5)
    await alice.page.set_viewport_size({"width": 360, "height": 740})
    await screenshot(alice, "dice-6-seats-360.png")
    width = await alice.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"


async def test_a_three_player_dice_game_to_the_end(server: ServerProcess, pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    carol = await pages.sign_in(server, "carol", viewport={"width": 360, "height": 740})
    dave = await pages.sign_in(server, "dave")
    players = [alice, bob, carol]
    everyone = [*players, dave]

    room_id = await create_room(alice, "Three dice", game="bigger_dice", seats=3)
    await join_room(bob, "Three dice")
    await join_room(carol, "Three dice")
    await spectate_room(dave, "Three dice")
    for p in everyone:
        await expect(p.by("seat")).to_have_count(3)
        await expect(p.by("board")).to_have_attribute("data-layout", "small")
        await expect(p.by("seat-name")).to_contain_text(["alice", "bob", "carol"])
    await start_all(players)
    for p in players:
        await expect(p.by("roll-button")).to_be_visible()
    await expect(dave.by("roll-button")).to_be_hidden()
    await expect(dave.by("watching-banner")).to_be_visible()

    # A few rounds in: every page agrees, and the page's model, kept by events,
    # equals a fresh room_state (the spectator reloads).
    await play(players, alice, rolls=12)
    await expect(alice.room).to_have_attribute("data-turn-number", "13")  # the 12th roll is in
    turn = await alice.room.get_attribute("data-turn-number")
    for p in everyone:
        await expect(p.room).to_have_attribute("data-turn-number", turn or "")
    scores = await alice.by("seat-score").all_text_contents()
    for p in everyone:
        await expect(p.by("seat-score")).to_have_text(scores)
    await dave.page.reload()
    await expect(dave.room).to_have_attribute("data-turn-number", turn or "")
    await expect(dave.by("seat-score")).to_have_text(scores)
    assert (await model(dave))["game_state"] == (await model(alice))["game_state"]
    rounds = await alice.room.get_attribute("data-rounds")
    await expect(alice.page.locator('[data-testid="rounds-table"] [data-testid="round-row"]')
                 ).to_have_count(int(rounds or 0))
    await expect(alice.page.locator('[data-testid="rounds-table"] thead th')).to_have_count(5)
    await screenshot(alice, "dice-3p-mid-game.png")
    await screenshot(carol, "dice-3p-mobile-360.png")
    width = await carol.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"

    await play(players, alice)
    for p in everyone:
        await expect(p.by("game-over")).to_be_visible()

    # The server's record of the game: final scores, every pass, the tiebreaks.
    response = await alice.page.request.get(f"{server.base_url}/api/games/history/{room_id}")
    for _ in range(50):  # the record is written by the service's timer loop, just after the end
        if response.ok:
            break
        await alice.page.wait_for_timeout(100)
        response = await alice.page.request.get(f"{server.base_url}/api/games/history/{room_id}")
    assert response.ok, "the finished game was not recorded"
    record = await response.json()
    final = {p["user_id"]: p["final_score"] for p in record["players"]}
    assert sorted(final.values())[-1] == 10
    winner = next(p for p in players if p.user_id == record["winner_id"])
    passes = record["rounds"]
    tiebreaks = sum(1 for i, p in enumerate(passes)
                    if any(q["round"] == p["round"] for q in passes[:i]))
    for p in everyone:
        await expect(p.by("game-over")).to_have_attribute("data-winner-id", str(winner.user_id))
        for player in players:
            await expect(points(p, player.user_id)).to_have_text(str(final[player.user_id]))
        table = p.page.locator('[data-testid="final-rounds-table"] [data-testid="round-row"]')
        await expect(table).to_have_count(len(passes))
        await expect(table.and_(p.page.locator('[data-tiebreak="true"]'))).to_have_count(tiebreaks)
    await expect(winner.by("game-over-title")).to_have_text("You win!")
    await expect(dave.by("game-over-title")).to_have_text(f"{winner.name} wins!")
    # The page's rounds are the server's passes, ties and all.
    state = (await model(alice))["game_state"]
    assert [(r["round"], r["winner_id"], r["is_tie"]) for r in state["rounds"]] == [
        (r["round"], r["winner_id"], r["is_tie"]) for r in passes]
    await screenshot(carol, "dice-3p-game-over-360.png")
