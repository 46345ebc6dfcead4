"""The page's message tables follow the server's (no browser).

The core dispatch table in ``protocol.js`` mirrors the platform's own events
(``blazing.protocol.server.CORE_EVENTS``); every game in the registry has a page
module, ``games/<game_type>.js``, that handles exactly that game's events and sends
only its commands; and the shell never names a game.
"""

import re
from pathlib import Path

import pytest

from blazing.games import registry
from blazing.protocol import client, server

STATIC = Path(__file__).resolve().parents[2] / "src" / "blazing" / "web" / "static"
GAMES = sorted(registry.GAMES)
CATALOGUE = {game["game_type"]: game for game in registry.catalogue()}
# What the room shell calls on a game's page module (docs/page.md, catalogue.js).
CONTRACT = ("labels", "commands", "events", "start", "mount", "render", "renderSeat")


def _tag(struct: type) -> str:
    return str(struct.__struct_config__.tag)  # type: ignore[attr-defined]


def _frozen_object(source: str, name: str) -> dict[str, str]:
    """``name = Object.freeze({"type": handler, ...})`` as a dict (handlers as written)."""
    block = re.search(rf"{name} = Object\.freeze\(\{{(.*?)\}}\);", source, re.S)
    assert block, f"{name} not found"
    return dict(re.findall(r'"([\w.]+)":\s*"?(\w+)"?', block.group(1)))


def _frozen_list(source: str, name: str) -> set[str]:
    block = re.search(rf"{name} = Object\.freeze\(\[(.*?)\]\);", source, re.S)
    assert block, f"{name} not found"
    return set(re.findall(r'"([\w.]+)"', block.group(1)))


def _module(game_type: str) -> str:
    return (STATIC / "games" / f"{game_type}.js").read_text()


def test_core_table_mirrors_the_core_events() -> None:
    table = _frozen_object((STATIC / "protocol.js").read_text(), "CORE_EVENTS")
    assert set(table) == {_tag(event) for event in server.CORE_EVENTS}


def test_every_core_handler_exists_on_the_controller() -> None:
    table = _frozen_object((STATIC / "protocol.js").read_text(), "CORE_EVENTS")
    controller = (STATIC / "app.js").read_text()
    missing = sorted({name for name in table.values()
                      if not re.search(rf"^  {name}\(", controller, re.M)})
    assert not missing, f"app.js lacks handlers: {missing}"


def test_core_commands_mirror_the_platform_commands() -> None:
    commands = _frozen_list((STATIC / "protocol.js").read_text(), "CORE_COMMANDS")
    assert commands == {_tag(command) for command in client.CORE_COMMANDS}


@pytest.mark.parametrize("game_type", GAMES)
def test_every_registered_game_has_a_page_module(game_type: str) -> None:
    source = _module(game_type)
    missing = [name for name in CONTRACT
               if not re.search(rf"^export (const|function) {name}\b", source, re.M)]
    assert not missing, f"games/{game_type}.js lacks exports: {missing}"


@pytest.mark.parametrize("game_type", GAMES)
def test_a_game_module_handles_exactly_its_events(game_type: str) -> None:
    handlers = _frozen_object(_module(game_type), "export const events")
    assert set(handlers) == set(CATALOGUE[game_type]["events"])


@pytest.mark.parametrize("game_type", GAMES)
def test_every_handler_a_game_module_names_exists(game_type: str) -> None:
    source = _module(game_type)
    handlers = _frozen_object(source, "export const events")
    missing = [name for name in handlers.values()
               if not re.search(rf"^function {name}\(", source, re.M)]
    assert not missing, f"games/{game_type}.js lacks handlers: {missing}"


@pytest.mark.parametrize("game_type", GAMES)
def test_a_game_module_sends_exactly_its_commands(game_type: str) -> None:
    source = _module(game_type)
    assert _frozen_list(source, "export const commands") == set(CATALOGUE[game_type]["commands"])
    sent = set(re.findall(r'move\("([\w.]+)"', source))
    assert sent <= set(CATALOGUE[game_type]["commands"]), f"sends unknown commands: {sent}"


def test_the_shell_names_no_game() -> None:
    """Adding a game needs only its page module: nothing outside games/ names one."""
    names = set(GAMES) | {CATALOGUE[g]["title"] for g in GAMES}
    shell = [*STATIC.glob("*.js"), *STATIC.glob("*.css"), STATIC.parent / "games.html",
             STATIC.parent / "replay.html"]
    offenders = [f"{path.name}: {name}" for path in shell for name in names
                 if name in path.read_text()]
    assert not offenders, f"the shell names games: {offenders}"
