"""CSV exports for the fab-lab's treasurer: deliveries (with their batches), donations and
each maker's contribution over a period, the figures a centre social reports to its
funders. Every cell goes through `spreadsheet.csv_text`, so none opens as a formula.

A period is whole days in the fab-lab's time zone, both ends included, at most a year:
`since` defaults to the first of January, `until` to today.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator.database.tables import Donation, Job, Maker, Part, Printer
from orchestrator.domain.errors import InvalidRequest
from orchestrator.domain.vocabulary import PRINTED_PARTS, Item, JobStatus
from orchestrator.services import production
from orchestrator.services.local_days import Period, local_today
from orchestrator.services.spreadsheet import Cell, csv_text

LONGEST_PERIOD = timedelta(days=366)
EARLIEST = date(2020, 1, 1)  # makerline's network started printing visors in 2020
PART_COLUMNS = tuple(sorted(PRINTED_PARTS))


def period(since: date | None, until: date | None) -> Period:
    """The period asked for, with its defaults, refused (400) when it makes no sense."""
    today = local_today()
    last = until or today
    first = since or date(last.year, 1, 1)
    if last > today + timedelta(days=1):
        raise InvalidRequest(
            "'until' is in the future: give a day up to today.", code="period_until_in_future"
        )
    if first < EARLIEST:
        raise InvalidRequest(
            f"'since' is before {EARLIEST.isoformat()}: nothing was made then.",
            code="period_since_too_early",
            earliest=EARLIEST.isoformat(),
        )
    if first > last:
        raise InvalidRequest(
            "'since' is after 'until': give the first day, then the last.", code="period_reversed"
        )
    if last - first >= LONGEST_PERIOD:
        raise InvalidRequest(
            "A period is at most a year: export one year at a time.", code="period_too_long"
        )
    return Period(first, last)


def deliveries_csv(*, session: Session, within: Period) -> str:
    return production.deliveries_csv(session=session, since=within.start, until=within.end)


def donations_csv(*, session: Session, within: Period) -> str:
    donations = session.exec(
        select(Donation)
        .where(Donation.received_at >= within.start, Donation.received_at < within.end)
        .order_by(col(Donation.id))
    )
    header = ["donation_id", "received_at", "donor", "item", "quantity", "unit", "material", "note"]
    return csv_text(
        header,
        (
            [
                donation.id,
                donation.received_at.isoformat(),
                donation.donor,
                donation.item,
                donation.quantity,
                "g" if donation.item == Item.FILAMENT_G else "unit",
                donation.material or "",
                donation.note or "",
            ]
            for donation in donations
        ),
    )


def job_grams() -> Any:
    """A done job's filament: the slicer's grams for the job when the job records them
    (`Job.grams`), else the part's weight times the copies printed."""
    estimate = func.coalesce(Part.grams, 0) * Job.copies
    recorded = getattr(Job, "grams", None)
    return func.coalesce(recorded, estimate) if recorded is not None else estimate


def contributions_csv(*, session: Session, within: Period) -> str:
    """One line per maker: jobs done in the period, parts printed by item, grams used."""
    rows = session.exec(
        select(  # type: ignore[call-overload]
            Printer.maker_id,
            Part.bom_role,
            func.count(col(Job.id)),
            func.sum(Job.copies),
            func.sum(job_grams()),
        )
        .join(Printer, col(Job.printer_id) == Printer.id)
        .join(Part, col(Job.part_id) == Part.id)
        .where(
            Job.status == JobStatus.DONE,
            col(Job.done_at).is_not(None),
            col(Job.done_at) >= within.start,
            col(Job.done_at) < within.end,
        )
        .group_by(col(Printer.maker_id), col(Part.bom_role))
    )
    jobs: dict[int, int] = {}
    parts: dict[tuple[int, str], int] = {}
    grams: dict[int, float] = {}
    for maker_id, role, job_count, copies, used in rows:
        jobs[maker_id] = jobs.get(maker_id, 0) + int(job_count)
        parts[(maker_id, str(role))] = parts.get((maker_id, str(role)), 0) + int(copies or 0)
        grams[maker_id] = grams.get(maker_id, 0.0) + float(used or 0)
    makers = session.exec(select(Maker).order_by(col(Maker.id)))
    header = [
        "maker_id",
        "maker",
        "city",
        "since",
        "until",
        "jobs_done",
        *PART_COLUMNS,
        "parts_total",
        "grams",
    ]
    lines: list[list[Cell]] = []
    for maker in makers:
        maker_id = maker.id or 0
        counts = [parts.get((maker_id, item), 0) for item in PART_COLUMNS]
        lines.append(
            [
                maker_id,
                maker.display_name,
                maker.city or "",
                within.since.isoformat(),
                within.until.isoformat(),
                jobs.get(maker_id, 0),
                *counts,
                sum(counts),
                round(grams.get(maker_id, 0.0)),
            ]
        )
    return csv_text(header, lines)
