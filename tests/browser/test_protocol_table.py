"""The page's one dispatch table mirrors the server's event types (no browser)."""

import re
from pathlib import Path

from blazing.codec import CLIENT_TYPES, SERVER_TYPES

STATIC = Path(__file__).resolve().parents[2] / "src" / "blazing" / "web" / "static"


def _table() -> dict[str, str]:
    source = (STATIC / "protocol.js").read_text()
    block = re.search(r"SERVER_EVENTS = Object\.freeze\(\{(.*?)\}\);", source, re.S)
    assert block, "SERVER_EVENTS not found in protocol.js"
    return dict(re.findall(r'"([\w.]+)":\s*"(\w+)"', block.group(1)))


def test_dispatch_table_covers_exactly_the_server_types() -> None:
    assert set(_table()) == set(SERVER_TYPES)


def test_every_handler_exists_on_the_controller() -> None:
    controller = (STATIC / "games.js").read_text()
    missing = [name for name in _table().values()
               if not re.search(rf"^  {name}\(", controller, re.M)]
    assert not missing, f"games.js lacks handlers: {missing}"


def test_client_types_match() -> None:
    source = (STATIC / "protocol.js").read_text()
    block = re.search(r"CLIENT_TYPES = Object\.freeze\(\[(.*?)\]\);", source, re.S)
    assert block
    assert set(re.findall(r'"([\w.]+)"', block.group(1))) == set(CLIENT_TYPES)
