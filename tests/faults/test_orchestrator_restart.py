"""The orchestrator under faults: killed mid-run and restarted, and two replicas at once.

Both run real processes (`makerline orchestrate`, `makerline simulate`) against a real
Mosquitto and PostgreSQL, and check the ledger and the jobs' history afterwards: every job
dispatched once, its parts counted once, and production finished.

A job may be *sent* more than once: a replica re-sends a start whose acknowledgement (the
printer's PrintStarted, then its status) it has not seen within the 5 s timeout, which
happens on a loaded machine. What must hold is that each job is assigned and attempted
once, its re-sends carry its one command id, and each printer prints it at most once.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from sqlmodel import Session, select

from orchestrator.database.tables import JobAttempt, PrinterEvent
from tests.faults.conftest import Line
from tests.faults.soundness import (
    assert_one_print_at_a_time,
    assert_sound,
    done_jobs,
    parts_counted,
    prints_started,
    start_commands,
)

pytestmark = pytest.mark.faults


def test_sigkill_mid_run_then_restart_loses_and_repeats_nothing(line: Line) -> None:
    line.register_printers(3)
    first = line.orchestrate("first")
    line.simulate()
    line.order_visors(9)
    line.wait(lambda: line.printing() >= 2, "printers printing", 180)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    at_fault = done_jobs(line.engine)
    # Restarted under its name, it resumes its broker session: events sent while it was
    # dead wait there for it.
    line.orchestrate("first")
    line.wait_all_done(9, 240)
    assert done_jobs(line.engine) > at_fault
    assert parts_counted(line.engine) == 9
    assert sum(j.copies for j in line.jobs()) == 9
    assert all(j.attempts == 0 for j in line.jobs())  # no job started twice
    assert_sound(line.engine, line.commands(), line.printer_events())
    assert_one_print_at_a_time(line.printer_events())
    logs = line.logs()  # the orchestrators' and the simulated agents' output
    assert "start_job" in logs or "planned" in logs
    assert not [token for token in line.credentials.values() if token in logs]


def test_two_replicas_dispatch_each_job_exactly_once(line: Line) -> None:
    line.register_printers(8)
    line.simulate(speed=40_000.0)
    line.orchestrate("replica-a", "makerline")
    line.orchestrate("replica-b", "makerline")
    line.order_visors(40)
    line.wait_all_done(40, 300)
    jobs = {str(job.id): job for job in line.jobs()}
    with Session(line.engine) as session:
        attempts = list(session.exec(select(JobAttempt)))
        stored_starts = Counter(
            event.job_id
            for event in session.exec(
                select(PrinterEvent).where(PrinterEvent.kind == "PrintStarted")
            )
        )
    assert len(jobs) == 40
    # One assignment each: one attempt on record, which printed well; none failed, was
    # lost or was refused by its printer (that would have counted an attempt).
    assert all(job.attempts == 0 for job in jobs.values())
    assert sorted(str(a.job_id) for a in attempts) == sorted(jobs)
    assert {a.outcome for a in attempts} == {"done"}
    # Sent once or sent again, a job's start always carried its one command id.
    assert start_commands(line.commands()) == {
        int(job_id): {job.command_id} for job_id, job in jobs.items()
    }
    # What the printers did: each job started once, on the printer it was assigned to,
    # and no printer started a job while it printed another.
    events = line.printer_events()
    assert prints_started(events) == Counter(
        {(str(a.job_id), str(a.printer_id)): 1 for a in attempts}
    )
    assert_one_print_at_a_time(events)
    refused = [body for _printer, body in events if "refused" in (body.get("reason") or "")]
    assert not refused
    # The jobs' history in the database says the same: one PrintStarted stored per job.
    assert stored_starts == Counter({job_id: 1 for job_id in jobs})
    assert parts_counted(line.engine) == 40
    assert_sound(line.engine, line.commands(), events)
