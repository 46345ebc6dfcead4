"""One error hierarchy for the whole package; the blame is in the name.

- :class:`ClientError` — the peer broke the protocol or the rules. It carries a
  wire code (an :class:`ErrorCode`, or one a game declares in its ``error_codes``)
  and becomes an ``error`` event; the connection goes on.
- :class:`ServerFault` — a bug or broken invariant on our side (``INTERNAL_ERROR``).
- :class:`DependencyUnavailable` — a bus or store could not be reached
  (``SERVICE_UNAVAILABLE``). For a store write or a read it means "not done". For
  a bus publish it means "maybe sent": the producer may still deliver it once the
  broker is back, which is harmless because commands and events carry ids that
  are de-duplicated.
- :class:`Conflict` — a versioned write lost a race; callers reload and re-apply
  the pure rules. It never reaches a client.

Adapters raise these (never driver exceptions) so callers handle one family.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every ``code`` an ``error`` event may carry (SPEC §6)."""

    UNAUTHORIZED = "UNAUTHORIZED"
    USER_MISMATCH = "USER_MISMATCH"
    INVALID_MESSAGE = "INVALID_MESSAGE"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    ROOM_NOT_FOUND = "ROOM_NOT_FOUND"
    ROOM_FULL = "ROOM_FULL"
    ROOM_NAME_TAKEN = "ROOM_NAME_TAKEN"
    ALREADY_IN_ROOM = "ALREADY_IN_ROOM"
    NOT_IN_ROOM = "NOT_IN_ROOM"
    NOT_A_PLAYER = "NOT_A_PLAYER"
    SPECTATOR_LIMIT = "SPECTATOR_LIMIT"
    GAME_ALREADY_STARTED = "GAME_ALREADY_STARTED"
    GAME_NOT_IN_PROGRESS = "GAME_NOT_IN_PROGRESS"
    NOT_YOUR_TURN = "NOT_YOUR_TURN"
    INVALID_GAME_TYPE = "INVALID_GAME_TYPE"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # Playing with friends (SPEC §10).
    PASSWORD_REQUIRED = "PASSWORD_REQUIRED"
    WRONG_PASSWORD = "WRONG_PASSWORD"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"  # password attempts; wait for the window
    NOT_HOST = "NOT_HOST"
    KICKED = "KICKED"  # the host removed you from this room for its lifetime
    CANNOT_TARGET_SELF = "CANNOT_TARGET_SELF"
    SPECTATORS_CLOSED = "SPECTATORS_CLOSED"
    MUTED = "MUTED"
    REMATCH_UNAVAILABLE = "REMATCH_UNAVAILABLE"


class BlazingError(Exception):
    """Base of every error this package raises on purpose."""


class ClientError(BlazingError):
    """The client broke the protocol or a rule; reported to it as ``error``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ServerFault(BlazingError):
    """Our own invariant broke; reported as ``INTERNAL_ERROR`` and logged."""


class DependencyUnavailable(BlazingError):
    """A bus or store is unreachable; the operation was not applied."""


class Conflict(BlazingError):
    """A compare-and-set write lost a race; reload and re-apply."""


class ConfigError(BlazingError):
    """Settings are missing or inconsistent; raised at start-up only."""
