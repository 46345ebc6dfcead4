"""Inputs of the pure rules: the clock, the randomness, the limits and facts the
service looked up before calling them. Nothing in the rules reads these from
the environment, so a game replays exactly from its commands and a seed."""

from dataclasses import dataclass
from datetime import datetime

from blazing.games.base import Rng
from blazing.ids import RoomId, UserId


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Tunable rule parameters; defaults are SPEC's."""

    turn_seconds: float = 30.0
    grace_seconds: float = 60.0
    retention_seconds: float = 600.0
    spectator_limit: int = 50
    chat_limit: int = 5
    chat_window_seconds: float = 10.0
    ready_seconds: float = 60.0  # all seats taken: time to get ready before losing one


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    rng: Rng
    settings: RuleSettings = RuleSettings()
    command_id: str = ""
    # Facts looked up by the service before applying a command. A store write
    # re-checks the claims they stand for, so a stale fact only costs a retry.
    new_room_id: RoomId | None = None  # id for a room this command creates
    actor_room: RoomId | None = None  # the actor's active room as a player
    name_owner: RoomId | None = None  # active room already holding the requested name
    new_invite_code: str | None = None  # for a room this command creates, or a renewal
    password_hash: str | None = None  # create_room with a password: its hash
    password_ok: bool = False  # join/spectate: the password given matches the room's
    too_many_attempts: bool = False  # past the password-attempt limit (nothing checked)
    busy_players: frozenset[UserId] = frozenset()  # rematch: players seated elsewhere
    quick_play: bool = False  # create_room on behalf of quick play (name_owner: its slot)
