"""The room lifecycle as tables, not scattered ``if``s.

``TRANSITIONS`` says which status an action leads to from which status;
``ALLOWED`` says in which statuses each command is accepted and, when it is
not, which error code refuses it.
"""

from blazing.errors import ErrorCode, ServerFault
from blazing.protocol.models import RoomStatus

W, P, F, A = (RoomStatus.WAITING, RoomStatus.IN_PROGRESS, RoomStatus.FINISHED,
              RoomStatus.ABANDONED)

TRANSITIONS: dict[tuple[RoomStatus, str], RoomStatus] = {
    (W, "start"): P,
    (W, "abandon"): A,  # the last player left before the game started
    (P, "finish"): F,  # someone won (by score, forfeit or disconnect)
    (P, "abandon"): A,  # every player is gone
    (F, "rematch"): W,  # every player asked for another game (it starts at once)
}

# command type -> (statuses in which it is accepted, code when it is not)
ALLOWED: dict[str, tuple[frozenset[RoomStatus], ErrorCode]] = {
    "join_room": (frozenset({W}), ErrorCode.GAME_ALREADY_STARTED),
    "ready": (frozenset({W}), ErrorCode.GAME_ALREADY_STARTED),
    "leave_room": (frozenset({W, P, F}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "spectate": (frozenset({W, P}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "leave_spectate": (frozenset({W, P, F, A}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "rejoin_room": (frozenset({W, P, F, A}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "chat_send": (frozenset({W, P, F}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "game_action": (frozenset({P}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "rematch": (frozenset({F}), ErrorCode.REMATCH_UNAVAILABLE),
    "kick": (frozenset({W, P}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "renew_invite": (frozenset({W, P}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "set_spectating": (frozenset({W, P}), ErrorCode.GAME_NOT_IN_PROGRESS),
    "mute": (frozenset({W, P, F}), ErrorCode.GAME_NOT_IN_PROGRESS),
}


def transition(status: RoomStatus, action: str) -> RoomStatus:
    """The status after ``action``; a missing entry is our bug, not the client's."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise ServerFault(f"no transition {action!r} from {status}") from None


def refusal(command: str, status: RoomStatus) -> ErrorCode | None:
    """The error code refusing ``command`` in ``status``, or None if allowed."""
    statuses, code = ALLOWED[command]
    return None if status in statuses else code
