"""Printer events applied to jobs through the path the bridge's writer takes
(`printer_link.store_events`): duplicated and reordered events, as at-least-once delivery
and several replicas produce them."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Movement, Part, PrinterStatus
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.link.status_cache import StatusCache
from orchestrator.services import printer_link
from orchestrator.services.dispatch import (
    assign,
    lose_jobs_of_offline_printers,
    lose_prints_forgotten,
    unacknowledged,
)
from printers.protocol.payloads import EventKind, EventPayload, PrinterState, StatusPayload
from tests.conftest import makers_printer

ids = itertools.count(1)


def event(kind: EventKind, job_id: int, event_id: str | None = None) -> EventPayload:
    return EventPayload(
        event_id=event_id or f"e{next(ids)}", kind=kind, job_id=str(job_id), ts=time.time()
    )


@pytest.fixture
def job_on_printer(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        printer = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        part = session.exec(select(Part).where(Part.key == "headband")).one()
        job = Job(part_id=part.id or 0, copies=2, printer_id=printer.id, status=JobStatus.SENT)
        session.add(job)
        session.commit()
        return printer.id, job.id or 0


def deliver(engine: Engine, printer_id: int, payload: EventPayload) -> int | None:
    """Store one event as the bridge's writer does (`store_events`, one transaction): None
    for a duplicate, else the id of the job it changed, or 0."""
    with Session(engine) as session:
        (outcome,) = printer_link.store_events(session, [(printer_id, payload)], max_attempts=3)
        session.commit()
    return outcome


def state(engine: Engine, job_id: int) -> tuple[str, int]:
    with Session(engine) as session:
        job = session.get(Job, job_id)
        counted = session.exec(
            select(func.coalesce(func.sum(Movement.delta), 0)).where(
                Movement.job_id == job_id, Movement.stage == "at_maker"
            )
        ).one()
        assert job is not None
        return job.status, int(counted)


@pytest.mark.parametrize(
    "order",
    [
        [EventKind.PRINT_STARTED, EventKind.PRINT_DONE, EventKind.BED_CLEARED],
        [EventKind.BED_CLEARED, EventKind.PRINT_DONE, EventKind.PRINT_STARTED],
        [EventKind.PRINT_DONE, EventKind.PRINT_STARTED, EventKind.BED_CLEARED],
        [EventKind.PRINT_DONE, EventKind.BED_CLEARED, EventKind.PRINT_STARTED],
    ],
)
def test_any_order_ends_done_with_parts_counted_once(
    engine: Engine, job_on_printer: tuple[int, int], order: list[EventKind]
) -> None:
    printer_id, job_id = job_on_printer
    for kind in order:
        deliver(engine, printer_id, event(kind, job_id))
    assert state(engine, job_id) == (JobStatus.DONE, 2)


def test_duplicates_with_the_same_or_a_new_id_change_nothing(
    engine: Engine, job_on_printer: tuple[int, int]
) -> None:
    printer_id, job_id = job_on_printer
    done = event(EventKind.PRINT_DONE, job_id, "done-1")
    outcomes = [
        deliver(engine, printer_id, payload)
        for payload in (done, done, event(EventKind.PRINT_DONE, job_id))
    ]
    assert outcomes == [job_id, None, 0]  # changed the job; not stored again; stored, no change
    assert state(engine, job_id) == (JobStatus.AWAITING_CLEAR, 2)


def test_an_event_from_another_printer_is_ignored(
    engine: Engine, job_on_printer: tuple[int, int]
) -> None:
    _printer_id, job_id = job_on_printer
    with Session(engine) as session:
        other = makers_printer(session, "Dominique", "MK3", (250, 210, 210))
        session.commit()
    assert deliver(engine, other.id, event(EventKind.PRINT_DONE, job_id)) == 0  # stored only
    assert state(engine, job_id) == (JobStatus.SENT, 0)


def test_a_failure_requeues_the_job_away_from_its_printer(
    engine: Engine, job_on_printer: tuple[int, int]
) -> None:
    printer_id, job_id = job_on_printer
    failed = event(EventKind.PRINT_FAILED, job_id)
    deliver(engine, printer_id, failed)
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.printer_id, job.attempts) == (JobStatus.QUEUED, None, 1)


def test_a_start_never_acknowledged_is_sent_again_unless_the_printer_runs_it(
    engine: Engine, job_on_printer: tuple[int, int], settings: Settings
) -> None:
    printer_id, job_id = job_on_printer
    now = datetime.now(UTC)
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.sent_at = now - timedelta(seconds=settings.start_ack_timeout_seconds + 1)
        session.add(job)
        session.add(PrinterStatus(printer_id=printer_id, state="idle", last_seen_at=now))
        session.commit()
        assert [j.id for j in unacknowledged(session, settings, {}, now)] == [job_id]
        status = session.get(PrinterStatus, printer_id)
        assert status is not None
        status.state, status.job_id = "printing", str(job_id)
        session.add(status)
        session.commit()
        assert unacknowledged(session, settings, {}, now) == []


def test_a_job_assigned_a_moment_ago_is_left_to_its_dispatcher(
    engine: Engine, job_on_printer: tuple[int, int], settings: Settings
) -> None:
    """A dispatcher (in another replica, perhaps) commits the assignment, then sends the
    command: a sweep in between must not send it a second time."""
    printer_id, job_id = job_on_printer
    now = datetime.now(UTC)
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.assigned_at, job.sent_at = JobStatus.ASSIGNED, now, None
        job.gcode_sha256 = "0" * 64  # the dispatcher's jobs get their G-code as assigned
        session.add(job)
        session.add(PrinterStatus(printer_id=printer_id, state="idle", last_seen_at=now))
        session.commit()
        later = now + timedelta(seconds=settings.start_ack_timeout_seconds + 1)

        assert unacknowledged(session, settings, {}, now) == []
        assert [j.id for j in unacknowledged(session, settings, {}, later)] == [job_id]


def test_a_printer_offline_past_its_grace_loses_its_job(
    engine: Engine, job_on_printer: tuple[int, int], settings: Settings
) -> None:
    printer_id, job_id = job_on_printer
    now = datetime.now(UTC)
    with Session(engine) as session:
        since = now - timedelta(seconds=settings.offline_grace_seconds + 1)
        session.add(
            PrinterStatus(
                printer_id=printer_id, state="offline", last_seen_at=since, offline_since=since
            )
        )
        session.commit()
        lost_jobs = lose_jobs_of_offline_printers(session, settings, now)
        session.commit()
        assert [j.id for j in lost_jobs] == [job_id]
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.printer_id, job.last_reason) == (
            JobStatus.QUEUED,
            None,
            "the printer went offline during the job",
        )


def test_a_printer_back_idle_without_its_print_loses_its_job_once_idle_long_enough(
    engine: Engine, job_on_printer: tuple[int, int], settings: Settings
) -> None:
    printer_id, job_id = job_on_printer
    deliver(engine, printer_id, event(EventKind.PRINT_STARTED, job_id))
    start = datetime.now(UTC)
    margin = timedelta(seconds=settings.lost_print_seconds)
    statuses = StatusCache()

    def report(state: PrinterState, seq: int, at: datetime, job: str | None = None) -> None:
        status = StatusPayload(state=state, job_id=job, seq=seq, ts=at.timestamp())
        statuses.apply(printer_id, status, at)

    def lost_at(moment: datetime) -> list[int]:
        with Session(engine) as session:
            lost_jobs = lose_prints_forgotten(session, settings, statuses.snapshot(), moment)
            session.commit()
            return [j.id or 0 for j in lost_jobs]

    report(PrinterState.PRINTING, 1, start, job=str(job_id))
    assert lost_at(start + 2 * margin) == []  # printing it: all is well
    report(PrinterState.IDLE, 2, start + margin)  # rebooted, its print gone
    report(PrinterState.IDLE, 3, start + 1.5 * margin)  # still idle: the clock runs on
    assert lost_at(start + 1.5 * margin) == []  # not yet long enough
    assert lost_at(start + 2 * margin + timedelta(seconds=1)) == [job_id]
    assert state(engine, job_id) == (JobStatus.QUEUED, 0)
    assert lost_at(start + 3 * margin) == []  # lost once


def test_a_small_printer_takes_what_its_bed_holds_from_further_down_the_queue(
    engine: Engine, settings: Settings
) -> None:
    """A Prusa MINI's bed is too small for a headband, and holds 3 hooks where the planner
    cut plates of 6 for a reference bed. With 150 headbands at the head of the queue (more
    than one claim takes), it still gets 3 hooks, and the other 3 stay queued."""
    today = datetime.now(UTC).date()
    with Session(engine) as session:
        mini = makers_printer(session, "Inès", "MINI", (180, 180, 180))
        session.add(PrinterStatus(printer_id=mini.id, state="idle"))
        part_id = {part.key: part.id or 0 for part in session.exec(select(Part))}
        for _ in range(150):
            session.add(Job(part_id=part_id["headband"], copies=1, needed_by=today))
        later = today + timedelta(days=9)
        hooks = Job(part_id=part_id["amicroche"], copies=6, needed_by=later, priority=2)
        session.add(hooks)
        session.commit()

        made = assign(session, settings, {}, datetime.now(UTC), lambda *_: 600.0)
        session.commit()

        assert [(job.id, printer.id, job.copies) for job, printer, _ in made] == [
            (hooks.id, mini.id, 3)
        ]
        rest = session.exec(
            select(Job).where(Job.part_id == part_id["amicroche"], Job.status == "queued")
        ).one()
        assert (rest.copies, rest.needed_by, rest.priority) == (3, later, 2)
