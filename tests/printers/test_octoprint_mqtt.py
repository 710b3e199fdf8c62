"""The fold of OctoPrint-MQTT plugin messages, and of what OctoPrint's REST API says, into
a printer view: fed with what the real plugin (0.8.16) published in the lab, message for
message, and with the cases the lab showed (the Finishing window, a stop, a firmware error,
retained leftovers)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.client import topic_matches_sub

from printers.octoprint.rest import LastPrint, OctoPrintSnapshot, PrinterActivity
from printers.plugin.octoprint_mqtt import (
    PluginIngestion,
    PluginMessageError,
    PluginPrinterView,
    StartVerdict,
    clear_bed,
    ingest_plugin_message,
    rest_event_id,
    rest_probed,
    rest_started,
    start_verdict,
)
from printers.protocol.payloads import EventKind, PrinterState
from printers.protocol.topics import plugin_subscriptions

RECORDED = Path(__file__).parent / "recorded" / "octoprint-mqtt-0.8.16-print.jsonl"
BASE = "octoPrint/camille-mk3/"
JOB_FILE = "makerline-job-9.gcode"
FILE = {"name": JOB_FILE, "path": JOB_FILE, "origin": "local", "size": 273, "owner": "maker"}


def fold(view: PluginPrinterView, sub_topic: str, body: dict | str, at: float = 0.0):
    payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return ingest_plugin_message(
        view, base_topic=BASE, topic=f"{BASE}{sub_topic}", payload=payload, received_at=at
    )


def event(kind: str, ts: int, /, **fields: object) -> dict:
    return {**fields, "_event": kind, "_timestamp": ts}


def through(view: PluginPrinterView, *messages: tuple[str, dict | str]) -> PluginIngestion:
    result = PluginIngestion(view)
    for sub_topic, body in messages:
        result = fold(result.view, sub_topic, body)
    return result


def idle_printer() -> PluginPrinterView:
    return through(
        PluginPrinterView(printer_id="5"),
        ("mqtt", "connected"),
        ("event/PrinterStateChanged", event("PrinterStateChanged", 1, state_id="OPERATIONAL")),
    ).view


def test_the_real_plugins_print_reads_as_an_agent_would_report_it() -> None:
    """The lab's recording of a whole print (connect, print, Finishing, stop), with the
    file named as one of our jobs, as the service's subscriptions get it: states, events
    and temperatures, and nothing refused."""
    view = PluginPrinterView(printer_id="5")
    states, events, probes = [], [], 0
    subscriptions = plugin_subscriptions(BASE)
    for line in RECORDED.read_text().splitlines():
        row = json.loads(line)
        if not any(topic_matches_sub(sub, row.get("topic", "")) for sub in subscriptions):
            continue
        payload = row["payload"].replace("lab-short.gcode", JOB_FILE).encode()
        result = ingest_plugin_message(
            view, base_topic=BASE, topic=row["topic"], payload=payload, received_at=row["t"]
        )
        view = result.view
        probes += result.wants_probe
        if result.event is not None:
            events.append((result.event.kind, result.event.job_id, view.state))
        if not states or states[-1] != view.state:
            states.append(view.state)

    assert states == [
        PrinterState.OFFLINE,  # `connected`, OctoPrint's state not known yet
        PrinterState.IDLE,  # PrinterStateChanged OPERATIONAL
        PrinterState.PRINTING,  # STARTING, PrintStarted, PRINTING, then FINISHING
        PrinterState.AWAITING_CLEAR,  # only at OPERATIONAL: done means ready
        PrinterState.OFFLINE,  # `disconnected` at the stop
    ]
    assert events == [
        (EventKind.PRINT_STARTED, "9", PrinterState.PRINTING),
        (EventKind.PRINT_DONE, "9", PrinterState.PRINTING),  # Finishing: not ready yet
    ]
    assert probes == 1  # at `connected`
    assert set(view.temperatures) == {"tool0", "bed"}
    assert view.job_id == "9" and view.progress == 100.0


def test_a_bed_cleared_while_octoprint_finishes_is_not_idle_until_operational() -> None:
    printing = through(
        idle_printer(),
        ("event/PrintStarted", event("PrintStarted", 10, **FILE, user="maker")),
        ("event/PrinterStateChanged", event("PrinterStateChanged", 10, state_id="PRINTING")),
        ("event/PrinterStateChanged", event("PrinterStateChanged", 40, state_id="FINISHING")),
        ("event/PrintDone", event("PrintDone", 40, **FILE, time=30.0)),
    ).view

    cleared = clear_bed(printing, 41.0)
    ready = fold(
        cleared.view,
        "event/PrinterStateChanged",
        event("PrinterStateChanged", 58, state_id="OPERATIONAL"),
    )

    assert cleared.event is not None and cleared.event.kind == EventKind.BED_CLEARED
    assert cleared.event.job_id == "9"
    assert cleared.view.state == PrinterState.PRINTING and cleared.wants_probe
    assert ready.status is not None and ready.status.state == PrinterState.IDLE
    assert ready.status.job_id is None and not ready.wants_probe


def test_ready_again_without_the_end_of_our_print_heard_asks_octoprint() -> None:
    printing = fold(idle_printer(), "event/PrintStarted", event("PrintStarted", 10, **FILE)).view

    # PrintDone lost (QoS 0): OctoPrint is operational again, with our job still on.
    ready = fold(
        printing,
        "event/PrinterStateChanged",
        event("PrinterStateChanged", 58, state_id="OPERATIONAL"),
    )

    assert ready.wants_probe and ready.view.holds_unfinished_job


def test_octoprint_stopping_takes_the_printer_offline_once() -> None:
    idle = through(
        idle_printer(), ("temperature/tool0", {"actual": 21.3, "target": 0.0, "_timestamp": 5})
    ).view

    first = fold(idle, "mqtt", "disconnected")
    shutdown = fold(first.view, "event/Shutdown", event("Shutdown", 6))
    stray = fold(
        shutdown.view, "temperature/bed", {"actual": None, "target": 60.0, "_timestamp": 6}
    )
    will = fold(stray.view, "mqtt", "disconnected")
    back = fold(will.view, "mqtt", "connected")

    assert first.status is not None and first.status.state == PrinterState.OFFLINE
    assert shutdown.status is None and will.status is None  # nothing new to say
    assert stray.status is not None and stray.status.state == PrinterState.OFFLINE
    assert stray.status.temperatures["bed"].actual is None
    # Back, OctoPrint's state is not known (its start-up events are often lost): ask it.
    assert back.view.state == PrinterState.OFFLINE and back.wants_probe


def test_a_firmware_error_leaves_the_printer_offline_then_the_bed_to_clear() -> None:
    printing = through(
        idle_printer(), ("event/PrintStarted", event("PrintStarted", 10, **FILE))
    ).view
    error = "Thermal Runaway, system stopped!"

    crashed = through(
        printing,
        ("event/PrinterStateChanged", event("PrinterStateChanged", 20, state_id="ERROR")),
        ("event/Error", event("Error", 20, error=error, reason="firmware")),
        ("event/Disconnected", event("Disconnected", 20)),
        ("event/PrinterStateChanged", event("PrinterStateChanged", 20, state_id="OFFLINE")),
    )
    failed = fold(
        crashed.view, "event/PrintFailed", event("PrintFailed", 20, **FILE, reason="error")
    )
    reconnected = fold(
        failed.view,
        "event/PrinterStateChanged",
        event("PrinterStateChanged", 90, state_id="OPERATIONAL"),
    )

    assert failed.event is not None and failed.event.kind == EventKind.PRINT_FAILED
    assert failed.event.reason == "error"  # the plugin's reason word, not the firmware's text
    assert failed.view.state == PrinterState.OFFLINE
    assert reconnected.view.state == PrinterState.AWAITING_CLEAR


def test_replays_give_the_same_event_id_and_a_cancel_counts_once() -> None:
    view = fold(idle_printer(), "event/PrintStarted", event("PrintStarted", 1, **FILE)).view
    cancelled = {**FILE, "progress": 36, "user": "maker"}

    first = fold(view, "event/PrintCancelled", event("PrintCancelled", 2, **cancelled))
    replay = fold(view, "event/PrintCancelled", event("PrintCancelled", 2, **cancelled))
    failed = fold(
        first.view, "event/PrintFailed", event("PrintFailed", 2, **cancelled, reason="cancelled")
    )

    assert first.event is not None and replay.event is not None
    assert first.event.event_id == replay.event.event_id
    assert failed.event is None


def test_progress_counts_only_for_the_file_being_printed() -> None:
    printing = fold(idle_printer(), "event/PrintStarted", event("PrintStarted", 10, **FILE)).view

    reset = fold(
        printing, "progress/printing", {"location": "", "path": "", "progress": 0, "_timestamp": 11}
    )
    older = fold(
        printing,
        "progress/printing",
        {"location": "local", "path": "makerline-job-3.gcode", "progress": 88, "_timestamp": 11},
    )
    own = fold(
        printing,
        "progress/printing",
        {"location": "local", "path": JOB_FILE, "progress": 42, "_timestamp": 15},
    )
    idle = fold(
        idle_printer(),
        "progress/printing",
        {"location": "local", "path": JOB_FILE, "progress": 42, "_timestamp": 15},
    )

    assert reset.view == printing and older.view == printing  # retained leftovers
    assert own.status is not None and own.status.progress == 42
    assert idle.status is None


def test_what_rest_tells_is_recorded_once_whoever_learns_it() -> None:
    silent = PluginPrinterView(printer_id="5", activity=PrinterActivity.READY)
    attempt = "start-9-0"

    started = rest_started(
        silent, job_id="9", file_path=JOB_FILE, ts=100.0, attempt=attempt, found_printing=False
    )
    heard = rest_started(
        idle_printer(),
        job_id="9",
        file_path=JOB_FILE,
        ts=100.0,
        attempt=attempt,
        found_printing=False,
    )
    resent = rest_started(
        idle_printer(),
        job_id="9",
        file_path=JOB_FILE,
        ts=100.0,
        attempt=attempt,
        found_printing=True,
    )
    finishing = OctoPrintSnapshot(PrinterActivity.PRINTING, "Finishing", file_name=JOB_FILE)
    still = rest_probed(started.view, finishing, None, 130.0, attempt)
    operational = OctoPrintSnapshot(PrinterActivity.READY, "Operational", file_name=JOB_FILE)
    done = rest_probed(still.view, operational, LastPrint(success=True, date=131.0), 132.0, attempt)
    again = rest_probed(done.view, operational, LastPrint(success=True, date=131.0), 134.0, attempt)

    assert started.event is not None and started.event.kind == EventKind.PRINT_STARTED
    assert started.event.event_id == rest_event_id(attempt, EventKind.PRINT_STARTED)
    assert started.view.state == PrinterState.PRINTING
    # A connected plugin says PrintStarted itself (one id for every replica), unless the
    # job was found printing when its start was sent again: its word did not reach us.
    assert heard.event is None and heard.view.state == PrinterState.PRINTING
    assert resent.event is not None and resent.event.event_id == started.event.event_id
    assert still.event is None and still.view.state == PrinterState.PRINTING
    assert done.event is not None and done.event.kind == EventKind.PRINT_DONE
    assert done.event.event_id == rest_event_id(attempt, EventKind.PRINT_DONE)
    assert done.view.state == PrinterState.AWAITING_CLEAR
    assert again.event is None


def test_a_probe_finding_our_job_printing_makes_it_printing() -> None:
    unaware = PluginPrinterView(printer_id="5", activity=PrinterActivity.READY)
    printing = OctoPrintSnapshot(PrinterActivity.PRINTING, "Printing", JOB_FILE, 12.0)

    told = rest_probed(unaware, printing, None, 50.0, "start-9-0")
    elsewhere = rest_probed(unaware, printing, None, 50.0, None)  # not on this printer now

    assert told.event is not None and told.event.kind == EventKind.PRINT_STARTED
    assert told.view.job_id == "9" and told.view.state == PrinterState.PRINTING
    assert elsewhere.event is None and elsewhere.view.state == PrinterState.PRINTING


@pytest.mark.parametrize(
    ("activity", "file_name", "last_print", "verdict"),
    [
        (PrinterActivity.READY, None, None, StartVerdict.START),
        (PrinterActivity.PRINTING, JOB_FILE, None, StartVerdict.PRINTING),
        (PrinterActivity.PAUSED, JOB_FILE, None, StartVerdict.PRINTING),
        # Its file printed after the job was given (at 1000): the bed holds it.
        (PrinterActivity.READY, JOB_FILE, LastPrint(True, 1600.0), StartVerdict.PRINTED),
        (PrinterActivity.PRINTING, JOB_FILE + "x", LastPrint(False, 1200.0), StartVerdict.PRINTED),
        # An earlier attempt's print, long before: start.
        (PrinterActivity.READY, JOB_FILE, LastPrint(False, 400.0), StartVerdict.START),
        (PrinterActivity.PRINTING, "benchy.gcode", None, StartVerdict.WAIT),  # Finishing
        (PrinterActivity.BUSY, None, None, StartVerdict.WAIT),
        (PrinterActivity.DISCONNECTED, None, None, StartVerdict.WAIT),
        (PrinterActivity.ERROR, None, None, StartVerdict.REFUSE),
    ],
)
def test_a_start_is_sent_only_to_a_ready_printer_without_the_job_on_it(
    activity: PrinterActivity,
    file_name: str | None,
    last_print: LastPrint | None,
    verdict: StartVerdict,
) -> None:
    snapshot = OctoPrintSnapshot(activity, activity.value, file_name)

    assert start_verdict(snapshot, JOB_FILE, last_print, given_at=1000.0) == verdict


@pytest.mark.parametrize(
    ("sub_topic", "payload"),
    [
        ("mqtt", "online"),
        ("temperature/bed", '{"actual": "hot", "target": 60, "_timestamp": 1}'),
        ("temperature/bed", '{"actual": 5000, "target": 60, "_timestamp": 1}'),
        ("event/PrinterStateChanged", '{"_timestamp": 1}'),
        ("progress/printing", '{"_timestamp": 5, "progress": "half"}'),
        ("event/PrintDone", "[1, 2]"),
        ("elsewhere/x", '{"_timestamp": 1}'),
    ],
)
def test_unreadable_messages_are_refused(sub_topic: str, payload: str) -> None:
    with pytest.raises(PluginMessageError):
        fold(idle_printer(), sub_topic, payload)


def test_a_base_without_its_slash_is_joined_as_the_plugin_joins_it() -> None:
    view = PluginPrinterView(printer_id="5")

    result = ingest_plugin_message(
        view, base_topic="octoPrint", topic="octoPrintmqtt", payload=b"disconnected", received_at=1
    )

    assert result.view.state == PrinterState.OFFLINE and result.view.link == "disconnected"


@settings(max_examples=200, deadline=None)
@given(
    raw=st.binary(max_size=512),
    sub_topic=st.sampled_from(
        [
            "event/PrintDone",
            "event/PrinterStateChanged",
            "progress/printing",
            "temperature/bed",
            "mqtt",
            "x/y",
        ]
    ),
)
def test_fuzzed_plugin_payloads_raise_only_plugin_message_error(raw: bytes, sub_topic: str) -> None:
    with contextlib.suppress(PluginMessageError):
        ingest_plugin_message(
            idle_printer(), base_topic=BASE, topic=f"{BASE}{sub_topic}", payload=raw, received_at=1
        )
