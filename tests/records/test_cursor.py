"""Cursors round-trip, and anything the server did not make is refused."""

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blazing.records.cursor import BadCursor, BoardCursor, HistoryCursor, decode, encode


def test_cursors_round_trip() -> None:
    history = HistoryCursor(datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC), "room_a.2")
    assert decode(encode(history), HistoryCursor) == history
    board = BoardCursor(-1.25, 42, 20)
    assert decode(encode(board), BoardCursor) == board


@pytest.mark.parametrize("text", ["", "x" * 400, "!!!", "bm90IGpzb24", "WzEsMl0",
                                  "WyIyMDI2LTAzLTAxVDEyOjAwOjAwIiwiYSJd"])
def test_malformed_cursors_are_refused(text: str) -> None:
    for kind in (HistoryCursor, BoardCursor):
        with pytest.raises(BadCursor):
            decode(text, kind)


def test_a_cursor_of_the_other_list_is_refused() -> None:
    board = encode(BoardCursor(1.0, 2, 3))
    with pytest.raises(BadCursor):
        decode(board, HistoryCursor)
    for bad in (BoardCursor(1.0, 2, 0), BoardCursor(1.0, 2**64, 1), BoardCursor(1e309, 2, 1)):
        with pytest.raises(BadCursor):
            decode(encode(bad), BoardCursor)


@given(st.text(max_size=80))
def test_no_text_makes_decode_fail_otherwise(text: str) -> None:
    for kind in (HistoryCursor, BoardCursor):
        with contextlib.suppress(BadCursor):
            decode(text, kind)
