"""The sans-I/O session: auth, identity, limits and envelopes without a socket."""

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from blazing.gateway.auth import AuthError, JwtConfig, TokenVerifier, issue_token
from blazing.gateway.session import CloseCode, GatewayLimits, Reaction, Session
from blazing.ids import GatewayId, SocketId
from blazing.protocol.envelope import decode_envelope
from tests.conftest import SECRET, token_for

VERIFIER = TokenVerifier(JwtConfig(secret=SECRET))


def _tampered(token: str, **claims: Any) -> str:
    """The same signature over a payload with some claims changed."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"
LIMITS = GatewayLimits(max_frame_bytes=1024, hard_frame_bytes=4096, rate_per_second=10,
                       burst=5, flood_close_after=4, auth_timeout=10, idle_timeout=75)


def new_session(limits: GatewayLimits = LIMITS, signed_in: bool = False) -> Session:
    session = Session(socket_id=SocketId("sock_1"), gateway_id=GatewayId("gw1"),
                      verifier=VERIFIER, limits=limits, now=0.0,
                      new_command_id=lambda: "cmd-1")
    if signed_in:
        session.on_text(frame("auth", token=token_for(5, "eve")), 0.0)
    return session


def frame(type_: str, **fields: Any) -> bytes:
    return json.dumps({"type": type_, **fields}).encode()


def replies(reaction: Reaction) -> list[dict[str, Any]]:
    return [json.loads(r) for r in reaction.replies]


def error_code(reaction: Reaction) -> str:
    (reply,) = replies(reaction)
    assert reply["type"] == "error"
    return str(reply["code"])


def test_before_auth_only_ping_and_auth_are_accepted() -> None:
    session = new_session()
    assert replies(session.on_text(frame("ping"), 0.1))[0]["type"] == "pong"
    assert error_code(session.on_text(frame("list_rooms"), 0.2)) == "UNAUTHORIZED"
    assert error_code(session.on_text(frame("auth"), 0.3)) == "UNAUTHORIZED"


def test_auth_with_a_valid_token_signs_the_socket_in() -> None:
    session = new_session()
    reaction = session.on_text(frame("auth", token=token_for(5, "eve"), request_id="a"), 0.1)
    (reply,) = replies(reaction)
    assert reply == {"type": "authenticated", "user_id": 5, "username": "eve",
                     "avatar_id": None, "socket_id": "sock_1"}
    assert reaction.authenticated is not None and reaction.authenticated.user_id == 5


def test_auth_claiming_another_user_is_refused() -> None:
    session = new_session()
    reaction = session.on_text(frame("auth", token=token_for(5, "eve"), user_id=6), 0.1)
    assert error_code(reaction) == "USER_MISMATCH"
    assert session.identity is None


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (issue_token(secret=SECRET, user_id=5, username="eve", ttl_seconds=-60), "expired"),
        (issue_token(secret="another-secret-of-enough-length!!", user_id=5, username="eve"),
         "invalid"),
        (jwt.encode({"sub": "5", "username": "eve", "exp": time.time() + 86400}, None,
                    algorithm="none"), "invalid"),
        (jwt.encode({"sub": "5", "username": "eve", "exp": time.time() + 86400}, SECRET * 2,
                    algorithm="HS512"), "invalid"),
        (jwt.encode({"sub": "5", "username": "eve"}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": "x5", "username": "eve", "exp": time.time() + 86400}, SECRET,
                    algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": "5", "exp": time.time() + 86400}, SECRET, algorithm="HS256"),
         "username"),
        (jwt.encode({"sub": "5", "username": "eve", "exp": time.time() + 86400,
                     "nbf": time.time() + 3600}, SECRET, algorithm="HS256"), "not yet valid"),
        (_tampered(token_for(5, "eve"), sub="1"), "invalid"),
    ],
    ids=["expired", "wrong-key", "alg-none", "other-alg", "no-exp", "bad-sub", "no-username",
         "not-yet-valid", "tampered"],
)
def test_bad_tokens_close_the_socket_with_4401_and_a_reason(token: str, reason: str) -> None:
    session = new_session()
    reaction = session.on_text(frame("auth", token=token), 0.1)
    assert reaction.close is not None
    code, text = reaction.close
    assert code == CloseCode.UNAUTHENTICATED
    assert reason in text
    assert session.identity is None


def test_an_oversized_token_is_refused_before_decoding() -> None:
    with pytest.raises(AuthError, match="too large"):
        VERIFIER.verify("x" * 9000)


def test_commands_publish_an_envelope_with_the_token_identity() -> None:
    session = new_session(signed_in=True)
    raw = frame("ready", room_id="room_x", user_id="5")
    reaction = session.on_text(raw, 1.0)
    (published,) = reaction.publish
    key, data = published
    assert key == "room_x"
    envelope = decode_envelope(data)
    assert envelope.event_id == "cmd-1" and envelope.event_type == "ready"
    assert envelope.actor is not None
    assert (envelope.actor.user_id, envelope.actor.username) == (5, "eve")
    assert bytes(envelope.payload) == raw


def test_joins_by_name_are_keyed_by_the_name_and_creates_by_user() -> None:
    session = new_session(signed_in=True)
    join = session.on_text(frame("join_room", room_name="Big Table"), 1.0)
    assert join.publish[0][0] == "name:big table"
    create = session.on_text(frame("create_room", game_type="bigger_dice", room_name="x"), 1.1)
    assert create.publish[0][0] == "user:5"


def test_a_command_claiming_another_user_id_is_refused_and_not_published() -> None:
    session = new_session(signed_in=True)
    reaction = session.on_text(frame("bigger_dice.roll", room_id="r", user_id=6,
                                     request_id="q9"), 1.0)
    assert reaction.publish == []
    (reply,) = replies(reaction)
    assert reply["code"] == "USER_MISMATCH" and reply["request_id"] == "q9"


def test_list_rooms_subscribes_to_the_lobby() -> None:
    session = new_session(signed_in=True)
    assert session.on_text(frame("list_rooms"), 1.0).watch_lobby


def test_a_flood_is_rate_limited_then_closed_with_4429() -> None:
    session = new_session(signed_in=True)
    reactions = [session.on_text(frame("ping"), 1.0) for _ in range(12)]
    codes = [r.close[0] if r.close else replies(r)[0].get("code", "ok") for r in reactions]
    # a full burst of 5, then refusals, then the close on the 4th refusal in a row
    assert codes[:5] == ["ok"] * 5
    assert codes[5:8] == ["RATE_LIMITED"] * 3
    assert codes[8] == CloseCode.FLOOD


def test_the_bucket_refills_so_a_polite_client_is_never_limited() -> None:
    session = new_session(signed_in=True)
    for i in range(100):
        reaction = session.on_text(frame("ping"), 1.0 + i * 0.2)
        assert replies(reaction)[0]["type"] == "pong"


def test_oversize_frames_get_an_error_then_4413() -> None:
    session = new_session(signed_in=True)
    big = frame("chat_send", room_id="r", text="x" * 1100)
    first = session.on_text(big, 1.0)
    assert error_code(first) == "MESSAGE_TOO_LARGE" and first.close is None
    assert session.on_text(big, 1.1).close is None
    assert session.on_text(big, 1.2).close == (CloseCode.MESSAGE_TOO_LARGE,
                                               "message too large")


def test_a_frame_far_over_the_limit_closes_at_once() -> None:
    session = new_session(signed_in=True)
    reaction = session.on_text(b"x" * 5000, 1.0)
    assert reaction.close is not None and reaction.close[0] == CloseCode.MESSAGE_TOO_LARGE


def test_binary_frames_are_refused() -> None:
    session = new_session(signed_in=True)
    assert error_code(session.on_binary(10, 1.0)) == "INVALID_MESSAGE"


def test_binary_frames_count_against_the_size_limit_and_its_repeat_rule() -> None:
    session = new_session(signed_in=True)
    assert error_code(session.on_binary(2000, 1.0)) == "MESSAGE_TOO_LARGE"
    assert session.on_binary(2000, 1.1).close is None
    third = session.on_binary(2000, 1.2)
    assert third.close is not None and third.close[0] == CloseCode.MESSAGE_TOO_LARGE
    huge = new_session(signed_in=True).on_binary(200_000, 1.0)
    assert huge.close is not None and huge.close[0] == CloseCode.MESSAGE_TOO_LARGE


def test_binary_frames_spend_the_rate_budget() -> None:
    session = new_session(signed_in=True)
    burst = int(LIMITS.burst)
    codes = [error_code(session.on_binary(10, 1.0)) for _ in range(burst + 1)]
    assert codes == ["INVALID_MESSAGE"] * burst + ["RATE_LIMITED"]


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("payload", [
    b'{"type":"ping","x":"\xff"}', b'{"type":"pi\xffng"}', b"\xc3\x28", b"\xed\xa0\x80",
    b'{"type":"list_rooms","game_type":"\xf8\x88\x80\x80\x80"}'])
def test_a_text_frame_that_is_not_utf8_fails_the_connection_with_1007(
        payload: bytes, signed_in: bool) -> None:
    session = new_session(signed_in=signed_in)
    reaction = session.on_text(payload, 1.0)
    assert reaction.close == (CloseCode.INVALID_PAYLOAD, "text frame is not UTF-8")
    assert reaction.replies == [] and reaction.publish == []


def test_control_frames_spend_the_same_budget_then_close_with_4429() -> None:
    session = new_session()  # signed in or not: the budget is the socket's
    burst = int(LIMITS.burst)
    answered = [session.on_control(1.0).answer_ping for _ in range(burst + 1)]
    assert answered == [True] * burst + [False]
    refused = [session.on_control(1.0) for _ in range(LIMITS.flood_close_after - 1)]
    assert all(not r.answer_ping and not r.replies for r in refused)
    assert refused[-1].close == (CloseCode.FLOOD, "rate limit exceeded repeatedly")


def test_a_control_frame_within_budget_counts_as_life() -> None:
    session = new_session(signed_in=True)
    session.on_control(70.0)
    assert session.timeout(140.0) is None


def test_unauthenticated_sockets_time_out_with_4401_and_idle_ones_with_4408() -> None:
    session = new_session()
    assert session.timeout(5.0) is None
    assert session.timeout(10.5) == (CloseCode.UNAUTHENTICATED, "not authenticated in time")
    signed = new_session(signed_in=True)
    signed.on_text(frame("ping"), 50.0)
    assert signed.timeout(120.0) is None
    assert signed.timeout(126.0) == (CloseCode.HEARTBEAT_TIMEOUT, "no message received in time")


def test_a_token_that_expires_mid_session_closes_on_the_next_command() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    session = Session(socket_id=SocketId("s"), gateway_id=GatewayId("g"), verifier=VERIFIER,
                      limits=LIMITS, now=0.0, wall_clock=lambda: now[0])
    token = issue_token(secret=SECRET, user_id=5, username="eve", ttl_seconds=60,
                        now=now[0].timestamp())
    # the verifier checks against real time, so sign in with a live token, then move on
    session.on_text(frame("auth", token=token_for(5, "eve")), 0.0)
    assert session.identity is not None
    session.identity = type(session.identity)(
        user_id=session.identity.user_id, username="eve", avatar_id=None,
        expires_at=now[0].timestamp() + 60)
    assert session.on_text(frame("list_rooms"), 1.0).publish
    now[0] = datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
    reaction = session.on_text(frame("list_rooms"), 2.0)
    assert reaction.publish == []
    assert reaction.close == (CloseCode.UNAUTHENTICATED, "token expired")
    assert token  # issued with the same clock, for the record
