"""The agent's rules, as pure functions of what it remembers and what OctoPrint shows.

The agent polls OctoPrint rather than listening to its events, so it decides from
snapshots: which state to report, and whether the print it started has ended and how.
Deciding once, from our own memory of the job, is also what makes a cancel count once
although OctoPrint reports both PrintCancelled and PrintFailed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from printers.octoprint.rest import LastPrint, OctoPrintSnapshot, PrinterActivity
from printers.protocol.job_files import job_id_from_filename
from printers.protocol.payloads import EventKind, PrinterState

# OctoPrint and the agent share a machine (or nearly): allow a little clock skew when
# comparing OctoPrint's end-of-print date with the agent's start time.
CLOCK_SLACK_SECONDS = 5.0
# Right after select(print=True) OctoPrint may still say "Operational" for a moment.
START_GRACE_SECONDS = 10.0

_ACTIVE = frozenset({PrinterActivity.PRINTING, PrinterActivity.PAUSED, PrinterActivity.CANCELLING})


@dataclass(frozen=True)
class PrintMemory:
    """What the agent must remember across restarts about the job on its printer."""

    job_id: str | None = None
    job_file: str | None = None
    started_at: float | None = None
    cancelled: bool = False
    awaiting_clear: bool = False
    # The job whose end left something on the bed, named in BedCleared.
    last_job_id: str | None = None


@dataclass(frozen=True)
class PrintEnding:
    kind: EventKind
    reason: str | None = None


def reported_state(memory: PrintMemory, snapshot: OctoPrintSnapshot | None) -> PrinterState:
    if snapshot is None or snapshot.activity == PrinterActivity.DISCONNECTED:
        return PrinterState.OFFLINE
    if snapshot.activity == PrinterActivity.ERROR:
        return PrinterState.ERROR
    if snapshot.activity in (PrinterActivity.PRINTING, PrinterActivity.CANCELLING):
        return PrinterState.PRINTING
    if snapshot.activity == PrinterActivity.PAUSED:
        return PrinterState.PAUSED
    if memory.awaiting_clear:
        return PrinterState.AWAITING_CLEAR
    if snapshot.activity == PrinterActivity.BUSY:
        return PrinterState.PRINTING
    return PrinterState.IDLE


def reported_job_id(memory: PrintMemory, snapshot: OctoPrintSnapshot | None) -> str | None:
    if memory.job_id is not None:
        return memory.job_id
    if memory.awaiting_clear:
        return memory.last_job_id
    if snapshot is not None and snapshot.activity in _ACTIVE:
        return job_id_from_filename(snapshot.file_name)
    return None


def observe(memory: PrintMemory, snapshot: OctoPrintSnapshot, now: float) -> PrintMemory:
    """Fold what a snapshot teaches into memory, before deciding whether the print ended."""
    if memory.job_id is None and snapshot.activity in _ACTIVE and not memory.awaiting_clear:
        # A print of ours that the agent forgot (state dir lost): adopt it again.
        adopted = job_id_from_filename(snapshot.file_name)
        if adopted is not None:
            return replace(memory, job_id=adopted, job_file=snapshot.file_name, started_at=now)
    if (
        memory.job_id is not None
        and snapshot.activity == PrinterActivity.CANCELLING
        and snapshot.file_name == memory.job_file
    ):
        return replace(memory, cancelled=True)
    return memory


def print_may_have_ended(memory: PrintMemory, snapshot: OctoPrintSnapshot | None) -> bool:
    """Whether to ask OctoPrint for the job file's last print result."""
    if memory.job_id is None or snapshot is None:
        return False
    if snapshot.activity in (PrinterActivity.DISCONNECTED, PrinterActivity.BUSY):
        return False
    return not (snapshot.activity in _ACTIVE and snapshot.file_name == memory.job_file)


def print_ending(
    memory: PrintMemory,
    snapshot: OctoPrintSnapshot | None,
    last_print: LastPrint | None,
    now: float,
) -> PrintEnding | None:
    """How the remembered job ended, or None while it has not (or we cannot tell yet)."""
    if not print_may_have_ended(memory, snapshot):
        return None
    assert snapshot is not None and memory.started_at is not None
    if last_print is not None and last_print.date >= memory.started_at - CLOCK_SLACK_SECONDS:
        if last_print.success:
            return PrintEnding(EventKind.PRINT_DONE)
        if memory.cancelled:
            return PrintEnding(EventKind.PRINT_CANCELLED, "cancelled")
        return PrintEnding(EventKind.PRINT_FAILED, "OctoPrint reported the print as failed")
    if snapshot.activity == PrinterActivity.ERROR:
        return PrintEnding(
            EventKind.PRINT_FAILED, f"printer error during the print: {snapshot.state_text}"
        )
    if now - memory.started_at < START_GRACE_SECONDS:
        return None
    if memory.cancelled:
        return PrintEnding(EventKind.PRINT_CANCELLED, "cancelled")
    return PrintEnding(
        EventKind.PRINT_FAILED,
        "the print stopped without a result (OctoPrint restarted or lost the printer)",
    )


def after_ending(memory: PrintMemory) -> PrintMemory:
    return PrintMemory(awaiting_clear=True, last_job_id=memory.job_id)


def after_start(memory: PrintMemory, job_id: str, job_file: str, started_at: float) -> PrintMemory:
    return PrintMemory(job_id=job_id, job_file=job_file, started_at=started_at)


def start_refusal(
    memory: PrintMemory, snapshot: OctoPrintSnapshot | None, job_id: str
) -> str | None:
    """Why a new job cannot start now, in words for the maker and coordinator, or None."""
    if memory.awaiting_clear:
        return (
            "the bed has not been cleared since the last print: the maker must run "
            "'makerline agent clear' (or the service send clear_bed)"
        )
    if memory.job_id is not None:
        return f"the printer is busy with job {memory.job_id}"
    if snapshot is None:
        return "OctoPrint cannot be reached"
    if snapshot.activity != PrinterActivity.READY:
        return f"the printer is not ready (OctoPrint says {snapshot.state_text!r})"
    return None
