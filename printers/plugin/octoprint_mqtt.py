"""Printers that run the OctoPrint-MQTT plugin instead of our agent, as pure functions.

What the plugin (0.8.16, measured against OctoPrint 1.11.8) publishes, each topic being its
base topic with a sub-topic appended (`printers.protocol.topics`):
- `{base}mqtt`: `connected` at every connection, `disconnected` as its last will; plain
  text, QoS 1, retained. It is the only sign that OctoPrint went away. A graceful stop sends
  `disconnected` twice (the plugin's own, then the broker's will) with `event/Shutdown` in
  between, and stray messages may come after the first.
- `{base}event/{Event}`: OctoPrint's event payload plus `_event` and `_timestamp` (whole
  seconds), QoS 0. `PrinterStateChanged` carries OctoPrint's `state_id`. `Connected` and
  `Disconnected` are about the serial link, not OctoPrint, and are often lost at start-up.
  `PrintDone` comes while OctoPrint is still FINISHING: it takes a new file only once it
  says OPERATIONAL.
- `{base}progress/printing`: `{"location", "path", "progress", "_timestamp"}`, retained, sent
  only when the rounded percentage changes. Each connection resets it with an empty path, so
  a subscriber may first get that, or an older file's value.
- `{base}temperature/{heater}`: `{"actual", "target", "_timestamp"}`, retained; either may be
  null.

We fold those messages, and what OctoPrint's REST API says when the service asks it (a
start, a probe), into a small per-printer view, and turn it into our own `StatusPayload` and
`EventPayload`, so the service handles these printers like agent-driven ones. The state
follows the agent's rules (`printers.octoprint.tracking`): OctoPrint's own state first, then a
bed to clear; so a printer is idle only once OctoPrint is ready for a file.

Event ids are derived from the plugin's message (printer, event, file, timestamp), or from
the start command's id for what REST tells, so a replayed message, or another replica's
fold, gives the same id and is stored once. A cancel counts once: OctoPrint also sends
PrintFailed with `reason: cancelled`, which we drop.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from printers.octoprint.rest import LastPrint, OctoPrintSnapshot, PrinterActivity
from printers.octoprint.tracking import (
    CLOCK_SLACK_SECONDS,
    PrintEnding,
    PrintMemory,
    print_ending,
    print_may_have_ended,
    reported_state,
)
from printers.protocol.job_files import job_id_from_filename
from printers.protocol.payloads import (
    EventKind,
    EventPayload,
    PrinterState,
    StatusPayload,
    Temperature,
)
from printers.protocol.topics import (
    plugin_event_name,
    plugin_heater_name,
    plugin_last_will_topic,
    plugin_progress_topic,
)

MAX_PLUGIN_PAYLOAD_BYTES = 64 * 1024
MAX_HEATERS = 16  # as in StatusPayload
MAX_HEATER_NAME = 32

_ENDINGS = {
    "PrintDone": EventKind.PRINT_DONE,
    "PrintFailed": EventKind.PRINT_FAILED,
    "PrintCancelled": EventKind.PRINT_CANCELLED,
}
ACTIVE = frozenset({PrinterActivity.PRINTING, PrinterActivity.PAUSED, PrinterActivity.CANCELLING})

# OctoPrint's `state_id` (MachineCom.STATE_*, and OFFLINE when there is no serial link) in
# the adapter's words. FINISHING is still printing: OctoPrint refuses a new file then.
_ACTIVITY_OF_STATE_ID = {
    "OPERATIONAL": PrinterActivity.READY,
    "STARTING": PrinterActivity.PRINTING,
    "PRINTING": PrinterActivity.PRINTING,
    "RESUMING": PrinterActivity.PRINTING,
    "FINISHING": PrinterActivity.PRINTING,
    "PAUSING": PrinterActivity.PAUSED,
    "PAUSED": PrinterActivity.PAUSED,
    "CANCELLING": PrinterActivity.CANCELLING,
    "ERROR": PrinterActivity.ERROR,
    "CLOSED_WITH_ERROR": PrinterActivity.ERROR,
    "OFFLINE": PrinterActivity.DISCONNECTED,
    "CLOSED": PrinterActivity.DISCONNECTED,
    "NONE": PrinterActivity.DISCONNECTED,
    "OPEN_SERIAL": PrinterActivity.DISCONNECTED,
    "DETECT_SERIAL": PrinterActivity.DISCONNECTED,
    "CONNECTING": PrinterActivity.DISCONNECTED,
}


def activity_of_state_id(state_id: str) -> PrinterActivity:
    """OctoPrint's state id in our words; one we do not know (TRANSFERING_FILE, UNKNOWN, a
    later version's) is busy: not ready for a file."""
    return _ACTIVITY_OF_STATE_ID.get(state_id, PrinterActivity.BUSY)


class PluginMessageError(ValueError):
    """A plugin message that cannot be read; the message says why."""


class PluginLink(StrEnum):
    """The plugin's own connection to the broker, as `{base}mqtt` says."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class PluginPrinterView:
    """What the service knows of one plugin-driven printer, rebuilt message by message.

    `link` is the plugin's (None: never heard), `activity` OctoPrint's (None: not known,
    as after a shutdown). `job_id`, `file_path` and `started_at` are the print on the printer
    (`job_id` None for a file that is not one of our jobs), or the one left on its bed while
    `awaiting_clear`. `started_at` is on OctoPrint's clock when the plugin said it.
    """

    printer_id: str
    link: PluginLink | None = None
    activity: PrinterActivity | None = None
    job_id: str | None = None
    file_path: str | None = None
    started_at: float | None = None
    awaiting_clear: bool = False
    progress: float | None = None
    temperatures: dict[str, Temperature] = field(default_factory=dict)
    seq: int = 0
    ts: float | None = None

    @property
    def state(self) -> PrinterState:
        if self.link == PluginLink.DISCONNECTED or self.activity is None:
            return PrinterState.OFFLINE
        snapshot = OctoPrintSnapshot(activity=self.activity, state_text="")
        return reported_state(PrintMemory(awaiting_clear=self.awaiting_clear), snapshot)

    @property
    def holds_unfinished_job(self) -> bool:
        """Whether one of our jobs is on the printer and has not ended yet, as far as we know."""
        return self.job_id is not None and not self.awaiting_clear

    def print_memory(self) -> PrintMemory:
        """The print we follow, in the agent's terms, to judge its end the agent's way."""
        if not self.holds_unfinished_job:
            return PrintMemory(awaiting_clear=self.awaiting_clear, last_job_id=self.job_id)
        return PrintMemory(
            job_id=self.job_id, job_file=self.file_path, started_at=self.started_at or 0.0
        )

    def status(self) -> StatusPayload:
        return StatusPayload(
            state=self.state,
            job_id=self.job_id,
            progress=self.progress,
            temperatures=self.temperatures,
            seq=self.seq,
            ts=self.ts,
        )


def _shown(view: PluginPrinterView) -> tuple[object, ...]:
    return (view.state, view.job_id, view.progress, view.temperatures)


@dataclass(frozen=True)
class PluginIngestion:
    """A fold's result: the new view, the status to publish if what it shows changed, the
    event it records, and whether OctoPrint should be asked over REST how it is."""

    view: PluginPrinterView
    status: StatusPayload | None = None
    event: EventPayload | None = None
    wants_probe: bool = False


def plugin_event_id(printer_id: str, event: str, path: str | None, timestamp: float) -> str:
    digest = hashlib.sha256(f"{printer_id}|{event}|{path}|{timestamp}".encode()).hexdigest()
    return f"omqtt-{digest[:40]}"


def rest_event_id(attempt: str, kind: EventKind) -> str:
    """The id of an event learnt over REST, for one start command (`attempt`): whichever
    replica, start or probe learns it, it is stored once."""
    return f"rest-{attempt}-{kind.value}"[:64]


# --- the plugin's messages -------------------------------------------------------------


def ingest_plugin_message(
    view: PluginPrinterView, *, base_topic: str, topic: str, payload: bytes, received_at: float
) -> PluginIngestion:
    """Fold one plugin message into `view`; any unreadable payload raises PluginMessageError.
    `received_at` dates what carries no `_timestamp` (the last will)."""
    if topic == plugin_last_will_topic(base_topic):
        return _ingest_link(view, payload, received_at)
    body = _json_object(payload)
    timestamp = _timestamp(body)
    if topic == plugin_progress_topic(base_topic):
        return _ingest_progress(view, body, timestamp)
    heater = plugin_heater_name(topic, base_topic)
    if heater is not None:
        return _ingest_temperature(view, heater, body, timestamp)
    event = plugin_event_name(topic, base_topic)
    if event is None:
        raise PluginMessageError(
            f"topic {topic!r} is not an OctoPrint-MQTT topic under {base_topic!r}"
        )
    return _ingest_event(view, event, body, timestamp)


def _ingest_link(view: PluginPrinterView, payload: bytes, ts: float) -> PluginIngestion:
    try:
        link = PluginLink(payload.decode("ascii", "replace").strip())
    except ValueError:
        raise PluginMessageError(
            "the plugin's last will topic carries 'connected' or 'disconnected'"
        ) from None
    # Back: OctoPrint may have restarted meanwhile, and its start-up events are often lost
    # (sent before the plugin's connection was up), so ask it over REST.
    return _changed(view, ts, wants_probe=link == PluginLink.CONNECTED, link=link)


def _ingest_progress(view: PluginPrinterView, body: dict[str, Any], ts: float) -> PluginIngestion:
    progress = body.get("progress")
    if not isinstance(progress, int | float) or isinstance(progress, bool):
        raise PluginMessageError("progress message without a numeric 'progress'")
    path = body.get("path")
    if (
        view.awaiting_clear
        or view.activity not in ACTIVE
        or not isinstance(path, str)
        or path != view.file_path
    ):
        # Retained: on subscribing we may get an older file's value, or the reset to 0
        # with an empty path that each connection sends; and it goes on to 100 after
        # PrintDone. The events tell the state; progress only refines the print under way.
        return PluginIngestion(view)
    return _changed(view, ts, progress=max(0.0, min(100.0, float(progress))))


def _ingest_temperature(
    view: PluginPrinterView, heater: str, body: dict[str, Any], ts: float
) -> PluginIngestion:
    if len(heater) > MAX_HEATER_NAME:
        raise PluginMessageError(f"heater name of {len(heater)} characters is too long")
    try:
        reading = Temperature(actual=body.get("actual"), target=body.get("target"))
    except ValidationError:
        raise PluginMessageError(
            "temperature message with an unreadable actual or target"
        ) from None
    temperatures = {**view.temperatures, heater: reading}
    if len(temperatures) > MAX_HEATERS:
        raise PluginMessageError(f"more than {MAX_HEATERS} heaters")
    return _changed(view, ts, temperatures=temperatures)


def _ingest_event(
    view: PluginPrinterView, event: str, body: dict[str, Any], ts: float
) -> PluginIngestion:
    path = _file_path(body)
    if event == "PrinterStateChanged":
        state_id = body.get("state_id")
        if not isinstance(state_id, str):
            raise PluginMessageError("PrinterStateChanged without a 'state_id'")
        activity = activity_of_state_id(state_id)
        # Ready, with a print of ours whose end we did not hear (QoS 0, or sent while the
        # plugin was not connected): OctoPrint's record of the file tells how it ended.
        lost_end = activity == PrinterActivity.READY and view.holds_unfinished_job
        return _changed(view, ts, wants_probe=lost_end, activity=activity)
    if event == "PrintStarted":
        # A print on a bed still to clear leaves it to clear: the maker confirms it.
        started = replace(
            view,
            activity=PrinterActivity.PRINTING,
            job_id=job_id_from_filename(path),
            file_path=path,
            started_at=ts,
            progress=0.0,
        )
        return _with_event(view, started, EventKind.PRINT_STARTED, event, path, ts, None)
    if event in _ENDINGS:
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
        if event == "PrintFailed" and reason == "cancelled":
            return PluginIngestion(view)  # PrintCancelled already said it
        ended = replace(
            view,
            awaiting_clear=True,
            job_id=job_id_from_filename(path) if path else view.job_id,
            file_path=path or view.file_path,
            progress=100.0 if event == "PrintDone" else view.progress,
        )
        return _with_event(view, ended, _ENDINGS[event], event, path, ts, reason)
    if event in _ACTIVITY_OF_EVENT:
        return _changed(view, ts, activity=_ACTIVITY_OF_EVENT[event])
    if event == "Connected" and view.activity in (None, *_NOT_CONNECTED):
        return _changed(view, ts, activity=PrinterActivity.READY)
    if event == "Shutdown":
        return _changed(view, ts, activity=None)  # OctoPrint is stopping
    return PluginIngestion(view)


# PrinterStateChanged says the same a moment later; these make the view right sooner.
_ACTIVITY_OF_EVENT = {
    "PrintPaused": PrinterActivity.PAUSED,
    "PrintResumed": PrinterActivity.PRINTING,
    "Error": PrinterActivity.ERROR,
    "Disconnected": PrinterActivity.DISCONNECTED,  # the serial link, not the plugin's
}
_NOT_CONNECTED = (PrinterActivity.DISCONNECTED, PrinterActivity.ERROR)


# --- the service's own doings, and what OctoPrint's REST API says -----------------------


def clear_bed(view: PluginPrinterView, ts: float) -> PluginIngestion:
    """The maker confirmed (through the service) that a plugin printer's bed is clear. The
    printer is idle once OctoPrint is ready: still finishing, it is asked over REST."""
    if not view.awaiting_clear:
        return PluginIngestion(view)
    cleared = replace(view, awaiting_clear=False, job_id=None, file_path=None, progress=None)
    event = EventPayload(
        event_id=plugin_event_id(view.printer_id, "BedCleared", view.file_path, ts),
        kind=EventKind.BED_CLEARED,
        job_id=view.job_id,
        ts=ts,
    )
    result = _changed(view, ts, **_fields(cleared))
    return replace(result, event=event, wants_probe=cleared.state != PrinterState.IDLE)


def rest_started(
    view: PluginPrinterView,
    *,
    job_id: str,
    file_path: str,
    ts: float,
    attempt: str,
    found_printing: bool,
) -> PluginIngestion:
    """OctoPrint took our start over REST, or was found printing that job already
    (`found_printing`): the job is printing, even if the plugin never says so.

    A connected plugin says PrintStarted itself a moment after our start, and every replica
    hears it under one id: ours is recorded only when the plugin is silent, or when the job
    was found printing (the plugin's word did not reach us, or a start would not be sent
    again)."""
    if view.job_id == job_id and view.holds_unfinished_job and view.activity in ACTIVE:
        return PluginIngestion(view)  # the plugin told us first
    started = replace(
        view,
        activity=PrinterActivity.PRINTING,
        job_id=job_id,
        file_path=file_path,
        started_at=ts,
        progress=0.0,
    )
    result = _changed(view, ts, **_fields(started))
    if view.link == PluginLink.CONNECTED and not found_printing:
        return result
    event = EventPayload(
        event_id=rest_event_id(attempt, EventKind.PRINT_STARTED),
        kind=EventKind.PRINT_STARTED,
        job_id=job_id,
        ts=ts,
    )
    return replace(result, event=event)


def rest_printed(
    view: PluginPrinterView,
    snapshot: OctoPrintSnapshot,
    *,
    job_id: str,
    file_path: str,
    last_print: LastPrint,
    ts: float,
    attempt: str | None,
) -> PluginIngestion:
    """OctoPrint's record of the job's file says it was printed since the job was given to
    the printer: its print is on the bed, whatever we heard or did not."""
    if last_print.success:
        ending = PrintEnding(EventKind.PRINT_DONE)
    else:
        ending = PrintEnding(EventKind.PRINT_FAILED, "OctoPrint reported the print as failed")
    held = replace(
        view,
        activity=snapshot.activity,
        job_id=job_id,
        file_path=file_path,
        awaiting_clear=False,
    )
    return _ended(view, held, ending, ts, attempt)


def rest_probed(
    view: PluginPrinterView,
    snapshot: OctoPrintSnapshot,
    last_print: LastPrint | None,
    ts: float,
    attempt: str | None,
) -> PluginIngestion:
    """What OctoPrint's REST API says: its state, its temperatures, and what became of the
    print we follow (`last_print` is its file's record, when `needs_last_print`). `attempt`
    is the start command of the job concerned, None if that job is no longer on this
    printer: then no event is recorded."""
    looked = replace(
        view, activity=snapshot.activity, temperatures=_readings(snapshot) or view.temperatures
    )
    printing = job_id_from_filename(snapshot.file_name) if snapshot.activity in ACTIVE else None
    if printing is not None and snapshot.file_name is not None:
        if looked.job_id == printing and looked.holds_unfinished_job:
            return _changed(view, ts, **_fields(replace(looked, progress=snapshot.progress)))
        if attempt is not None and not looked.awaiting_clear:
            return rest_started(
                looked,
                job_id=printing,
                file_path=snapshot.file_name,
                ts=ts,
                attempt=attempt,
                found_printing=True,
            )
    ending = print_ending(view.print_memory(), snapshot, last_print, ts)
    if view.holds_unfinished_job and ending is not None:
        if snapshot.activity == PrinterActivity.ERROR:
            # Its state text is OctoPrint's words: the job's reason is read by other makers.
            ending = PrintEnding(EventKind.PRINT_FAILED, "the printer reported an error")
        return _ended(view, looked, ending, ts, attempt)
    return _changed(view, ts, **_fields(looked))


def _readings(snapshot: OctoPrintSnapshot) -> dict[str, Temperature]:
    """The snapshot's temperatures that make sense (as `StatusPayload` bounds them)."""
    readings = {}
    for name, reading in list(snapshot.temperatures.items())[:MAX_HEATERS]:
        with contextlib.suppress(ValidationError):
            readings[name[:MAX_HEATER_NAME]] = Temperature(
                actual=reading.actual, target=reading.target
            )
    return readings


def needs_last_print(view: PluginPrinterView, snapshot: OctoPrintSnapshot) -> bool:
    """Whether the print we follow may have ended, so that its file's record must be read."""
    return view.holds_unfinished_job and print_may_have_ended(view.print_memory(), snapshot)


def rest_refused(view: PluginPrinterView, ts: float) -> PluginIngestion:
    """OctoPrint refused our start, or could not be reached: held in error until it says
    otherwise (an event, or a probe), so it is not handed the next job at once."""
    return _changed(view, ts, activity=PrinterActivity.ERROR)


def rest_busy(view: PluginPrinterView, ts: float) -> PluginIngestion:
    """OctoPrint answered 409 to our start: busy (still finishing a print, say). Not ready
    until it says so."""
    if view.activity in ACTIVE or view.activity == PrinterActivity.BUSY:
        return PluginIngestion(view)
    return _changed(view, ts, activity=PrinterActivity.BUSY)


class StartVerdict(StrEnum):
    """What to do with a start command, from what OctoPrint shows."""

    START = "start"
    PRINTING = "printing"  # it prints this job already: the start was sent again
    PRINTED = "printed"  # the job's file was printed since the job was given: on the bed
    WAIT = "wait"  # busy, or not connected to the printer: start once it is ready
    REFUSE = "refuse"  # in error: the job goes elsewhere


def start_verdict(
    snapshot: OctoPrintSnapshot, filename: str, last_print: LastPrint | None, given_at: float
) -> StartVerdict:
    """Whether to start `filename`, a job given to the printer at `given_at` (our clock). A
    print that ended after that, by OctoPrint's clock, cannot be an earlier attempt's: a
    print lasts longer than the clocks drift apart."""
    if snapshot.file_name == filename and snapshot.activity in ACTIVE:
        return StartVerdict.PRINTING
    if last_print is not None and last_print.date >= given_at - CLOCK_SLACK_SECONDS:
        return StartVerdict.PRINTED
    if snapshot.activity == PrinterActivity.READY:
        return StartVerdict.START
    if snapshot.activity == PrinterActivity.ERROR:
        return StartVerdict.REFUSE
    return StartVerdict.WAIT


def view_from_state(
    printer_id: str,
    state: PrinterState | None,
    job_id: str | None,
    file_path: str | None,
    started_at: float | None,
    progress: float | None,
    seq: int,
) -> PluginPrinterView:
    """A view rebuilt from a stored status (the service restarted). Offline, or never
    heard, means not known: nothing is dispatched to it before it says it is ready."""
    activity = (
        {
            PrinterState.IDLE: PrinterActivity.READY,
            PrinterState.AWAITING_CLEAR: PrinterActivity.READY,
            PrinterState.PRINTING: PrinterActivity.PRINTING,
            PrinterState.PAUSED: PrinterActivity.PAUSED,
            PrinterState.ERROR: PrinterActivity.ERROR,
        }.get(state)
        if state is not None
        else None
    )
    return PluginPrinterView(
        printer_id=printer_id,
        activity=activity,
        job_id=job_id,
        file_path=file_path if job_id else None,
        started_at=started_at,
        awaiting_clear=state == PrinterState.AWAITING_CLEAR,
        progress=progress,
        seq=seq,
    )


# --- helpers ---------------------------------------------------------------------------


def _fields(view: PluginPrinterView) -> dict[str, Any]:
    """The fields a fold may change (all but identity and sequence)."""
    return {
        "link": view.link,
        "activity": view.activity,
        "job_id": view.job_id,
        "file_path": view.file_path,
        "started_at": view.started_at,
        "awaiting_clear": view.awaiting_clear,
        "progress": view.progress,
        "temperatures": view.temperatures,
    }


def _changed(
    view: PluginPrinterView, ts: float, *, wants_probe: bool = False, **changes: Any
) -> PluginIngestion:
    """The view with `changes`; a status (next seq) only if what it shows changed."""
    updated = replace(view, **changes)
    if _shown(updated) == _shown(view):
        return PluginIngestion(updated, wants_probe=wants_probe)
    advanced = replace(updated, seq=view.seq + 1, ts=ts)
    return PluginIngestion(advanced, status=advanced.status(), wants_probe=wants_probe)


def _with_event(
    before: PluginPrinterView,
    after: PluginPrinterView,
    kind: EventKind,
    event: str,
    path: str | None,
    ts: float,
    reason: str | None,
) -> PluginIngestion:
    result = _changed(before, ts, **_fields(after))
    payload = EventPayload(
        event_id=plugin_event_id(before.printer_id, event, path, ts),
        kind=kind,
        job_id=after.job_id,
        reason=reason[:500] if reason else None,
        ts=ts,
    )
    return replace(result, event=payload)


def _ended(
    before: PluginPrinterView,
    held: PluginPrinterView,
    ending: PrintEnding,
    ts: float,
    attempt: str | None,
) -> PluginIngestion:
    ended = replace(
        held,
        awaiting_clear=True,
        progress=100.0 if ending.kind == EventKind.PRINT_DONE else held.progress,
    )
    result = _changed(before, ts, **_fields(ended))
    if attempt is None:
        return result
    event = EventPayload(
        event_id=rest_event_id(attempt, ending.kind),
        kind=ending.kind,
        job_id=held.job_id,
        reason=ending.reason,
        ts=ts,
    )
    return replace(result, event=event)


def _json_object(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PLUGIN_PAYLOAD_BYTES:
        raise PluginMessageError(f"payload of {len(payload)} bytes is too large")
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise PluginMessageError(f"payload is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise PluginMessageError("payload is not a JSON object")
    return body


def _timestamp(body: dict[str, Any]) -> float:
    value = body.get("_timestamp")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e11:
        return float(value)
    raise PluginMessageError("payload has no valid '_timestamp'")


def _file_path(body: dict[str, Any]) -> str | None:
    for key in ("path", "name", "filename"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None
