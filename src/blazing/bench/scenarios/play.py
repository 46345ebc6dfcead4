"""Scripted Bigger Dice over the wire, as a browser would play it."""

import asyncio
import time
from collections.abc import Callable

from blazing.bench.scenarios.common import Peer, command

ROOM_CREATED = frozenset({"room_created"})
ROOM_STATE = frozenset({"room_state"})
GAME_STARTED = frozenset({"game_started"})
TURN = frozenset({"turn_changed"})
ROLLED = frozenset({"bigger_dice.rolled"})
TURN_OR_END = frozenset({"turn_changed", "game_ended"})
GAME_ENDED = frozenset({"game_ended"})
MAX_ROLLS_PER_GAME = 10_000  # a game ends at 10 round wins; ties make it longer, never this long


async def open_room(host: Peer, guest: Peer, name: str) -> str:
    """``host`` creates room ``name``, ``guest`` joins it by name; the room id."""
    host.inbox.clear()
    guest.inbox.clear()
    created = await host.request(command("create_room", game_type="bigger_dice",
                                         room_name=name), ROOM_CREATED)
    room_id = created.room_id
    if room_id is None:
        raise ValueError("room_created without room_id")
    await guest.request(command("join_room", room_name=name), ROOM_STATE, room_id=room_id)
    return room_id


async def spectate(spectators: list[Peer], room_id: str) -> None:
    for peer in spectators:
        await peer.request(command("spectate", room_id=room_id), ROOM_STATE, room_id=room_id)


async def start_game(host: Peer, guest: Peer, room_id: str) -> int:
    """Both ready; the id of the player who opens."""
    host.send(command("ready", room_id=room_id))
    guest.send(command("ready", room_id=room_id))
    started = await host.expect(GAME_STARTED, room_id=room_id)
    if started.first_turn is None:
        raise ValueError("game_started without first_turn")
    return started.first_turn


async def play(players: dict[int, Peer], room_id: str, first: int, *, series: str = "rtt",
               max_rolls: int = MAX_ROLLS_PER_GAME,
               should_stop: Callable[[], bool] = lambda: False, think: float = 0.0) -> bool:
    """Each player rolls when its own socket says it is its turn (after ``think``
    seconds, a player's pace); the round trip from sending ``bigger_dice.roll`` to
    receiving one's own ``bigger_dice.rolled`` is sampled as ``series``. True if
    the game ended."""
    turn = first
    await players[turn].expect(TURN, current_turn=turn, room_id=room_id)
    roll = command("bigger_dice.roll", room_id=room_id)
    for _ in range(max_rolls):
        if should_stop():
            return False
        peer = players[turn]
        stats = peer.stats
        if think:
            await asyncio.sleep(think)  # pacing the load, not synchronisation
        sent = time.perf_counter_ns()
        await peer.request(roll, ROLLED, player_id=turn, room_id=room_id)
        stats.sample(series, time.perf_counter_ns() - sent)
        stats.add("rolls")
        following = await peer.expect(TURN_OR_END, room_id=room_id)
        if following.type == "game_ended":
            stats.add("games")
            return True
        if following.current_turn is None:
            raise ValueError("turn_changed without current_turn")
        turn = following.current_turn
        await players[turn].expect(TURN, current_turn=turn, room_id=room_id)
    return False


async def forfeit(leaver: Peer, witness: Peer, room_id: str) -> None:
    """``leaver`` leaves a running game; ``witness`` sees it end."""
    leaver.send(command("leave_room", room_id=room_id))
    await witness.expect(GAME_ENDED, room_id=room_id)
