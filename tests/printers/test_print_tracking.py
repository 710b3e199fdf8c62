"""The agent's pure rules: which state to report, and how a print ended."""

from __future__ import annotations

from printers.octoprint.rest import LastPrint, OctoPrintSnapshot, PrinterActivity
from printers.octoprint.tracking import (
    PrintMemory,
    after_ending,
    after_start,
    observe,
    print_ending,
    reported_state,
    start_refusal,
)
from printers.protocol.payloads import EventKind, PrinterState

READY = OctoPrintSnapshot(PrinterActivity.READY, "Operational", "makerline-job-1.gcode", 100.0)
PRINTING = OctoPrintSnapshot(PrinterActivity.PRINTING, "Printing", "makerline-job-1.gcode", 40.0)
CANCELLING = OctoPrintSnapshot(PrinterActivity.CANCELLING, "Cancelling", "makerline-job-1.gcode")
STARTED = after_start(PrintMemory(), "1", "makerline-job-1.gcode", 1000.0)


def test_a_running_print_has_not_ended() -> None:
    assert print_ending(STARTED, PRINTING, None, 1010.0) is None
    assert reported_state(STARTED, PRINTING) == PrinterState.PRINTING


def test_success_after_start_is_done() -> None:
    ending = print_ending(STARTED, READY, LastPrint(True, 1020.0), 1021.0)

    assert ending is not None and ending.kind == EventKind.PRINT_DONE
    assert reported_state(after_ending(STARTED), READY) == PrinterState.AWAITING_CLEAR


def test_a_stale_success_from_an_earlier_print_does_not_count() -> None:
    assert print_ending(STARTED, READY, LastPrint(True, 500.0), 1002.0) is None
    late = print_ending(STARTED, READY, LastPrint(True, 500.0), 1100.0)
    assert late is not None and late.kind == EventKind.PRINT_FAILED


def test_a_seen_cancel_counts_as_cancelled_once() -> None:
    memory = observe(STARTED, CANCELLING, 1005.0)
    ending = print_ending(memory, READY, LastPrint(False, 1006.0), 1007.0)

    assert ending is not None and ending.kind == EventKind.PRINT_CANCELLED
    assert print_ending(after_ending(memory), READY, LastPrint(False, 1006.0), 1008.0) is None


def test_no_start_before_the_bed_is_cleared_or_when_offline() -> None:
    assert "bed" in (start_refusal(after_ending(STARTED), READY, "2") or "")
    assert start_refusal(PrintMemory(), None, "2") == "OctoPrint cannot be reached"
    assert start_refusal(PrintMemory(), READY, "2") is None
    assert reported_state(PrintMemory(), None) == PrinterState.OFFLINE


def test_a_forgotten_print_of_ours_is_adopted() -> None:
    memory = observe(PrintMemory(), PRINTING, 5.0)

    assert memory.job_id == "1" and memory.job_file == "makerline-job-1.gcode"
