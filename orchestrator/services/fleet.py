"""The makers' printers: registration, ownership and credentials.

A printer's token is its agent's only secret: the agent sends it as the MQTT password of
user `printer-{id}` and as the bearer token for its G-code. We keep a SHA-256 of it for
the API and Mosquitto's own PBKDF2 hash for the broker's password file, never the token.
"""

from __future__ import annotations

from sqlmodel import Session, select

from orchestrator.core.security import hash_token, new_token
from orchestrator.errors import Conflict, Forbidden, NotFound, Unauthenticated
from orchestrator.tables import (
    Account,
    Job,
    Maker,
    Printer,
    PrinterCreate,
    PrinterPublic,
    PrinterUpdate,
    PrinterWithCredentials,
    Role,
    id_of,
)
from printers.broker_auth import mosquitto_password_hash, printer_username


def register_printer(
    *, session: Session, maker: Maker, printer_in: PrinterCreate, token: str | None = None
) -> PrinterWithCredentials:
    """Register a printer with a new token (or `token`, for the demo's fixed tokens)."""
    token = token or new_token()
    printer = Printer(
        **printer_in.model_dump(),
        maker_id=id_of(maker),
        token_hash=hash_token(token),
        mqtt_password_hash=mosquitto_password_hash(token),
    )
    session.add(printer)
    session.flush()
    assert printer.id is not None
    public = PrinterPublic.model_validate(printer)
    return PrinterWithCredentials(
        **public.model_dump(), token=token, mqtt_username=printer_username(printer.id)
    )


def visible_printers(*, session: Session, account: Account, maker: Maker | None) -> list[Printer]:
    query = select(Printer).order_by(Printer.id)  # type: ignore[arg-type]
    if account.role != Role.COORDINATOR:
        assert maker is not None
        query = query.where(Printer.maker_id == maker.id)
    return list(session.exec(query))


def owned_printer(
    *, session: Session, account: Account, maker: Maker | None, printer_id: int
) -> Printer:
    printer = session.get(Printer, printer_id)
    if printer is None:
        raise NotFound(f"Printer {printer_id} does not exist.")
    if account.role != Role.COORDINATOR and (maker is None or printer.maker_id != maker.id):
        raise Forbidden(f"Printer {printer_id} belongs to another maker.")
    return printer


def update_printer(*, session: Session, printer: Printer, printer_in: PrinterUpdate) -> Printer:
    printer.sqlmodel_update(printer_in.model_dump(exclude_unset=True))
    session.add(printer)
    session.flush()
    return printer


def delete_printer(*, session: Session, printer: Printer) -> None:
    if session.exec(select(Job.id).where(Job.printer_id == printer.id)).first() is not None:
        raise Conflict(
            f"Printer {printer.id} has print jobs on record, kept so that batches stay "
            "traceable. Change its availability hours instead of deleting it."
        )
    session.delete(printer)
    session.flush()


def printer_for_token(*, session: Session, token: str) -> Printer:
    printer = session.exec(select(Printer).where(Printer.token_hash == hash_token(token))).first()
    if printer is None:
        raise Unauthenticated("This printer token is not valid.")
    return printer
