"""A maker's printers: create, read, update, delete; the coordinator sees them all."""

from __future__ import annotations

from fastapi import APIRouter, Query

from orchestrator.api.deps import ActingMaker, MakerOrCoordinator, RowId, SessionDep
from orchestrator.errors import InvalidRequest
from orchestrator.services import accounts, fleet
from orchestrator.tables import (
    ROW_ID_MAX,
    PrinterCreate,
    PrinterPublic,
    PrinterUpdate,
    PrinterWithCredentials,
)

router = APIRouter(prefix="/printers", tags=["printers"])


@router.post("", response_model=PrinterWithCredentials, status_code=201)
def register_printer(
    printer_in: PrinterCreate,
    session: SessionDep,
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
            raise InvalidRequest("As coordinator, say which maker owns the printer (maker_id).")
        maker = accounts.get_maker(session=session, maker_id=maker_id)
    created = fleet.register_printer(session=session, maker=maker, printer_in=printer_in)
    session.commit()
    return created


@router.get("", response_model=list[PrinterPublic])
def list_printers(
    session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> list[PrinterPublic]:
    printers = fleet.visible_printers(session=session, account=account, maker=maker)
    return [PrinterPublic.model_validate(p) for p in printers]


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
    account: MakerOrCoordinator,
    maker: ActingMaker,
) -> PrinterPublic:
    printer = fleet.owned_printer(
        session=session, account=account, maker=maker, printer_id=printer_id
    )
    updated = PrinterPublic.model_validate(
        fleet.update_printer(session=session, printer=printer, printer_in=printer_in)
    )
    session.commit()
    return updated


@router.delete("/{printer_id}", status_code=204)
def delete_printer(
    printer_id: RowId, session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> None:
    printer = fleet.owned_printer(
        session=session, account=account, maker=maker, printer_id=printer_id
    )
    fleet.delete_printer(session=session, printer=printer)
    session.commit()
