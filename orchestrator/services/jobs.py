"""Print jobs as the API shows them, and a job reported done by hand.

The orchestrator drives jobs through their lifecycle; a maker whose printer runs without
an agent, or the coordinator, can also report a job done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from orchestrator.errors import Conflict, Forbidden, NotFound
from orchestrator.lifecycle import ON_PRINTER
from orchestrator.services import catalogue
from orchestrator.services.production import count_job_done
from orchestrator.tables import (
    QUEUE_ORDER,
    Account,
    Job,
    JobCreate,
    JobPublic,
    JobStatus,
    Maker,
    Order,
    Part,
    Printer,
    Role,
    id_of,
)

FINISHED = frozenset({JobStatus.DONE, JobStatus.CANCELLED})


def create_job(*, session: Session, job_in: JobCreate) -> Job:
    part = catalogue.part_by_key(session=session, key=job_in.part_key)
    if job_in.printer_id is not None and session.get(Printer, job_in.printer_id) is None:
        raise NotFound(f"Printer {job_in.printer_id} does not exist.")
    order = session.get(Order, job_in.order_id) if job_in.order_id is not None else None
    if job_in.order_id is not None and order is None:
        raise NotFound(f"Order {job_in.order_id} does not exist.")
    status = JobStatus.ASSIGNED if job_in.printer_id else JobStatus.QUEUED
    job = Job(
        part_id=id_of(part),
        copies=job_in.copies,
        printer_id=job_in.printer_id,
        order_id=job_in.order_id,
        needed_by=order.needed_by if order else None,
        status=status,
    )
    session.add(job)
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
        raise NotFound(f"Job {job_id} does not exist.")
    if account.role != Role.COORDINATOR:
        printer = session.get(Printer, job.printer_id) if job.printer_id else None
        if maker is None or printer is None or printer.maker_id != maker.id:
            raise Forbidden(f"Job {job_id} is not on one of your printers.")
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
        raise Conflict(f"Job {job.id} was cancelled; its parts cannot be counted.")
    if job.printer_id is None:
        raise Conflict(f"Job {job.id} has no printer yet, so no maker holds its parts.")
    if actor.role != Role.COORDINATOR and job.status not in MAKER_MAY_REPORT_DONE:
        raise Conflict(
            f"Job {job.id} is {job.status}: it never started on your printer, so it cannot "
            "be done. Start it first, or ask the coordinator."
        )
    if count_job_done(session=session, job=job, actor=actor):
        job.status = JobStatus.DONE
        job.done_at = job.updated_at = datetime.now(UTC)
        session.add(job)
        session.flush()
    return job


def cancel_job(*, session: Session, job: Job) -> int | None:
    """Cancel a job; returns the printer to tell to stop, if the job was on one."""
    if job.status in (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.AWAITING_CLEAR):
        raise Conflict(f"Job {job.id} is {job.status}: there is nothing left to cancel.")
    on_printer = job.printer_id if job.status in ON_PRINTER else None
    job.status = JobStatus.CANCELLED
    job.last_reason = "cancelled by the coordinator"
    job.updated_at = job.ended_at = datetime.now(UTC)
    session.add(job)
    session.flush()
    return on_printer
