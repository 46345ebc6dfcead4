"""The docs stay in step with the code."""

from pathlib import Path

from blazing.codec import CLIENT_TYPES, SERVER_TYPES
from blazing.errors import ErrorCode
from blazing.settings import OPTIONS

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for option in OPTIONS:
        assert f"`{option.env}`" in readme, option.env


def test_the_readme_starts_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_the_protocol_doc_names_every_message_and_error() -> None:
    doc = (ROOT / "docs" / "protocol.md").read_text()
    for name in sorted(CLIENT_TYPES | SERVER_TYPES):
        assert f"`{name}`" in doc, name
    for code in ErrorCode:
        assert f"`{code.value}`" in doc, code
