"""API tokens: generated at random, shown once, stored only as a SHA-256 digest.

Tokens carry 256 bits of randomness, so a fast digest is enough to make a stolen table
useless; a slow password hash would only slow every request down.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "mkl_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
