"""The platform sends only views: a toy game with hidden information, registered for
these tests alone, needs nothing outside its own definition to keep each player's
secret from the others and from spectators."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import msgspec
import pytest

from blazing.games import registry
from blazing.games.base import GameContext, Outcome, Private, Refusal, Result, Rng, Seat, SeatOption
from blazing.ids import UserId
from blazing.protocol.client import GameCommand
from blazing.protocol.envelope import AudienceType
from blazing.protocol.server import GameEvent, RoomState
from tests.support.table import Table

SECRET = 7919  # what player 1 picks; must never reach player 2 or a spectator


class Pick(GameCommand, frozen=True, kw_only=True, tag="secret_pick.pick"):
    number: int


class Picked(GameEvent, frozen=True, kw_only=True, tag="secret_pick.picked"):
    player_id: UserId


class YouPicked(GameEvent, frozen=True, kw_only=True, tag="secret_pick.you_picked"):
    number: int


class PickState(msgspec.Struct, frozen=True, kw_only=True, tag="secret_pick"):
    order: tuple[UserId, ...]
    picks: dict[UserId, int] = {}


class PickView(msgspec.Struct, frozen=True, kw_only=True):
    picked: list[UserId]
    mine: int | None


class SecretPick:
    """Each player picks a number in turn, unseen by the others; the highest wins."""

    game_type: str = "secret_pick"
    title: str = "Secret pick"
    seats: SeatOption = SeatOption(minimum=2, maximum=2, default=2)
    state_type: type[msgspec.Struct] = PickState
    commands: tuple[type[GameCommand], ...] = (Pick,)
    events: tuple[type[GameEvent], ...] = (Picked, YouPicked)
    error_codes: frozenset[str] = frozenset()

    def setup(self, players: Sequence[Seat], rng: Rng) -> PickState:
        return PickState(order=tuple(p.user_id for p in players))

    def apply(self, state: PickState, actor: UserId, action: GameCommand,
              ctx: GameContext) -> Outcome | Refusal:
        assert isinstance(action, Pick)
        state = PickState(order=state.order, picks={**state.picks, actor: action.number})
        return Outcome(state, (Picked(player_id=actor),
                               Private((actor,), YouPicked(number=action.number))))

    def who_acts(self, state: PickState) -> tuple[UserId, ...]:
        return tuple(p for p in state.order if p not in state.picks)[:1]

    def on_timeout(self, state: PickState, player: UserId, ctx: GameContext) -> Outcome:
        return Outcome(PickState(order=state.order, picks={**state.picks, player: 0}))

    def on_player_left(self, state: PickState, player: UserId, ctx: GameContext) -> Outcome:
        return Outcome(PickState(order=state.order, picks={p: int(p != player)
                                                            for p in state.order}))

    def result(self, state: PickState) -> Result | None:
        if len(state.picks) < len(state.order):
            return None
        return Result(max(state.picks, key=lambda p: state.picks[p]))

    def scores(self, state: PickState) -> Mapping[UserId, int]:
        return {p: 0 for p in state.order}

    def view(self, state: PickState, viewer: UserId | None) -> PickView:
        return PickView(picked=list(state.picks), mine=state.picks.get(viewer)
                        if viewer is not None else None)

    def record(self, state: PickState) -> list[dict[str, Any]]:
        return []


@pytest.fixture
def secret_pick() -> Iterator[None]:
    registry.register(SecretPick())
    yield
    registry.unregister("secret_pick")


def seen_by(table: Table, user: int) -> bytes:
    """Every byte of every event ``user`` received."""
    return b"".join(msgspec.json.encode(e.event) for e in table.events
                    if user in e.audience.user_ids or
                    (e.audience.type == AudienceType.LOBBY))


@pytest.mark.usefixtures("secret_pick")
def test_a_players_secret_reaches_only_them() -> None:
    table = Table()
    table.start(players=2, game_type="secret_pick")
    table.spectate(3)
    first = table.acting()
    assert table.move(first, Pick(room_id="", number=SECRET)).error is None
    other = 2 if first == 1 else 1
    secret = str(SECRET).encode()
    assert secret in seen_by(table, first)
    assert secret not in seen_by(table, other)
    assert secret not in seen_by(table, 3)
    private = [e for e in table.events if e.event.__struct_config__.tag == "secret_pick.you_picked"]
    assert [(e.audience.user_ids, e.event.seq) for e in private] == [([first], 0)]  # type: ignore[attr-defined]
    # room_state is a view per viewer: the picker sees their number, nobody else does.
    for user in (first, other, 3):
        table.rejoin(user)
    states = {e.audience.user_ids[0]: e.event for e in table.events
              if isinstance(e.event, RoomState)}
    assert states[first].room.game_state.mine == SECRET
    assert states[other].room.game_state.mine is None
    assert states[3].room.game_state.mine is None
    # The others' seq has no gap for the private event.
    seqs = [e.event.seq for e in table.events  # type: ignore[attr-defined]
            if other in e.audience.user_ids and getattr(e.event, "seq", 0) > 0
            and not isinstance(e.event, RoomState)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
