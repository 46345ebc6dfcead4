"""Scripted play over the wire, as browsers would play it: any registered game with
a driver here (Bigger Dice with any number of seats, Tic Tac Toe)."""

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from blazing.bench.scenarios.common import Event, Peer, command

ROOM_CREATED = frozenset({"room_created"})
ROOM_STATE = frozenset({"room_state"})
GAME_STARTED = frozenset({"game_started"})
TURN = frozenset({"turn_changed"})
TURN_OR_END = frozenset({"turn_changed", "game_ended"})
GAME_ENDED = frozenset({"game_ended"})
MAX_MOVES_PER_GAME = 10_000  # every game here ends long before (ties only delay dice)
WINNING_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8),
                 (0, 4, 8), (2, 4, 6))


class Driver(Protocol):
    """What a player sends on its turn and which frame echoes its own move."""

    echo: frozenset[str]

    def move(self, room_id: str) -> bytes: ...

    def saw(self, echo: Event) -> None:
        """The echo of a move (anyone's): update what the next move depends on."""
        ...


class DiceDriver:
    echo = frozenset({"bigger_dice.rolled"})

    def move(self, room_id: str) -> bytes:
        return command("bigger_dice.roll", room_id=room_id)

    def saw(self, echo: Event) -> None:
        return None


class TicTacToeDriver:
    """Takes the first free cell: X wins every game on the 2-4-6 diagonal at its
    fourth move, and the marks' swap makes the players win in turn (9 games)."""

    echo = frozenset({"tic_tac_toe.moved"})

    def __init__(self) -> None:
        self.board: list[str | None] = [None] * 9

    def move(self, room_id: str) -> bytes:
        return command("tic_tac_toe.move", room_id=room_id, position=self.board.index(None))

    def saw(self, echo: Event) -> None:
        board = list(echo.board or [None] * 9)
        decided = None not in board or any(
            board[a] is not None and board[a] == board[b] == board[c]
            for a, b, c in WINNING_LINES)
        self.board = [None] * 9 if decided else board  # a decided game: the next is empty


DRIVERS: dict[str, Callable[[], Driver]] = {"bigger_dice": DiceDriver,
                                            "tic_tac_toe": TicTacToeDriver}


async def open_room(peers: list[Peer], name: str, game: str = "bigger_dice") -> str:
    """``peers[0]`` creates a ``game`` table named ``name`` with a seat for each peer;
    the others join it by name. The room id."""
    for peer in peers:
        peer.inbox.clear()
    host, guests = peers[0], peers[1:]
    created = await host.request(command("create_room", game_type=game, room_name=name,
                                         max_players=len(peers)), ROOM_CREATED)
    room_id = created.room_id
    if room_id is None:
        raise ValueError("room_created without room_id")
    for guest in guests:
        await guest.request(command("join_room", room_name=name), ROOM_STATE, room_id=room_id)
    return room_id


async def spectate(spectators: list[Peer], room_id: str) -> None:
    for peer in spectators:
        await peer.request(command("spectate", room_id=room_id), ROOM_STATE, room_id=room_id)


async def start_game(peers: list[Peer], room_id: str) -> int:
    """Everyone ready; the id of the player who moves first."""
    for peer in peers:
        peer.send(command("ready", room_id=room_id))
    started = await peers[0].expect(GAME_STARTED, room_id=room_id)
    if started.first_turn is None:
        raise ValueError("game_started without first_turn")
    return started.first_turn


async def play(players: dict[int, Peer], room_id: str, first: int, *, game: str = "bigger_dice",
               series: str = "rtt", max_moves: int = MAX_MOVES_PER_GAME,
               should_stop: Callable[[], bool] = lambda: False,
               think: Callable[[], float] = lambda: 0.0) -> bool:
    """Each player moves when its own socket says it is its turn (after ``think()``
    seconds, a player's pace); the round trip from sending the move to receiving its
    own echo (``bigger_dice.rolled``, ``tic_tac_toe.moved``) is sampled as ``series``
    and counted as ``rolls`` (moves). True if the game ended."""
    driver = DRIVERS[game]()
    turn = first
    await players[turn].expect(TURN, current_turn=turn, room_id=room_id)
    for _ in range(max_moves):
        if should_stop():
            return False
        peer = players[turn]
        stats = peer.stats
        pause = think()
        if pause:
            await asyncio.sleep(pause)  # pacing the load, not synchronisation
        sent = time.perf_counter_ns()
        echo = await peer.request(driver.move(room_id), driver.echo, player_id=turn,
                                  room_id=room_id)
        stats.sample(series, time.perf_counter_ns() - sent)
        stats.add("rolls")
        driver.saw(echo)
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
    """``leaver`` leaves a running game; ``witness`` sees the game end (with two
    players; with more, the others play on: use ``leave_all``)."""
    leaver.send(command("leave_room", room_id=room_id))
    await witness.expect(GAME_ENDED, room_id=room_id)


async def leave_all(players: list[Peer], room_id: str) -> None:
    """Everyone but the last leaves an unfinished game, which ends it."""
    for leaver in players[:-1]:
        leaver.send(command("leave_room", room_id=room_id))
    await players[-1].expect(GAME_ENDED, room_id=room_id)
