"""Opaque paging cursors: the sort key of the last item of a page, so the next page
starts right after it with an index seek (no offset scan) and stays stable while
items are added elsewhere. On the wire a cursor is base64url (no padding) of a small
JSON array; anything else is refused with :class:`BadCursor`."""

import base64
import binascii
import math
from datetime import datetime
from typing import TypeVar

import msgspec


class BadCursor(ValueError):
    """A cursor this server did not make (or made for another list)."""


class HistoryCursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """After the game ``game_id`` that finished at ``finished_at`` (newest first)."""

    finished_at: datetime
    game_id: str


class BoardCursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """After ``user_id`` with ``ordinal`` at 1-based ``position`` of the leaderboard."""

    ordinal: float
    user_id: int
    position: int


MAX_CURSOR = 300
ID_MAX = 2**63 - 1  # what every store can hold
C = TypeVar("C", HistoryCursor, BoardCursor)


def encode(cursor: HistoryCursor | BoardCursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).rstrip(b"=").decode()


def decode(text: str, kind: type[C]) -> C:
    if not 0 < len(text) <= MAX_CURSOR:
        raise BadCursor("cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = msgspec.json.decode(raw, type=kind)
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise BadCursor("cursor is malformed") from exc
    if isinstance(cursor, HistoryCursor) and cursor.finished_at.tzinfo is None:
        raise BadCursor("cursor is malformed")
    if isinstance(cursor, BoardCursor) and not (
            1 <= cursor.position <= ID_MAX and 1 <= cursor.user_id <= ID_MAX
            and math.isfinite(cursor.ordinal)):
        raise BadCursor("cursor is malformed")
    return cursor
