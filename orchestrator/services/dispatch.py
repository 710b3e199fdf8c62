"""The dispatcher: plans jobs, gives free printers their next job, and sends it.

This is the edge around the pure planner and scheduler: it reads the state they need,
writes their decisions in one transaction, and publishes `start_job` commands after the
commit. Several orchestrator replicas can run it at once over PostgreSQL:
- queued jobs are claimed with `FOR UPDATE SKIP LOCKED`, so two replicas never take the
  same job;
- a partial unique index lets a printer hold one active job, so two replicas never give
  one printer two jobs (the loser's assignment is skipped).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.engine import is_postgres
from orchestrator.database.tables import (
    QUEUE_ORDER,
    Job,
    JobAttempt,
    Part,
    Printer,
    PrinterStatus,
    id_of,
)
from orchestrator.domain import lifecycle, weekly_hours
from orchestrator.domain.live_status import LiveStatus
from orchestrator.domain.scheduler import (
    Assignment,
    FreePrinter,
    Profile,
    QueuedJob,
    dispatch_round,
    learned_speed_factor,
    plate_estimates,
)
from orchestrator.domain.vocabulary import BEFORE_PRINTING, HOLDS_PRINTER, ON_PRINTER, JobStatus
from orchestrator.services.filament import FilamentLeft, filament_left, plate_grams
from orchestrator.services.jobs import apply_transition
from orchestrator.services.pauses import paused_printers
from orchestrator.services.planning import plate_capacity, profile_of
from printers.protocol.payloads import CommandKind, CommandPayload, PrinterState, now

log = logging.getLogger(__name__)

# --- dispatching ----------------------------------------------------------------------


def free_printers(
    session: Session, settings: Settings, live: dict[int, LiveStatus], moment: datetime
) -> list[FreePrinter]:
    """Online, idle, holding no job, not paused, and inside their availability hours. A
    printer allowed unattended prints may take a plate that ends after its window.

    Every orchestrator hears every printer's retained status, so its live board knows
    every printer that is online; the stored statuses stand in until it has heard any."""
    if live:
        states = {printer_id: s.state.value for printer_id, s in live.items()}
    else:
        states = {s.printer_id: s.state for s in session.exec(select(PrinterStatus))}
    busy = set(
        session.exec(
            select(Job.printer_id).where(
                col(Job.status).in_(HOLDS_PRINTER), col(Job.printer_id).is_not(None)
            )
        )
    )
    idle = [pid for pid, state in states.items() if state == PrinterState.IDLE and pid not in busy]
    paused = paused_printers(session, idle, moment)
    idle = [pid for pid in idle if pid not in paused]
    if not idle:
        return []
    zone = ZoneInfo(settings.timezone)
    speeds = speed_factors(session, idle)
    free = []
    for printer in session.exec(select(Printer).where(col(Printer.id).in_(idle))):
        try:
            window = weekly_hours.seconds_left(
                weekly_hours.parse(printer.availability_hours), moment, zone
            )
        except ValueError:
            # Hours are checked whenever they are set: only a row edited in the database
            # can hold unreadable ones. That printer is never free; the others are.
            log.debug("printer %s has unreadable hours %r", printer.id, printer.availability_hours)
            continue
        if window is None:
            continue
        if printer.unattended_prints:
            window = math.inf  # it may start now, and run past the window's end
        free.append(
            FreePrinter(
                id_of(printer),
                printer.maker_id,
                profile_of(printer),
                speeds.get(id_of(printer), 1.0),
                window,
            )
        )
    return free


def speed_factors(session: Session, printer_ids: list[int], history: int = 10) -> dict[int, float]:
    """Each printer's learned speed factor (`learned_speed_factor`) from its last plates."""
    ratios = speed_ratios(session, printer_ids, history)
    return {pid: learned_speed_factor(values) for pid, values in ratios.items()}


def speed_ratios(
    session: Session, printer_ids: list[int], history: int = 10
) -> dict[int, list[float]]:
    """Actual over estimated time of each printer's last `history` plates done."""
    ratios: dict[int, list[float]] = defaultdict(list)
    rows = session.exec(
        select(JobAttempt)
        .where(
            col(JobAttempt.printer_id).in_(printer_ids),
            JobAttempt.outcome == "done",
            col(JobAttempt.started_at).is_not(None),
            col(JobAttempt.estimated_seconds).is_not(None),
        )
        .order_by(col(JobAttempt.id).desc())
    )
    for attempt in rows:
        if len(ratios[attempt.printer_id]) >= history:
            continue
        assert attempt.started_at is not None and attempt.ended_at is not None
        actual = (attempt.ended_at - attempt.started_at).total_seconds()
        if attempt.estimated_seconds:
            ratios[attempt.printer_id].append(actual / attempt.estimated_seconds)
    return ratios


def maker_load(session: Session, since: datetime) -> dict[int, int]:
    """Work in hand per maker: active jobs plus those finished lately."""
    rows = session.exec(
        select(Printer.maker_id, func.count(col(Job.id)))
        .join(Printer, col(Job.printer_id) == Printer.id)
        .where(col(Job.status).in_(HOLDS_PRINTER) | (col(Job.done_at) >= since))
        .group_by(col(Printer.maker_id))
    )
    return {maker_id: int(count) for maker_id, count in rows}


def claim_queued(session: Session, limit: int, materials: set[str]) -> list[tuple[Job, Part]]:
    """The first `limit` queued jobs of each part the free printers could print (in one
    of its materials), locked for us. Per part, so that a printer too small for the part
    at the head of the queue still finds the work it can do further down."""
    parts = [
        part
        for part in session.exec(select(Part).order_by(col(Part.id)))
        if materials.intersection(part.materials)
    ]
    claimed = []
    for part in parts:
        query = (
            select(Job)
            .where(Job.part_id == part.id, Job.status == JobStatus.QUEUED)
            .where(col(Job.flagged).is_(False))
            .order_by(*QUEUE_ORDER)
            .limit(limit)
        )
        if is_postgres(session):
            query = query.with_for_update(skip_locked=True)
        claimed += [(job, part) for job in session.exec(query)]
    return claimed


def failed_printers(session: Session, job_ids: list[int]) -> dict[int, frozenset[int]]:
    avoid: dict[int, set[int]] = defaultdict(set)
    for attempt in session.exec(
        select(JobAttempt).where(
            col(JobAttempt.job_id).in_(job_ids), col(JobAttempt.outcome).in_(["failed", "lost"])
        )
    ):
        avoid[attempt.job_id].add(attempt.printer_id)
    return {job_id: frozenset(ids) for job_id, ids in avoid.items()}


def assign(
    session: Session,
    settings: Settings,
    live: dict[int, LiveStatus],
    moment: datetime,
    estimate_for: Callable[[Part, Printer, int], float | None],
    grams_for: Callable[[Part, Printer, int], float | None] | None = None,
) -> list[tuple[Job, Printer, Assignment]]:
    """Choose and record assignments; the caller commits, then sends the commands.

    `grams_for` gives a plate's filament (the slicer's grams; the catalogue's estimate
    stands in without it). A printer whose maker's filament is tracked gets no job their
    filament does not cover, after what their jobs in flight will use."""
    free = free_printers(session, settings, live, moment)
    if not free:
        return []
    materials = {printer.profile.material.upper() for printer in free}
    claimed = claim_queued(session, limit=max(4 * len(free), 100), materials=materials)
    if not claimed:
        return []
    printers = {
        p.id: p
        for p in session.exec(
            select(Printer).where(col(Printer.id).in_([f.printer_id for f in free]))
        )
    }
    by_profile = {profile_of(p): p for p in printers.values()}
    part_by_key = {part.key: part for _job, part in claimed}
    job_part = {id_of(job): part.key for job, part in claimed}
    avoid = failed_printers(session, [id_of(job) for job, _part in claimed])

    whole_plate, part_of_plate = plate_estimates(
        lambda part_key, copies, profile: estimate_for(
            part_by_key[part_key], by_profile[profile], copies
        ),
        lambda part_key, profile: plate_capacity(part_by_key[part_key], profile),
    )

    plate_grams_cache: dict[tuple[str, int, Profile], float | None] = {}

    def grams_of(part_key: str, copies: int, profile: Profile) -> float | None:
        """The grams of the plate a printer of `profile` prints of a job of `copies`."""
        key = (part_key, copies, profile)
        if key not in plate_grams_cache:
            part = part_by_key[part_key]
            fits = min(plate_capacity(part, profile), copies)
            sliced = grams_for(part, by_profile[profile], fits) if grams_for and fits else None
            plate_grams_cache[key] = sliced if sliced is not None else plate_grams(part, fits)
        return plate_grams_cache[key]

    supply = filament_left(session, {printer.maker_id for printer in free})
    short_of_filament = filament_shortages(claimed, free, supply, grams_of)

    queued = [
        QueuedJob(
            id_of(job),
            part.key,
            job.copies,
            part.materials,
            None,
            job.needed_by,
            job.priority,
            avoid.get(id_of(job), frozenset())
            | short_of_filament.get((part.key, job.copies), NONE),
        )
        for job, part in claimed
    ]
    load = maker_load(session, moment - timedelta(days=1))
    decisions = dispatch_round(queued, free, whole_plate, part_of_plate, load)
    jobs = {id_of(job): job for job, _part in claimed}
    made = []
    for decision in decisions:
        job, printer = jobs[decision.job_id], printers[decision.printer_id]
        part = part_by_key[job_part[decision.job_id]]
        fits = min(plate_capacity(part, profile_of(printer)), decision.copies or job.copies)
        grams = grams_of(part.key, min(fits, job.copies), profile_of(printer))
        # Two printers of one maker may have been given work from the same spool.
        material = printer.material.upper()
        if not supply.covers(printer.maker_id, material, grams):
            continue
        try:
            with session.begin_nested():
                if fits < job.copies:
                    session.add(split_off(job, job.copies - fits))
                    job.copies = fits
                change = lifecycle.assign(
                    job.status, decision.printer_id, decision.estimated_seconds
                )
                assert change is not None  # claimed while queued, and locked since
                apply_transition(session, job, change, moment)
                job.grams = round(grams) if grams is not None else None
                job.material = material
                session.flush()
        except IntegrityError:
            # Another replica gave this printer a job first.
            session.refresh(job)
            continue
        supply.use(printer.maker_id, material, grams)
        made.append((job, printer, decision))
    return made


NONE: frozenset[int] = frozenset()


def filament_shortages(
    claimed: list[tuple[Job, Part]],
    free: list[FreePrinter],
    supply: FilamentLeft,
    grams_of: Callable[[str, int, Profile], float | None],
) -> dict[tuple[str, int], frozenset[int]]:
    """(part key, copies) -> the free printers whose tracked maker's filament of the
    material they have loaded does not cover that plate: the scheduler must not choose
    them for it. Only tracked makers' printers loaded with one of the part's materials
    are looked at."""
    tracked = [printer for printer in free if printer.maker_id in supply.tracked]
    if not tracked:
        return {}
    shortages = {}
    parts = {part.key: part for _job, part in claimed}
    for part_key, copies in {(part.key, job.copies) for job, part in claimed}:
        materials = parts[part_key].materials
        short = frozenset(
            printer.printer_id
            for printer in tracked
            if printer.profile.material.upper() in materials
            and not supply.covers(
                printer.maker_id,
                printer.profile.material,
                grams_of(part_key, copies, printer.profile),
            )
        )
        if short:
            shortages[part_key, copies] = short
    return shortages


def split_off(job: Job, copies: int) -> Job:
    """A queued job for `copies` of `job`'s plate, in its place in the queue."""
    return Job(
        part_id=job.part_id,
        copies=copies,
        order_id=job.order_id,
        needed_by=job.needed_by,
        priority=job.priority,
    )


def start_command(settings: Settings, job: Job) -> CommandPayload:
    assert job.command_id is not None and job.gcode_sha256 is not None
    return CommandPayload(
        command_id=job.command_id,
        kind=CommandKind.START_JOB,
        job_id=str(job.id),
        gcode_url=f"{settings.public_url.rstrip('/')}/api/v1/jobs/{job.id}/gcode",
        sha256=job.gcode_sha256,
        ts=now(),
    )


def mark_sent(session: Session, job_ids: list[int], moment: datetime) -> None:
    """The start commands went out now: a re-sent one waits a whole timeout again."""
    for job in session.exec(
        select(Job).where(col(Job.id).in_(job_ids), col(Job.status).in_(BEFORE_PRINTING))
    ):
        change = lifecycle.send(job.status)
        assert change is not None
        apply_transition(session, job, change, moment)


# --- timeouts and reconciliation ------------------------------------------------------


def unacknowledged(
    session: Session, settings: Settings, live: dict[int, LiveStatus], moment: datetime
) -> list[Job]:
    """Jobs told to a printer that has not started them: to be sent again, same command.

    A printer that reports printing this very job has started it (its PrintStarted is on
    its way), so it is never sent a second time. A job the dispatcher assigned a moment
    ago is left to it: it sends the command just after its commit (in another replica,
    perhaps), so only one assigned longer ago than a start may take (that dispatcher
    stopped in between) is sent again. A job assigned by hand has no dispatcher: it has
    no G-code yet (the dispatcher's jobs get theirs as they are assigned), and is sent
    at once."""
    deadline = moment - timedelta(seconds=settings.start_ack_timeout_seconds)
    jobs = list(
        session.exec(
            select(Job).where(
                (
                    (col(Job.status) == JobStatus.ASSIGNED)
                    & (col(Job.gcode_sha256).is_(None) | (col(Job.assigned_at) < deadline))
                )
                | ((col(Job.status) == JobStatus.SENT) & (col(Job.sent_at) < deadline))
            )
        )
    )
    # The database's copy only for printers this orchestrator has not heard since it started.
    unheard = {job.printer_id for job in jobs if job.printer_id and job.printer_id not in live}
    stored = {
        s.printer_id: s
        for s in session.exec(
            select(PrinterStatus).where(col(PrinterStatus.printer_id).in_(unheard))
        )
    }
    resend = []
    for job in jobs:
        status = live.get(job.printer_id or 0) or stored.get(job.printer_id or 0)
        if status is None:
            continue
        state, reported_job = str(status.state), status.job_id
        if reported_job == str(job.id) and state != PrinterState.IDLE:
            continue
        if state == PrinterState.IDLE:
            resend.append(job)
    return resend


def lose_prints_forgotten(
    session: Session, settings: Settings, live: dict[int, LiveStatus], moment: datetime
) -> list[Job]:
    """Printing jobs whose printer has reported idle, with no job, for `lost_print_seconds`
    since the print started: it restarted (a power cut, a reboot) and its print is gone.
    They are lost and printed again, as if the printer had stayed offline."""
    margin = timedelta(seconds=settings.lost_print_seconds)
    idle_long = {
        printer_id
        for printer_id, status in live.items()
        if status.idle_since is not None and status.idle_since < moment - margin
    }
    if not idle_long:
        return []
    printing = session.exec(
        select(Job)
        .where(col(Job.printer_id).in_(idle_long), Job.status == JobStatus.PRINTING)
        .with_for_update()
    )
    forgotten = [
        job for job in printing if job.started_at is None or job.started_at < moment - margin
    ]
    for job in forgotten:
        apply_transition(
            session, job, lifecycle.lost(job.attempts, settings.max_job_attempts), moment
        )
    return forgotten


def lose_jobs_of_offline_printers(
    session: Session, settings: Settings, moment: datetime
) -> list[Job]:
    grace = moment - timedelta(seconds=settings.offline_grace_seconds)
    offline = set(
        session.exec(
            select(PrinterStatus.printer_id).where(
                PrinterStatus.state == PrinterState.OFFLINE,
                col(PrinterStatus.offline_since) < grace,
            )
        )
    )
    if not offline:
        return []
    lost_jobs = list(
        session.exec(
            select(Job).where(
                col(Job.printer_id).in_(offline),
                col(Job.status).in_(ON_PRINTER),
            )
        )
    )
    for job in lost_jobs:
        apply_transition(
            session, job, lifecycle.lost(job.attempts, settings.max_job_attempts), moment
        )
    return lost_jobs
