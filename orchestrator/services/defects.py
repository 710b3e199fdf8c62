"""Defect reports on a batch: from its public page (anonymous) or from a health centre.

A report from the public page keeps its text only: whoever scanned the label stays
unnamed, and no contact is asked for or stored. A centre reports only on a batch it was
delivered. The coordinator reads each report beside the batch's trace (its jobs, printers
and makers) and decides whether to put the batch on hold.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from orchestrator.api.schemas import DefectReportCreate, DefectReportPublic
from orchestrator.database.tables import (
    Account,
    Batch,
    DefectReport,
    Hold,
    Movement,
    Order,
    id_of,
)
from orchestrator.domain.errors import Forbidden, InvalidRequest
from orchestrator.domain.vocabulary import (
    DefectSource,
    HoldStatus,
    Stage,
)
from orchestrator.services import production, quarantine

# The most reports the coordinator's list returns at once, newest first.
MAX_LISTED = 500


def clean_text(text: str) -> str:
    """The report as written, without the spaces around it; control characters other
    than line breaks are dropped (they only serve to mangle what the coordinator reads)."""
    kept = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    cleaned = kept.strip()
    if len(cleaned) < 3:
        raise InvalidRequest(
            "Say in a few words what is wrong with the batch.", code="defect_text_missing"
        )
    return cleaned


def report_from_public_page(*, session: Session, batch: Batch, text: str) -> DefectReport:
    report = DefectReport(
        batch_id=id_of(batch), centre_id=None, text=clean_text(text), source=DefectSource.PUBLIC
    )
    session.add(report)
    session.flush()
    return report


def was_delivered_to(session: Session, batch_id: int, centre: Account) -> bool:
    """Whether any of the batch's goods reached one of the centre's orders (the ledger's
    delivered stage keeps both the batch and the order)."""
    found = session.exec(
        select(Movement.id)
        .join(Order, col(Movement.order_id) == Order.id)
        .where(
            Movement.batch_id == batch_id,
            Movement.stage == Stage.DELIVERED,
            Movement.delta > 0,
            Order.health_centre_id == centre.id,
        )
        .limit(1)
    ).first()
    return found is not None


def report_from_centre(
    *, session: Session, centre: Account, report_in: DefectReportCreate
) -> DefectReport:
    batch = production.get_batch(session=session, batch_id=report_in.batch_id)
    if not was_delivered_to(session, id_of(batch), centre):
        raise Forbidden(
            f"Batch {batch.id} was not delivered to you; report on a batch you received, "
            "or use the page its label's QR code opens.",
            code="batch_not_delivered_to_you",
            batch=batch.id,
        )
    report = DefectReport(
        batch_id=id_of(batch),
        centre_id=id_of(centre),
        text=clean_text(report_in.text),
        source=DefectSource.CENTRE,
    )
    session.add(report)
    session.flush()
    return report


def report_public(*, session: Session, report: DefectReport) -> DefectReportPublic:
    batch = production.get_batch(session=session, batch_id=report.batch_id)
    centre = session.get(Account, report.centre_id) if report.centre_id else None
    return DefectReportPublic(
        id=id_of(report),
        batch_id=report.batch_id,
        source=DefectSource(report.source),
        centre_id=report.centre_id,
        centre_name=centre.name if centre else None,
        text=report.text,
        created_at=report.created_at,
        trace=production.trace_batch(session=session, batch=batch),
    )


def list_reports(*, session: Session, batch_id: int | None = None) -> list[DefectReportPublic]:
    """Reports newest first, each with its batch's trace."""
    query = select(DefectReport).order_by(col(DefectReport.id).desc()).limit(MAX_LISTED)
    if batch_id is not None:
        query = query.where(DefectReport.batch_id == batch_id)
    return [report_public(session=session, report=report) for report in session.exec(query)]


def held_batches(
    session: Session, *, active_only: bool, placed_since: datetime | None = None
) -> set[int]:
    """The batches the coordinator's holds reach (`services.quarantine`): goods delivered
    before the hold stay where they are, but their batch is held all the same."""
    query = select(Hold)
    if active_only:
        query = query.where(Hold.status == HoldStatus.ACTIVE)
    if placed_since is not None:
        query = query.where(Hold.placed_at >= placed_since)
    batches: set[int] = set()
    for hold in session.exec(query):
        batches |= quarantine.reach_of(session, hold).batches
    return batches
