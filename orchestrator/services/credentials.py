"""Who a bearer token belongs to, and tokens rotated or revoked by their owner or the
coordinator.

A token is shown once, when it is made, and stored only as a SHA-256 digest. Rotating
gives a new token and stops the old one at once; revoking stops it without giving a new
one (the coordinator, or the owner rotating later, can give one again).

A printer's token is also the base of its broker login, user `printer-{id}` with a
password derived one way from the token (`printers.protocol.broker_auth.printer_broker_password`):
we keep Mosquitto's hash of that password, never the token nor the password, and the
broker's password file follows every change at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from orchestrator.api.schemas import PrinterPublic, PrinterWithCredentials
from orchestrator.core.security import hash_token, new_token
from orchestrator.database.tables import Account, Printer
from printers.protocol.broker_auth import (
    mosquitto_password_hash,
    printer_broker_password,
    printer_username,
)


def caller_for_token(*, session: Session, token: str) -> Account | Printer | None:
    """The account or the printer whose token this is, or None."""
    digest = hash_token(token)
    account = session.exec(select(Account).where(Account.token_hash == digest)).first()
    if account is not None:
        return account
    return session.exec(select(Printer).where(Printer.token_hash == digest)).first()


def rotate_account_token(*, session: Session, account: Account) -> str:
    """A new token for the account, shown once; the old one stops working now."""
    token = new_token()
    _set_token(session, account, hash_token(token))
    return token


def revoke_account_token(*, session: Session, account: Account) -> None:
    """The account's token stops working; nobody holds a new one until it is rotated."""
    _set_token(session, account, _unusable_hash())


def printer_credentials(printer: Printer, token: str) -> PrinterWithCredentials:
    """What the printer's owner is shown once: the token, for the agent's config, and the
    broker login derived from it, for the OctoPrint-MQTT plugin's settings."""
    assert printer.id is not None
    return PrinterWithCredentials(
        **PrinterPublic.model_validate(printer).model_dump(),
        token=token,
        mqtt_username=printer_username(printer.id),
        mqtt_password=printer_broker_password(token),
    )


def broker_password_hash(token: str) -> str:
    """What the broker's password file holds for the printer whose token this is."""
    return mosquitto_password_hash(printer_broker_password(token))


def rotate_printer_token(*, session: Session, printer: Printer) -> str:
    """A new token for the printer's agent, its broker login included."""
    token = new_token()
    printer.mqtt_password_hash = broker_password_hash(token)
    _set_token(session, printer, hash_token(token))
    return token


def revoke_printer_token(*, session: Session, printer: Printer) -> None:
    """The printer can no longer fetch G-code nor log in to the broker."""
    printer.mqtt_password_hash = None
    _set_token(session, printer, _unusable_hash())


def _unusable_hash() -> str:
    # The digest of a token nobody was shown: unique, as the column requires, and
    # matching nothing anyone can send.
    return hash_token(new_token())


def _set_token(session: Session, owner: Account | Printer, token_hash: str) -> None:
    owner.token_hash = token_hash
    owner.token_changed_at = datetime.now(UTC)
    session.add(owner)
    session.flush()
