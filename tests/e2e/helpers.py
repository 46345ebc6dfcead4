"""Scripted play over real sockets."""

from typing import Any

from tests.support.client import WsClient


async def open_room(host: WsClient, guest: WsClient, name: str = "Table 1") -> str:
    """Host creates ``name``, guest joins by name; returns the room id."""
    await host.send("create_room", game_type="bigger_dice", room_name=name)
    room_id = str((await host.expect("room_created"))["room_id"])
    await guest.send("join_room", room_name=name)
    await guest.expect("room_state", room_id=room_id)
    await host.expect("room_joined", room_id=room_id)
    return room_id


async def start_game(host: WsClient, guest: WsClient, name: str = "Table 1"
                     ) -> tuple[str, int]:
    """A room with both players ready; returns (room id, first player's id)."""
    room_id = await open_room(host, guest, name)
    await host.send("ready", room_id=room_id)
    await guest.send("ready", room_id=room_id)
    started = await host.expect("game_started", room_id=room_id)
    await guest.expect("game_started", room_id=room_id)
    return room_id, int(started["first_turn"])


async def play_to_the_end(players: dict[int, WsClient], room_id: str, first: int,
                          watcher: WsClient) -> dict[str, Any]:
    """Each player rolls on their turn until ``game_ended``, as seen by ``watcher``."""
    turn = first
    for _ in range(1000):
        await players[turn].send("bigger_dice.roll", room_id=room_id)
        rolled = await watcher.expect("bigger_dice.rolled", room_id=room_id)
        assert rolled["player_id"] == turn
        nxt = await watcher.expect_one_of(("turn_changed", "game_ended"), room_id=room_id)
        if nxt["type"] == "game_ended":
            return nxt
        turn = int(nxt["current_turn"])
    raise AssertionError("the game did not end")


async def seat_table(players: dict[int, WsClient], game_type: str, name: str = "Table 1"
                     ) -> tuple[str, int]:
    """The first of ``players`` creates a ``game_type`` table with one seat each, the
    others join, everyone readies; returns (room id, who moves first)."""
    clients = list(players.values())
    host = clients[0]
    await host.send("create_room", game_type=game_type, room_name=name,
                    max_players=len(clients))
    room_id = str((await host.expect("room_created"))["room_id"])
    for guest in clients[1:]:
        await guest.send("join_room", room_id=room_id)
        await guest.expect("room_state", room_id=room_id)
    for client in clients:
        await client.send("ready", room_id=room_id)
    started = [await c.expect("game_started", room_id=room_id) for c in clients]
    assert len({s["seq"] for s in started}) == 1
    return room_id, int(started[0]["first_turn"])


async def play_tic_tac_toe_to_the_end(players: dict[int, WsClient], room_id: str, first: int,
                                      watcher: WsClient) -> dict[str, Any]:
    """Whoever is to move takes the first free cell (so X wins every game on the
    2-4-6 diagonal, and the marks' swap makes the players win in turn) until
    ``game_ended``, as seen by ``watcher``."""
    turn, board = first, [None] * 9
    for _ in range(200):
        await players[turn].send("tic_tac_toe.move", room_id=room_id, position=board.index(None))
        moved = await watcher.expect("tic_tac_toe.moved", room_id=room_id)
        assert moved["player_id"] == turn
        board = moved["board"]
        nxt = await watcher.expect_one_of(("tic_tac_toe.game_result", "turn_changed"),
                                          room_id=room_id)
        if nxt["type"] == "tic_tac_toe.game_result":
            board = [None] * 9
            nxt = await watcher.expect_one_of(("turn_changed", "game_ended"), room_id=room_id)
            if nxt["type"] == "game_ended":
                return nxt
        turn = int(nxt["current_turn"])
    raise AssertionError("the match did not end")
