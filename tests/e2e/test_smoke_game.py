from blazing.wiring import Running
from tests.conftest import ClientFactory


async def test_two_players_play_a_whole_game(server: Running, connect: ClientFactory) -> None:
    alice = await connect(server, 1, "alice")
    bob = await connect(server, 2, "bob")
    await alice.send("create_room", game_type="bigger_dice", room_name="Table 1")
    created = await alice.expect("room_created")
    room_id = created["room_id"]
    await bob.send("join_room", room_name="table 1")
    await bob.expect("room_state")
    await alice.send("ready", room_id=room_id)
    await bob.send("ready", room_id=room_id)
    started = await alice.expect("game_started")
    players = {1: alice, 2: bob}
    turn = started["first_turn"]
    while True:
        await players[turn].send("bigger_dice.roll", room_id=room_id)
        rolled = await alice.expect("bigger_dice.rolled")
        assert rolled["player_id"] == turn
        nxt = await alice.expect_one_of(("turn_changed", "game_ended"))
        if nxt["type"] == "game_ended":
            break
        turn = nxt["current_turn"]
    print(alice.types())
