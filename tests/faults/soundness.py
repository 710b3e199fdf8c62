"""What must hold after any fault: the ledger and the jobs' history, read from the database
and from the commands the broker carried.

- every job whose print ended well has its parts counted exactly once (one `job_done`
  movement of `copies`), and no other job has any;
- no job was dispatched twice: one start command id per attempt, each attempt one row, at
  most one open attempt, and never more PrintStarted than attempts;
- no balance of the ledger is negative.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from orchestrator.tables import Job, JobAttempt, JobStatus, Movement, PrinterEvent

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


def assert_sound(engine: Engine, commands: list[Any]) -> None:
    """Every invariant of the module docstring; `commands` are the recorded command bodies."""
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
    problems = []
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
