"""Browser tests of the /games page: Debian's Chromium driven by Playwright.

The server runs as a real subprocess (``python -m blazing serve``) so a test can
stop it and start a new one on the same port. Nothing here sleeps to
synchronise: every wait is a Playwright expectation or an awaited event.
"""

import contextlib
import os
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    async_playwright,
    expect,
)

from tests.support.process import REPO, ServeProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SECRET = "browser-test-secret-that-is-long-enough-for-hs256"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
WAIT = 10_000  # ms, default for expectations


expect.set_options(timeout=WAIT)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without Chromium, browser tests skip locally (with the reason) but fail on CI."""
    if CHROMIUM.exists() or os.environ.get("CI", "").lower() == "true":
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get update && apt-get install "
                            "-y chromium (never `playwright install`)")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _chromium_required_on_ci(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("browser") and not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing on CI: apt-get update && apt-get install -y chromium")


# --- the server subprocess --------------------------------------------------------------


class ServerProcess(ServeProcess):
    """``blazing serve`` for the page tests (:class:`ServeProcess`; ``stop()`` and
    ``start()`` keep the port, ``kill()`` is a SIGKILL). Rooms are in memory (they
    die with the process) unless ``extra_args`` give a ``--state-url``."""

    @classmethod
    def of(cls, workdir: Path, extra_args: list[str]) -> "ServerProcess":
        state = [] if "--state-url" in extra_args else ["--state-url", "memory://"]
        return cls(workdir, ["--history-url", f"sqlite:///{workdir / 'h.db'}",
                             "--log-level", "WARNING", *state, *extra_args],
                   env={"JWT_SECRET": SECRET})

    @property
    def games_url(self) -> str:
        return f"{self.base_url}/games"

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): sockets stay open but nothing answers."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


ServerFactory = Callable[..., Awaitable[ServerProcess]]


@pytest.fixture
async def make_server(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    servers: list[ServerProcess] = []

    async def start(*extra_args: str) -> ServerProcess:
        workdir = tmp_path / f"server{len(servers)}"
        workdir.mkdir()
        server = ServerProcess.of(workdir, list(extra_args))
        servers.append(server)
        await server.start()
        return server

    yield start
    for server in servers:
        if server.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                server.resume()
        await server.stop()


@pytest.fixture
async def server(make_server: ServerFactory) -> ServerProcess:
    return await make_server()


# --- the browser and pages ----------------------------------------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                           headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Console:
    """Console errors and uncaught exceptions of every page a test opens."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def watch(self, page: Page, name: str) -> None:
        def on_console(msg: ConsoleMessage) -> None:
            where = msg.location.get("url", "") if msg.location else ""
            text = f"{name}: {msg.text} [{where}]"
            if msg.type == "error":
                self.errors.append(text)
            elif msg.type == "warning":
                self.warnings.append(text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"{name}: uncaught {exc}"))

    def allow(self, pattern: str) -> None:
        """Tolerate console errors matching ``pattern`` (e.g. refused connections
        while the test has the server down on purpose)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


# Chromium's own log line when a socket or fetch meets a server that is down.
SERVER_DOWN = r"ERR_CONNECTION_REFUSED|WebSocket connection to .* failed"


@dataclass
class Player:
    name: str
    page: Page
    context: BrowserContext
    user_id: int = 0

    def by(self, testid: str) -> Any:
        return self.page.get_by_test_id(testid)

    @property
    def room(self) -> Any:
        return self.page.get_by_test_id("room-view")


class Pages:
    """Opens signed-in pages against one server and checks their consoles."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.console = Console()
        self.contexts: list[BrowserContext] = []

    async def open(self, server: ServerProcess, name: str, *,
                   viewport: dict[str, int] | None = None,
                   init_script: str | None = None, url: str | None = None) -> Player:
        """A new browser context (its own cookies and storage) at ``url`` (the games
        page by default)."""
        context = await self.browser.new_context(
            viewport=viewport or {"width": 1280, "height": 860},
            reduced_motion="no-preference",
        )
        self.contexts.append(context)
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        self.console.watch(page, name)
        await page.goto(url or server.games_url)
        return Player(name, page, context)

    async def sign_in(self, server: ServerProcess, name: str, **kw: Any) -> Player:
        player = await self.open(server, name, **kw)
        await sign_in(player)
        return player

    async def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                await context.close()


@pytest.fixture
async def pages(browser: Browser) -> AsyncIterator[Pages]:
    opened = Pages(browser)
    yield opened
    await opened.close()
    problems = opened.console.unexpected()
    assert not problems, "console errors:\n" + "\n".join(problems)


# --- steps shared by the tests ----------------------------------------------------------


async def sign_in(player: Player) -> None:
    """Use the dev sign-in form and wait for the lobby."""
    await expect(player.by("signin-form")).to_be_visible()
    await player.by("signin-username").fill(player.name)
    await player.by("signin-submit").click()
    await expect(player.by("lobby-view")).to_be_visible()
    await expect(player.by("user-name")).to_have_text(player.name)
    await expect(player.page.locator("body")).to_have_attribute("data-connection", "open")
    player.user_id = int(await player.page.locator("body").get_attribute("data-user-id") or 0)
    assert player.user_id > 0


async def create_room(player: Player, name: str, *, game: str | None = None,
                      seats: int | None = None) -> str:
    """Create ``name`` from the lobby's form: ``game`` is picked in the game picker
    (the first game otherwise), ``seats`` in the seat choice of a game that has one."""
    if game is not None:
        await player.page.locator(f'[data-testid="game-option"][value="{game}"]').check()
    if seats is not None:
        await player.by("create-seats").select_option(str(seats))
    await player.by("create-name").fill(name)
    await player.by("create-submit").click()
    await expect(player.by("room-view")).to_be_visible()
    await expect(player.by("room-title")).to_have_text(name)
    return await player.room.get_attribute("data-room-id") or ""


def room_row(player: Player, room_name: str) -> Any:
    return player.page.locator(f'[data-testid="room-row"][data-room-name="{room_name}"]')


async def join_room(player: Player, room_name: str) -> None:
    await room_row(player, room_name).get_by_test_id("join-button").click()
    await expect(player.by("room-view")).to_be_visible()
    await expect(player.by("room-title")).to_have_text(room_name)
    await expect(player.room).to_have_attribute("data-role", "player")


async def spectate_room(player: Player, room_name: str) -> None:
    await room_row(player, room_name).get_by_test_id("spectate-button").click()
    await expect(player.by("room-view")).to_be_visible()
    await expect(player.room).to_have_attribute("data-role", "spectator")


async def start_game(a: Player, b: Player) -> None:
    await a.by("ready-button").click()
    await b.by("ready-button").click()
    for p in (a, b):
        await expect(p.room).to_have_attribute("data-status", "in_progress")


async def start_all(players: list[Player]) -> None:
    """Every seated player presses "I'm ready"; the game starts."""
    for p in players:
        await p.by("ready-button").click()
    for p in players:
        await expect(p.room).to_have_attribute("data-status", "in_progress")


async def seat_and_start(host: Player, guest: Player, room_name: str) -> None:
    """``host`` creates ``room_name``, ``guest`` joins it, both are ready: the game is on."""
    await create_room(host, room_name)
    await join_room(guest, room_name)
    await start_game(host, guest)


NEXT_TURN_JS = """(last) => {
    const room = document.querySelector('[data-testid="room-view"]');
    const { status, currentTurn, turnNumber } = room.dataset;
    if (status === "finished" || status === "abandoned") return { status };
    if (status === "in_progress" && currentTurn && turnNumber !== last) {
        return { status, currentTurn, turnNumber };
    }
    return null;
}"""
ROLL_ENABLED_JS = """() => {
    const button = document.querySelector('[data-testid="roll-button"]');
    return !button.hidden && !button.disabled;
}"""


async def play(players: list[Player], watcher: Player, *, rolls: int | None = None,
               max_rolls: int = 600) -> int:
    """Click Roll on whichever page has the turn, as the watcher's page shows it,
    until the game is over (or ``rolls`` rolls were made). Returns the rolls made.

    Waits are ``wait_for_function`` checks run on every animation frame, so each
    step goes on as soon as the page has drawn the event it waits for."""
    by_id = {p.user_id: p for p in players}
    done = 0
    last_turn = ""
    while rolls is None or done < rolls:
        assert done < max_rolls, "the game did not end"
        state = await wait_next_turn(watcher, last_turn)
        if state["status"] != "in_progress":
            break
        last_turn = state["turnNumber"]
        roller = by_id[int(state["currentTurn"])]
        await roller.page.wait_for_function(ROLL_ENABLED_JS, timeout=WAIT)
        await roller.by("roll-button").click()
        done += 1
    return done


async def wait_next_turn(watcher: Player, last_turn: str) -> dict[str, str]:
    """The watcher's page once it shows a turn after ``last_turn`` (or the end)."""
    handle = await watcher.page.wait_for_function(NEXT_TURN_JS, arg=last_turn, timeout=WAIT)
    state: dict[str, str] = await handle.json_value()
    return state


async def model(player: Player) -> Any:
    """The page's room model (kept up to date by events), as JSON."""
    return await player.page.evaluate("JSON.parse(JSON.stringify(globalThis.blazingPage.room))")


async def screenshot(player: Player, name: str, *, full_page: bool = True) -> Path:
    """Save the page (``full_page=False``: what the viewport shows, e.g. a dialog)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    # Let any die finish tumbling so the picture shows the real faces.
    await expect(player.page.locator(".die.rolling")).to_have_count(0)
    await player.page.screenshot(path=str(path), full_page=full_page)
    return path
