"""Print jobs as the API shows them, and a job reported done by hand.

The orchestrator drives jobs through their lifecycle; a maker whose printer runs without
an agent, or the coordinator, can also report a job done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from orchestrator.api.schemas import JobCreate, JobPublic
from orchestrator.database.tables import (
    QUEUE_ORDER,
    Account,
    Contact,
    Job,
    JobAttempt,
    Maker,
    Order,
    Part,
    Printer,
    id_of,
)
from orchestrator.domain import lifecycle
from orchestrator.domain.errors import Conflict, Forbidden, NotFound
from orchestrator.domain.lifecycle import Transition
from orchestrator.domain.vocabulary import ON_PRINTER, JobStatus, MessageKind, Role
from orchestrator.services import catalogue
from orchestrator.services.notifications import notify, notify_role, withdraw_messages
from orchestrator.services.production import count_job_done


def create_job(*, session: Session, job_in: JobCreate) -> Job:
    part = catalogue.part_by_key(session=session, key=job_in.part_key)
    if job_in.printer_id is not None and session.get(Printer, job_in.printer_id) is None:
        raise NotFound(
            f"Printer {job_in.printer_id} does not exist.",
            code="printer_not_found",
            printer=job_in.printer_id,
        )
    order = session.get(Order, job_in.order_id) if job_in.order_id is not None else None
    if job_in.order_id is not None and order is None:
        raise NotFound(
            f"Order {job_in.order_id} does not exist.",
            code="order_not_found",
            order=job_in.order_id,
        )
    job = Job(
        part_id=id_of(part),
        copies=job_in.copies,
        order_id=job_in.order_id,
        needed_by=order.needed_by if order else None,
    )
    session.add(job)
    session.flush()
    if job_in.printer_id is not None:
        # Given to a printer by hand: the orchestrator slices and sends it.
        change = lifecycle.assign(job.status, job_in.printer_id, estimated_seconds=None)
        assert change is not None
        apply_transition(session, job, change, datetime.now(UTC))
        session.flush()
    return job


def visible_jobs(
    *,
    session: Session,
    account: Account,
    maker: Maker | None,
    status: JobStatus | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Job]:
    query = select(Job)
    if account.role != Role.COORDINATOR:
        assert maker is not None
        query = query.join(Printer).where(Printer.maker_id == maker.id)
    if status is None:
        query = query.order_by(col(Job.id))
    else:
        query = query.where(Job.status == status).order_by(*QUEUE_ORDER)
    return list(session.exec(query.offset(offset).limit(limit)))


def visible_job(*, session: Session, account: Account, maker: Maker | None, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} does not exist.", code="job_not_found", job=job_id)
    if account.role != Role.COORDINATOR:
        printer = session.get(Printer, job.printer_id) if job.printer_id else None
        if maker is None or printer is None or printer.maker_id != maker.id:
            raise Forbidden(
                f"Job {job_id} is not on one of your printers.", code="job_not_yours", job=job_id
            )
    return job


def jobs_public(*, session: Session, jobs: Sequence[Job]) -> list[JobPublic]:
    """Jobs as the API shows them, their parts' keys read in one query for all."""
    part_ids = {job.part_id for job in jobs}
    keys = dict(session.exec(select(Part.id, Part.key).where(col(Part.id).in_(part_ids))).all())
    return [JobPublic.model_validate(job, update={"part_key": keys[job.part_id]}) for job in jobs]


def job_public(*, session: Session, job: Job) -> JobPublic:
    (public,) = jobs_public(session=session, jobs=[job])
    return public


# A maker reports done only a print that really started on their printer; the
# coordinator may also close a job the printer never reported starting.
MAKER_MAY_REPORT_DONE = frozenset({JobStatus.PRINTING, JobStatus.AWAITING_CLEAR, JobStatus.DONE})


def report_done(*, session: Session, job: Job, actor: Account) -> Job:
    """Mark a job done and count its parts once; reporting it again changes nothing."""
    if job.status == JobStatus.CANCELLED:
        raise Conflict(
            f"Job {job.id} was cancelled; its parts cannot be counted.",
            code="job_cancelled_cannot_count",
            job=job.id,
        )
    if job.printer_id is None:
        raise Conflict(
            f"Job {job.id} has no printer yet, so no maker holds its parts.",
            code="job_has_no_printer_for_parts",
            job=job.id,
        )
    if actor.role != Role.COORDINATOR and job.status not in MAKER_MAY_REPORT_DONE:
        raise Conflict(
            f"Job {job.id} is {job.status}: it never started on your printer, so it cannot "
            "be done. Start it first, or ask the coordinator.",
            code="job_never_started",
            job=job.id,
            job_status=job.status,
        )
    change = lifecycle.reported_done(job.status)
    if change is not None:
        apply_transition(session, job, change, datetime.now(UTC), actor=actor)
        session.flush()
    return job


def cancel_job(*, session: Session, job: Job) -> int | None:
    """Cancel a job; returns the printer to tell to stop, if the job was on one."""
    change = lifecycle.cancel(job.status)
    if change is None:
        raise Conflict(
            f"Job {job.id} is {job.status}: there is nothing left to cancel.",
            code="job_nothing_to_cancel",
            job=job.id,
            job_status=job.status,
        )
    on_printer = job.printer_id if job.status in ON_PRINTER else None
    apply_transition(session, job, change, datetime.now(UTC))
    session.flush()
    return on_printer


def apply_transition(
    session: Session, job: Job, change: Transition, now: datetime, actor: Account | None = None
) -> None:
    """The one writer of a job's status: applies a lifecycle transition to the job and its
    attempts, the same way whoever asked for it (`actor`: the person, for the ledger).
    The people the change concerns are told in the same transaction (`tell_people`)."""
    printer_before, attempts_before = job.printer_id, job.attempts
    attempt = session.exec(
        select(JobAttempt)
        .where(JobAttempt.job_id == job.id, col(JobAttempt.ended_at).is_(None))
        .order_by(col(JobAttempt.id).desc())
    ).first()
    if change.printer_id is not None:
        job.printer_id = change.printer_id
        job.command_id = f"start-{job.id}-{job.attempts}"
        job.estimated_seconds = change.estimated_seconds
        job.assigned_at = now
        attempt = JobAttempt(
            job_id=id_of(job),
            printer_id=change.printer_id,
            estimated_seconds=change.estimated_seconds,
            assigned_at=now,
        )
    if change.status == JobStatus.SENT:
        job.sent_at = now
    if change.status == JobStatus.PRINTING:
        job.started_at = now
        if attempt is not None:
            attempt.started_at = now
    if change.count_parts:
        count_job_done(session=session, job=job, actor=actor)
    if change.attempt_outcome:
        job.ended_at = now
        if attempt is not None:
            attempt.outcome, attempt.reason, attempt.ended_at = (
                change.attempt_outcome,
                change.reason,
                now,
            )
    if attempt is not None:
        session.add(attempt)
    if change.status == JobStatus.DONE:
        job.done_at = now
    if change.requeued or change.flagged:
        job.attempts += 1
        job.printer_id = None
        job.command_id = None
    job.status = change.status
    job.flagged = job.flagged or change.flagged
    job.last_reason = change.reason or job.last_reason
    job.updated_at = now
    session.add(job)
    tell_people(session, job, change, printer_before, attempts_before, now)


# --- who is told what a job's change means -------------------------------------------

MAKER_PAGE = "/maker"
BOARD_PAGE = "/board"


def bed_keys(job_id: int) -> tuple[str, str]:
    """The outbox keys of a job's "bed to clear" and of its reminder."""
    return f"bed:{job_id}", f"bed-reminder:{job_id}"


def tell_people(
    session: Session,
    job: Job,
    change: Transition,
    printer_id: int | None,
    attempts_before: int,
    now: datetime,
) -> None:
    """Queue what a job's change means for people: its maker's bed to clear (and a
    reminder), its failure, or, after its last attempt, the coordinator's look.
    `printer_id` and `attempts_before` are the job's before the change, which re-queues
    it off its printer."""
    if change.status == JobStatus.DONE:
        # The bed is cleared: a message still waiting to say so has no more reason to go.
        withdraw_messages(session, bed_keys(id_of(job)), why="the bed was cleared first")
        return
    failed = change.attempt_outcome in ("failed", "lost")
    if change.status != JobStatus.AWAITING_CLEAR and not failed:
        return  # assigned, sent, printing, cancelled: nothing anyone needs to act on
    printer = session.get(Printer, printer_id) if printer_id is not None else None
    if printer is None:
        return
    maker = session.get(Maker, printer.maker_id)
    assert maker is not None
    params = job_params(session, job, printer)
    if change.status == JobStatus.AWAITING_CLEAR:
        told, reminder = bed_keys(id_of(job))
        notify(
            session,
            account_id=maker.account_id,
            kind=MessageKind.BED_TO_CLEAR,
            params=params,
            link=MAKER_PAGE,
            dedup_key=told,
        )
        minutes = bed_reminder_minutes(session, maker.account_id)
        if minutes is not None:
            notify(
                session,
                account_id=maker.account_id,
                kind=MessageKind.BED_STILL_WAITING,
                params={**params, "minutes": minutes},
                link=MAKER_PAGE,
                dedup_key=reminder,
                not_before=now + timedelta(minutes=minutes),
            )
    if failed:
        failure = {
            **params,
            "reason": change.reason,
            "lost": change.attempt_outcome == "lost",
            "attempt": attempts_before + 1,
            "will_retry": not change.flagged,
        }
        notify(
            session,
            account_id=maker.account_id,
            kind=MessageKind.JOB_FAILED,
            params=failure,
            link=MAKER_PAGE,
            dedup_key=f"job-failed:{job.id}:{attempts_before}",
        )
        if change.flagged:
            notify_role(
                session,
                kind=MessageKind.JOB_FLAGGED,
                params={**failure, "maker": maker.display_name},
                link=BOARD_PAGE,
                dedup_key=f"job-flagged:{job.id}:{attempts_before}",
            )


def job_params(session: Session, job: Job, printer: Printer) -> dict[str, Any]:
    """What a message about a job says: its printer, its part (in both languages: the
    text is written in the person's own when sent) and how many copies."""
    part = session.get(Part, job.part_id)
    assert part is not None
    return {
        "job_id": job.id,
        "printer": printer.name,
        "printer_id": printer.id,
        "part_key": part.key,
        "part_fr": part.name_fr,
        "part_en": part.name_en,
        "copies": job.copies,
        "order_id": job.order_id,
    }


DEFAULT_BED_REMINDER_MINUTES: int | None = Contact.model_fields["bed_reminder_minutes"].default


def bed_reminder_minutes(session: Session, account_id: int) -> int | None:
    """The delay the maker chose before "your bed still waits" (None: no reminder)."""
    contact = session.get(Contact, account_id)
    return contact.bed_reminder_minutes if contact is not None else DEFAULT_BED_REMINDER_MINUTES
