"""JWT identity (SPEC §1): verify with a pinned algorithm, issue for dev login
and scripts. Only PyJWT is touched here.

Claims: ``sub`` = user id (positive integer, as number or numeric string),
``username``, optional ``avatar_id``; ``exp`` required; ``iss``/``aud`` checked
when configured.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from blazing.errors import ConfigError
from blazing.ids import UserId

LEEWAY_SECONDS = 5
MAX_TOKEN_LENGTH = 8192
HMAC_ALGORITHMS = ("HS256",)
PUBLIC_KEY_ALGORITHMS = ("RS256", "ES256")


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


class TokenVerifier:
    def __init__(self, config: JwtConfig) -> None:
        self._config = config
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

    def verify(self, token: str) -> Identity:
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError("token too large")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._config.algorithm],  # pinned: alg=none or others refused
                issuer=self._config.issuer,
                audience=self._config.audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub"],
                         "verify_aud": self._config.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token not yet valid") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        return _identity(claims)


def _identity(claims: dict[str, object]) -> Identity:
    sub = claims.get("sub")
    if isinstance(sub, bool) or not isinstance(sub, int | str):
        raise AuthError("invalid token: sub must be a user id")
    if isinstance(sub, str):
        if not (sub.isascii() and sub.isdigit() and len(sub) <= 18):
            raise AuthError("invalid token: sub must be a positive integer")
        sub = int(sub)
    if not 0 < sub < 2**63:
        raise AuthError("invalid token: sub must be a positive integer")
    username = claims.get("username")
    if not isinstance(username, str) or not 1 <= len(username.strip()) <= 64:
        raise AuthError("invalid token: username missing")
    avatar = claims.get("avatar_id")
    if avatar is not None and (isinstance(avatar, bool) or not isinstance(avatar, int)):
        raise AuthError("invalid token: avatar_id must be an integer")
    exp = claims["exp"]
    assert isinstance(exp, int | float)
    return Identity(user_id=UserId(sub), username=username.strip(), avatar_id=avatar,
                    expires_at=float(exp))


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
