"""The job lifecycle as pure functions: every change of a job's status, and what it does.

    queued -> assigned -> sent -> printing -> awaiting_clear -> done
    side exits: failed (re-queued until the last attempt), lost (re-queued), cancelled

Each function answers the `Transition` a job in some status makes on some occasion, or
None when the occasion changes nothing. One writer applies them
(`services.jobs.apply_transition`), so an attempt is opened and closed the same way
whoever moves the job: the dispatcher, a printer's event, the sweep, a person.

Events arrive at least once and sometimes out of order, so every transition is written
to be harmless when repeated: an event that does not apply to the job's status changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from orchestrator.domain.vocabulary import BEFORE_PRINTING, FINISHED, ON_PRINTER, JobStatus
from printers.protocol.payloads import EventKind


@dataclass(frozen=True)
class Transition:
    status: JobStatus
    printer_id: int | None = None  # given to this printer: a new attempt opens
    estimated_seconds: float | None = None
    count_parts: bool = False
    attempt_outcome: str | None = None  # the open attempt ends so
    reason: str | None = None
    flagged: bool = False

    @property
    def requeued(self) -> bool:
        return self.status == JobStatus.QUEUED


def assign(
    status: JobStatus, printer_id: int, estimated_seconds: float | None
) -> Transition | None:
    """A queued job given to a printer."""
    if status != JobStatus.QUEUED:
        return None
    return Transition(
        JobStatus.ASSIGNED, printer_id=printer_id, estimated_seconds=estimated_seconds
    )


def send(status: JobStatus) -> Transition | None:
    """Its start command went out (again: a re-send restarts the acknowledgement wait)."""
    return Transition(JobStatus.SENT) if status in BEFORE_PRINTING else None


def transition(
    status: JobStatus, kind: EventKind, *, attempts: int, max_attempts: int, reason: str | None
) -> Transition | None:
    """The job's next state after a printer's event `kind`."""
    if kind == EventKind.PRINT_STARTED and status in BEFORE_PRINTING:
        return Transition(JobStatus.PRINTING)
    if kind == EventKind.PRINT_DONE and status in ON_PRINTER:
        return Transition(JobStatus.AWAITING_CLEAR, count_parts=True, attempt_outcome="done")
    if kind == EventKind.PRINT_FAILED and status in ON_PRINTER:
        return after_failure(attempts, max_attempts, reason or "the printer reported a failure")
    if kind == EventKind.PRINT_CANCELLED and status in ON_PRINTER:
        # Cancelled at the printer, not by the coordinator (whose cancel already ended it).
        return after_failure(attempts, max_attempts, reason or "cancelled at the printer")
    if kind == EventKind.BED_CLEARED and status == JobStatus.AWAITING_CLEAR:
        return Transition(JobStatus.DONE)
    return None


def after_failure(attempts_so_far: int, max_attempts: int, reason: str) -> Transition:
    """A failed try re-queues the job, until the last allowed attempt: then a person looks."""
    if attempts_so_far + 1 >= max_attempts:
        return Transition(JobStatus.FAILED, attempt_outcome="failed", reason=reason, flagged=True)
    return Transition(JobStatus.QUEUED, attempt_outcome="failed", reason=reason)


def lost(attempts: int, max_attempts: int) -> Transition:
    """The printer went offline past its grace period while holding the job."""
    failure = after_failure(attempts, max_attempts, "the printer went offline during the job")
    return replace(failure, attempt_outcome="lost")


def reported_done(status: JobStatus) -> Transition | None:
    """A person says the print is done (the printer never said so): its parts are counted.
    A job already done or awaiting its clear is left as it is."""
    if status not in ON_PRINTER:
        return None
    return Transition(JobStatus.DONE, count_parts=True, attempt_outcome="done")


def cancel(status: JobStatus) -> Transition | None:
    """The coordinator cancels the job. Its parts, once printed, are not taken back."""
    if status in FINISHED or status == JobStatus.AWAITING_CLEAR:
        return None
    return Transition(
        JobStatus.CANCELLED, attempt_outcome="cancelled", reason="cancelled by the coordinator"
    )


def withdraw(status: JobStatus) -> Transition | None:
    """No open order needs the queued job any more."""
    if status != JobStatus.QUEUED:
        return None
    return Transition(JobStatus.CANCELLED, reason="no open order needs it any more")
