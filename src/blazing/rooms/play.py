"""Running a room's game through the game interface (:mod:`blazing.games.base`), for
every game alike: set it up when the table is ready, take moves from the players the
game awaits, give each turn its deadline, apply timeouts and departures, record every
step for history and replay, and end the game when it has a result. Pure."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec

from blazing.errors import ErrorCode, ServerFault
from blazing.games import base as game_api
from blazing.games import registry
from blazing.games.record import MoveKind, MoveRecord, action_fields
from blazing.ids import UserId
from blazing.protocol import client as cmd
from blazing.protocol import server as ev
from blazing.protocol.envelope import Actor
from blazing.protocol.models import GamePlayer
from blazing.rooms import views
from blazing.rooms.model import Room
from blazing.rooms.tx import Outcome, Tx, refuse

GameStep = Callable[[game_api.GameContext], game_api.Outcome | game_api.Refusal]


def game_of(room: Room) -> tuple[game_api.Game, Any]:
    """The room's game and its current state; a room in play always has both."""
    game = registry.get(room.game_type)
    state = views.game_state(room)
    if game is None or state is None:
        raise ServerFault(f"room {room.room_id} has no {room.game_type} game to play")
    return game, state


def start(tx: Tx) -> None:
    """Every seat is taken and ready: set the game up and give the first turn."""
    game = registry.get(tx.room.game_type)
    if game is None:
        raise ServerFault(f"room {tx.room.room_id} has an unknown game {tx.room.game_type!r}")
    seats = [game_api.Seat(user_id=p.user_id, username=p.username) for p in tx.room.players]
    rng = game_api.RecordingRng(tx.ctx.rng)
    state = game.setup(seats, rng)
    first = game.who_acts(state)[0]
    tx.set_status("start")
    tx.update(started_at=tx.ctx.now, game_state=registry.encode_state(state),
              games=tx.room.games + 1, setup_draws=tuple(rng.draws), moves=(),
              ready_deadline=None,
              players=tuple(msgspec.structs.replace(p, score=0) for p in tx.room.players))
    tx.to_room(ev.GameStarted(players=list(tx.room.players), first_turn=first,
                              game_state=game.view(state, None)))
    _begin_turn(tx, game, state)


def move(tx: Tx, actor: Actor, command: cmd.Command) -> Outcome | None:
    """A player's move in the room's game (the lifecycle guard checked the status and
    that the actor plays here)."""
    room = tx.room
    assert isinstance(command, cmd.GameCommand)
    game, state = game_of(room)
    if type(command) not in game.commands:
        return refuse(room, ErrorCode.UNKNOWN_TYPE,
                      f"{command.__struct_config__.tag} is not a move of {room.game_type}")
    if actor.user_id not in game.who_acts(state):
        return refuse(room, ErrorCode.NOT_YOUR_TURN, "it is not your turn")
    refusal = _play(tx, game, "move", actor.user_id,
                    lambda ctx: game.apply(state, actor.user_id, command, ctx),
                    action=action_fields(command))
    if refusal is not None:
        return refuse(room, refusal.code, refusal.message)
    return None


def time_out(tx: Tx) -> None:
    """The current turn's deadline passed: the game decides what happens."""
    late = tx.room.current_turn
    if late is None:
        return
    game, state = game_of(tx.room)
    _play(tx, game, "timeout", late, lambda ctx: game.on_timeout(state, late, ctx))


def leave_game(tx: Tx, player: GamePlayer, reason: str) -> None:
    """``player`` is out of a game in progress (left, or ran out of grace): the game
    says what that means (a forfeit, an elimination); the seat and score stay."""
    me = player.user_id
    tx.leaving.append(me)
    tx.set_player(msgspec.structs.replace(player, left=True, disconnected_until=None))
    game, state = game_of(tx.room)
    rng = game_api.RecordingRng(tx.ctx.rng)
    answer = game.on_player_left(state, me, game_api.GameContext(now=tx.ctx.now, rng=rng))
    going_on = game.result(answer.state) is None
    tx.to_room(ev.PlayerLeft(user_id=me, username=player.username,
                             game_state=game.view(answer.state, None) if going_on else None),
               also=[me])
    _play(tx, game, "left" if reason == "forfeit" else "disconnected", me,
          lambda ctx: answer, ending_reason=reason, draws=rng.draws)


def _play(tx: Tx, game: game_api.Game, kind: MoveKind, user: UserId, step: GameStep, *,
          action: dict[str, Any] | None = None, ending_reason: str | None = None,
          draws: list[int] | None = None) -> game_api.Refusal | None:
    """Run one step of the game (a move, a timeout, a departure) with its randomness
    recorded, put it on the game's record and take its outcome; a refusal changes
    nothing and is returned. ``draws``: the randomness of a step already run."""
    rng = game_api.RecordingRng(tx.ctx.rng)
    answer = step(game_api.GameContext(now=tx.ctx.now, rng=rng))
    if isinstance(answer, game_api.Refusal):
        return answer
    scores = game.scores(answer.state)
    tx.update(moves=(*tx.room.moves, MoveRecord(
        kind=kind, user_id=user, at=tx.ctx.now, action=action or {},
        draws=tuple(rng.draws if draws is None else draws),
        scores=tuple(scores.get(p.user_id, 0) for p in tx.room.players))))
    _advance(tx, game, answer, ending_reason)
    return None


def _advance(tx: Tx, game: game_api.Game, outcome: game_api.Outcome,
             ending_reason: str | None = None) -> None:
    """Take a game's outcome: store its state, show its events and scores, then end
    the game (``ending_reason`` overrides the game's reason: a forfeit) or start the
    next turn."""
    state = outcome.state
    scores = game.scores(state)
    tx.update(game_state=registry.encode_state(state), players=tuple(
        msgspec.structs.replace(p, score=scores.get(p.user_id, p.score))
        for p in tx.room.players))
    for event in outcome.events:
        if isinstance(event, game_api.Private):
            tx.to_some(event.user_ids, event.event)
        else:
            tx.to_room(event, also=tx.leaving)
    result = game.result(state)
    if result is not None:
        tx.end_game(result.winner_id, ending_reason or result.reason)
        return
    if outcome.ends_turn or tx.room.current_turn not in game.who_acts(state):
        _begin_turn(tx, game, state)


def _begin_turn(tx: Tx, game: game_api.Game, state: Any) -> None:
    """The next turn: whoever the game awaits gets a fresh deadline."""
    acting = game.who_acts(state)
    if not acting:
        raise ServerFault(f"{game.game_type} awaits nobody but has no result")
    deadline = tx.ctx.now + timedelta(seconds=tx.ctx.settings.turn_seconds)
    number = tx.room.turn_number + 1
    tx.update(current_turn=acting[0], turn_number=number, turn_deadline=deadline)
    tx.to_room(ev.TurnChanged(current_turn=acting[0], turn_number=number,
                              turn_deadline=deadline))
