"""The printers' side of the soundness checks catches what it is there to catch: a job
started twice, and a printer starting a job while it prints another. Replayed events and
refused starts are not prints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.soundness import assert_one_print_at_a_time, prints_started


def event(number: int, kind: str, job_id: str, reason: str | None = None) -> dict[str, Any]:
    return {"event_id": f"e{number}", "kind": kind, "job_id": job_id, "reason": reason}


def test_prints_one_after_the_other_and_replayed_events_pass() -> None:
    first, second = event(1, "PrintStarted", "7"), event(3, "PrintStarted", "8")
    history = [
        ("1", first),
        ("1", event(2, "PrintDone", "7")),
        ("1", first),  # the broker delivered it again
        ("1", second),
        ("2", event(4, "PrintFailed", "9", "start_job refused: the printer is busy")),
        ("1", event(5, "PrintCancelled", "8")),
    ]
    assert_one_print_at_a_time(history)
    assert prints_started(history) == {("7", "1"): 1, ("8", "1"): 1}


def test_a_start_while_printing_another_job_is_caught() -> None:
    history = [("1", event(1, "PrintStarted", "7")), ("1", event(2, "PrintStarted", "8"))]
    with pytest.raises(AssertionError, match="printer 1 started job 8 while printing job 7"):
        assert_one_print_at_a_time(history)


def test_a_job_started_twice_on_a_printer_is_counted_twice() -> None:
    history = [
        ("1", event(1, "PrintStarted", "7")),
        ("1", event(2, "PrintDone", "7")),
        ("1", event(3, "PrintStarted", "7")),
    ]
    assert prints_started(history) == {("7", "1"): 2}
