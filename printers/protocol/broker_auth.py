"""Mosquitto 2.0's password and ACL files, rendered from the printer list.

Pure functions: the service stores each printer's `$7$` hash and writes these files
whenever printers change; the broker is then told to reload them.

A printer's broker password is not its API token but derived from it one way
(`printer_broker_password`): the agent derives it itself, and a plugin printer's owner
pastes it into the OctoPrint-MQTT plugin, which writes it into OctoPrint's log. Whoever
reads that log can then speak on the broker as that printer, and nothing more: the
password gives neither the token nor a way into the API.

Access rule: user `printer-{id}` may write only its own `status` and `events` and read only
its own `commands`; the service user reads and writes everything under the prefix.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable

from printers.protocol.topics import (
    DEFAULT_PREFIX,
    check_prefix,
    check_printer_id,
    commands_topic,
    events_topic,
    status_topic,
)

# Mosquitto's mosquitto_passwd defaults: PBKDF2-SHA512, 101 iterations, 12-byte salt.
DEFAULT_ITERATIONS = 101
SALT_BYTES = 12
HASH_BYTES = 64
# Changing the label changes every printer's broker password: only with a new version.
BROKER_PASSWORD_LABEL = b"makerline broker password v1"
BROKER_PASSWORD_PREFIX = "mqb_"


class BrokerAuthError(ValueError):
    """A username, password hash or printer id that cannot go into Mosquitto's files."""


def printer_username(printer_id: int | str) -> str:
    return f"printer-{check_printer_id(printer_id)}"


def printer_broker_password(printer_token: str) -> str:
    """The broker password of the printer whose API token this is: HMAC-SHA256 keyed by
    the token over a fixed label, so it can be computed from the token and the token
    cannot be computed from it. Its `mqb_` prefix tells it from a token (`mkl_`)."""
    digest = hmac.new(printer_token.encode(), BROKER_PASSWORD_LABEL, hashlib.sha256).digest()
    return BROKER_PASSWORD_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def mosquitto_password_hash(
    password: str, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS
) -> str:
    """Hash a password as Mosquitto 2.0 does: `$7$<iterations>$<b64 salt>$<b64 hash>`."""
    if iterations < 1:
        raise BrokerAuthError("iterations must be at least 1")
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, HASH_BYTES)
    return f"$7${iterations}${_b64(salt)}${_b64(digest)}"


def mosquitto_password_matches(password: str, password_hash: str) -> bool:
    """Whether `password` is the one hashed in a `$7$` string; false for any other format."""
    parts = password_hash.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != "7":
        return False
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    if iterations < 1:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, len(expected))
    return hmac.compare_digest(digest, expected)


def render_password_file(entries: Iterable[tuple[str, str]]) -> str:
    """Lines `username:hash` for Mosquitto's `password_file`, from (username, hash) pairs."""
    lines = []
    seen: set[str] = set()
    for username, password_hash in entries:
        _check_username(username)
        if not password_hash.startswith("$7$") or any(c in password_hash for c in ":\n\r "):
            raise BrokerAuthError(f"password hash for {username!r} is not a Mosquitto $7$ hash")
        if username in seen:
            raise BrokerAuthError(f"user {username!r} appears twice")
        seen.add(username)
        lines.append(f"{username}:{password_hash}\n")
    return "".join(lines)


def render_acl_file(
    printer_ids: Iterable[int | str], service_username: str, prefix: str = DEFAULT_PREFIX
) -> str:
    """Mosquitto's `acl_file`: the service sees all under the prefix, each printer its own."""
    _check_username(service_username)
    root = check_prefix(prefix)
    blocks = [f"user {service_username}\ntopic readwrite {root}/#\n"]
    for printer_id in printer_ids:
        blocks.append(
            f"user {printer_username(printer_id)}\n"
            f"topic write {status_topic(printer_id, root)}\n"
            f"topic write {events_topic(printer_id, root)}\n"
            f"topic read {commands_topic(printer_id, root)}\n"
        )
    return "\n".join(blocks)


def _check_username(username: str) -> None:
    if not username or any(c in username for c in ":\n\r #+/") or len(username) > 128:
        raise BrokerAuthError(f"username {username!r} cannot be used in Mosquitto's files")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
