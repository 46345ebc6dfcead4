"""Bigger Dice rules (SPEC §4), pure.

A round is two rolls: ``order[0]`` opens it, ``order[1]`` closes it. The higher
roll scores a point; a tie scores nothing. First to ``WINNING_SCORE`` wins.
"""

from datetime import timedelta
from typing import Any

import msgspec

from blazing.errors import ServerFault
from blazing.games.bigger_dice.state import BiggerDiceState, Round
from blazing.ids import UserId
from blazing.protocol import server as ev
from blazing.protocol.client import ClientMessage
from blazing.protocol.models import GamePlayer
from blazing.rooms.model import Room
from blazing.rooms.tx import Tx

WINNING_SCORE = 10
ROLL = "bigger_dice.roll"


class BiggerDice:
    game_type = "bigger_dice"
    max_players = 2
    action_types = frozenset({ROLL})

    def start(self, tx: Tx) -> None:
        players = tx.room.player_ids()
        first = tx.ctx.dice.choice(players)
        second = next(p for p in players if p != first)
        tx.set_status("start")
        tx.update(
            started_at=tx.ctx.now,
            game_state=BiggerDiceState(order=(first, second)),
            players=tuple(msgspec.structs.replace(p, score=0) for p in tx.room.players),
        )
        tx.to_room(ev.GameStarted, players=list(tx.room.players), first_turn=first)
        self._give_turn(tx, first, turn_number=1)

    def act(self, tx: Tx, actor: UserId, action: ClientMessage) -> None:
        self._roll(tx, actor, auto=False)

    def auto_act(self, tx: Tx) -> None:
        if tx.room.current_turn is None:
            raise ServerFault("auto-roll without a current turn")
        self._roll(tx, tx.room.current_turn, auto=True)

    def rounds(self, room: Room) -> list[dict[str, Any]]:
        # Rolls as objects, not [user, roll] pairs: documents must avoid nested arrays
        # (the MongoDB-protocol server we test with cannot store them).
        return [{"round": r.round, "rolls": [{"user_id": u, "roll": v} for u, v in r.rolls],
                 "winner_id": r.winner_id, "is_tie": r.is_tie} for r in _state(room).rounds]

    def _roll(self, tx: Tx, roller: UserId, *, auto: bool) -> None:
        state = _state(tx.room)
        value = tx.ctx.dice.roll(6)
        pending = (*state.pending, (roller, value))
        round_result: Round | None = None
        if len(pending) == 2:
            (p1, r1), (p2, r2) = pending
            winner = p1 if r1 > r2 else p2 if r2 > r1 else None
            round_result = Round(round=len(state.rounds) + 1, rolls=pending, winner_id=winner,
                                 is_tie=winner is None)
            state = msgspec.structs.replace(state, pending=(),
                                            rounds=(*state.rounds, round_result))
            if winner is not None:
                tx.update(players=tuple(_scored(p, winner) for p in tx.room.players))
        else:
            state = msgspec.structs.replace(state, pending=pending)
        tx.update(game_state=state)

        me = _player(tx.room, roller)
        tx.to_room(ev.DiceRolled, player_id=roller, player_username=me.username, roll=value,
                   new_score=me.score, auto=auto)
        if round_result is not None:
            (p1, r1), (p2, r2) = round_result.rolls
            tx.to_room(ev.RoundResult, round=round_result.round, player1_id=p1, player1_roll=r1,
                       player2_id=p2, player2_roll=r2, winner_id=round_result.winner_id,
                       is_tie=round_result.is_tie)
        champion = next((p for p in tx.room.players if p.score >= WINNING_SCORE), None)
        if champion is not None:
            tx.end_game(champion.user_id, "won")
            return
        opener, closer = state.order
        self._give_turn(tx, closer if roller == opener else opener,
                        turn_number=tx.room.turn_number + 1)

    @staticmethod
    def _give_turn(tx: Tx, user_id: UserId, *, turn_number: int) -> None:
        deadline = tx.ctx.now + timedelta(seconds=tx.ctx.settings.turn_seconds)
        tx.update(current_turn=user_id, turn_number=turn_number, turn_deadline=deadline)
        tx.to_room(ev.TurnChanged, current_turn=user_id, turn_number=turn_number,
                   turn_deadline=deadline)


def _state(room: Room) -> BiggerDiceState:
    if not isinstance(room.game_state, BiggerDiceState):
        raise ServerFault(f"room {room.room_id} has no bigger_dice state")
    return room.game_state


def _player(room: Room, user_id: UserId) -> GamePlayer:
    player = room.player(user_id)
    if player is None:
        raise ServerFault(f"user {user_id} is not a player of {room.room_id}")
    return player


def _scored(player: GamePlayer, winner: UserId) -> GamePlayer:
    if player.user_id != winner:
        return player
    return msgspec.structs.replace(player, score=player.score + 1)
