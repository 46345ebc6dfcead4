"""What a game's course looks like on record: one entry per accepted move, timeout or
departure, enough to rebuild every state through the game's own rules
(:mod:`blazing.games.replay`). The room layer writes them; history stores them."""

from datetime import datetime
from typing import Any, Literal

import msgspec

from blazing.ids import UserId

MoveKind = Literal["move", "timeout", "left", "disconnected"]


class MoveRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """``kind``: a player's ``move``; a ``timeout`` (the server acted for ``user_id``:
    an auto-move); ``left`` or ``disconnected`` (grace ran out): ``user_id`` is out.
    ``action``: the move's command fields (``type`` and the game's own fields).
    ``draws``: the randomness the rules drew for it. ``scores``: every seat's score
    after it, in seat order."""

    kind: MoveKind
    user_id: UserId
    at: datetime
    action: dict[str, Any] = {}
    draws: tuple[int, ...] = ()
    scores: tuple[int, ...] = ()


def action_fields(command: msgspec.Struct) -> dict[str, Any]:
    """A move's command as recorded: its type and fields, without the envelope's
    (``room_id``, ``request_id``, ``user_id``)."""
    fields = msgspec.to_builtins(command)
    assert isinstance(fields, dict)
    return {k: v for k, v in fields.items()
            if k not in ("room_id", "request_id", "user_id") and v is not None}
