"""The job lifecycle: every status on every occasion, one writer applying it the same way
whoever asks, and no other code writing a job's status."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.database.tables import Job, JobAttempt, Movement, Part
from orchestrator.domain import lifecycle, vocabulary
from orchestrator.domain.lifecycle import Transition
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.services.jobs import apply_transition
from printers.protocol.payloads import EventKind
from tests.conftest import makers_printer

Q, A, S, P, W, D, F, L, C = (
    JobStatus.QUEUED,
    JobStatus.ASSIGNED,
    JobStatus.SENT,
    JobStatus.PRINTING,
    JobStatus.AWAITING_CLEAR,
    JobStatus.DONE,
    JobStatus.FAILED,
    JobStatus.LOST,
    JobStatus.CANCELLED,
)


def on_event(kind: EventKind) -> Callable[[JobStatus], Transition | None]:
    return lambda status: lifecycle.transition(
        status, kind, attempts=0, max_attempts=3, reason=None
    )


OCCASIONS: dict[str, Callable[[JobStatus], Transition | None]] = {
    "assign": lambda status: lifecycle.assign(status, printer_id=7, estimated_seconds=60.0),
    "send": lifecycle.send,
    "PrintStarted": on_event(EventKind.PRINT_STARTED),
    "PrintDone": on_event(EventKind.PRINT_DONE),
    "PrintFailed": on_event(EventKind.PRINT_FAILED),
    "PrintCancelled": on_event(EventKind.PRINT_CANCELLED),
    "BedCleared": on_event(EventKind.BED_CLEARED),
    "reported done": lifecycle.reported_done,
    "cancel": lifecycle.cancel,
    "withdraw": lifecycle.withdraw,
}

# The whole state machine, written out: what each status becomes on each occasion.
# A blank is "changes nothing".
MACHINE: dict[JobStatus, dict[str, JobStatus]] = {
    Q: {"assign": A, "cancel": C, "withdraw": C},
    A: {
        "send": S,
        "PrintStarted": P,
        "PrintDone": W,
        "PrintFailed": Q,
        "PrintCancelled": Q,
        "reported done": D,
        "cancel": C,
    },
    S: {
        "send": S,
        "PrintStarted": P,
        "PrintDone": W,
        "PrintFailed": Q,
        "PrintCancelled": Q,
        "reported done": D,
        "cancel": C,
    },
    P: {"PrintDone": W, "PrintFailed": Q, "PrintCancelled": Q, "reported done": D, "cancel": C},
    W: {"BedCleared": D},
    D: {},
    F: {"cancel": C},
    L: {"cancel": C},
    C: {},
}


@pytest.mark.parametrize("status", list(JobStatus))
@pytest.mark.parametrize("occasion", list(OCCASIONS))
def test_every_status_on_every_occasion(status: JobStatus, occasion: str) -> None:
    change = OCCASIONS[occasion](status)
    assert (change.status if change else None) == MACHINE[status].get(occasion)


def test_the_named_groups_of_statuses_nest() -> None:
    assert vocabulary.BEFORE_PRINTING < vocabulary.ON_PRINTER < vocabulary.HOLDS_PRINTER
    # Parts are counted at PrintDone: a job awaiting its clear has none still to come.
    assert Q in vocabulary.PARTS_TO_COME and W not in vocabulary.PARTS_TO_COME
    assert not vocabulary.FINISHED & vocabulary.HOLDS_PRINTER


def test_the_last_failure_or_loss_flags_the_job_and_a_person_looks() -> None:
    assert lifecycle.after_failure(2, 3, "spaghetti").flagged
    assert lifecycle.lost(2, 3).status == F and lifecycle.lost(2, 3).attempt_outcome == "lost"
    assert lifecycle.lost(0, 3).requeued


# --- the one writer, on both databases ---------------------------------------------------


def attempts_of(session: Session, job: Job) -> list[JobAttempt]:
    return list(
        session.exec(
            select(JobAttempt).where(JobAttempt.job_id == job.id).order_by(col(JobAttempt.id))
        )
    )


def walk(session: Session, job: Job, *changes: Transition | None) -> None:
    for change in changes:
        assert change is not None, f"no transition from {job.status}"
        apply_transition(session, job, change, datetime.now(UTC))
        session.flush()


def counted(session: Session, job: Job) -> int:
    return sum(m.delta for m in session.exec(select(Movement).where(Movement.job_id == job.id)))


def test_the_writer_opens_and_closes_attempts_the_same_way_for_everyone(engine: Engine) -> None:
    with Session(engine) as session:
        printer = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        part = session.exec(select(Part).where(Part.key == "headband")).one()
        printed, failed, cancelled, by_hand = (Job(part_id=part.id or 0, copies=2) for _ in "1234")
        session.add_all([printed, failed, cancelled, by_hand])
        session.flush()
        pid = printer.id

        def started(job: Job) -> None:
            walk(session, job, lifecycle.assign(job.status, pid, 900.0))
            walk(session, job, lifecycle.send(job.status))
            walk(session, job, OCCASIONS["PrintStarted"](job.status))

        # Printed, then cleared: one attempt, closed "done"; parts counted once.
        started(printed)
        assert printed.command_id == f"start-{printed.id}-0" and printed.started_at is not None
        walk(session, printed, OCCASIONS["PrintDone"](printed.status))
        walk(session, printed, OCCASIONS["BedCleared"](printed.status))
        (attempt,) = attempts_of(session, printed)
        assert (printed.status, attempt.outcome) == (D, "done")
        assert attempt.started_at is not None and attempt.ended_at is not None
        assert printed.done_at is not None and counted(session, printed) == 2

        # Failed at the printer: the attempt closes "failed", the job goes back to the queue.
        started(failed)
        walk(session, failed, lifecycle.after_failure(failed.attempts, 3, "spaghetti"))
        (attempt,) = attempts_of(session, failed)
        assert (failed.status, failed.printer_id, failed.command_id) == (Q, None, None)
        assert (attempt.outcome, attempt.reason, failed.attempts) == ("failed", "spaghetti", 1)
        walk(session, failed, lifecycle.assign(failed.status, pid, None))
        assert failed.command_id == f"start-{failed.id}-1"
        assert [a.ended_at is None for a in attempts_of(session, failed)] == [False, True]
        walk(session, failed, lifecycle.cancel(failed.status))  # frees the printer
        assert [a.outcome for a in attempts_of(session, failed)] == ["failed", "cancelled"]

        # Cancelled by the coordinator while printing: its attempt closes too.
        started(cancelled)
        walk(session, cancelled, lifecycle.cancel(cancelled.status))
        (attempt,) = attempts_of(session, cancelled)
        assert (cancelled.status, attempt.outcome) == (C, "cancelled")
        assert cancelled.ended_at is not None and counted(session, cancelled) == 0

        # Reported done by a person: counted once, the attempt closed "done" as a printer's.
        started(by_hand)
        walk(session, by_hand, lifecycle.reported_done(by_hand.status))
        (attempt,) = attempts_of(session, by_hand)
        assert (by_hand.status, attempt.outcome, counted(session, by_hand)) == (D, "done", 2)
        session.rollback()


# --- no other writer ---------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
THE_WRITER = ("orchestrator/services/jobs.py", "apply_transition")


# Rows with a status of their own, which are not jobs: their statuses have their own rules.
OTHER_STATUSES = ("OrderStatus.", "HoldStatus.")
OTHER_ROWS = {"order", "hold"}


def status_writes(tree: ast.Module) -> list[tuple[int, str]]:
    """Lines that set a `.status` attribute (unless on an order or a hold, or to one of
    their statuses), build a `Job(status=...)`, or update the job table in bulk."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = ast.unparse(node.value) if node.value is not None else ""
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and ast.unparse(target.value) not in OTHER_ROWS
                    and not value.startswith(OTHER_STATUSES)
                ):
                    found.append((node.lineno, ast.unparse(node)))
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name == "Job" and any(k.arg == "status" for k in node.keywords):
                found.append((node.lineno, ast.unparse(node)))
            if name == "update" and node.args and ast.unparse(node.args[0]) == "Job":
                found.append((node.lineno, ast.unparse(node)))
    return found


def inside(tree: ast.Module, function: str) -> set[int]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    raise AssertionError(f"{function} not found")


def test_only_the_lifecycle_writer_writes_a_jobs_status() -> None:
    offences = []
    for path in sorted((ROOT / "orchestrator").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(), relative)
        allowed = inside(tree, THE_WRITER[1]) if relative == THE_WRITER[0] else set()
        offences += [
            f"{relative}:{line}: {code}"
            for line, code in status_writes(tree)
            if line not in allowed
        ]
    assert not offences, "a job's status changes only through the lifecycle:\n" + "\n".join(
        offences
    )


def test_the_rule_catches_a_stray_write() -> None:
    stray = ast.parse("job.status = JobStatus.DONE\nJob(part_id=1, status='sent')\n")
    assert len(status_writes(stray)) == 2
    assert not status_writes(ast.parse("order.status = OrderStatus.CANCELLED\n"))
    assert not status_writes(ast.parse("hold.status = status\n"))
    assert len(status_writes(ast.parse("stored.status = status\n"))) == 1
