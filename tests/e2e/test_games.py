"""Every game over real WebSockets against the embedded server: a four-player dice
game with a spectator, and a Tic Tac Toe match to five."""

from collections import Counter
from typing import Any

from blazing.wiring import Running
from tests.conftest import ClientFactory
from tests.e2e.helpers import play_tic_tac_toe_to_the_end, play_to_the_end, seat_table
from tests.support.client import WsClient


def room_events(client: WsClient, room_id: str) -> list[dict[str, Any]]:
    return [m for m in client.log if m.get("room_id") == room_id and m.get("seq")
            and m["type"] != "room_state"]


def check_same_story(clients: list[WsClient], room_id: str, after_seq: int) -> None:
    """Every client saw the same events with the same seq, without gaps."""
    stories = [[m for m in room_events(c, room_id) if m["seq"] > after_seq] for c in clients]
    seqs = [m["seq"] for m in stories[0]]
    assert seqs == list(range(after_seq + 1, after_seq + 1 + len(seqs)))
    assert all(story == stories[0] for story in stories)


async def test_four_players_and_a_spectator_play_bigger_dice_to_ten(
        server: Running, connect: ClientFactory) -> None:
    players = {u: await connect(server, u, f"p{u}") for u in (1, 2, 3, 4)}
    room_id, first = await seat_table(players, "bigger_dice")
    eve = await connect(server, 9, "eve")
    await eve.send("spectate", room_id=room_id)
    state = await eve.expect("room_state", room_id=room_id)
    assert state["room"]["max_players"] == 4 and len(state["room"]["players"]) == 4
    ended = await play_to_the_end(players, room_id, first, watcher=players[1])
    assert await eve.expect("game_ended", room_id=room_id) == ended
    check_same_story([*players.values(), eve], room_id, state["seq"])
    events = room_events(players[1], room_id)
    points = Counter(r["winner_id"] for r in events
                     if r["type"] == "bigger_dice.round_result" and r["winner_id"] is not None)
    assert {u: s for u, _, s in ended["final_scores"]} == {u: points[u] for u in players}
    assert max(points.values()) == 10 and sum(1 for v in points.values() if v == 10) == 1
    for tiebreak in (e for e in events if e["type"] == "bigger_dice.tiebreak_started"):
        tie = next(e for e in reversed(events[:events.index(tiebreak)])
                   if e["type"] == "bigger_dice.round_result")
        best = max(roll for _, roll in tie["rolls"])
        assert tiebreak["players"] == [u for u, roll in tie["rolls"] if roll == best]


async def test_a_tic_tac_toe_match_is_played_to_five(server: Running,
                                                     connect: ClientFactory) -> None:
    alice, bob = await connect(server, 1, "alice"), await connect(server, 2, "bob")
    room_id, first = await seat_table({1: alice, 2: bob}, "tic_tac_toe")
    await bob.send("tic_tac_toe.move", room_id=room_id, position=9, request_id="off")
    if first == 2:
        assert (await bob.expect_error("INVALID_POSITION"))["request_id"] == "off"
    else:
        assert (await bob.expect_error("NOT_YOUR_TURN"))["request_id"] == "off"
    ended = await play_tic_tac_toe_to_the_end({1: alice, 2: bob}, room_id, first, watcher=alice)
    assert await bob.expect("game_ended", room_id=room_id) == ended
    assert ended["reason"] == "won"
    assert sorted(s for _, _, s in ended["final_scores"]) == [4, 5]
    results = [e for e in room_events(alice, room_id) if e["type"] == "tic_tac_toe.game_result"]
    assert len(results) == 9 and all(r["reason"] == "line" for r in results)
    assert [r["next_x"] for r in results[:-1]] == [r["winner_id"] for r in results[1:]]
    check_same_story([alice, bob], room_id, 1)  # bob joined after room_created
