"""The contract every registered game passes, whatever its rules: driven through the
game interface alone with random moves, timeouts and departures.

- setup gives a state awaiting someone and no result;
- a refusal carries a code and leaves the state as it was;
- ``result`` is set exactly when nobody is awaited any more;
- the state survives the room store's codec (encode, decode through the registry);
- views and records encode, and records hold no array directly inside an array;
- the same seed and moves replay to the same states;
- a game whose players never move still ends (timeouts alone finish it).
"""

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blazing.games import registry
from blazing.games.base import Game, GameContext, Outcome, RandomRng, Refusal, Seat
from blazing.ids import RoomId, UserId
from blazing.protocol.models import RoomStatus
from blazing.rooms.model import Room, decode_room, encode_room
from tests.support.table import T0

CASES = [pytest.param(game, seats, id=f"{game_type}-{seats}")
         for game_type, game in sorted(registry.GAMES.items())
         for seats in sorted({game.seats.minimum, game.seats.default, game.seats.maximum})]
OUTSIDER = UserId(999)


def seats_of(count: int) -> list[Seat]:
    return [Seat(user_id=UserId(i), username=f"user{i}") for i in range(1, count + 1)]


def sample_move(game: Game, draw: st.DrawFn) -> Any:
    """Any command of ``game`` with arbitrary field values of the right types."""
    command = draw(st.sampled_from(game.commands))
    values: dict[Any, st.SearchStrategy[Any]] = {
        int: st.integers(min_value=-2, max_value=12), str: st.text(max_size=5),
        bool: st.booleans()}
    fields = {f.name: draw(values[f.type]) for f in msgspec.structs.fields(command)
              if f.required and f.name != "room_id"}
    return command(room_id="room_x", **fields)


def check_state(game: Game, state: Any, players: list[Seat]) -> None:
    acting = game.who_acts(state)
    assert (game.result(state) is None) == bool(acting), "result exactly when nobody acts"
    assert set(acting) <= {p.user_id for p in players}
    assert set(game.scores(state)) == {p.user_id for p in players}
    stored = registry.encode_state(state)
    assert registry.decode_state(game.game_type, stored) == state
    room = Room(room_id=RoomId("room_x"), room_name="x", game_type=game.game_type,
                status=RoomStatus.IN_PROGRESS, host_id=players[0].user_id, players=(),
                created_at=T0, max_players=len(players), game_state=stored)
    assert registry.decode_state(game.game_type,
                                 decode_room(encode_room(room)).game_state) == state
    for viewer in [None, *(p.user_id for p in players)]:
        msgspec.json.encode(game.view(state, viewer))
    assert_no_nested_arrays(msgspec.to_builtins(game.record(state)))


def assert_no_nested_arrays(value: Any, in_array: bool = False) -> None:
    if isinstance(value, list):
        assert not in_array, "an array directly inside an array"
        for item in value:
            assert_no_nested_arrays(item, True)
    elif isinstance(value, dict):
        for item in value.values():
            assert_no_nested_arrays(item)


Step = tuple[str, int, int]  # (kind, player index, seed for the move)


def run(game: Game, seats: int, seed: int, steps: list[tuple[str, int, Any]]) -> list[Any]:
    players = seats_of(seats)
    rng = RandomRng.seeded(seed)
    ctx = GameContext(now=T0, rng=rng)
    state = game.setup(players, rng)
    assert game.who_acts(state) and game.result(state) is None
    check_state(game, state, players)
    states = [state]
    for kind, who, move in steps:
        if game.result(state) is not None:
            break
        acting = game.who_acts(state)
        if kind == "move":
            actor = acting[0] if who < 0 else players[who % seats].user_id
            if actor not in acting:
                continue  # the room refuses this before the game sees it
            answer = game.apply(state, actor, move, ctx)
            if isinstance(answer, Refusal):
                assert answer.code and answer.code in game.error_codes | {"NOT_YOUR_TURN"}
                check_state(game, state, players)  # unchanged and still whole
                continue
            assert isinstance(answer, Outcome)
            state = answer.state
        elif kind == "timeout":
            state = game.on_timeout(state, acting[0], ctx).state
        else:
            still_in = [p for p in players if p.user_id in game.scores(state)]
            state = game.on_player_left(state, still_in[who % len(still_in)].user_id, ctx).state
        check_state(game, state, players)
        states.append(state)
    return states


@st.composite
def steps_for(draw: st.DrawFn, game: Game) -> list[tuple[str, int, Any]]:
    count = draw(st.integers(min_value=0, max_value=60))
    kinds = st.sampled_from(["move"] * 8 + ["timeout", "leave"])
    return [(draw(kinds), draw(st.integers(min_value=-1, max_value=9)), sample_move(game, draw))
            for _ in range(count)]


@pytest.mark.parametrize(("game", "seats"), CASES)
@settings(max_examples=80, deadline=None)
@given(data=st.data(), seed=st.integers(min_value=0, max_value=2**32))
def test_random_play_keeps_the_contract_and_replays_from_its_seed(
        game: Game, seats: int, data: st.DataObject, seed: int) -> None:
    steps = data.draw(steps_for(game))
    assert run(game, seats, seed, steps) == run(game, seats, seed, steps)


@pytest.mark.parametrize(("game", "seats"), CASES)
def test_a_game_whose_players_never_move_still_ends(game: Game, seats: int) -> None:
    players = seats_of(seats)
    rng = RandomRng.seeded(3)
    ctx = GameContext(now=T0, rng=rng)
    state = game.setup(players, rng)
    for _ in range(10_000):
        if game.result(state) is not None:
            break
        state = game.on_timeout(state, game.who_acts(state)[0], ctx).state
    assert game.result(state) is not None


@pytest.mark.parametrize(("game", "seats"), CASES)
def test_when_all_but_one_leave_the_last_one_wins(game: Game, seats: int) -> None:
    players = seats_of(seats)
    rng = RandomRng.seeded(5)
    ctx = GameContext(now=T0, rng=rng)
    state = game.setup(players, rng)
    for player in players[1:]:
        state = game.on_player_left(state, player.user_id, ctx).state
    result = game.result(state)
    assert result is not None and result.winner_id == players[0].user_id


def test_every_game_registers_its_messages_under_its_own_name() -> None:
    for game_type, game in registry.GAMES.items():
        tags = [str(m.__struct_config__.tag) for m in (*game.commands, *game.events)]
        assert all(tag.startswith(game_type + ".") for tag in tags), tags
        assert game.seats.minimum <= game.seats.default <= game.seats.maximum
