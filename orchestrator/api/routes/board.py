"""The coordinator's production board: one summary, the printer grid a page at a time,
and the head of the job queue."""

from __future__ import annotations

from fastapi import Query

from orchestrator.api.deps import Coordinator, SessionDep, SettingsDep
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import BoardSummary, JobQueue, PrinterGrid
from orchestrator.services import board
from printers.protocol.payloads import PrinterState

router = api_router(prefix="/board", tags=["board"])


@router.get("", response_model=BoardSummary)
def read_board(
    session: SessionDep,
    settings: SettingsDep,
    _coordinator: Coordinator,
    hours: int = Query(
        default=24 * 7,
        ge=1,
        le=24 * 31,
        description="How far back the throughput chart may start: at its first bar with data.",
    ),
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


@router.get("/queue", response_model=JobQueue)
def read_job_queue(
    session: SessionDep,
    _coordinator: Coordinator,
    limit: int = Query(default=50, ge=1, le=1000),
) -> JobQueue:
    """The next queued jobs in the order the dispatcher takes them, and how many are
    queued in all."""
    return board.job_queue(session=session, limit=limit)
