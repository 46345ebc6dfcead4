"""Hypothesis fuzzing of the decoder and the sans-I/O session: any frame gets a
specific error, a close code, or a well-formed command; nothing raises."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blazing.codec import CLIENT_TYPES
from blazing.gateway.auth import JwtConfig, TokenVerifier
from blazing.gateway.session import GatewayLimits, Session
from blazing.ids import GatewayId, SocketId
from blazing.protocol.envelope import decode_envelope
from tests.conftest import SECRET, token_for

CODES = {"INVALID_MESSAGE", "UNKNOWN_TYPE", "MESSAGE_TOO_LARGE", "RATE_LIMITED",
         "UNAUTHORIZED", "USER_MISMATCH"}
CLOSES = {1007, 4401, 4413, 4429}
FIELDS = ["type", "room_id", "room_name", "game_type", "text", "user_id", "request_id",
          "token", "username", "avatar_id"]
TRICKY_TEXT = st.sampled_from([
    "", " ", "\u200b", "\u202egnp.exe", "🎲🎲🎲", "\ud800", "a\x00b", "\u0000", "x" * 70,
    "y" * 600, "🧑‍🤝‍🧑" * 20, "ﷺ" * 30, "<script>alert(1)</script>", "\n\t", "\\u0000",
])
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), TRICKY_TEXT, st.text(max_size=80))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=8)
OBJECTS = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(sorted(CLIENT_TYPES)), JSON_SCALARS)},
    optional={name: st.one_of(JSON_VALUES, TRICKY_TEXT) for name in FIELDS[1:]})


def encode_lossy(value: Any) -> bytes:
    # Lone surrogates cannot be UTF-8 encoded; send them escaped like a client would.
    return json.dumps(value, ensure_ascii=True).encode()


FRAMES = st.one_of(
    OBJECTS.map(encode_lossy),
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=3000).map(
        lambda n: b'{"type":"ping","a":' + b'{"a":' * n + b"1" + b"}" * (n + 1)),
    OBJECTS.map(lambda o: encode_lossy(o)[: max(1, len(encode_lossy(o)) // 2)]),
    st.just(b'{"type":"ping","type":"auth"}'),
    st.just(b'{"type":"ready","room_id":"r","room_id":7}'),
    st.integers(min_value=10**300, max_value=10**301).map(
        lambda n: b'{"type":"ping","user_id":' + str(n).encode() + b"}"),
)
VERIFIER = TokenVerifier(JwtConfig(secret=SECRET))
LIMITS = GatewayLimits(max_frame_bytes=16 * 1024, rate_per_second=1e9, burst=1e9)


def check(session: Session, frame: bytes, now: float) -> None:
    reaction = session.on_text(frame, now)
    if reaction.close is not None:
        assert reaction.close[0] in CLOSES
        return
    for reply in reaction.replies:
        message = json.loads(reply)
        if message["type"] == "error":
            assert message["code"] in CODES, message
            assert message["socket_id"] == "sock_f"
        else:
            assert message["type"] in ("pong", "authenticated")
    for _key, data in reaction.publish:
        envelope = decode_envelope(data)
        assert envelope.actor is not None and envelope.actor.user_id == 77
        assert envelope.event_type in CLIENT_TYPES
    assert reaction.replies or reaction.publish, "every frame gets an answer or a command"


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(frames=st.lists(FRAMES, min_size=40, max_size=40), signed_in=st.booleans())
def test_any_frame_gets_a_specific_answer(frames: list[bytes], signed_in: bool) -> None:
    session = Session(socket_id=SocketId("sock_f"), gateway_id=GatewayId("gw"),
                      verifier=VERIFIER, limits=LIMITS, now=0.0)
    if signed_in:
        session.on_text(json.dumps({"type": "auth", "token": token_for(77, "fuzz")}).encode(),
                        0.0)
    for index, frame in enumerate(frames):
        check(session, frame, 0.001 * index)
