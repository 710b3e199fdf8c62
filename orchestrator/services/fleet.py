"""The makers' printers: registration, ownership and credentials.

A printer's token is its agent's only secret: the agent sends it as the bearer token for
its G-code, and logs in to the broker as user `printer-{id}` with a password derived from
it (`orchestrator.services.credentials`). We keep a SHA-256 of the token for the API and
Mosquitto's own PBKDF2 hash of the broker password for its password file, never either.
An OctoPrint API key is kept sealed with the service's secret (`orchestrator.core.sealing`).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from orchestrator.api.schemas import PrinterCreate, PrinterUpdate, PrinterWithCredentials
from orchestrator.core.config import IpNetwork, Settings
from orchestrator.core.outbound_policy import literal_address_refused
from orchestrator.core.sealing import seal_if_given
from orchestrator.core.security import hash_token, new_token
from orchestrator.database.tables import Account, Job, Maker, Pause, Printer, id_of
from orchestrator.domain.errors import Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable
from orchestrator.domain.vocabulary import ConnectionKind, Role
from orchestrator.services import credentials


def register_printer(
    *,
    session: Session,
    maker: Maker,
    printer_in: PrinterCreate,
    settings: Settings,
    token: str | None = None,
) -> PrinterWithCredentials:
    """Register a printer with a new token (or `token`, for the demo's fixed tokens).

    Its OctoPrint API key is sealed with the service's secret, and a plugin printer's
    OctoPrint address is held to the outbound policy (422 naming octoprint_url). Anyone
    may sign up, so a maker has at most `max_printers_per_maker` printers (409)."""
    held = session.exec(
        select(func.count()).select_from(Printer).where(Printer.maker_id == maker.id)
    ).one()
    if held >= settings.max_printers_per_maker:
        raise Conflict(
            f"You already have {held} printers, the most one maker may register here. "
            "Delete one you no longer use, or ask the coordinator.",
            code="too_many_printers",
            held=held,
        )
    token = token or new_token()
    printer = Printer(
        **printer_in.model_dump(exclude={"octoprint_api_key"}),
        maker_id=id_of(maker),
        token_hash=hash_token(token),
        mqtt_password_hash=credentials.broker_password_hash(token),
    )
    printer.octoprint_api_key = seal_if_given(settings.secret, printer_in.octoprint_api_key)
    refuse_uncallable_octoprint(printer, settings.private_networks_allowed)
    session.add(printer)
    session.flush()
    return credentials.printer_credentials(printer, token)


def refuse_uncallable_octoprint(printer: Printer, networks_allowed: tuple[IpNetwork, ...]) -> None:
    """Refuse at once a plugin printer whose OctoPrint URL is an address the service may not
    call. A name is resolved, and checked, each time it is called."""
    url = printer.octoprint_url
    if printer.connection_kind != ConnectionKind.OCTOPRINT_MQTT or not url:
        return
    if literal_address_refused(url, networks_allowed):
        raise Unprocessable(
            "octoprint_url is a loopback, private or link-local address, which the service "
            "may not call. Give the address your OctoPrint answers at from the internet, or "
            "ask the fab-lab to allow its network.",
            code="octoprint_url_not_public",
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
        raise NotFound(
            f"Printer {printer_id} does not exist.", code="printer_not_found", printer=printer_id
        )
    if account.role != Role.COORDINATOR and (maker is None or printer.maker_id != maker.id):
        raise Forbidden(
            f"Printer {printer_id} belongs to another maker.",
            code="printer_of_other_maker",
            printer=printer_id,
        )
    return printer


def update_printer(
    *,
    session: Session,
    printer: Printer,
    printer_in: PrinterUpdate,
    settings: Settings,
) -> Printer:
    """Change what `printer_in` sets, held to the same rules as a registration."""
    changes = printer_in.model_dump(exclude_unset=True)
    if "octoprint_api_key" in changes:
        changes["octoprint_api_key"] = seal_if_given(settings.secret, changes["octoprint_api_key"])
    printer.sqlmodel_update(changes)
    refuse_uncallable_octoprint(printer, settings.private_networks_allowed)
    session.add(printer)
    session.flush()
    return printer


def delete_printer(*, session: Session, printer: Printer) -> None:
    if session.exec(select(Job.id).where(Job.printer_id == printer.id)).first() is not None:
        raise Conflict(
            f"Printer {printer.id} has print jobs on record, kept so that batches stay "
            "traceable. Pause it instead of deleting it (POST /pauses).",
            code="printer_has_jobs",
            printer=printer.id,
        )
    for pause in session.exec(select(Pause).where(Pause.printer_id == printer.id)):
        session.delete(pause)  # a printer that never printed takes its pauses with it
    session.delete(printer)
    session.flush()


def printer_for_token(*, session: Session, token: str) -> Printer:
    printer = session.exec(select(Printer).where(Printer.token_hash == hash_token(token))).first()
    if printer is None:
        raise Unauthenticated("This printer token is not valid.", code="printer_token_invalid")
    return printer
