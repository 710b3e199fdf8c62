"""Each open order's forecast delivery, from the queue and the printers online."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.eta import Forecast, QueueEntry, forecast
from orchestrator.planner import plan
from orchestrator.services.planning import planning_state
from orchestrator.tables import (
    ACTIVE_JOB_STATUSES,
    Job,
    JobStatus,
    Order,
    OrderStatus,
    Part,
    PrinterStatus,
    id_of,
)
from printers.payloads import PrinterState

# Seconds of printing per gram when a job has no slicer estimate yet: the reference
# headband slices to 4,982 s for 22.05 g on an MK3-like profile (226 s/g).
SECONDS_PER_GRAM = 226.0
UNLIMITED_FILM = 10**9


def job_seconds_left(job: Job, part: Part, progress: float | None) -> float:
    seconds = job.estimated_seconds or (part.grams or 20.0) * SECONDS_PER_GRAM * job.copies
    if job.status == JobStatus.PRINTING and progress is not None:
        seconds *= 1 - progress / 100
    return seconds


def delivery_forecasts(*, session: Session, settings: Settings) -> dict[int, Forecast]:
    statuses = {s.printer_id: s for s in session.exec(select(PrinterStatus))}
    online = sum(1 for s in statuses.values() if s.state != PrinterState.OFFLINE)
    entries = []
    for job, part in session.exec(
        select(Job, Part)
        .join(Part, col(Job.part_id) == Part.id)
        .where(col(Job.status).in_([JobStatus.QUEUED, *ACTIVE_JOB_STATUSES]))
    ):
        status = statuses.get(job.printer_id or 0)
        progress = status.progress if status and status.job_id == str(job.id) else None
        entries.append(
            QueueEntry(
                id_of(job),
                job.order_id,
                job_seconds_left(job, part, progress),
                started=job.status != JobStatus.QUEUED,
                rank=(job.needed_by or datetime.max.date(), job.priority, id_of(job)),
            )
        )
    # Orders the planner would still print for, given all the film in the world, are not
    # covered by the queue yet: their date depends on film or on the next planning pass.
    uncovered = {j.order_id for j in plan(planning_state(session, UNLIMITED_FILM)).new_jobs}
    open_orders = session.exec(select(Order).where(Order.status == OrderStatus.OPEN))
    return forecast(
        orders=[(id_of(o), o.needed_by, id_of(o) not in uncovered) for o in open_orders],
        entries=entries,
        printers_online=online,
        now=datetime.now(UTC),
        hub_delay=timedelta(hours=settings.hub_delay_hours),
    )
