"""A maker's printers: create, read, update, delete; the coordinator sees them all."""

from __future__ import annotations

from fastapi import Query

from orchestrator.api.deps import (
    ActingMaker,
    CommandsDep,
    MakerOrCoordinator,
    RowId,
    SessionDep,
    SettingsDep,
)
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import (
    PrinterCreate,
    PrinterEventPublic,
    PrinterPublic,
    PrinterStatusPublic,
    PrinterUpdate,
    PrinterWithCredentials,
)
from orchestrator.database.tables import ROW_ID_MAX
from orchestrator.domain.errors import InvalidRequest
from orchestrator.link.broker_files import refresh_broker_files
from orchestrator.link.commands import command
from orchestrator.link.plugin_printers import refuse_unroutable
from orchestrator.services import accounts, credentials, fleet, printer_link
from printers.protocol.payloads import CommandKind

router = api_router(prefix="/printers", tags=["printers"])


@router.post("", response_model=PrinterWithCredentials, status_code=201)
def register_printer(
    printer_in: PrinterCreate,
    session: SessionDep,
    settings: SettingsDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
    maker_id: int | None = Query(
        default=None, ge=1, le=ROW_ID_MAX, description="Coordinator only: the maker who owns it."
    ),
) -> PrinterWithCredentials:
    """Register a printer. The answer carries the agent's token, shown this once (and so
    never stored for an Idempotency-Key replay)."""
    if maker is None:
        if maker_id is None:
            raise InvalidRequest(
                "As coordinator, say which maker owns the printer (maker_id).",
                code="maker_id_needed",
            )
        maker = accounts.get_maker(session=session, maker_id=maker_id)
    created = fleet.register_printer(
        session=session, maker=maker, printer_in=printer_in, settings=settings
    )
    refuse_unroutable(session, settings.mqtt_topic_prefix, created.id)
    session.commit()
    refresh_broker_files(session, settings)
    return created


@router.get("", response_model=list[PrinterPublic])
def list_printers(
    session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> list[PrinterPublic]:
    printers = fleet.visible_printers(session=session, account=account, maker=maker)
    return [PrinterPublic.model_validate(p) for p in printers]


@router.get("/status", response_model=list[PrinterStatusPublic])
def list_statuses(
    session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> list[PrinterStatusPublic]:
    """The last status each printer reported over MQTT (written every second or so)."""
    statuses = printer_link.statuses_for(session, account, maker)
    return [PrinterStatusPublic.model_validate(s) for s in statuses]


@router.get("/{printer_id}", response_model=PrinterPublic)
def read_printer(
    printer_id: RowId, session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> PrinterPublic:
    printer = fleet.owned_printer(
        session=session, account=account, maker=maker, printer_id=printer_id
    )
    return PrinterPublic.model_validate(printer)


@router.patch("/{printer_id}", response_model=PrinterPublic)
def update_printer(
    printer_id: RowId,
    printer_in: PrinterUpdate,
    session: SessionDep,
    settings: SettingsDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
) -> PrinterPublic:
    printer = fleet.owned_printer(
        session=session, account=account, maker=maker, printer_id=printer_id
    )
    updated = PrinterPublic.model_validate(
        fleet.update_printer(
            session=session, printer=printer, printer_in=printer_in, settings=settings
        )
    )
    refuse_unroutable(session, settings.mqtt_topic_prefix, printer_id)
    session.commit()
    refresh_broker_files(session, settings)
    return updated


@router.delete("/{printer_id}", status_code=204)
def delete_printer(
    printer_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
) -> None:
    printer = fleet.owned_printer(
        session=session, account=account, maker=maker, printer_id=printer_id
    )
    fleet.delete_printer(session=session, printer=printer)
    session.commit()
    refresh_broker_files(session, settings)


@router.post("/{printer_id}/token", response_model=PrinterWithCredentials)
def rotate_printer_token(
    printer_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
) -> PrinterWithCredentials:
    """A new token for the printer's agent (shown once), for its G-code and its broker
    login: the old one stops working now. Put the new one in the agent's config, or the
    new `mqtt_password` (derived from it) in the OctoPrint-MQTT plugin's settings."""
    printer = fleet.owned_printer(
        session=session, account=account, maker=maker, printer_id=printer_id
    )
    token = credentials.rotate_printer_token(session=session, printer=printer)
    session.commit()
    refresh_broker_files(session, settings)
    return credentials.printer_credentials(printer, token)


@router.delete("/{printer_id}/token", status_code=204)
def revoke_printer_token(
    printer_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
) -> None:
    """The printer's token stops working now, on the API and on the broker, until it is
    rotated (a stolen or lost agent)."""
    printer = fleet.owned_printer(
        session=session, account=account, maker=maker, printer_id=printer_id
    )
    credentials.revoke_printer_token(session=session, printer=printer)
    session.commit()
    refresh_broker_files(session, settings)


@router.get("/{printer_id}/status", response_model=PrinterStatusPublic)
def read_status(
    printer_id: RowId, session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> PrinterStatusPublic:
    fleet.owned_printer(session=session, account=account, maker=maker, printer_id=printer_id)
    return PrinterStatusPublic.model_validate(printer_link.status_of(session, printer_id))


@router.get("/{printer_id}/events", response_model=list[PrinterEventPublic])
def list_events(
    printer_id: RowId, session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> list[PrinterEventPublic]:
    """The printer's latest events, newest first, each stored once."""
    fleet.owned_printer(session=session, account=account, maker=maker, printer_id=printer_id)
    return [
        PrinterEventPublic.model_validate(e) for e in printer_link.events_of(session, printer_id)
    ]


@router.post("/{printer_id}/clear-bed", status_code=202)
def clear_bed(
    printer_id: RowId,
    session: SessionDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
    commands: CommandsDep,
) -> dict[str, str]:
    """The maker confirms the bed is clear: the agent publishes BedCleared and takes work."""
    fleet.owned_printer(session=session, account=account, maker=maker, printer_id=printer_id)
    payload = command(CommandKind.CLEAR_BED)
    commands.send(printer_id, payload)
    return {"command_id": payload.command_id}
