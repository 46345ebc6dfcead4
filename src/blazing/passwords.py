"""Room passwords: stored only as Argon2id hashes (PHC strings), with `cryptography`'s
Argon2id (already a dependency for JWT keys). Parameters are OWASP's minimum for
Argon2id (19 MiB, 2 passes, 1 lane): about 50 ms a hash here, which the attempt limit
per user and room (the game service) keeps from becoming a lever for an attacker.

Both functions are CPU-bound: call them off the event loop."""

import os

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

MEMORY_KIB = 19_456
PASSES = 2
LANES = 1
SALT_BYTES = 16
HASH_BYTES = 32


def hash_password(password: str) -> str:
    """A new salted hash of ``password`` (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``)."""
    kdf = Argon2id(salt=os.urandom(SALT_BYTES), length=HASH_BYTES, iterations=PASSES,
                   lanes=LANES, memory_cost=MEMORY_KIB)
    return kdf.derive_phc_encoded(password.encode())


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (constant time)."""
    try:
        Argon2id.verify_phc_encoded(password.encode(), stored)
    except (InvalidKey, ValueError):
        return False
    return True
