"""Tokens signed over any payload, for tests of claims no issuer should produce."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt

from tests.conftest import SECRET


def signed(payload: dict[str, Any] | bytes, secret: str = SECRET) -> str:
    """An HS256 token over ``payload`` exactly (a dict is encoded as JSON; bytes are
    used as they are, for numbers JSON encoders will not write, like ``1e400``)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return jwt.PyJWS().encode(data, secret, algorithm="HS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_raw(header: dict[str, Any], payload: bytes, secret: str = SECRET) -> str:
    """An HS256 signature over any header and payload, built by hand: PyJWT refuses to
    sign some headers (a ``kid`` that is not a string) a hostile issuer could write."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def claims(**changes: Any) -> dict[str, Any]:
    """A valid claim set with ``changes`` applied (``None`` values are kept)."""
    base: dict[str, Any] = {"sub": "41", "username": "claimer", "exp": int(time.time()) + 600}
    base.update(changes)
    return base


# Registered claims, each with JSON values of the wrong type (every JSON type the
# claim must not be), and the few claims of our own.
WRONG_TYPES: dict[str, list[Any]] = {
    "exp": ["9999999999", [1], {}, None, True, "x"],
    "nbf": ["0", [0], {"a": 1}, False],
    "iat": ["0", [], {}, True],
    "iss": [5, ["me"], {}, True, 1.5],
    "aud": [5, [5], {"a": 1}, True, 1.5],
    "jti": [5, [], {}, False],
    "sub": [1.5, True, None, [], {}, "-3", "0", "4x", "99999999999999999999"],
    "username": [None, 5, [], {}, "", "\u200b\u200b", "\u202eevil", "a\x00b"],
    "avatar_id": ["x", 1.5, [], {}, True],
}


def wrong_claim_cases() -> list[tuple[str, Any]]:
    return [(name, value) for name, values in WRONG_TYPES.items() for value in values]
