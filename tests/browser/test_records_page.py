"""The records in a real browser: a finished game opened from the lobby's history
list in the replay viewer (/games/replay/<game id>) and stepped through by button,
scrubber, keys and play/pause, each step checked against the server's replay
document; a record that does not replay shown with the server's reason; profile
cards; the leaderboard with your own rank outside the top 20."""

import re
from typing import Any

import msgspec
import pytest
from playwright.async_api import Locator, expect

from blazing.history.sqlite import SqliteHistory
from blazing.records import ratings
from blazing.web.app import dev_user_id
from tests.browser.conftest import (
    Pages,
    Player,
    ServerFactory,
    ServerProcess,
    create_room,
    join_room,
    play,
    screenshot,
    start_all,
    wait_next_turn,
)
from tests.browser.test_tic_tac_toe_page import X_WINS, play_game
from tests.contract.test_history import record

pytestmark = pytest.mark.browser

O_WINS = [0, 3, 1, 4, 8, 5]  # O takes the middle row; X's 0, 1, 8 make no line
REFUSED = r"status of 4\d\d"  # Chromium logs each 4xx answer the viewer asks for on purpose


async def replay_doc(player: Player, server: ServerProcess, game_id: str) -> Any:
    response = await player.page.request.get(f"{server.base_url}/api/games/{game_id}/replay")
    assert response.status == 200, await response.text()
    return await response.json()


async def blur(player: Player) -> None:
    """Focus nothing in particular (the viewer's keys work from the page itself)."""
    await player.page.evaluate("document.activeElement?.blur()")


def step_view(player: Player) -> Locator:
    return player.page.get_by_test_id("replay-view")


async def expect_step(player: Player, doc: Any, index: int) -> None:
    """The viewer shows step ``index`` of ``doc``: position, scrubber and every
    seat's score as the server's document has them."""
    last = len(doc["steps"]) - 1
    await expect(step_view(player)).to_have_attribute("data-step", str(index))
    await expect(player.by("replay-position")).to_have_text(f"Step {index} of {last}")
    await expect(player.by("replay-scrubber")).to_have_value(str(index))
    step = doc["steps"][index]
    scores = player.by("replay-seat-score")
    await expect(scores).to_have_text([str(s) for s in step["scores"]])


async def expect_board(player: Player, view: dict[str, Any]) -> None:
    """The Tic Tac Toe board drawn by its page module is the step's ``view``."""
    marks = "".join(cell or "-" for cell in view["board"])
    await expect(step_view(player)).to_have_attribute("data-board", marks)
    for i, cell in enumerate(view["board"]):
        await expect(player.page.locator(f'[data-testid="cell"][data-index="{i}"]')
                     ).to_have_attribute("data-mark", cell or "")
    await expect(step_view(player)).to_have_attribute("data-match-score",
                                                      "-".join(map(str, view["wins"])))


async def play_ttt_match(players: dict[int, Player], watcher: Player, winner: Player) -> None:
    """A match to 5 that ``winner`` wins every game of: X_WINS when they play X,
    O_WINS when they play O."""
    last = ""
    for _ in range(5):
        state = await wait_next_turn(watcher, last)
        assert state["status"] == "in_progress"
        x = int(state["currentTurn"])  # X moves first
        last = await play_game(players, watcher, last, X_WINS if x == winner.user_id else O_WINS)


async def test_a_played_game_replays_from_the_lobby_history(server: ServerProcess,
                                                            pages: Pages) -> None:
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    room_id = await create_room(alice, "Noughts", game="tic_tac_toe")
    await join_room(bob, "Noughts")
    await start_all([alice, bob])

    # The opponent's name on a seat opens their profile card; Esc closes it and the
    # focus goes back to the name.
    bob_seat = alice.page.locator(f'[data-testid="seat"][data-user-id="{bob.user_id}"]')
    await bob_seat.get_by_test_id("profile-link").click()
    dialog = alice.by("profile-dialog")
    await expect(dialog).to_be_visible()
    await expect(alice.by("profile-name")).to_have_text("bob")
    await expect(alice.by("profile-empty")).to_have_text("No finished games yet.")
    await alice.page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(bob_seat.get_by_test_id("profile-link")).to_be_focused()

    await play_ttt_match({alice.user_id: alice, bob.user_id: bob}, alice, winner=alice)
    for p in (alice, bob):
        await expect(p.room).to_have_attribute("data-status", "finished")
        await p.by("back-to-lobby").click()
        await expect(p.by("lobby-view")).to_be_visible()

    # Back in the lobby: the game is in the history list (game, opponent, result,
    # score, a Replay link), and the leaderboard shows that game with your rating.
    game_id = f"{room_id}.1"
    row = alice.page.locator(f'[data-testid="history-row"][data-game-id="{game_id}"]')
    await expect(row).to_have_attribute("data-result", "won")
    await expect(row.get_by_test_id("history-game")).to_have_text("Tic Tac Toe")
    await expect(row.get_by_test_id("history-vs")).to_have_text("vs bob")
    await expect(row.get_by_test_id("history-score")).to_have_text("5 – 0")
    await expect(alice.by("leaderboard-game")).to_have_value("tic_tac_toe")
    me_row = alice.page.locator(f'[data-testid="leaderboard-row"][data-user-id="{alice.user_id}"]')
    await expect(me_row).to_have_attribute("data-rank", "1")
    await expect(me_row).to_have_attribute("aria-current", "true")
    await expect(alice.by("leaderboard-me")).to_contain_text("You are #1 with a rating of")
    await expect(alice.by("leaderboard-row")).to_have_count(2)
    await screenshot(alice, "records-lobby.png")

    # Open its replay from the list.
    replay = row.get_by_test_id("history-replay")
    await expect(replay).to_have_attribute("href", f"/games/replay/{game_id}")
    await replay.click()
    await expect(alice.page).to_have_url(f"{server.base_url}/games/replay/{game_id}")
    view = step_view(alice)
    await expect(view).to_be_visible()
    doc = await replay_doc(alice, server, game_id)
    steps = doc["steps"]
    last = len(steps) - 1
    assert [s["kind"] for s in steps] == ["setup"] + ["move"] * last  # X_WINS or O_WINS, 5 games
    await expect(alice.by("replay-title")).to_have_text("Replay: Noughts")
    await expect(alice.by("replay-game")).to_have_text("Tic Tac Toe")
    await expect(alice.by("replay-seat")).to_have_count(2)
    await expect_step(alice, doc, 0)
    await expect_board(alice, steps[0]["view"])
    await expect(alice.by("replay-step-text")).to_have_text("The game starts: alice and bob.")
    await expect(alice.by("replay-back")).to_have_attribute("aria-disabled", "true")
    # The board is a picture in a replay: no cell is a button or takes the focus.
    await expect(alice.page.locator('button[data-testid="cell"]')).to_have_count(0)

    # Forward and back, with the buttons.
    await alice.by("replay-forward").click()
    await expect_step(alice, doc, 1)
    await expect_board(alice, steps[1]["view"])
    first = steps[1]["events"][0]
    mover = "alice" if first["player_id"] == alice.user_id else "bob"
    await expect(alice.by("replay-step-text")).to_have_text(
        f"{mover} put X on cell {first['position'] + 1}.")
    await expect(alice.by("announcer")).to_contain_text(f"Step 1 of {last}: {mover} put X")
    await alice.by("replay-forward").click()
    await alice.by("replay-forward").click()
    await expect_step(alice, doc, 3)
    await alice.by("replay-back").click()
    await expect_step(alice, doc, 2)
    await expect_board(alice, steps[2]["view"])

    # The scrubber: mid-game, after the first game was won.
    mid = next(i for i, s in enumerate(steps) if sum(s["view"]["wins"]) == 1) + 2
    await alice.by("replay-scrubber").fill(str(mid))
    await expect_step(alice, doc, mid)
    await expect_board(alice, steps[mid]["view"])
    assert sorted(steps[mid]["view"]["wins"]) == [0, 1]
    await expect(alice.page.locator('[data-testid="last-game"] [data-win="true"]')).to_have_count(3)
    await screenshot(alice, "replay-ttt-mid-game.png")

    # The keys, from the page (not a control): → ← End Home.
    await blur(alice)
    await alice.page.keyboard.press("ArrowRight")
    await expect_step(alice, doc, mid + 1)
    await expect_board(alice, steps[mid + 1]["view"])
    await alice.page.keyboard.press("ArrowLeft")
    await alice.page.keyboard.press("ArrowLeft")
    await expect_step(alice, doc, mid - 1)
    await alice.page.keyboard.press("End")
    await expect_step(alice, doc, last)
    await expect_board(alice, steps[last]["view"])
    await expect(view).to_have_attribute("data-status", "finished")
    await expect(alice.by("replay-result")).to_have_text("alice won.")
    await expect(alice.by("replay-forward")).to_have_attribute("aria-disabled", "true")
    winner_seat = alice.page.locator(f'[data-testid="replay-seat"][data-user-id="{alice.user_id}"]')
    await expect(winner_seat.get_by_test_id("replay-seat-chip")).to_have_text("Winner")
    await alice.page.keyboard.press("Home")
    await expect_step(alice, doc, 0)

    # Play at 4× advances on its own; Space pauses it.
    await alice.by("replay-speed").select_option("4")
    await alice.by("replay-play").click()
    await expect(alice.by("replay-play-label")).to_have_text("Pause")
    await expect(view).not_to_have_attribute("data-step", re.compile(r"^[0-2]$"))
    await blur(alice)
    await alice.page.keyboard.press("Space")
    await expect(alice.by("replay-play-label")).to_have_text("Play")
    paused_at = int(await view.get_attribute("data-step") or 0)
    assert 3 <= paused_at <= last
    await expect_step(alice, doc, paused_at)
    await expect_board(alice, steps[paused_at]["view"])

    # The same replay by its public link, 360 px wide, signed out.
    phone = await pages.open(server, "phone", viewport={"width": 360, "height": 800},
                             url=f"{server.base_url}/games/replay/{game_id}")
    await expect(step_view(phone)).to_be_visible()
    await phone.by("replay-scrubber").fill(str(mid))
    await expect_step(phone, doc, mid)
    await expect_board(phone, steps[mid]["view"])
    await screenshot(phone, "replay-ttt-360.png")


def seat_of(player: Player, user_id: int) -> Locator:
    return player.page.locator(f'[data-testid="replay-seat"][data-user-id="{user_id}"]')


async def test_a_dice_game_replays_its_rolls_timeouts_and_forfeit(make_server: ServerFactory,
                                                                  pages: Pages) -> None:
    server = await make_server("--turn-seconds", "3")
    alice = await pages.sign_in(server, "alice")
    bob = await pages.sign_in(server, "bob")
    room_id = await create_room(alice, "Dice night", game="bigger_dice")
    await join_room(bob, "Dice night")
    await start_all([alice, bob])
    # Nobody rolls at first: time runs out and the server rolls; then a few rolls;
    # then alice forfeits.
    await expect(alice.by("round-result")).to_contain_text("time ran out", timeout=8_000)
    await play([alice, bob], alice, rolls=5)
    await alice.by("leave-button").click()
    await alice.by("confirm-ok").click()
    await expect(alice.by("lobby-view")).to_be_visible()
    await expect(bob.by("game-over")).to_have_attribute("data-reason", "forfeit")

    game_id = f"{room_id}.1"
    row = alice.page.locator(f'[data-testid="history-row"][data-game-id="{game_id}"]')
    await expect(row).to_have_attribute("data-result", "lost")
    await expect(row.get_by_test_id("history-game")).to_have_text("Bigger Dice")
    await expect(row).to_contain_text("by forfeit")
    await row.get_by_test_id("history-replay").click()
    await expect(step_view(alice)).to_be_visible()
    doc = await replay_doc(alice, server, game_id)
    steps = doc["steps"]
    last = len(steps) - 1
    await expect(alice.by("replay-game")).to_have_text("Bigger Dice")

    # The step where time ran out: the server's roll, in words and on the die.
    timeout = next(i for i, s in enumerate(steps) if s["kind"] == "timeout")
    rolled = steps[timeout]["events"][0]
    late = "alice" if rolled["player_id"] == alice.user_id else "bob"
    await alice.by("replay-scrubber").fill(str(timeout))
    await expect_step(alice, doc, timeout)
    await expect(alice.by("replay-step-text")).to_contain_text(
        f"Time ran out: the server rolled {rolled['roll']} for {late}.")
    await expect(seat_of(alice, rolled["player_id"]).get_by_test_id("die")
                 ).to_have_attribute("data-value", str(rolled["roll"]))
    await expect(alice.by("round-result")).to_contain_text("time ran out, so the server rolled")
    await screenshot(alice, "replay-dice-mid-game.png")

    # Every roll by hand, by the keys: the roller's die shows the step's roll.
    await blur(alice)
    for index in range(timeout + 1, last):
        await alice.page.keyboard.press("ArrowRight")
        await expect_step(alice, doc, index)
        for event in steps[index]["events"]:
            if event["type"] == "bigger_dice.rolled":
                await expect(seat_of(alice, event["player_id"]).get_by_test_id("die")
                             ).to_have_attribute("data-value", str(event["roll"]))
                await expect(alice.by("replay-step-text")).to_contain_text(
                    f"{event['player_username']} rolled {event['roll']}.")

    # The last step: alice left, bob won by forfeit.
    assert steps[last]["kind"] == "left" and steps[last]["user_id"] == alice.user_id
    await alice.page.keyboard.press("End")
    await expect_step(alice, doc, last)
    await expect(alice.by("replay-step-text")).to_have_text(re.compile(r"^alice left the game\."))
    await expect(alice.by("replay-result")).to_have_text("bob won by forfeit.")
    await expect(seat_of(alice, alice.user_id).get_by_test_id("replay-seat-chip")
                 ).to_have_text("Left the game")
    await expect(seat_of(alice, bob.user_id).get_by_test_id("replay-seat-chip")
                 ).to_have_text("Winner")

    phone = await pages.open(server, "phone", viewport={"width": 360, "height": 800},
                             url=f"{server.base_url}/games/replay/{game_id}")
    await phone.by("replay-scrubber").fill(str(timeout))
    await expect_step(phone, doc, timeout)
    await screenshot(phone, "replay-dice-360.png")


async def write_records(server: ServerProcess, *records: Any) -> None:
    """Write ``records`` (rated, when they have a winner) into the history file the
    running server reads (SQLite in WAL mode takes a second writer)."""
    async with SqliteHistory(str(server.workdir / "h.db")) as history:
        for game in records:
            await history.record(game)
            rated = ratings.rated_game(game)
            if rated is not None and game.version >= 2:
                await history.rate(rated)


async def test_a_record_that_does_not_replay_shows_the_reason(server: ServerProcess,
                                                             pages: Pages) -> None:
    pages.console.allow(REFUSED)
    alice_id = dev_user_id("alice")
    # Its moves do not give its recorded result (409); one from before moves were kept (422).
    wrong = record([alice_id, 777], 1, winner=alice_id)
    old = msgspec.structs.replace(record([alice_id, 778], 2, winner=778),
                                  game_id="", version=1, moves=[], setup_draws=[])
    await write_records(server, wrong, old)
    answer = await (await pages.browser.new_context()).request.get(
        f"{server.base_url}/api/games/{wrong.game_id}/replay")
    assert answer.status == 409
    reason = (await answer.json())["error"]

    alice = await pages.sign_in(server, "alice")
    await expect(alice.by("history-row")).to_have_count(2)
    row = alice.page.locator(f'[data-testid="history-row"][data-game-id="{wrong.game_id}"]')
    await row.get_by_test_id("history-replay").click()
    problem = alice.by("replay-problem")
    await expect(problem).to_be_visible()
    await expect(problem).to_have_attribute("data-kind", "not-replayable")
    await expect(alice.by("problem-title")).to_have_text("This game cannot be replayed")
    await expect(alice.by("problem-reason")).to_have_text(f"The server says: {reason}")
    await expect(alice.by("problem-record")).to_contain_text(f"u{alice_id} 10 – u777 3")
    await expect(alice.by("replay-view")).to_be_hidden()  # never drawn
    await screenshot(alice, "replay-not-replayable.png")

    await alice.page.goto(f"{server.base_url}/games/replay/{old.room_id}")
    await expect(problem).to_have_attribute("data-kind", "not-replayable")
    await expect(alice.by("problem-reason")).to_contain_text("recorded before moves were kept")
    await expect(alice.by("problem-text")).to_contain_text("lacks what a replay needs")

    await alice.page.goto(f"{server.base_url}/games/replay/room_nope.1")
    await expect(problem).to_have_attribute("data-kind", "not-found")
    await expect(alice.by("problem-title")).to_have_text("No such game")
    await expect(alice.by("problem-text")).to_contain_text("“room_nope.1”")

    hostile = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
    await alice.page.goto(f"{server.base_url}/games/replay/{hostile}")
    await expect(problem).to_have_attribute("data-kind", "bad-id")
    await expect(alice.by("problem-title")).to_have_text("This is not a link to a game")
    await expect(alice.page.locator("main img")).to_have_count(0)

    phone = await pages.open(server, "phone", viewport={"width": 360, "height": 740},
                             url=f"{server.base_url}/games/replay/{wrong.game_id}")
    await expect(phone.by("problem-reason")).to_have_text(f"The server says: {reason}")
    await screenshot(phone, "replay-not-replayable-360.png")


async def test_profile_cards_and_your_rank_outside_the_top_twenty(server: ServerProcess,
                                                                 pages: Pages) -> None:
    alice_id = dev_user_id("alice")
    # 26 winners and 24 one-game losers; alice lost both her games: she is last.
    games = [record([1000 + i, 2000 + i], i, winner=1000 + i) for i in range(24)]
    games += [record([alice_id, 3000], 30, winner=3000), record([alice_id, 3001], 31, winner=3001)]
    await write_records(server, *games)
    alice = await pages.sign_in(server, "alice")
    mine = await (await alice.page.request.get(
        f"{server.base_url}/api/players/{alice_id}/rating?game_type=bigger_dice")).json()
    assert mine["rank"] == 51

    # The top 20, and alice's own rank and rating apart below them.
    await expect(alice.by("leaderboard-game")).to_have_value("bigger_dice")
    rows = alice.by("leaderboard-rows").get_by_test_id("leaderboard-row")
    await expect(rows).to_have_count(20)
    await expect(rows.first).to_have_attribute("data-rank", "1")
    rating = f"{mine['ordinal']:.1f}"
    await expect(alice.by("leaderboard-me")).to_have_text(
        f"You are #51 with a rating of {rating} (2 rated games).")
    apart = alice.by("leaderboard-mine").get_by_test_id("leaderboard-row")
    await expect(apart).to_have_attribute("data-user-id", str(alice_id))
    await expect(apart).to_have_attribute("aria-current", "true")
    await expect(apart.get_by_test_id("leaderboard-rank")).to_have_text("#51")
    await expect(apart.get_by_test_id("leaderboard-rating")).to_have_text(rating)
    await screenshot(alice, "leaderboard.png")

    # More, by cursor, until alice's row is in the list (then it is not shown apart).
    await alice.by("leaderboard-more").click()
    await expect(rows).to_have_count(40)
    await alice.by("leaderboard-more").click()
    await expect(rows).to_have_count(51)
    await expect(alice.by("leaderboard-more")).to_be_hidden()
    await expect(rows.last).to_have_attribute("data-user-id", str(alice_id))
    await expect(rows.last).to_have_attribute("aria-current", "true")
    await expect(alice.by("leaderboard-mine")).to_be_hidden()
    await expect(rows.nth(20)).to_have_attribute("data-rank", "21")

    # Another player's card from the leaderboard: Esc closes, focus comes back.
    top = rows.first.get_by_test_id("profile-link")
    top_name = await top.text_content() or ""
    await top.click()
    dialog = alice.by("profile-dialog")
    await expect(dialog).to_be_visible()
    await expect(alice.by("profile-name")).to_have_text(top_name)
    overall = alice.by("profile-overall")
    await expect(overall.get_by_test_id("stat-played")).to_have_text("1")
    await expect(overall.get_by_test_id("stat-won")).to_have_text("1")
    await expect(overall.get_by_test_id("stat-win-rate")).to_have_text("100%")
    game = alice.page.locator('[data-testid="profile-game"][data-game-type="bigger_dice"]')
    await expect(game.get_by_test_id("profile-rank")).to_have_text("#1")
    await alice.page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(top).to_be_focused()

    # Your own card, from your name in the top bar.
    stats = await (await alice.page.request.get(
        f"{server.base_url}/api/players/{alice_id}/stats")).json()
    await alice.by("my-profile").click()
    await expect(alice.by("profile-sub")).to_have_text("Your profile")
    await expect(overall.get_by_test_id("stat-played")).to_have_text("2")
    await expect(overall.get_by_test_id("stat-lost")).to_have_text("2")
    await expect(overall.get_by_test_id("stat-win-rate")).to_have_text("0%")
    await expect(overall.get_by_test_id("stat-streak")).to_have_text("0 (best 0)")
    await expect(overall.get_by_test_id("stat-total-time")).to_have_text("10 min")
    await expect(overall.get_by_test_id("stat-average-time")).to_have_text("5 min")
    await expect(game.get_by_test_id("profile-rank")).to_have_text("#51")
    ordinal = game.get_by_test_id("profile-ordinal")
    await expect(ordinal).to_have_text(rating)
    detail = stats["ratings"]["bigger_dice"]
    await expect(ordinal).to_have_attribute("title", re.compile(
        rf"^μ {detail['mu']:.2f} · σ {detail['sigma']:.2f} · 2 rated games$"))
    await game.locator("summary").click()
    await expect(game.get_by_test_id("profile-rating-detail")).to_be_visible()
    await screenshot(alice, "profile-card.png", full_page=False)
    await alice.by("profile-close").click()
    await expect(dialog).to_be_hidden()
    await expect(alice.by("my-profile")).to_be_focused()

    phone = await pages.sign_in(server, "alice", viewport={"width": 360, "height": 800})
    await expect(phone.by("leaderboard-me")).to_contain_text("You are #51")
    await screenshot(phone, "leaderboard-360.png")
    await phone.by("my-stats").click()
    await expect(phone.by("profile-overall").get_by_test_id("stat-played")).to_have_text("2")
    await screenshot(phone, "profile-card-360.png", full_page=False)


STEPPING_JS = """async () => {
    const m = await import("/static/replay-model.js");
    let s = m.initialReplay(4);
    const out = [{ ...s, frozen: Object.isFrozen(s) }];
    const run = (...actions) => actions.forEach((a) => {
        s = m.reduceReplay(s, a);
        out.push({ ...s });
    });
    run({ type: "back" });
    for (let i = 0; i < 5; i += 1) run({ type: "forward" });
    run({ type: "play" }, { type: "tick" }, { type: "tick" }, { type: "tick" }, { type: "tick" });
    run({ type: "toggle" }, { type: "forward" });
    run({ type: "seek", index: "2" }, { type: "seek", index: "x" }, { type: "seek", index: 99 });
    run({ type: "speed", speed: "4" }, { type: "speed", speed: 3 });
    const single = m.initialReplay(1);
    return { out, delay: m.stepDelay(s), keys: ["ArrowLeft", "ArrowRight", "Home", "End", " ", "a"]
        .map((k) => m.keyAction(k)?.type ?? null),
        singlePlays: m.reduceReplay(single, { type: "play" }) !== single };
}"""

STEPS_JS = """async (doc) => {
    const m = await import("/static/replay-steps.js");
    const room = (i) => {
        const r = m.stepRoom(doc, i);
        const players = r.players.map((p) => [p.username, p.score, p.left]);
        return { status: r.status, winner: r.winner_id, state: r.game_state, players };
    };
    return { rooms: [0, 1, 2].map(room), words: [0, 1, 2].map((i) => m.stepSentence(doc, i, [])),
        said: m.stepSentence(doc, 1, ["bob rolled 3."]), elapsed: m.elapsedMs(doc, 1) };
}"""


def small_doc() -> dict[str, Any]:
    """A replay document of three steps: setup, a timeout, bob leaving (seats listed
    out of order on purpose)."""
    def step(index: int, kind: str, user: int | None, scores: list[int], at: str) -> Any:
        return {"index": index, "kind": kind, "user_id": user, "events": [],
                "view": {"n": index}, "scores": scores, "at": f"2026-03-01T12:{at}Z"}

    return {"room_id": "r", "room_name": "T", "game_type": "g", "seats": 2, "winner_id": 1,
            "reason": "forfeit", "started_at": "2026-03-01T12:00:00Z",
            "players": [{"seat": 1, "user_id": 2, "username": "bob"},
                        {"seat": 0, "user_id": 1, "username": "ann"}],
            "steps": [step(0, "setup", None, [0, 0], "00:00"),
                      step(1, "timeout", 2, [0, 1], "00:42"),
                      step(2, "left", 2, [0, 1], "01:00")]}


async def test_the_stepping_and_the_steps_are_pure_functions(server: ServerProcess,
                                                             pages: Pages) -> None:
    page = (await pages.open(server, "model")).page
    model = await page.evaluate(STEPPING_JS)
    states = [(s["index"], s["playing"]) for s in model["out"]]
    assert model["out"][0] == {"index": 0, "count": 4, "playing": False, "speed": 1, "frozen": True}
    assert states == [
        (0, False),  # initial
        (0, False),  # back at the first step stays
        (1, False), (2, False), (3, False), (3, False), (3, False),  # forward stops at the last
        (0, True),  # play from the last step starts again from the first
        (1, True), (2, True), (3, False), (3, False),  # ticks stop at the last step
        (0, True),  # toggle plays
        (1, False),  # a step by hand pauses
        (2, False), (2, False), (3, False),  # seek: a number, not a number, past the end
        (3, False), (3, False),  # speed: 4× taken, 3× refused
    ]
    assert [s["speed"] for s in model["out"][-2:]] == [4, 4]
    assert model["delay"] == 300
    assert model["keys"] == ["back", "forward", "first", "last", "toggle", None]
    assert model["singlePlays"] is False

    steps = await page.evaluate(STEPS_JS, small_doc())
    # Seats in seat order with the step's scores; who left; the end at the last step.
    assert steps["rooms"] == [
        {"status": "in_progress", "winner": None, "state": {"n": 0},
         "players": [["ann", 0, False], ["bob", 0, False]]},
        {"status": "in_progress", "winner": None, "state": {"n": 1},
         "players": [["ann", 0, False], ["bob", 1, False]]},
        {"status": "finished", "winner": 1, "state": {"n": 2},
         "players": [["ann", 0, False], ["bob", 1, True]]},
    ]
    assert steps["words"] == ["The game starts: ann and bob.", "Time ran out for bob.",
                              "bob left the game."]
    assert steps["said"] == "bob rolled 3."
    assert steps["elapsed"] == 42_000
