"""Each open order's forecast delivery: the dispatcher played forward on the printers
online (`orchestrator.domain.eta`)."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import (
    Job,
    Movement,
    Order,
    Part,
    Pause,
    Printer,
    PrinterStatus,
    id_of,
)
from orchestrator.domain import weekly_hours
from orchestrator.domain.eta import (
    DEMAND_PERIOD,
    FleetPrinter,
    Forecast,
    OnPrinter,
    forecast,
    pace_from,
)
from orchestrator.domain.planner import plan
from orchestrator.domain.scheduler import (
    Capacity,
    Estimate,
    FreePrinter,
    Profile,
    QueuedJob,
    learned_speed_factor,
)
from orchestrator.domain.vocabulary import HOLDS_PRINTER, PARTS_TO_COME, JobStatus, OrderStatus
from orchestrator.services.dispatch import maker_load, speed_ratios
from orchestrator.services.parts import CannotSlice, profile_for, sliced_estimate
from orchestrator.services.pauses import pause_spans
from orchestrator.services.planning import planning_state, plate_capacity, profile_of
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


# A forecast plays the dispatcher over the whole queue, three times for its range: the
# board, the orders and the messages ask for it every few seconds, so it is played again
# only when the queue, the open orders, the printers online, the pauses or the stock have
# changed, or after this long (a plate's progress).
FRESH_FOR = 15.0
_played: dict[tuple[object, ...], tuple[float, dict[int, Forecast]]] = {}
_played_lock = threading.Lock()


def delivery_forecasts(*, session: Session, settings: Settings) -> dict[int, Forecast]:
    """Each open order's forecast: the dispatcher played forward (`domain.eta`) on the
    printers online, with their hours, pauses, speed and beds."""
    key = what_forecasts_read(session, settings)
    with _played_lock:
        played = _played.get(key)
    if played is not None and time.monotonic() - played[0] < FRESH_FOR:
        return dict(played[1])
    result = play_forecasts(session=session, settings=settings)
    with _played_lock:
        _played.clear()  # one state is worth keeping: the latest
        _played[key] = (time.monotonic(), result)
    return dict(result)


def what_forecasts_read(session: Session, settings: Settings) -> tuple[object, ...]:
    """A fingerprint of what a forecast depends on, in a few cheap queries."""
    jobs = session.exec(select(func.count(col(Job.id)), func.max(Job.updated_at))).one()
    open_orders = session.exec(
        select(Order.id, Order.created_at)
        .where(Order.status == OrderStatus.OPEN)
        .order_by(col(Order.id))
    ).all()
    online = session.exec(
        select(PrinterStatus.printer_id)
        .where(PrinterStatus.state != PrinterState.OFFLINE)
        .order_by(col(PrinterStatus.printer_id))
    ).all()
    pauses = session.exec(
        select(func.count(col(Pause.id)), func.max(Pause.id), func.max(Pause.ends_at))
    ).one()
    movements = session.exec(select(func.max(Movement.id))).one()
    return (
        str(session.get_bind().engine.url),
        settings.timezone,
        settings.hub_delay_hours,
        tuple(jobs),
        tuple(tuple(row) for row in open_orders),
        tuple(online),
        tuple(pauses),
        movements,
    )


def play_forecasts(*, session: Session, settings: Settings) -> dict[int, Forecast]:
    """The forecasts played now, without the cache."""
    now = datetime.now(UTC)
    zone = ZoneInfo(settings.timezone)
    # Columns, not ORM objects: the board asks for this every few seconds.
    statuses = {
        printer_id: (job_id, progress)
        for printer_id, state, job_id, progress in session.exec(
            select(
                PrinterStatus.printer_id,
                PrinterStatus.state,
                PrinterStatus.job_id,
                PrinterStatus.progress,
            )
        )
        if state != PrinterState.OFFLINE
    }
    printers = list(session.exec(select(Printer).where(col(Printer.id).in_(list(statuses)))))
    ratios = speed_ratios(session, [id_of(printer) for printer in printers])
    speeds = {pid: learned_speed_factor(values) for pid, values in ratios.items()}
    parts = {id_of(part): part for part in session.exec(select(Part))}
    queued: list[tuple[QueuedJob, int | None]] = []
    on_printers: list[OnPrinter] = []
    busy: dict[int, float] = {}
    for job in session.exec(select(Job).where(col(Job.status).in_(PARTS_TO_COME | HOLDS_PRINTER))):
        part = parts[job.part_id]
        if job.status == JobStatus.QUEUED:
            if not job.flagged:
                queued.append((queued_job(job, part), job.order_id))
            continue
        printer_id = job.printer_id or 0
        reported_job, progress = statuses.get(printer_id, (None, None))
        printing = job.status == JobStatus.PRINTING and reported_job == str(job.id)
        seconds = job_seconds_left(
            estimated=job.estimated_seconds,
            grams=part.grams,
            copies=job.copies,
            progress=progress if printing else None,
        )
        if job.status == JobStatus.AWAITING_CLEAR:
            seconds = 0.0
        seconds *= speeds.get(printer_id, 1.0)
        on_printers.append(OnPrinter(id_of(job), job.order_id, seconds))
        busy[printer_id] = max(busy.get(printer_id, 0.0), seconds)
    fleet = fleet_of(session, printers, speeds, busy, now)
    estimate, capacity = plate_figures(settings, printers, parts)
    # Orders the planner would still print for, given all the supplies in the world, are
    # not covered by the queue yet: their date depends on the next planning pass. Those
    # the supplies on hand cannot assemble wait for a donation (`held_back`, which the
    # allowance does not change).
    decided = plan(planning_state(session, UNLIMITED_SUPPLIES))
    uncovered = {j.order_id for j in decided.new_jobs}
    open_orders = session.exec(select(Order).where(Order.status == OrderStatus.OPEN))
    return forecast(
        orders=[(id_of(o), o.needed_by, id_of(o) not in uncovered) for o in open_orders],
        queued=queued,
        on_printers=on_printers,
        fleet=fleet,
        estimate=estimate,
        capacity=capacity,
        now=now,
        zone=zone,
        hub_delay=timedelta(hours=settings.hub_delay_hours),
        held_back=decided.held_back,
        pace=pace_from(ratios),
        maker_load=maker_load(session, now - timedelta(days=1)),
        recent_demand=recent_demand(session, parts, now),
    )


def recent_demand(
    session: Session, parts: dict[int, Part], now: datetime
) -> list[tuple[float, QueuedJob]]:
    """The jobs of the orders placed over the last `DEMAND_PERIOD`, each with how long ago
    its order came: the demand the forecast expects again. Jobs that failed or were lost
    count through the jobs that replace them."""
    rows = session.exec(
        select(Job, Order.created_at)
        .join(Order, col(Job.order_id) == col(Order.id))
        .where(
            Order.created_at >= now - DEMAND_PERIOD,
            Order.status != OrderStatus.CANCELLED,
            col(Job.status).not_in([JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.LOST]),
        )
    )
    return [
        ((now - created_at).total_seconds(), queued_job(job, parts[job.part_id]))
        for job, created_at in rows
    ]


def queued_job(job: Job, part: Part) -> QueuedJob:
    return QueuedJob(
        id_of(job), part.key, job.copies, part.materials, None, job.needed_by, job.priority
    )


def fleet_of(
    session: Session,
    printers: list[Printer],
    speeds: dict[int, float],
    busy: dict[int, float],
    now: datetime,
) -> list[FleetPrinter]:
    """The printers online as the forecast plays them; one with unreadable hours (only
    a row edited in the database can hold them) takes nothing, as in the dispatcher."""
    spans = pause_spans(session, printers)
    fleet = []
    for printer in printers:
        try:
            hours = weekly_hours.parse(printer.availability_hours)
        except ValueError:
            continue
        printer_id = id_of(printer)
        fleet.append(
            FleetPrinter(
                FreePrinter(
                    printer_id,
                    printer.maker_id,
                    profile_of(printer),
                    speeds.get(printer_id, 1.0),
                ),
                hours,
                printer.unattended_prints,
                busy.get(printer_id, 0.0),
                tuple(
                    (
                        (span.starts_at - now).total_seconds(),
                        (span.ends_at - now).total_seconds() if span.ends_at else math.inf,
                    )
                    for span in spans.get(printer_id, ())
                ),
            )
        )
    return fleet


def plate_figures(
    settings: Settings, printers: list[Printer], parts: dict[int, Part]
) -> tuple[Estimate, Capacity]:
    """A plate's time on a profile, from the slicer when it has sliced it already (never
    running it here), else from the part's weight; and how many copies a plate holds."""
    by_key = {part.key: part for part in parts.values()}
    by_profile = {profile_of(printer): printer for printer in printers}
    seconds: dict[tuple[str, int, Profile], float | None] = {}

    def estimate(part_key: str, copies: int, profile: Profile) -> float | None:
        key = (part_key, copies, profile)
        if key not in seconds:
            part = by_key[part_key]
            try:
                sliced = sliced_estimate(
                    settings=settings,
                    part=part,
                    profile=profile_for(by_profile[profile]),
                    copies=copies,
                )
            except CannotSlice:
                sliced = None
            seconds[key] = (
                float(sliced[0])
                if sliced
                else job_seconds_left(
                    estimated=None, grams=part.grams, copies=copies, progress=None
                )
            )
        return seconds[key]

    def capacity(part_key: str, profile: Profile) -> int:
        return plate_capacity(by_key[part_key], profile)

    return estimate, capacity
