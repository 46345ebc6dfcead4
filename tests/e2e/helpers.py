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
