"""JWT identity (SPEC §1): verify with a pinned algorithm, issue for dev login
and scripts. Only PyJWT is touched here.

Claims: ``sub`` = user id (positive integer, as number or numeric string),
``username`` (a name by :mod:`blazing.protocol.names`' rule), optional
``avatar_id``; ``exp`` required; ``nbf``/``iat`` honoured; ``iss``/``aud``
checked when configured.

PyJWT checks the signature and the pinned algorithm; the claims are then decoded
here into a typed struct, so a claim of the wrong JSON type (``exp`` as a string,
``iss`` as a list, ``aud`` as a number…) is refused like any other bad token, with
the claim named, and never reaches code that assumes its type. Whatever is wrong
with a token, :meth:`TokenVerifier.verify` raises :class:`AuthError` and nothing
else.
"""

import re
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import msgspec

from blazing.errors import ConfigError
from blazing.ids import UserId
from blazing.protocol.names import NameRefused, clean_name

LEEWAY_SECONDS = 5
MAX_TOKEN_LENGTH = 8192
USERNAME_MAX = 64
HMAC_ALGORITHMS = ("HS256",)
PUBLIC_KEY_ALGORITHMS = ("RS256", "ES256")
# Compact JWS: three base64url parts. Anything else (non-ASCII bytes of a mangled
# cookie included) is refused before a library sees it.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class AuthError(Exception):
    """The token cannot be accepted; the message says why (sent as close reason)."""


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: UserId
    username: str
    avatar_id: int | None
    expires_at: float  # epoch seconds


@dataclass(frozen=True, slots=True)
class JwtConfig:
    algorithm: str = "HS256"
    secret: str | None = None  # HS256
    public_key_path: str | None = None  # RS256 / ES256 PEM
    issuer: str | None = None
    audience: str | None = None


class Claims(msgspec.Struct, forbid_unknown_fields=False):
    """The claims we read, with the JSON types they must have (others are ignored).
    Times are JSON numbers (RFC 7519 NumericDate); msgspec refuses booleans for
    numbers and numbers too large for a float."""

    exp: float
    sub: int | str
    username: str
    nbf: float | None = None
    iat: float | None = None
    iss: str | None = None
    aud: str | list[str] | None = None
    jti: str | None = None
    avatar_id: int | None = None


_claims_decoder = msgspec.json.Decoder(Claims)


class TokenVerifier:
    def __init__(self, config: JwtConfig) -> None:
        self._config = config
        self._jws = jwt.PyJWS()
        if config.algorithm in HMAC_ALGORITHMS:
            if not config.secret:
                raise ConfigError("HS256 needs JWT_SECRET")
            self._key: str | bytes = config.secret
        elif config.algorithm in PUBLIC_KEY_ALGORITHMS:
            if not config.public_key_path:
                raise ConfigError(f"{config.algorithm} needs JWT_PUBLIC_KEY (a PEM file path)")
            self._key = Path(config.public_key_path).read_bytes()
        else:
            raise ConfigError(f"unsupported JWT algorithm {config.algorithm!r}")

    def verify(self, token: str, now: float | None = None) -> Identity:
        """The identity in ``token`` at ``now`` (epoch seconds; default: the clock),
        or :class:`AuthError` with the reason."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError("token too large")
        if not _COMPACT_JWS.fullmatch(token):
            raise AuthError("invalid token: not a compact JWS")
        try:
            # Signature and algorithm only: the algorithm is pinned, so alg=none or
            # another algorithm is refused.
            payload = self._jws.decode(token, self._key, algorithms=[self._config.algorithm])
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}"[:120]) from None
        except (ValueError, TypeError, KeyError) as exc:  # a header PyJWT did not expect
            raise AuthError(f"invalid token header: {type(exc).__name__}") from None
        try:
            claims = _claims_decoder.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise AuthError(f"invalid token: {exc}"[:120]) from None
        self._check(claims, time.time() if now is None else now)
        return _identity(claims)

    def _check(self, claims: Claims, now: float) -> None:
        if now > claims.exp + LEEWAY_SECONDS:
            raise AuthError("token expired")
        if claims.nbf is not None and now + LEEWAY_SECONDS < claims.nbf:
            raise AuthError("token not yet valid")
        if claims.iat is not None and now + LEEWAY_SECONDS < claims.iat:
            raise AuthError("token not yet valid (issued in the future)")
        issuer, audience = self._config.issuer, self._config.audience
        if issuer is not None and claims.iss != issuer:
            raise AuthError("invalid token: wrong or missing issuer")
        if audience is not None:
            audiences = [claims.aud] if isinstance(claims.aud, str) else claims.aud or []
            if audience not in audiences:
                raise AuthError("invalid token: wrong or missing audience")


def _identity(claims: Claims) -> Identity:
    sub = claims.sub
    if isinstance(sub, str):
        if not (sub.isascii() and sub.isdigit() and len(sub) <= 19):
            raise AuthError("invalid token: sub must be a positive integer")
        sub = int(sub)
    if not 0 < sub < 2**63:
        raise AuthError("invalid token: sub must be a positive integer")
    try:
        username = clean_name(claims.username, USERNAME_MAX, "username")
    except NameRefused as exc:
        raise AuthError(f"invalid token: {exc}"[:120]) from None
    avatar = claims.avatar_id
    if avatar is not None and not -(2**63) <= avatar < 2**63:
        raise AuthError("invalid token: avatar_id out of range")
    return Identity(user_id=UserId(sub), username=username, avatar_id=avatar,
                    expires_at=claims.exp)


def issue_token(
    *, secret: str, user_id: int, username: str, avatar_id: int | None = None,
    ttl_seconds: float = 3600, issuer: str | None = None, audience: str | None = None,
    now: float | None = None,
) -> str:
    """An HS256 token with the claims the gateway expects."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, object] = {"sub": str(user_id), "username": username, "iat": issued,
                                 "exp": issued + int(ttl_seconds)}
    if avatar_id is not None:
        claims["avatar_id"] = avatar_id
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
