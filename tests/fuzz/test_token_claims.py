"""Hypothesis over token claims and headers: every registered claim (and ours) as
every JSON type, validly signed. The verifier returns a sound identity or raises
``AuthError`` — nothing else — and a session answers ``authenticated`` or closes
with 4401."""

import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blazing.gateway.auth import AuthError, Identity, JwtConfig, TokenVerifier
from blazing.gateway.session import CloseCode, GatewayLimits, Session
from blazing.ids import GatewayId, SocketId
from tests.conftest import SECRET
from tests.support.tokens import signed_raw

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["", "41", "0", "-1", "9" * 30, "\u202e", "\u200b", "1e9", " 41"]))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)
CLAIMS = ("exp", "nbf", "iat", "iss", "aud", "jti", "sub", "username", "avatar_id")
VERIFIERS = [TokenVerifier(JwtConfig(secret=SECRET)),
             TokenVerifier(JwtConfig(secret=SECRET, issuer="main", audience="games"))]
HEADERS = st.dictionaries(
    st.sampled_from(["alg", "typ", "kid", "cty", "crit", "jku", "x5u", "b64"]),
    st.one_of(JSON_VALUES, st.sampled_from(["HS256", "none", "RS256", "HS512", ["HS256"]])),
    max_size=3)


def valid() -> dict[str, Any]:
    return {"sub": 41, "username": "fuzz", "exp": time.time() + 600, "iss": "main",
            "aud": "games"}


@st.composite
def claim_sets(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A claim set, and whether any of our claims was changed or dropped."""
    claims = {**valid(), "sub": draw(st.sampled_from([41, "41"]))}  # both documented
    changed = draw(st.lists(st.sampled_from(CLAIMS), unique=True, max_size=4))
    for name in changed:
        if draw(st.booleans()):
            claims[name] = draw(JSON_VALUES)
        else:
            claims.pop(name, None)
    extra = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=2))
    claims.update(extra)
    return claims, bool(changed) or bool(set(extra) & set(CLAIMS))


def sign(claims: dict[str, Any], headers: dict[str, Any]) -> str:
    return signed_raw({"alg": "HS256", "typ": "JWT", **headers}, json.dumps(claims).encode())


def outcome(verifier: TokenVerifier, token: str) -> Identity | str:
    """The identity, or the reason the token was refused (any other error escapes)."""
    try:
        return verifier.verify(token)
    except AuthError as exc:
        return str(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=claim_sets(), headers=HEADERS)
def test_any_claims_give_a_sound_identity_or_an_auth_error(
        drawn: tuple[dict[str, Any], bool], headers: dict[str, Any]) -> None:
    claims, changed = drawn
    token = sign(claims, headers)
    for verifier in VERIFIERS:
        identity = outcome(verifier, token)
        if isinstance(identity, str):
            assert identity  # the reason, sent as the close reason
            assert changed or headers, f"a valid token was refused: {identity}"
            continue
        assert 0 < identity.user_id < 2**63
        assert identity.username and identity.username.isprintable()
        assert identity.expires_at >= time.time() - 10
        assert identity.avatar_id is None or isinstance(identity.avatar_id, int)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=claim_sets(), headers=HEADERS)
def test_a_session_signs_in_or_closes_with_4401_for_any_claims(
        drawn: tuple[dict[str, Any], bool], headers: dict[str, Any]) -> None:
    token = sign(drawn[0], headers)
    session = Session(socket_id=SocketId("sock_t"), gateway_id=GatewayId("gw"),
                      verifier=VERIFIERS[0], limits=GatewayLimits(), now=0.0)
    reaction = session.on_text(json.dumps({"type": "auth", "token": token}).encode(), 0.0)
    if reaction.close is not None:
        assert reaction.close[0] == CloseCode.UNAUTHENTICATED
    else:
        (reply,) = [json.loads(r) for r in reaction.replies]
        assert reply["type"] in ("authenticated", "error"), reply
