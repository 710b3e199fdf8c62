"""What must hold after any fault: the ledger and the jobs' history, read from the database
and from the commands the broker carried.

- every job whose print ended well has its parts counted exactly once (one `job_done`
  movement of `copies`), and no other job has any;
- no job was dispatched twice: one start command id per attempt, each attempt one row, at
  most one open attempt, and never more PrintStarted than attempts;
- no balance of the ledger is negative;
- no printer started the same job twice, and (where no printer lost its memory in the
  test) no printer started a job while it was printing another: a start that reaches a busy
  printer is refused, and a start sent again carries the same command id, which the printer
  has already carried out.

The printers' side is read from their events on the broker (what they actually started),
not from the start commands: an orchestrator re-sends a start whose acknowledgement it has
not seen in time, so on a loaded machine a job may well be sent twice, and must not print
twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from orchestrator.database.tables import Job, JobAttempt, Movement, PrinterEvent
from orchestrator.domain.vocabulary import JobStatus

COUNTED = {JobStatus.AWAITING_CLEAR, JobStatus.DONE}
HOLDS_AN_ATTEMPT = {
    JobStatus.ASSIGNED,
    JobStatus.SENT,
    JobStatus.PRINTING,
    JobStatus.AWAITING_CLEAR,
    JobStatus.DONE,
}


def done_jobs(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(Job).where(Job.status == JobStatus.DONE)
        return int(session.exec(query).one())


def parts_counted(engine: Engine, item: str = "headband") -> int:
    with Session(engine) as session:
        query = select(func.coalesce(func.sum(Movement.delta), 0)).where(
            Movement.item == item, Movement.reason == "job_done"
        )
        return int(session.exec(query).one())


def start_commands(commands: list[Any]) -> dict[int, set[str]]:
    """The distinct start command ids the broker carried, by job."""
    by_job: dict[int, set[str]] = defaultdict(set)
    for body in commands:
        if body.get("kind") == "start_job":
            by_job[int(body["job_id"])].add(body["command_id"])
    return by_job


ENDINGS = {"PrintDone", "PrintFailed", "PrintCancelled"}


def distinct_events(printer_events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Each event once, where the broker first carried it (a test may replay them)."""
    seen: set[str] = set()
    distinct = []
    for printer_id, body in printer_events:
        if body.get("event_id") not in seen:
            seen.add(body.get("event_id"))
            distinct.append((printer_id, body))
    return distinct


def prints_started(printer_events: list[tuple[str, Any]]) -> Counter[tuple[str, str]]:
    """How often each printer started each job: its PrintStarted events, by (job, printer)."""
    return Counter(
        (str(body["job_id"]), printer_id)
        for printer_id, body in distinct_events(printer_events)
        if body.get("kind") == "PrintStarted"
    )


def assert_one_print_at_a_time(printer_events: list[tuple[str, Any]]) -> None:
    """Between a printer's PrintStarted for a job and that job's ending, the printer starts
    nothing else. Only for tests where no printer forgets its print (killed and restarted
    printers end no print: their next start follows an unended one)."""
    printing: dict[str, str] = {}
    problems = []
    for printer_id, body in distinct_events(printer_events):
        kind, job_id = body.get("kind"), str(body.get("job_id"))
        if kind == "PrintStarted":
            if printer_id in printing:
                problems.append(
                    f"printer {printer_id} started job {job_id} while printing "
                    f"job {printing[printer_id]}"
                )
            printing[printer_id] = job_id
        elif kind in ENDINGS and printing.get(printer_id) == job_id:
            del printing[printer_id]
    assert not problems, "\n".join(problems)


def assert_sound(
    engine: Engine, commands: list[Any], printer_events: list[tuple[str, Any]] | None = None
) -> None:
    """Every invariant of the module docstring but the last; `commands` are the recorded
    command bodies, `printer_events` the recorded events with their printer."""
    with Session(engine) as session:
        jobs = list(session.exec(select(Job)))
        counted = list(session.exec(select(Movement).where(Movement.reason == "job_done")))
        attempts = list(session.exec(select(JobAttempt)))
        starts = Counter(
            e.job_id
            for e in session.exec(select(PrinterEvent).where(PrinterEvent.kind == "PrintStarted"))
        )
        balances = list(
            session.exec(
                select(
                    Movement.item, Movement.stage, Movement.material, func.sum(Movement.delta)
                ).group_by(col(Movement.item), col(Movement.stage), col(Movement.material))
            )
        )
    movements_of: dict[int | None, list[Movement]] = defaultdict(list)
    for movement in counted:
        movements_of[movement.job_id].append(movement)
    attempts_of: dict[int, list[JobAttempt]] = defaultdict(list)
    for attempt in attempts:
        attempts_of[attempt.job_id].append(attempt)
    sent = start_commands(commands)
    problems = [
        f"printer {printer_id} started job {job_id} {times} times"
        for (job_id, printer_id), times in prints_started(printer_events or []).items()
        if times > 1
    ]
    for job in jobs:
        assert job.id is not None
        mine = movements_of.pop(job.id, [])
        if job.status in COUNTED:
            if len(mine) != 1 or mine[0].delta != job.copies:
                problems.append(f"job {job.id} ({job.status}) counted as {mine}")
        elif mine:
            problems.append(f"job {job.id} ({job.status}) has parts counted: {mine}")
        tries = attempts_of[job.id]
        expected = job.attempts + (1 if job.status in HOLDS_AN_ATTEMPT else 0)
        if len(tries) != expected:
            problems.append(f"job {job.id}: {len(tries)} attempts on record, {expected} expected")
        if sum(a.ended_at is None for a in tries) > 1:
            problems.append(f"job {job.id} has two open attempts")
        if sum(a.outcome == "done" for a in tries) > (1 if job.status in COUNTED else 0):
            problems.append(f"job {job.id} printed well more often than it was counted")
        if len(sent.get(job.id, set())) > len(tries):
            problems.append(f"job {job.id}: start commands {sent[job.id]} for {len(tries)} tries")
        if starts[str(job.id)] > len(tries):
            problems.append(f"job {job.id} started {starts[str(job.id)]} times, {len(tries)} tries")
    if movements_of:
        problems.append(f"parts counted for no known job: {dict(movements_of)}")
    negative = [row for row in balances if row[3] < 0]
    if negative:
        problems.append(f"negative balances: {negative}")
    assert not problems, "\n".join(problems)
