"""The coordinator's production board, read in one pass.

The board polls every few seconds, so everything it shows comes from a few aggregate
queries rather than from the full lists of printers and jobs: the figures cost the same
whether the network has ten printers or ten thousand. The lists themselves (printer
grid, job queue) are read a page at a time.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, func, or_
from sqlmodel import Session, SQLModel, col, select

from orchestrator.core.config import Settings
from orchestrator.db import as_utc_hour, hour_of
from orchestrator.eta import Forecast
from orchestrator.parts.slicing import PART_PROBLEMS, SlicingProblem
from orchestrator.scheduler import Profile
from orchestrator.services.forecasts import delivery_forecasts
from orchestrator.services.parts import PROFILE_FIELDS
from orchestrator.services.planning import plate_capacity
from orchestrator.stock import balance, order_balances, stock_balances
from orchestrator.tables import (
    ACTIVE_JOB_STATUSES,
    Account,
    BomLine,
    Item,
    Job,
    JobAttempt,
    JobStatus,
    Maker,
    Movement,
    Order,
    OrderStatus,
    Part,
    Printer,
    PrinterStatus,
    Product,
    SlicingFailure,
    Stage,
    StockBalance,
    id_of,
)
from printers.payloads import PrinterState

PRODUCT_ITEMS = (Item.VISOR, Item.AMICROCHE)
# The part whose count stands for a product before assembly: one headband per visor.
KEY_PART = {Item.VISOR: Item.HEADBAND, Item.AMICROCHE: Item.AMICROCHE}
# Stock that is still on its way to a carer and already holds its film.
FINISHED_STAGES = (Stage.ASSEMBLED, Stage.DISINFECTED, Stage.PACKED)
FILM_RATE_WINDOW = timedelta(days=7)
RECENT = timedelta(hours=24)
# Printers that cannot be given work, listed at most: a broken setting is usually one
# printer's, and a list past this length says "look at the slicer" well enough.
MAX_PRINTER_ALERTS = 50


class FunnelStep(StrEnum):
    PRINTED = "printed"
    COLLECTED = "collected"
    QC_PASSED = "qc_passed"
    ASSEMBLED = "assembled"
    DISINFECTED = "disinfected"
    DELIVERED = "delivered"


# Each funnel step counts what ever arrived at a stage, so that the funnel shows flow,
# not what is sitting there now. Parts are counted before assembly, products after.
FUNNEL_STAGES = {
    FunnelStep.PRINTED: (Stage.AT_MAKER, False),
    FunnelStep.COLLECTED: (Stage.COLLECTED, False),
    FunnelStep.QC_PASSED: (Stage.QC_PASSED, False),
    FunnelStep.ASSEMBLED: (Stage.ASSEMBLED, True),
    FunnelStep.DISINFECTED: (Stage.DISINFECTED, True),
    FunnelStep.DELIVERED: (Stage.DELIVERED, True),
}
# Movements that send goods back a step (an order cancelled) are not flow.
BACKWARD_REASONS = ("unpacking",)


class AlertKind(StrEnum):
    PRINTER_OFFLINE_DURING_JOB = "printer_offline_during_job"
    JOB_FAILED_TWICE = "job_failed_twice"
    FILM_SHORTFALL = "film_shortfall"
    ORDER_LATE = "order_late"
    PRINTER_CANNOT_PRINT = "printer_cannot_print"
    PART_CANNOT_BE_SLICED = "part_cannot_be_sliced"


class ProductLine(SQLModel):
    item: Item
    ordered: int
    delivered: int
    outstanding: int


class PrinterCounts(SQLModel):
    total: int
    online: int
    printing: int
    awaiting_clear: int
    idle: int
    offline: int


class FunnelCount(SQLModel):
    item: Item
    step: FunnelStep
    quantity: int


class FilmOutlook(SQLModel):
    on_hand: int
    used_per_day: float
    days_left: float | None
    needed_for_open_orders: int


class ThroughputBucket(SQLModel):
    start: datetime
    printed: int
    delivered: int


class Alert(SQLModel):
    """One thing the coordinator should look at. `params` fills the board's sentence
    in the reader's language."""

    kind: AlertKind
    subject: str
    params: dict[str, str | int | float | None]
    since: datetime | None = None


class BoardSummary(SQLModel):
    generated_at: datetime
    products: list[ProductLine]
    printers: PrinterCounts
    jobs_by_status: dict[str, int]
    stock: list[StockBalance]
    funnel: list[FunnelCount]
    film: FilmOutlook
    throughput: list[ThroughputBucket]
    alerts: list[Alert]


class PrinterRow(SQLModel):
    printer_id: int
    name: str
    maker_id: int
    maker_name: str
    material: str
    bed_x_mm: float
    bed_y_mm: float
    state: str
    progress: float | None
    job_id: int | None
    part_key: str | None
    last_seen_at: datetime | None
    offline_since: datetime | None


class PrinterGrid(SQLModel):
    total: int
    rows: list[PrinterRow]


# --- the summary ----------------------------------------------------------------------


def board_summary(*, session: Session, settings: Settings, hours: int) -> BoardSummary:
    now = datetime.now(UTC)
    film = film_outlook(session, now)
    forecasts = delivery_forecasts(session=session, settings=settings)
    return BoardSummary(
        generated_at=now,
        products=product_lines(session),
        printers=printer_counts(session),
        jobs_by_status=jobs_by_status(session),
        stock=[b for b in stock_balances(session) if b.quantity],
        funnel=funnel(session),
        film=film,
        throughput=throughput(session, since=now - timedelta(hours=hours), hours=hours),
        alerts=[
            *offline_during_job_alerts(session, now),
            *failed_twice_alerts(session),
            *film_alerts(film),
            *late_order_alerts(session, forecasts),
            *unsliceable_part_alerts(session),
            *printer_cannot_print_alerts(session),
        ],
    )


def product_lines(session: Session) -> list[ProductLine]:
    ordered: Counter[str] = Counter()
    for item, quantity in session.exec(
        select(Product.item, func.sum(Order.quantity))
        .join(Product, col(Order.product_id) == Product.id)
        .where(Order.status != OrderStatus.CANCELLED)
        .group_by(col(Product.item))
    ):
        ordered[item] += int(quantity)
    lines = []
    for item in PRODUCT_ITEMS:
        delivered = balance(session, item, Stage.DELIVERED)
        lines.append(
            ProductLine(
                item=item,
                ordered=ordered[item],
                delivered=delivered,
                outstanding=max(0, ordered[item] - delivered),
            )
        )
    return lines


def printer_counts(session: Session) -> PrinterCounts:
    total = session.exec(select(func.count()).select_from(Printer)).one()
    states: Counter[str] = Counter(
        dict(
            session.exec(
                select(PrinterStatus.state, func.count()).group_by(col(PrinterStatus.state))
            ).all()
        )
    )
    reported = sum(states.values())
    # A printer that never reported is offline as far as the coordinator can tell.
    offline = states[PrinterState.OFFLINE] + (total - reported)
    return PrinterCounts(
        total=total,
        online=total - offline,
        printing=states[PrinterState.PRINTING] + states[PrinterState.PAUSED],
        awaiting_clear=states[PrinterState.AWAITING_CLEAR],
        idle=states[PrinterState.IDLE],
        offline=offline,
    )


def jobs_by_status(session: Session) -> dict[str, int]:
    rows = session.exec(select(Job.status, func.count()).group_by(col(Job.status)))
    found = {str(status): int(count) for status, count in rows}
    return {status.value: found.get(status.value, 0) for status in JobStatus}


def funnel(session: Session) -> list[FunnelCount]:
    inflow = {
        (item, stage): int(total)
        for item, stage, total in session.exec(
            select(Movement.item, Movement.stage, func.sum(Movement.delta))
            .where(Movement.delta > 0, col(Movement.reason).not_in(BACKWARD_REASONS))
            .group_by(col(Movement.item), col(Movement.stage))
        )
    }
    return [
        FunnelCount(
            item=product,
            step=step,
            quantity=inflow.get((product if as_product else KEY_PART[product], stage), 0),
        )
        for product in PRODUCT_ITEMS
        for step, (stage, as_product) in FUNNEL_STAGES.items()
    ]


def throughput(session: Session, *, since: datetime, hours: int) -> list[ThroughputBucket]:
    """Parts printed and goods delivered per hour, oldest hour first."""
    start = since.replace(minute=0, second=0, microsecond=0)
    buckets = [
        ThroughputBucket(start=start + timedelta(hours=h), printed=0, delivered=0)
        for h in range(hours + 1)
    ]
    hour = hour_of(session, Movement.at)
    rows = session.exec(
        select(hour, Movement.reason, func.sum(Movement.delta))
        .where(
            col(Movement.reason).in_(["job_done", "delivery"]),
            Movement.delta > 0,
            col(Movement.at) >= start,
        )
        .group_by(hour, col(Movement.reason))
    )
    by_start = {bucket.start: bucket for bucket in buckets}
    for at, reason, total in rows:
        bucket = by_start.get(as_utc_hour(at))
        if bucket is None:
            continue
        if reason == "job_done":
            bucket.printed += int(total)
        else:
            bucket.delivered += int(total)
    return buckets


def film_outlook(session: Session, now: datetime) -> FilmOutlook:
    """Film on hand against its recent use and what the open orders still need."""
    on_hand = balance(session, Item.FILM_SHEET, Stage.ON_HAND)
    first_use, used = session.exec(
        select(func.min(Movement.at), func.coalesce(-func.sum(Movement.delta), 0)).where(
            Movement.item == Item.FILM_SHEET,
            Movement.stage == Stage.ON_HAND,
            Movement.reason == "assembly",
            col(Movement.at) >= now - FILM_RATE_WINDOW,
        )
    ).one()
    # Over a network younger than the window, the rate is per day since the first use.
    days = max((now - first_use).total_seconds() / 86400, 1.0) if first_use else 0.0
    per_day = int(used) / days if days else 0.0
    return FilmOutlook(
        on_hand=on_hand,
        used_per_day=round(per_day, 1),
        days_left=round(on_hand / per_day, 1) if per_day else None,
        needed_for_open_orders=film_needed(session),
    )


def film_needed(session: Session) -> int:
    """Film sheets the open orders still need, beyond the goods already assembled."""
    film_per_unit: dict[int, int] = dict(
        session.exec(
            select(BomLine.product_id, BomLine.quantity).where(BomLine.item == Item.FILM_SHEET)
        ).all()
    )
    delivered = order_balances(session, (Stage.DELIVERED,))
    needed = 0
    for order_id, product_id, quantity in session.exec(
        select(Order.id, Order.product_id, Order.quantity).where(Order.status == OrderStatus.OPEN)
    ):
        left = quantity - delivered.get((int(order_id or 0), Stage.DELIVERED), 0)
        needed += film_per_unit.get(product_id, 0) * max(0, left)
    in_hand = sum(balance(session, Item.VISOR, stage) for stage in FINISHED_STAGES)
    return max(0, needed - in_hand)


# --- alerts ---------------------------------------------------------------------------


def offline_during_job_alerts(session: Session, now: datetime) -> list[Alert]:
    """Printers offline now with a job on them, and jobs lost that way in the last day."""
    alerts = []
    stranded = session.exec(
        select(Job, Printer, PrinterStatus)
        .join(Printer, col(Job.printer_id) == Printer.id)
        .join(PrinterStatus, col(PrinterStatus.printer_id) == Printer.id)
        .where(
            col(Job.status).in_(ACTIVE_JOB_STATUSES),
            PrinterStatus.state == PrinterState.OFFLINE,
        )
    )
    for job, printer, status in stranded:
        alerts.append(
            Alert(
                kind=AlertKind.PRINTER_OFFLINE_DURING_JOB,
                subject=f"printer:{printer.id}",
                params={"printer": printer.name, "printer_id": printer.id, "job_id": job.id},
                since=status.offline_since,
            )
        )
    lost = session.exec(
        select(JobAttempt, Printer)
        .join(Printer, col(JobAttempt.printer_id) == Printer.id)
        .where(JobAttempt.outcome == "lost", col(JobAttempt.ended_at) >= now - RECENT)
    )
    for attempt, printer in lost:
        alerts.append(
            Alert(
                kind=AlertKind.PRINTER_OFFLINE_DURING_JOB,
                subject=f"job:{attempt.job_id}",
                params={
                    "printer": printer.name,
                    "printer_id": printer.id,
                    "job_id": attempt.job_id,
                },
                since=attempt.ended_at,
            )
        )
    return alerts


def failed_twice_alerts(session: Session) -> list[Alert]:
    """Jobs not yet printed that failed (or were lost) on two attempts or more."""
    failures = (
        select(JobAttempt.job_id, func.count().label("failures"), func.max(JobAttempt.ended_at))
        .where(col(JobAttempt.outcome).in_(["failed", "lost"]))
        .group_by(col(JobAttempt.job_id))
        .having(func.count() >= 2)
        .subquery()
    )
    rows = session.exec(
        select(Job, Part.key, failures.c.failures, failures.c[2])
        .join(failures, failures.c.job_id == Job.id)
        .join(Part, col(Job.part_id) == Part.id)
        .where(col(Job.status).not_in([JobStatus.DONE, JobStatus.CANCELLED]))
        .order_by(col(Job.id))
    )
    return [
        Alert(
            kind=AlertKind.JOB_FAILED_TWICE,
            subject=f"job:{job.id}",
            params={
                "job_id": job.id,
                "part": part_key,
                "failures": int(count),
                "reason": job.last_reason,
                "flagged": job.flagged,
            },
            since=last,
        )
        for job, part_key, count, last in rows
    ]


def film_alerts(film: FilmOutlook) -> list[Alert]:
    if film.needed_for_open_orders <= film.on_hand:
        return []
    return [
        Alert(
            kind=AlertKind.FILM_SHORTFALL,
            subject="film",
            params={
                "on_hand": film.on_hand,
                "needed": film.needed_for_open_orders,
                "missing": film.needed_for_open_orders - film.on_hand,
            },
        )
    ]


def late_order_alerts(session: Session, forecasts: dict[int, Forecast]) -> list[Alert]:
    alerts = []
    for order_id in sorted(i for i, forecast in forecasts.items() if forecast.late):
        order = session.get(Order, order_id)
        assert order is not None
        centre = session.get(Account, order.health_centre_id)
        eta = forecasts[order_id].eta
        alerts.append(
            Alert(
                kind=AlertKind.ORDER_LATE,
                subject=f"order:{order_id}",
                params={
                    "order_id": order_id,
                    "centre": centre.name if centre else None,
                    "quantity": order.quantity,
                    "needed_by": order.needed_by.isoformat(),
                    "eta": eta.isoformat() if eta else None,
                },
            )
        )
    return alerts


def unsliceable_part_alerts(session: Session) -> list[Alert]:
    """Parts whose file no printer can slice (missing or changed on disk)."""
    rows = session.exec(
        select(
            Part.key,
            SlicingFailure.problem,
            func.min(SlicingFailure.first_failed_at),
            func.min(SlicingFailure.retry_at),
        )
        .join(Part, col(SlicingFailure.part_id) == Part.id)
        .where(col(SlicingFailure.problem).in_(sorted(PART_PROBLEMS)))
        .group_by(col(Part.key), col(SlicingFailure.problem))
        .order_by(col(Part.key))
    )
    return [
        Alert(
            kind=AlertKind.PART_CANNOT_BE_SLICED,
            subject=f"part:{key}",
            params={"part": key, "reason": problem, "retry_at": retry_at.isoformat()},
            since=since,
        )
        for key, problem, since, retry_at in rows
    ]


def printer_cannot_print_alerts(session: Session) -> list[Alert]:
    """Printers that cannot be given work: parts that could not be sliced for their
    settings (the orchestrator's record), or a bed too small for every part."""
    same_profile = and_(
        *(getattr(SlicingFailure, name) == getattr(Printer, name) for name in PROFILE_FIELDS)
    )
    rows = session.exec(
        select(Printer, Maker.display_name, Part.key, SlicingFailure)
        .join(SlicingFailure, same_profile)
        .join(Maker, col(Printer.maker_id) == Maker.id)
        .join(Part, col(SlicingFailure.part_id) == Part.id)
        .where(col(SlicingFailure.problem).not_in(sorted(PART_PROBLEMS)))
        .order_by(col(Printer.id), col(Part.key))
        .limit(MAX_PRINTER_ALERTS * 4)
    )
    alerts: dict[int, Alert] = {}
    for printer, maker_name, part_key, failure in rows:
        if id_of(printer) in alerts:  # one alert a printer, naming each part
            params = alerts[id_of(printer)].params
            params["parts"] = f"{params['parts']}, {part_key}"
            continue
        alerts[id_of(printer)] = printer_alert(
            printer, maker_name, failure.problem, part_key, failure.retry_at
        )
        alerts[id_of(printer)].since = failure.first_failed_at
    for printer, maker_name in beds_too_small(session, MAX_PRINTER_ALERTS):
        alerts.setdefault(
            id_of(printer), printer_alert(printer, maker_name, SlicingProblem.BED_TOO_SMALL)
        )
    return list(alerts.values())[:MAX_PRINTER_ALERTS]


def printer_alert(
    printer: Printer,
    maker_name: str,
    reason: str,
    parts: str | None = None,
    retry_at: datetime | None = None,
) -> Alert:
    return Alert(
        kind=AlertKind.PRINTER_CANNOT_PRINT,
        subject=f"printer:{printer.id}",
        params={
            "printer": printer.name,
            "printer_id": printer.id,
            "maker": maker_name,
            "reason": reason,
            "parts": parts,
            "retry_at": retry_at.isoformat() if retry_at else None,
        },
    )


def beds_too_small(session: Session, limit: int) -> list[tuple[Printer, str]]:
    """Printers (and their makers' names) on which no part of the catalogue fits, checked
    once for each distinct printer profile rather than for each printer."""
    catalogue = list(session.exec(select(Part)))
    profiles = session.exec(select(*(getattr(Printer, name) for name in PROFILE_FIELDS)).distinct())
    too_small = {
        (profile.bed_x_mm, profile.bed_y_mm, profile.bed_z_mm)
        for profile in (Profile(*row) for row in profiles)
        if catalogue and not any(plate_capacity(part, profile) for part in catalogue)
    }
    if not too_small:
        return []
    beds = [
        and_(col(Printer.bed_x_mm) == x, col(Printer.bed_y_mm) == y, col(Printer.bed_z_mm) == z)
        for x, y, z in sorted(too_small)
    ]
    return list(
        session.exec(
            select(Printer, Maker.display_name)
            .join(Maker, col(Printer.maker_id) == Maker.id)
            .where(or_(*beds))
            .order_by(col(Printer.id))
            .limit(limit)
        ).all()
    )


# --- the printer grid -----------------------------------------------------------------


def printer_grid(*, session: Session, state: str | None, limit: int, offset: int) -> PrinterGrid:
    """One page of printers with their last status and current job, by printer id."""
    active_job = (
        select(Job.printer_id, Job.id, Part.key)
        .join(Part, col(Job.part_id) == Part.id)
        .where(col(Job.status).in_([*ACTIVE_JOB_STATUSES, JobStatus.AWAITING_CLEAR]))
        .subquery()
    )
    state_of = func.coalesce(PrinterStatus.state, PrinterState.OFFLINE.value)
    query = (
        select(  # type: ignore[call-overload]
            Printer, Maker.display_name, PrinterStatus, active_job.c.id, active_job.c.key
        )
        .join(Maker, col(Printer.maker_id) == Maker.id)
        .outerjoin(PrinterStatus, col(PrinterStatus.printer_id) == Printer.id)
        .outerjoin(active_job, active_job.c.printer_id == Printer.id)
    )
    if state is not None:
        query = query.where(state_of == state)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Printer.id)).limit(limit).offset(offset))
    return PrinterGrid(
        total=total,
        rows=[
            PrinterRow(
                printer_id=id_of(printer),
                name=printer.name,
                maker_id=printer.maker_id,
                maker_name=maker_name,
                material=printer.material,
                bed_x_mm=printer.bed_x_mm,
                bed_y_mm=printer.bed_y_mm,
                state=status.state if status else PrinterState.OFFLINE.value,
                progress=status.progress if status else None,
                job_id=job_id,
                part_key=part_key,
                last_seen_at=status.last_seen_at if status else None,
                offline_since=status.offline_since if status else None,
            )
            for printer, maker_name, status, job_id, part_key in rows
        ],
    )
