"""The coordinator's production board, read in one pass.

The board polls every few seconds, so everything it shows comes from a few aggregate
queries rather than from the full lists of printers and jobs: the figures cost the same
whether the network has ten printers or ten thousand. The lists themselves (printer
grid, job queue) are read a page at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from orchestrator.api.schemas import (
    Alert,
    AlertKind,
    BoardSummary,
    FunnelCount,
    FunnelStep,
    JobQueue,
    PrinterCounts,
    PrinterGrid,
    PrinterRow,
    ProductLine,
    StockBalance,
    SupplyOutlook,
    ThroughputBucket,
)
from orchestrator.core.config import Settings
from orchestrator.database.engine import as_utc_hour, hour_of
from orchestrator.database.stock import balance, order_balances, stock_balances
from orchestrator.database.tables import (
    QUEUE_ORDER,
    Account,
    BomLine,
    DefectReport,
    Hold,
    Job,
    JobAttempt,
    Maker,
    Movement,
    Order,
    Part,
    Printer,
    PrinterStatus,
    Product,
    SlicingFailure,
    id_of,
    utcnow,
)
from orchestrator.domain.eta import Forecast
from orchestrator.domain.ledger import remaining_need
from orchestrator.domain.planner import is_supply, supply_needs
from orchestrator.domain.scheduler import Profile
from orchestrator.domain.vocabulary import (
    HOLDS_PRINTER,
    HoldStatus,
    Item,
    JobStatus,
    OrderStatus,
    Stage,
)
from orchestrator.parts.slicing import PART_PROBLEMS, SlicingProblem
from orchestrator.services import defects, filament, quarantine
from orchestrator.services.forecasts import delivery_forecasts
from orchestrator.services.jobs import jobs_public
from orchestrator.services.parts import PROFILE_FIELDS
from orchestrator.services.pauses import paused_printers
from orchestrator.services.planning import open_demands, plate_capacity, stock_by_stage
from printers.protocol.payloads import PrinterState

PRODUCT_ITEMS = (Item.VISOR, Item.AMICROCHE)
# The part whose count stands for a product before assembly: one headband per visor.
KEY_PART = {Item.VISOR: Item.HEADBAND, Item.AMICROCHE: Item.AMICROCHE}
SUPPLY_RATE_WINDOW = timedelta(days=7)
# A supply that runs out within this many days at the current rate is an alert: time
# enough to ask a donor.
SUPPLY_WARNING_DAYS = 7.0
RECENT = timedelta(hours=24)
# The throughput chart's bar widths, narrowest first: it takes the narrowest that shows
# its window in `MAX_BARS` bars or fewer, and shows an hour at least.
THROUGHPUT_WIDTHS = tuple(timedelta(minutes=m) for m in (5, 15, 30, 60, 180, 360, 720, 1440))
MAX_BARS = 48
MIN_THROUGHPUT_SPAN = timedelta(hours=1)
# Printers that cannot be given work, listed at most: a broken setting is usually one
# printer's, and a list past this length says "look at the slicer" well enough.
MAX_PRINTER_ALERTS = 50


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


# --- the summary ----------------------------------------------------------------------


def board_summary(*, session: Session, settings: Settings, hours: int) -> BoardSummary:
    now = datetime.now(UTC)
    supplies = supply_outlook(session, now)
    forecasts = delivery_forecasts(session=session, settings=settings)
    bars, bar_width = throughput(session, now=now, lookback=timedelta(hours=hours))
    return BoardSummary(
        generated_at=now,
        products=product_lines(session),
        printers=printer_counts(session),
        jobs_by_status=jobs_by_status(session),
        stock=in_production_order(b for b in stock_balances(session) if b.quantity),
        funnel=funnel(session),
        supplies=supplies,
        throughput=bars,
        throughput_bar_minutes=bar_width // timedelta(minutes=1),
        alerts=[
            *offline_during_job_alerts(session, now),
            *failed_twice_alerts(session),
            *supply_alerts(supplies),
            *late_order_alerts(session, forecasts),
            *unsliceable_part_alerts(session),
            *printer_cannot_print_alerts(session),
            *filament_alerts(session),
            *defect_report_alerts(session, now),
            *quarantine_alerts(session),
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
    remaining: Counter[str] = Counter()
    for _product_id, item, needed in open_order_needs(session):
        remaining[item] += needed
    return [
        ProductLine(
            item=item,
            ordered=ordered[item],
            packed=balance(session, item, Stage.PACKED),
            delivered=balance(session, item, Stage.DELIVERED),
            remaining=remaining[item],
        )
        for item in PRODUCT_ITEMS
    ]


def open_order_needs(session: Session) -> list[tuple[int, str, int]]:
    """(product id, finished item, remaining need) of each open order."""
    held = order_balances(session, (Stage.PACKED, Stage.DELIVERED))
    return [
        (
            order.product_id,
            item,
            remaining_need(
                order.quantity,
                packed=held.get((id_of(order), Stage.PACKED), 0),
                delivered=held.get((id_of(order), Stage.DELIVERED), 0),
            ),
        )
        for order, item in session.exec(
            select(Order, Product.item)
            .join(Product, col(Order.product_id) == Product.id)
            .where(Order.status == OrderStatus.OPEN)
        )
    ]


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


def in_production_order(balances: Iterable[StockBalance]) -> list[StockBalance]:
    """Stock by item, then by stage in the order goods go through them (the vocabulary's
    order), rather than alphabetically."""
    items, stages = list(Item), list(Stage)
    return sorted(
        balances,
        key=lambda b: (items.index(b.item), stages.index(b.stage), b.material or ""),
    )


def throughput_window(first: datetime | None, now: datetime) -> tuple[datetime, timedelta]:
    """The chart's first bar and the width of its bars, from the first moment with data
    (an hour ago at the latest; with no data at all, a day ago): the narrowest width of
    `THROUGHPUT_WIDTHS` that shows the window in `MAX_BARS` bars or fewer."""
    first = min(first or now - timedelta(days=1), now - MIN_THROUGHPUT_SPAN)
    for width in THROUGHPUT_WIDTHS:
        start = bar_start(first, width)
        if (now - start) // width < MAX_BARS:
            break
    return start, width


def bar_start(moment: datetime, width: timedelta) -> datetime:
    """The start of the bar of `width` that holds `moment`: bars are aligned on UTC
    midnight, so a 15-minute bar starts at :00, :15, :30 or :45."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (moment - midnight) // width * width


def throughput(
    session: Session, *, now: datetime, lookback: timedelta
) -> tuple[list[ThroughputBucket], timedelta]:
    """Parts printed and goods delivered per bar, oldest bar first, and the bars' width,
    over the window `throughput_window` picks from the first of them within `lookback`."""
    flow = and_(
        col(Movement.reason).in_(["job_done", "delivery"]),
        col(Movement.delta) > 0,
        col(Movement.at) >= now - lookback,
    )
    start, width = throughput_window(
        session.exec(select(func.min(Movement.at)).where(flow)).one(), now
    )
    bars = [
        ThroughputBucket(start=start + index * width, printed=0, delivered=0)
        for index in range((now - start) // width + 1)
    ]
    since_start = and_(flow, col(Movement.at) >= start)
    counts: Iterable[tuple[datetime, str, int]]
    if width % timedelta(hours=1):  # bars shorter than an hour: a few hours of rows
        counts = session.exec(
            select(Movement.at, Movement.reason, Movement.delta).where(since_start)
        )
    else:  # whole hours: the database adds up each hour
        hour = hour_of(session, Movement.at)
        counts = (
            (as_utc_hour(at), reason, total)
            for at, reason, total in session.exec(
                select(hour, Movement.reason, func.sum(Movement.delta))
                .where(since_start)
                .group_by(hour, col(Movement.reason))
            )
        )
    for at, reason, quantity in counts:
        bar = bars[min((at - start) // width, len(bars) - 1)]
        if reason == "job_done":
            bar.printed += int(quantity)
        else:
            bar.delivered += int(quantity)
    return bars, width


def supply_outlook(session: Session, now: datetime) -> list[SupplyOutlook]:
    """Each supply of the products' bills: on hand against its recent use by assembly and
    what the open orders still need (`planner.supply_needs`, the planner's own rule)."""
    supplies = sorted(
        {
            Item(item)
            for item, product_item in session.exec(
                select(BomLine.item, Product.item)
                .join(Product, col(BomLine.product_id) == Product.id)
                .distinct()
            )
            if is_supply(Item(item), Item(product_item))
        }
    )
    if not supplies:
        return []
    used = {
        item: (first_use, int(total))
        for item, first_use, total in session.exec(
            select(Movement.item, func.min(Movement.at), -func.sum(Movement.delta))
            .where(
                col(Movement.item).in_(supplies),
                Movement.stage == Stage.ON_HAND,
                Movement.reason == "assembly",
                col(Movement.at) >= now - SUPPLY_RATE_WINDOW,
            )
            .group_by(col(Movement.item))
        )
    }
    stock = stock_by_stage(session)
    needed = supply_needs(open_demands(session), stock)
    outlook = []
    for item in supplies:
        on_hand = stock.get((item, Stage.ON_HAND), 0)
        first_use, total = used.get(item, (None, 0))
        # Over a network younger than the window, the rate is per day since the first use.
        days = max((now - first_use).total_seconds() / 86400, 1.0) if first_use else 0.0
        per_day = total / days if days else 0.0
        outlook.append(
            SupplyOutlook(
                item=item,
                on_hand=on_hand,
                used_per_day=round(per_day, 1),
                days_left=round(on_hand / per_day, 1) if per_day else None,
                needed_for_open_orders=needed.get(item, 0),
                missing=max(0, needed.get(item, 0) - on_hand),
            )
        )
    return outlook


# --- alerts ---------------------------------------------------------------------------


def offline_during_job_alerts(session: Session, now: datetime) -> list[Alert]:
    """Printers offline now with a job on them, and jobs lost that way in the last day."""
    alerts = []
    stranded = session.exec(
        select(Job, Printer, PrinterStatus)
        .join(Printer, col(Job.printer_id) == Printer.id)
        .join(PrinterStatus, col(PrinterStatus.printer_id) == Printer.id)
        .where(
            col(Job.status).in_(HOLDS_PRINTER),
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


def supply_alerts(supplies: list[SupplyOutlook]) -> list[Alert]:
    """A supply short for the open orders, and one that runs out soon at the current rate
    (while some is left: a supply at 0 the orders need is already short)."""
    alerts = []
    for supply in supplies:
        if supply.missing > 0:
            alerts.append(
                Alert(
                    kind=AlertKind.SUPPLY_SHORT,
                    subject=f"supply:{supply.item}",
                    params={
                        "item": supply.item.value,
                        "on_hand": supply.on_hand,
                        "needed": supply.needed_for_open_orders,
                        "missing": supply.missing,
                    },
                )
            )
        if (
            supply.on_hand > 0
            and supply.days_left is not None
            and supply.days_left <= SUPPLY_WARNING_DAYS
        ):
            alerts.append(
                Alert(
                    kind=AlertKind.SUPPLY_RUNNING_OUT,
                    subject=f"supply:{supply.item}",
                    params={
                        "item": supply.item.value,
                        "on_hand": supply.on_hand,
                        "used_per_day": supply.used_per_day,
                        "days_left": supply.days_left,
                    },
                )
            )
    return alerts


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
        .where(col(Job.status).in_(HOLDS_PRINTER))
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
    rows = list(session.exec(query.order_by(col(Printer.id)).limit(limit).offset(offset)))
    paused = paused_printers(session, [id_of(row[0]) for row in rows], utcnow())
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
                paused=printer.id in paused,
            )
            for printer, maker_name, status, job_id, part_key in rows
        ],
    )


# --- the job queue --------------------------------------------------------------------


def job_queue(*, session: Session, limit: int) -> JobQueue:
    """The next `limit` queued jobs in the order the dispatcher takes them, and how many
    are queued in all: the board's queue tab in one read."""
    total = session.exec(
        select(func.count()).select_from(Job).where(Job.status == JobStatus.QUEUED)
    ).one()
    queued = session.exec(
        select(Job).where(Job.status == JobStatus.QUEUED).order_by(*QUEUE_ORDER).limit(limit)
    )
    return JobQueue(total=total, jobs=jobs_public(session=session, jobs=list(queued)))


# --- filament where it is -------------------------------------------------------------


def filament_alerts(session: Session) -> list[Alert]:
    """Tracked makers whose filament of a material, after their jobs in flight, holds
    fewer than `filament.WARNING_PLATES` of their usual plates, or whose jobs used more
    than their declared stock: the hub sends a spool, or they declare theirs again."""
    return [
        Alert(
            kind=AlertKind.FILAMENT_LOW,
            subject=f"maker:{line.maker_id}:{line.material}",
            params={
                "maker": line.maker_name,
                "maker_id": line.maker_id,
                "material": line.material,
                "grams": max(line.left_grams, 0),
                "plates": line.plates_left,
                "plate_grams": line.plate_grams,
                "short_grams": line.short_grams,
            },
        )
        for line in filament.maker_balances(session)
        if line.low
    ]


# --- defect reports -------------------------------------------------------------------

# How long a defect report stays on the board unless its batch is put on hold first.
DEFECT_ALERT_WINDOW = timedelta(days=14)
MAX_DEFECT_ALERTS = 50


def defect_report_alerts(session: Session, now: datetime) -> list[Alert]:
    """A "defect reported on batch #k" alert for each recent report whose batch no hold
    has reached since: once the coordinator holds the batch (and releases or scraps it
    afterwards), the report has been acted on."""
    since = now - DEFECT_ALERT_WINDOW
    held = defects.held_batches(session, active_only=False, placed_since=since)
    reports = session.exec(
        select(DefectReport)
        .where(
            DefectReport.created_at >= since,
            col(DefectReport.batch_id).not_in(sorted(held)),
        )
        .order_by(col(DefectReport.id).desc())
        .limit(MAX_DEFECT_ALERTS)
    )
    return [
        Alert(
            kind=AlertKind.DEFECT_REPORTED,
            subject=f"defect:{report.id}",
            params={
                "report_id": report.id,
                "batch_id": report.batch_id,
                "source": report.source,
                "text": report.text[:200],
            },
            since=report.created_at,
        )
        for report in reports
    ]


# --- quarantine and recall ------------------------------------------------------------


def quarantine_alerts(session: Session) -> list[Alert]:
    """One alert per active hold that holds goods: they wait for a release or a scrap."""
    held = quarantine.held_per_hold(session)
    holds = session.exec(
        select(Hold)
        .where(Hold.status == HoldStatus.ACTIVE, col(Hold.id).in_(list(held)))
        .order_by(col(Hold.id))
    )
    return [
        Alert(
            kind=AlertKind.GOODS_IN_QUARANTINE,
            subject=f"hold:{hold.id}",
            params={
                "hold_id": hold.id,
                "quantity": held[id_of(hold)],
                "scope": hold.scope,
                "reason": hold.reason,
            },
            since=hold.placed_at,
        )
        for hold in holds
    ]
