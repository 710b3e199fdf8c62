"""Each open order's forecast delivery, from the queue and the printers online."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Order, Part, PrinterStatus, id_of
from orchestrator.domain.eta import Forecast, QueueEntry, forecast
from orchestrator.domain.planner import plan
from orchestrator.domain.vocabulary import HOLDS_PRINTER, PARTS_TO_COME, JobStatus, OrderStatus
from orchestrator.services.planning import planning_state
from printers.protocol.payloads import PrinterState

# Seconds of printing per gram when a job has no slicer estimate yet: the reference
# headband slices to 4,982 s for 22.05 g on an MK3-like profile (226 s/g).
SECONDS_PER_GRAM = 226.0
UNLIMITED_SUPPLIES = 10**9


def job_seconds_left(
    *, estimated: float | None, grams: float | None, copies: int, progress: float | None
) -> float:
    """What is left of a job, from the slicer's estimate or else from its weight; a job
    printing has `progress` percent done."""
    seconds = estimated or (grams or 20.0) * SECONDS_PER_GRAM * copies
    if progress is not None:
        seconds *= 1 - progress / 100
    return seconds


def delivery_forecasts(*, session: Session, settings: Settings) -> dict[int, Forecast]:
    # Columns, not ORM objects: the board asks for this every few seconds.
    statuses = {
        printer_id: (state, job_id, progress)
        for printer_id, state, job_id, progress in session.exec(
            select(
                PrinterStatus.printer_id,
                PrinterStatus.state,
                PrinterStatus.job_id,
                PrinterStatus.progress,
            )
        )
    }
    online = sum(1 for state, _, _ in statuses.values() if state != PrinterState.OFFLINE)
    entries = []
    for (
        job_id,
        order_id,
        status,
        printer_id,
        estimated,
        copies,
        needed_by,
        priority,
        grams,
    ) in session.exec(
        select(  # type: ignore[call-overload,misc]
            Job.id,
            Job.order_id,
            Job.status,
            Job.printer_id,
            Job.estimated_seconds,
            Job.copies,
            Job.needed_by,
            Job.priority,
            Part.grams,
        )
        .join(Part, col(Job.part_id) == Part.id)
        .where(col(Job.status).in_(PARTS_TO_COME | HOLDS_PRINTER))  # the queue, and beds taken
    ):
        _, reported_job, reported_progress = statuses.get(printer_id or 0, (None, None, None))
        printing = status == JobStatus.PRINTING and reported_job == str(job_id)
        entries.append(
            QueueEntry(
                job_id,
                order_id,
                job_seconds_left(
                    estimated=estimated,
                    grams=grams,
                    copies=copies,
                    progress=reported_progress if printing else None,
                ),
                started=status != JobStatus.QUEUED,
                rank=(needed_by or datetime.max.date(), priority, job_id),
            )
        )
    # Orders the planner would still print for, given all the supplies in the world, are
    # not covered by the queue yet: their date depends on the next planning pass. Those
    # the supplies on hand cannot assemble wait for a donation (`held_back`, which the
    # allowance does not change).
    decided = plan(planning_state(session, UNLIMITED_SUPPLIES))
    uncovered = {j.order_id for j in decided.new_jobs}
    open_orders = session.exec(select(Order).where(Order.status == OrderStatus.OPEN))
    return forecast(
        orders=[(id_of(o), o.needed_by, id_of(o) not in uncovered) for o in open_orders],
        entries=entries,
        printers_online=online,
        now=datetime.now(UTC),
        hub_delay=timedelta(hours=settings.hub_delay_hours),
        held_back=decided.held_back,
    )
