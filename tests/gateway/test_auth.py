"""The token verifier's own checks of the claims (PyJWT checks only the signature and
the algorithm): times with their leeway, issuer and audience, and the types."""

import time

import pytest

from blazing.gateway.auth import LEEWAY_SECONDS, AuthError, JwtConfig, TokenVerifier
from tests.conftest import SECRET
from tests.support.tokens import claims, signed, signed_raw

NOW = time.time()
PLAIN = TokenVerifier(JwtConfig(secret=SECRET))
STRICT = TokenVerifier(JwtConfig(secret=SECRET, issuer="main", audience="games"))


def test_a_valid_token_gives_its_identity() -> None:
    identity = PLAIN.verify(signed(claims(sub=41, username=" Neo ", avatar_id=3)), NOW)
    assert (identity.user_id, identity.username, identity.avatar_id) == (41, "Neo", 3)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"exp": NOW - LEEWAY_SECONDS - 1}, "token expired"),
    ({"nbf": NOW + LEEWAY_SECONDS + 60}, "not yet valid"),
    ({"iat": NOW + LEEWAY_SECONDS + 60}, "issued in the future"),
])
def test_times_are_checked_with_the_leeway(changes: dict[str, float], reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        PLAIN.verify(signed(claims(**changes)), NOW)


def test_times_within_the_leeway_pass() -> None:
    edge = {"exp": NOW - LEEWAY_SECONDS + 1, "nbf": NOW + LEEWAY_SECONDS - 1,
            "iat": NOW + LEEWAY_SECONDS - 1}
    assert PLAIN.verify(signed(claims(**edge)), NOW).user_id == 41


@pytest.mark.parametrize(("changes", "ok"), [
    ({"iss": "main", "aud": "games"}, True),
    ({"iss": "main", "aud": ["other", "games"]}, True),
    ({"iss": "main"}, False),
    ({"aud": "games"}, False),
    ({"iss": "elsewhere", "aud": "games"}, False),
    ({"iss": "main", "aud": ["other"]}, False),
])
def test_issuer_and_audience_are_required_when_configured(changes: dict[str, object],
                                                          ok: bool) -> None:
    token = signed(claims(**changes))
    if ok:
        assert STRICT.verify(token, NOW).user_id == 41
    else:
        with pytest.raises(AuthError, match=r"issuer|audience"):
            STRICT.verify(token, NOW)
    assert PLAIN.verify(token, NOW).user_id == 41  # not configured: not checked


@pytest.mark.parametrize("header", [{"alg": "none"}, {"alg": "HS512"}, {"alg": ["HS256"]},
                                    {"alg": "HS256", "kid": 5},
                                    {"alg": "HS256", "crit": ["exp"]}])
def test_a_header_that_is_not_ours_is_an_auth_error(header: dict[str, object]) -> None:
    with pytest.raises(AuthError):
        PLAIN.verify(signed_raw(header, b'{"sub":41,"username":"x","exp":9e9}'), NOW)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "é.é.é", "\udcff.a.b", "a b.c.d"])
def test_what_is_not_a_compact_jws_is_refused_before_decoding(token: str) -> None:
    with pytest.raises(AuthError, match="compact JWS"):
        PLAIN.verify(token, NOW)
