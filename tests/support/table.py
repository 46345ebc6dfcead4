"""A pure harness around the room rules: a room, a clock and dice, no I/O."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import msgspec

from blazing.games.base import RandomRng
from blazing.games.bigger_dice.messages import Roll
from blazing.ids import GatewayId, RoomId, SocketId, UserId
from blazing.protocol import client as cmd
from blazing.protocol.envelope import Actor, ServiceCommand, UserDisconnected
from blazing.protocol.models import RoomStatus
from blazing.rooms import rules, views
from blazing.rooms.context import Context, RuleSettings
from blazing.rooms.model import Room
from blazing.rooms.tx import Emit, Outcome

T = TypeVar("T")
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ROOM = RoomId("room_testtesttest")


class ScriptedDice:
    """Dice that roll a given script (then repeat its last value) and pick by index."""

    def __init__(self, rolls: Sequence[int] = (), first: int = 0) -> None:
        self.rolls = list(rolls)
        self.first = first

    def roll(self, sides: int = 6) -> int:
        return self.rolls.pop(0) if len(self.rolls) > 1 else self.rolls[0]

    def choice(self, options: Sequence[T]) -> T:
        return options[self.first]


def actor(user_id: int) -> Actor:
    return Actor(user_id=UserId(user_id), username=f"user{user_id}", avatar_id=None,
                 socket_id=SocketId(f"sock{user_id}"), gateway_id=GatewayId("gw"))


@dataclass
class Table:
    rng: Any = field(default_factory=lambda: RandomRng.seeded(1))
    settings: RuleSettings = field(default_factory=RuleSettings)
    now: datetime = T0
    room: Room | None = None
    events: list[Emit] = field(default_factory=list)
    counter: int = 0
    name_taken: bool = False

    def do(self, user_id: int, message: ServiceCommand, command_id: str | None = None,
           **facts: Any) -> Outcome:
        """Apply a command; ``facts`` are the Context fields the service would have
        looked up (e.g. ``password_ok=True``)."""
        self.counter += 1
        room = self.room
        playing = room is not None and room.is_active and room.player(UserId(user_id))
        facts.setdefault("actor_room", room.room_id if playing and room else None)
        ctx = Context(now=self.now, rng=self.rng, settings=self.settings,
                      command_id=command_id or f"cmd{self.counter}", new_room_id=ROOM,
                      name_owner=ROOM if self.name_taken else None,
                      new_invite_code=f"CODE{self.counter}", **facts)
        outcome = rules.apply(room, message, actor(user_id), ctx)
        return self._take(outcome)

    def tick(self, seconds: float = 0.0) -> Outcome:
        self.now += timedelta(seconds=seconds)
        assert self.room is not None
        return self._take(rules.tick(self.room, Context(now=self.now, rng=self.rng,
                                                        settings=self.settings)))

    def archive(self, ok: bool = True, busy: frozenset[UserId] = frozenset()) -> Outcome:
        """The service's history write of the ended game: done (``ok``) or failed."""
        assert self.room is not None
        ctx = Context(now=self.now, rng=self.rng, settings=self.settings, busy_players=busy)
        return self._take(rules.archived(self.room, ok, ctx, 5.0))

    def _take(self, outcome: Outcome) -> Outcome:
        if outcome.error is None:
            self.room = outcome.after
            self.events.extend(outcome.emits)
        return outcome

    # --- shorthands --------------------------------------------------------------------

    def create(self, user_id: int = 1, name: str = "Table", *, game_type: str = "bigger_dice",
               seats: int | None = None) -> Outcome:
        return self.do(user_id, cmd.CreateRoom(game_type=game_type, room_name=name,
                                               max_players=seats))

    def join(self, user_id: int) -> Outcome:
        return self.do(user_id, cmd.JoinRoom(room_id=ROOM))

    def ready(self, user_id: int) -> Outcome:
        return self.do(user_id, cmd.Ready(room_id=ROOM))

    def roll(self, user_id: int) -> Outcome:
        return self.do(user_id, Roll(room_id=ROOM))

    def leave(self, user_id: int) -> Outcome:
        return self.do(user_id, cmd.LeaveRoom(room_id=ROOM))

    def spectate(self, user_id: int) -> Outcome:
        return self.do(user_id, cmd.Spectate(room_id=ROOM))

    def rejoin(self, user_id: int) -> Outcome:
        return self.do(user_id, cmd.RejoinRoom(room_id=ROOM))

    def chat(self, user_id: int, text: str) -> Outcome:
        return self.do(user_id, cmd.ChatSend(room_id=ROOM, text=text))

    def drop(self, user_id: int) -> Outcome:
        return self.do(user_id, UserDisconnected(user_id=UserId(user_id), at=self.now))

    def start(self, players: int = 2, game_type: str = "bigger_dice") -> None:
        """Players 1..``players`` seated (in that order) and ready: the game is on."""
        self.create(1, game_type=game_type, seats=players)
        for user in range(2, players + 1):
            self.join(user)
        for user in range(1, players + 1):
            self.ready(user)
        assert self.room is not None and self.room.status == RoomStatus.IN_PROGRESS

    def move(self, user_id: int, action: Any) -> Outcome:
        """A game move given as the game's command struct (any game)."""
        return self.do(user_id, msgspec.structs.replace(action, room_id=ROOM))

    def state(self) -> Any:
        """The running game's state struct."""
        assert self.room is not None
        return views.game_state(self.room)

    def acting(self) -> int:
        assert self.room is not None and self.room.current_turn is not None
        return self.room.current_turn

    # --- reading -----------------------------------------------------------------------

    def types(self) -> list[str]:
        return [str(e.event.__struct_config__.tag) for e in self.events]

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [msgspec.to_builtins(e.event) for e in self.events
                if e.event.__struct_config__.tag == type_]

    def last(self, type_: str) -> dict[str, Any]:
        found = self.of_type(type_)
        assert found, f"no {type_} in {self.types()}"
        return found[-1]

    def score(self, user_id: int) -> int:
        assert self.room is not None
        player = self.room.player(UserId(user_id))
        assert player is not None
        return player.score
