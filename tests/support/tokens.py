"""Tokens signed over any payload, for tests of claims no issuer should produce."""

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
