"""The name rule, pure: what a name becomes, what is refused and why, and when two
names are the same."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blazing.protocol.names import NameRefused, clean_chat_text, clean_name, name_key


@pytest.mark.parametrize(("raw", "clean"), [
    ("  Friday  ", "Friday"),
    ("Friday   night", "Friday night"),
    ("\uff26\uff52\uff49", "Fri"),  # full-width letters
    ("\ufb01sh", "fish"),  # a ligature
    ("🧑\u200d🤝\u200d🧑", "🧑\u200d🤝\u200d🧑"),  # joiners inside an emoji stay
    ("Ünïcödé", "Ünïcödé"),
])
def test_a_name_is_normalised(raw: str, clean: str) -> None:
    assert clean_name(raw, 64) == clean


@pytest.mark.parametrize(("raw", "reason"), [
    ("abc\u202e", "bidirectional control character (U+202E)"),
    ("\u2066x\u2069", "bidirectional control character (U+2066)"),
    ("x\u200f", "bidirectional control character (U+200F)"),
    ("a\tb", "control character (U+0009)"),
    ("a\x00b", "control character (U+0000)"),
    ("a\u2028b", "line separator"),
    ("a\ue000", "private-use"),
    ("a\U000e0080", "unassigned"),
    ("a\ud800", "surrogate"),
    ("\u200b\u200c\u200d", "visible character"),
    ("\u3164", "visible character"),
    ("", "visible character"),
    ("x" * 65, "1–64 characters"),
])
def test_what_is_not_a_name_is_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(NameRefused, match=re.escape(reason)):
        clean_name(raw, 64, "name")


@pytest.mark.parametrize("look_alike", ["table one", "TABLE ONE", "Table\u200b One",
                                        "Ta\u00adble One", "Table  One", "Table One\ufe0f",
                                        "\uff34able \uff2fne", "\u2060Table One"])
def test_look_alikes_share_a_key(look_alike: str) -> None:
    assert name_key(look_alike) == name_key("Table One")


def test_different_names_keep_different_keys() -> None:
    assert name_key("Table One") != name_key("Table Two")
    assert name_key("straße") == name_key("STRASSE")  # case folding, as documented


def test_chat_keeps_newlines_and_refuses_bidi_controls_and_blank_text() -> None:
    assert clean_chat_text("  hi\nthere\t!  ", 500) == "hi\nthere\t!"
    assert clean_chat_text("ﬁne", 500) == "ﬁne"  # as typed, not normalised
    for bad in ("hi \u202e", "\u200b", "a\x1bb", "   "):
        with pytest.raises(NameRefused):
            clean_chat_text(bad, 500)


@given(st.text(max_size=80))
def test_any_text_is_a_clean_name_or_refused_and_cleaning_is_stable(raw: str) -> None:
    try:
        name = clean_name(raw, 64)
    except NameRefused:
        return
    assert 1 <= len(name) <= 64 and name == name.strip()
    assert clean_name(name, 64) == name  # a clean name stays as it is
    assert name_key(name) == name_key(raw)
