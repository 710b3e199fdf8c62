"""The coordinator's production board: one summary, and the printer grid a page at a time."""

from __future__ import annotations

from fastapi import Query

from orchestrator.api.deps import Coordinator, SessionDep, SettingsDep
from orchestrator.api.routing import api_router
from orchestrator.services import board
from orchestrator.services.board import BoardSummary, PrinterGrid
from printers.payloads import PrinterState

router = api_router(prefix="/board", tags=["board"])


@router.get("", response_model=BoardSummary)
def read_board(
    session: SessionDep,
    settings: SettingsDep,
    _coordinator: Coordinator,
    hours: int = Query(default=48, ge=1, le=24 * 31, description="Hours of throughput shown."),
) -> BoardSummary:
    """Everything the board's tiles, funnel, throughput chart and alerts show."""
    return board.board_summary(session=session, settings=settings, hours=hours)


@router.get("/printers", response_model=PrinterGrid)
def read_printer_grid(
    session: SessionDep,
    _coordinator: Coordinator,
    state: PrinterState | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> PrinterGrid:
    """Printers with their state, progress, current job and last sighting, by id."""
    return board.printer_grid(session=session, state=state, limit=limit, offset=offset)
