"""Print jobs: makers see their printers' jobs; the coordinator sees and creates any."""

from __future__ import annotations

from fastapi import Query

from orchestrator.api.deps import (
    ActingMaker,
    CommandsDep,
    Coordinator,
    MakerOrCoordinator,
    RowId,
    SessionDep,
)
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import JobCreate, JobPublic
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.link.commands import command
from orchestrator.services import jobs
from printers.protocol.payloads import CommandKind

router = api_router(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[JobPublic])
def list_jobs(
    session: SessionDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
    status: JobStatus | None = None,
    limit: int | None = Query(default=None, ge=1, le=10_000, description="At most this many."),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> list[JobPublic]:
    """Jobs by id; with a status, in the order the dispatcher takes them (earliest
    needed-by date first, then priority)."""
    found = jobs.visible_jobs(
        session=session, account=account, maker=maker, status=status, limit=limit, offset=offset
    )
    return jobs.jobs_public(session=session, jobs=found)


@router.post("", response_model=JobPublic, status_code=201)
def create_job(job_in: JobCreate, session: SessionDep, _coordinator: Coordinator) -> JobPublic:
    """Create a job by hand; the planner creates the others."""
    created = jobs.job_public(session=session, job=jobs.create_job(session=session, job_in=job_in))
    session.commit()
    return created


@router.get("/{job_id}", response_model=JobPublic)
def read_job(
    job_id: RowId, session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> JobPublic:
    job = jobs.visible_job(session=session, account=account, maker=maker, job_id=job_id)
    return jobs.job_public(session=session, job=job)


@router.post("/{job_id}/done", response_model=JobPublic)
def report_job_done(
    job_id: RowId, session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> JobPublic:
    """Report a job printed (for a printer without an agent). Its parts count once."""
    job = jobs.visible_job(session=session, account=account, maker=maker, job_id=job_id)
    done = jobs.job_public(
        session=session, job=jobs.report_done(session=session, job=job, actor=account)
    )
    session.commit()
    return done


@router.post("/{job_id}/cancel", response_model=JobPublic)
def cancel_job(
    job_id: RowId, session: SessionDep, account: Coordinator, commands: CommandsDep
) -> JobPublic:
    """Cancel a job. If it is on a printer, the printer is told to stop."""
    job = jobs.visible_job(session=session, account=account, maker=None, job_id=job_id)
    printer_id = jobs.cancel_job(session=session, job=job)
    cancelled = jobs.job_public(session=session, job=job)
    session.commit()
    if printer_id is not None:
        commands.send(printer_id, command(CommandKind.CANCEL, job_id=str(job_id)))
    return cancelled
