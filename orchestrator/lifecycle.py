"""The job lifecycle as a pure function: what a printer's event does to its job.

    queued -> assigned -> sent -> printing -> awaiting_clear -> done
    side exits: failed (re-queued until the last attempt), lost (re-queued), cancelled

Events arrive at least once and sometimes out of order, so every transition is written
to be harmless when repeated: an event that does not apply to the job's status changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from orchestrator.tables import JobStatus
from printers.payloads import EventKind

BEFORE_PRINTING = frozenset({JobStatus.ASSIGNED, JobStatus.SENT})
ON_PRINTER = frozenset({JobStatus.ASSIGNED, JobStatus.SENT, JobStatus.PRINTING})


@dataclass(frozen=True)
class Transition:
    status: JobStatus
    count_parts: bool = False
    attempt_outcome: str | None = None
    reason: str | None = None
    flagged: bool = False

    @property
    def requeued(self) -> bool:
        return self.status == JobStatus.QUEUED


def after_failure(attempts_so_far: int, max_attempts: int, reason: str) -> Transition:
    """A failed try re-queues the job, until the last allowed attempt: then a person looks."""
    if attempts_so_far + 1 >= max_attempts:
        return Transition(JobStatus.FAILED, attempt_outcome="failed", reason=reason, flagged=True)
    return Transition(JobStatus.QUEUED, attempt_outcome="failed", reason=reason)


def transition(
    status: JobStatus, kind: EventKind, *, attempts: int, max_attempts: int, reason: str | None
) -> Transition | None:
    """The job's next state after `kind`, or None when the event changes nothing."""
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


def lost(attempts: int, max_attempts: int) -> Transition:
    """The printer went offline past its grace period while holding the job."""
    failure = after_failure(attempts, max_attempts, "the printer went offline during the job")
    return replace(failure, attempt_outcome="lost")
