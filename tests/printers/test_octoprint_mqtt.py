"""Ingestion of OctoPrint-MQTT plugin messages into our payloads."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printers.octoprint_mqtt import (
    PluginMessageError,
    PluginPrinterView,
    clear_bed,
    ingest_plugin_message,
)
from printers.payloads import EventKind, PrinterState

BASE = "octoPrint"


def message(view: PluginPrinterView, topic: str, body: dict):
    return ingest_plugin_message(
        view, base_topic=BASE, topic=f"{BASE}/{topic}", payload=json.dumps(body).encode()
    )


FILE = {"name": "makerline-job-9.gcode", "path": "makerline-job-9.gcode", "origin": "local"}


def test_a_print_from_start_to_clear() -> None:
    view = PluginPrinterView(printer_id="5")

    started = message(
        view, "event/PrintStarted", {**FILE, "_event": "PrintStarted", "_timestamp": 100}
    )
    progress = message(
        started.view,
        "progress/printing",
        {"location": "local", "path": FILE["path"], "progress": 40, "_timestamp": 110},
    )
    done = message(progress.view, "event/PrintDone", {**FILE, "time": 20.0, "_timestamp": 120})
    cleared = clear_bed(done.view, 130.0)

    assert started.event is not None and started.event.kind == EventKind.PRINT_STARTED
    assert started.event.job_id == "9"
    assert progress.status is not None and progress.status.progress == 40
    assert done.event is not None and done.event.kind == EventKind.PRINT_DONE
    assert done.view.state == PrinterState.AWAITING_CLEAR
    assert cleared.event is not None and cleared.event.kind == EventKind.BED_CLEARED
    assert cleared.view.state == PrinterState.IDLE
    seqs = [r.status.seq for r in (started, progress, done, cleared) if r.status]
    assert seqs == sorted(seqs)


def test_replays_give_the_same_event_id_and_a_cancel_counts_once() -> None:
    view = message(
        PluginPrinterView(printer_id="5"), "event/PrintStarted", {**FILE, "_timestamp": 1}
    ).view

    cancelled = message(view, "event/PrintCancelled", {**FILE, "_timestamp": 2})
    replay = message(view, "event/PrintCancelled", {**FILE, "_timestamp": 2})
    failed = message(
        cancelled.view, "event/PrintFailed", {**FILE, "reason": "cancelled", "_timestamp": 2}
    )

    assert cancelled.event is not None and replay.event is not None
    assert cancelled.event.event_id == replay.event.event_id
    assert failed.event is None


def test_progress_while_idle_changes_nothing() -> None:
    view = PluginPrinterView(printer_id="5")

    result = message(view, "progress/printing", {"path": "", "progress": 0, "_timestamp": 1})

    assert result.view == view and result.status is None


@settings(max_examples=200, deadline=None)
@given(
    raw=st.binary(max_size=512),
    event=st.sampled_from(["event/PrintDone", "progress/printing", "x/y"]),
)
def test_fuzzed_plugin_payloads_raise_only_plugin_message_error(raw: bytes, event: str) -> None:
    with contextlib.suppress(PluginMessageError):
        ingest_plugin_message(
            PluginPrinterView(printer_id="5"), base_topic=BASE, topic=f"{BASE}/{event}", payload=raw
        )


def test_unknown_topic_is_refused() -> None:
    with pytest.raises(PluginMessageError):
        ingest_plugin_message(
            PluginPrinterView(printer_id="5"),
            base_topic=BASE,
            topic="other/x",
            payload=b'{"_timestamp": 1}',
        )
