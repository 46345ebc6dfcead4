"""Every wire message round-trips; malformed input maps to the right code."""

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from blazing.codec import (
    CLIENT_TYPES,
    SERVER_TYPES,
    decode_client,
    decode_server_event,
    encode,
    peek_request_id,
)
from blazing.errors import ClientError, ErrorCode
from blazing.games.bigger_dice import messages as dice
from blazing.games.tic_tac_toe import messages as ttt
from blazing.ids import RoomId, SocketId, UserId
from blazing.protocol import client as c
from blazing.protocol import server as s
from blazing.protocol.models import GamePlayer, GameRoom, RoomStatus, RoomSummary, UserRef

NOW = datetime(2026, 1, 1, tzinfo=UTC)
R = RoomId("room_abc123abc123")
U = UserId(7)
PLAYER = GamePlayer(user_id=U, username="ann", avatar_id=3, score=2, is_ready=True,
                    joined_at=NOW)
SUMMARY = RoomSummary(room_id=R, room_name="T", game_type="bigger_dice",
                      status=RoomStatus.WAITING, host_id=U, host_username="ann",
                      players=[UserRef(user_id=U, username="ann")], player_count=1,
                      max_players=2, spectator_count=0, created_at=NOW)
GAME_ROOM = GameRoom(room_id=R, room_name="T", game_type="bigger_dice",
                     status=RoomStatus.IN_PROGRESS, host_id=U, players=[PLAYER],
                     spectators=[UserId(9)], current_turn=U, turn_number=3, created_at=NOW,
                     started_at=NOW, finished_at=None, winner_id=None, seq=4, max_players=2,
                     turn_deadline=NOW, spectator_users=[UserRef(user_id=UserId(9),
                                                                 username="eve")],
                     end_reason=None, game_state=None)

CLIENT_SAMPLES: list[c.Command] = [
    c.Auth(token="t", user_id=7, username="ann", avatar_id=1),
    c.Ping(),
    c.ListRooms(game_type="bigger_dice"),
    c.CreateRoom(game_type="bigger_dice", room_name="My room", user_id="7"),
    c.JoinRoom(room_name="My room"),
    c.JoinRoom(room_id=R),
    c.LeaveRoom(room_id=R, request_id="r1"),
    c.RejoinRoom(room_id=R),
    c.Ready(room_id=R),
    c.Spectate(room_id=R),
    c.LeaveSpectate(room_id=R),
    dice.Roll(room_id=R),
    ttt.Move(room_id=R, position=4),
    c.ChatSend(room_id=R, text="hello"),
    c.QuickPlay(game_type="bigger_dice", max_players=3),
    c.QuickPlayCancel(),
    c.Rematch(room_id=R),
    c.Kick(room_id=R, target_user_id=8),
    c.RenewInvite(room_id=R),
    c.SetSpectating(room_id=R, allowed=False),
    c.Mute(room_id=R, target_user_id=8, muted=True),
]

SERVER_SAMPLES: list[Any] = [
    s.Authenticated(user_id=U, username="ann", avatar_id=None, socket_id=SocketId("s1")),
    s.Pong(server_time=NOW),
    s.RoomList(rooms=[SUMMARY]),
    s.RoomCreated(room_id=R, seq=1, room_name="T", game_type="bigger_dice", host_id=U,
                  host_username="ann", max_players=2),
    s.RoomJoined(room_id=R, seq=2, room_name="T", player=PLAYER),
    s.PlayerLeft(room_id=R, seq=3, user_id=U, username="ann"),
    s.HostChanged(room_id=R, seq=3, host_id=U, host_username="ann"),
    s.PlayerRejoined(room_id=R, seq=3, user_id=U, username="ann"),
    s.PlayerDisconnected(room_id=R, seq=3, user_id=U, username="ann", grace_seconds=60,
                         deadline=NOW),
    s.PlayerReady(room_id=R, seq=3, user_id=U, username="ann"),
    s.RoomState(room_id=R, seq=4, room=GAME_ROOM),
    s.RoomUpdated(**msgspec.structs.asdict(SUMMARY)),
    s.RoomRemoved(room_id=R),
    s.SpectatorJoined(room_id=R, seq=5, user_id=U, username="ann"),
    s.SpectatorLeft(room_id=R, seq=5, user_id=U, username="ann"),
    s.GameStarted(room_id=R, seq=5, players=[PLAYER], first_turn=U),
    s.TurnChanged(room_id=R, seq=6, current_turn=U, turn_number=1, turn_deadline=NOW),
    dice.Rolled(room_id=R, seq=7, player_id=U, player_username="ann", roll=4, new_score=1),
    dice.RoundResult(room_id=R, seq=8, round=1, player1_id=U, player1_roll=4,
                     player2_id=UserId(8), player2_roll=2, winner_id=U, is_tie=False,
                     rolls=[(U, 4), (UserId(8), 2)]),
    dice.TiebreakStarted(room_id=R, seq=8, round=2, players=[U, UserId(8)]),
    ttt.Moved(room_id=R, seq=3, player_id=U, position=4, mark="X",
              board=[None, None, None, None, "X", None, None, None, None]),
    ttt.GameResult(room_id=R, seq=4, game=1, winner_id=U, line=[0, 4, 8], reason="line",
                   scores=[(U, "ann", 1), (UserId(8), "bob", 0)], next_x=UserId(8)),
    s.GameEnded(room_id=R, seq=9, winner_id=U, winner_username="ann",
                final_scores=[(U, "ann", 10)], reason="won"),
    s.ChatMessage(room_id=R, seq=10, user_id=U, username="ann", text="<b>hi</b>",
                  sent_at=NOW),
    s.Error(code="NOT_YOUR_TURN", message="wait", socket_id=SocketId("s1"), request_id="r1"),
    s.PlayerKicked(room_id=R, seq=11, user_id=U, username="ann"),
    s.SpectatingChanged(room_id=R, seq=12, allowed=False),
    s.MuteChanged(room_id=R, seq=13, user_id=U, username="ann", muted=True),
    s.RematchRequested(room_id=R, seq=14, user_id=U, username="ann", waiting_for=[UserId(8)]),
    s.RematchCancelled(room_id=R, seq=15, user_id=U, username="ann", reason="left"),
]


def test_the_samples_cover_every_message_type() -> None:
    assert {m.__struct_config__.tag for m in CLIENT_SAMPLES} == CLIENT_TYPES
    assert {m.__struct_config__.tag for m in SERVER_SAMPLES} == SERVER_TYPES


@pytest.mark.parametrize("message", CLIENT_SAMPLES, ids=lambda m: m.__struct_config__.tag)
def test_client_messages_round_trip(message: c.Command) -> None:
    assert decode_client(encode(message)) == message


@pytest.mark.parametrize("event", SERVER_SAMPLES, ids=lambda m: m.__struct_config__.tag)
def test_server_events_round_trip_with_their_type_tag(event: Any) -> None:
    data = encode(event)
    assert msgspec.json.decode(data)["type"] == event.__struct_config__.tag
    decoded = decode_server_event(data)
    assert decoded == event


def test_times_are_rfc3339_utc() -> None:
    data = msgspec.json.decode(encode(s.Pong(server_time=NOW)))
    assert data["server_time"] == "2026-01-01T00:00:00Z"


def test_error_omits_request_id_when_absent() -> None:
    data = msgspec.json.decode(encode(s.Error(code="X", message="m",
                                              socket_id=SocketId("s"))))
    assert "request_id" not in data


@pytest.mark.parametrize(
    ("frame", "code", "mentions"),
    [
        (b"{not json", ErrorCode.INVALID_MESSAGE, "malformed"),
        (b"", ErrorCode.INVALID_MESSAGE, "malformed"),
        (b"[1, 2]", ErrorCode.INVALID_MESSAGE, "JSON object"),
        (b'"ping"', ErrorCode.INVALID_MESSAGE, "JSON object"),
        (b"{}", ErrorCode.INVALID_MESSAGE, "`type`"),
        (b'{"type": 5}', ErrorCode.INVALID_MESSAGE, "`type`"),
        (b'{"type": "dance"}', ErrorCode.UNKNOWN_TYPE, "dance"),
        (b'{"type": "ready"}', ErrorCode.INVALID_MESSAGE, "room_id"),
        (b'{"type": "ready", "room_id": 12}', ErrorCode.INVALID_MESSAGE, "room_id"),
        (b'{"type": "ready", "room_id": ""}', ErrorCode.INVALID_MESSAGE, "room_id"),
        (b'{"type": "create_room", "game_type": "bigger_dice"}', ErrorCode.INVALID_MESSAGE,
         "room_name"),
        (b'{"type": "create_room", "game_type": "bigger_dice", "room_name": "   "}',
         ErrorCode.INVALID_MESSAGE, "room_name"),
        (b'{"type": "create_room", "game_type": "bigger_dice", "room_name": "' + b"x" * 65
         + b'"}', ErrorCode.INVALID_MESSAGE, "room_name"),
        (b'{"type": "create_room", "game_type": "bigger_dice", "room_name": "a\\u0007b"}',
         ErrorCode.INVALID_MESSAGE, "printable"),
        (b'{"type": "join_room"}', ErrorCode.INVALID_MESSAGE, "room_name"),
        (b'{"type": "chat_send", "room_id": "r", "text": ""}', ErrorCode.INVALID_MESSAGE,
         "text"),
        (b'{"type": "chat_send", "room_id": "r", "text": "' + b"y" * 501 + b'"}',
         ErrorCode.INVALID_MESSAGE, "text"),
        (b'{"type": "ping", "request_id": "' + b"z" * 65 + b'"}', ErrorCode.INVALID_MESSAGE,
         "request_id"),
        (b'{"type": "ping", "user_id": "abc"}', ErrorCode.INVALID_MESSAGE, "user_id"),
        (b'{"type": "ping", "user_id": -4}', ErrorCode.INVALID_MESSAGE, "user_id"),
        (b'{"type": "ping", "user_id": 1.5}', ErrorCode.INVALID_MESSAGE, "user_id"),
        (b"[" * 5000 + b"]" * 5000, ErrorCode.INVALID_MESSAGE, "JSON object"),
        (b'{"type":"ping","x":' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
         ErrorCode.INVALID_MESSAGE, "nested too deeply"),
    ],
)
def test_malformed_frames_get_a_specific_code_naming_the_field(frame: bytes, code: ErrorCode,
                                                                mentions: str) -> None:
    with pytest.raises(ClientError) as caught:
        decode_client(frame)
    assert caught.value.code == code
    assert mentions in caught.value.message


def test_room_names_and_chat_are_trimmed() -> None:
    message = decode_client(b'{"type":"create_room","game_type":"bigger_dice",'
                            b'"room_name":"  Lobby 1  "}')
    assert isinstance(message, c.CreateRoom) and message.room_name == "Lobby 1"
    chat = decode_client(b'{"type":"chat_send","room_id":"r","text":"  hi  "}')
    assert isinstance(chat, c.ChatSend) and chat.text == "hi"


def test_unknown_fields_are_ignored_for_seed_clients() -> None:
    message = decode_client(b'{"type":"ready","room_id":"r","username":"x","avatar_id":4}')
    assert message == c.Ready(room_id="r")


def test_request_id_is_recovered_from_a_frame_that_failed_validation() -> None:
    assert peek_request_id(b'{"type":"ready","request_id":"abc"}') == "abc"
    assert peek_request_id(b'{"request_id": 5}') is None
    assert peek_request_id(b"garbage") is None
