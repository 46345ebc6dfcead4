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
from blazing.rooms import rules
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

    def do(self, user_id: int, message: ServiceCommand, command_id: str | None = None
           ) -> Outcome:
        self.counter += 1
        room = self.room
        playing = room is not None and room.is_active and room.player(UserId(user_id))
        ctx = Context(now=self.now, rng=self.rng, settings=self.settings,
                      command_id=command_id or f"cmd{self.counter}", new_room_id=ROOM,
                      actor_room=room.room_id if playing and room else None,
                      name_owner=ROOM if self.name_taken else None)
        outcome = rules.apply(room, message, actor(user_id), ctx)
        return self._take(outcome)

    def tick(self, seconds: float = 0.0) -> Outcome:
        self.now += timedelta(seconds=seconds)
        assert self.room is not None
        return self._take(rules.tick(self.room, Context(now=self.now, rng=self.rng,
                                                        settings=self.settings)))

    def _take(self, outcome: Outcome) -> Outcome:
        if outcome.error is None:
            self.room = outcome.after
            self.events.extend(outcome.emits)
        return outcome

    # --- shorthands --------------------------------------------------------------------

    def create(self, user_id: int = 1, name: str = "Table") -> Outcome:
        return self.do(user_id, cmd.CreateRoom(game_type="bigger_dice", room_name=name))

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

    def start(self) -> None:
        """Players 1 and 2 seated and ready: the game is in progress."""
        self.create(1)
        self.join(2)
        self.ready(1)
        self.ready(2)

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
