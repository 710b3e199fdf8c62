"""Secrets the service must read again, sealed at rest under a key derived from its own.

Tokens are kept as digests (`orchestrator.core.security`), but an OctoPrint API key must
be sent to OctoPrint, so the service has to be able to read it back. It is sealed with
Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` library) under a key derived
from `MAKERLINE_SECRET` by HKDF-SHA256, and stored as `v1:<Fernet token>`. A stolen
database without the secret gives no key.

The prefix tells a sealed value from a plaintext one written before keys were sealed
(`makerline migrate` seals those), so a value sealed under an earlier secret is never
mistaken for plaintext and sealed twice. Opening refuses anything else.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = "v1:"
# Binds the derived key to this one use: another use of the secret derives another key.
_PURPOSE = b"makerline sealed secrets v1"


class UnreadableSecret(ValueError):
    """A stored secret that cannot be opened: sealed under another secret, or never sealed."""


@lru_cache(maxsize=4)
def _fernet(service_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        service_secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(service_secret: str, plaintext: str) -> str:
    return SEALED_PREFIX + _fernet(service_secret).encrypt(plaintext.encode()).decode()


def seal_if_given(service_secret: str, plaintext: str | None) -> str | None:
    """An optional secret as it is stored: sealed, or None if none was given (an empty
    value is none: a form's blank field clears the secret)."""
    return seal(service_secret, plaintext) if plaintext else None


def is_sealed(value: str) -> bool:
    return value.startswith(SEALED_PREFIX)


def open_sealed(service_secret: str, value: str) -> str:
    """The plaintext of a sealed value; raises `UnreadableSecret` if it is not one this
    service's secret opens."""
    if not is_sealed(value):
        raise UnreadableSecret("the value was stored without being sealed")
    try:
        return _fernet(service_secret).decrypt(value.removeprefix(SEALED_PREFIX)).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise UnreadableSecret("the value was sealed under another secret") from None
