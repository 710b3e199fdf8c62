"""Ingestion of printers that already run the OctoPrint-MQTT plugin, as pure functions.

The plugin publishes OctoPrint's events on `{base}/event/{Event}` (the event's payload plus
`_event` and `_timestamp`) and `{"location", "path", "progress", "_timestamp"}` retained on
`{base}/progress/printing`. We fold those messages into a small per-printer view and turn
them into our own `StatusPayload` and `EventPayload`, so the service handles these printers
like agent-driven ones. Commands to them go over REST, not through here.

Event ids are derived from (printer, event, file, timestamp), so a replayed message gives
the same id and is deduplicated downstream. A cancel counts once: OctoPrint also sends
PrintFailed with `reason: cancelled`, which we drop.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from printers.job_files import job_id_from_filename
from printers.payloads import EventKind, EventPayload, PrinterState, StatusPayload
from printers.topics import plugin_event_name, plugin_progress_topic

MAX_PLUGIN_PAYLOAD_BYTES = 64 * 1024

_ENDINGS = {
    "PrintDone": EventKind.PRINT_DONE,
    "PrintFailed": EventKind.PRINT_FAILED,
    "PrintCancelled": EventKind.PRINT_CANCELLED,
}


class PluginMessageError(ValueError):
    """A plugin message that cannot be read; the message says why."""


@dataclass(frozen=True)
class PluginPrinterView:
    """What the service knows of one plugin-driven printer, rebuilt message by message."""

    printer_id: str
    state: PrinterState = PrinterState.IDLE
    job_id: str | None = None
    file_path: str | None = None
    progress: float | None = None
    seq: int = 0
    ts: float | None = None

    def status(self) -> StatusPayload:
        return StatusPayload(
            state=self.state,
            job_id=self.job_id,
            progress=self.progress,
            seq=self.seq,
            ts=self.ts,
        )


@dataclass(frozen=True)
class PluginIngestion:
    view: PluginPrinterView
    status: StatusPayload | None = None
    event: EventPayload | None = None


def plugin_event_id(printer_id: str, event: str, path: str | None, timestamp: float) -> str:
    digest = hashlib.sha256(f"{printer_id}|{event}|{path}|{timestamp}".encode()).hexdigest()
    return f"omqtt-{digest[:40]}"


def ingest_plugin_message(
    view: PluginPrinterView, *, base_topic: str, topic: str, payload: bytes
) -> PluginIngestion:
    """Fold one plugin message into `view`; any unreadable payload raises PluginMessageError."""
    body = _json_object(payload)
    timestamp = _timestamp(body)
    if topic == plugin_progress_topic(base_topic):
        return _ingest_progress(view, body, timestamp)
    event = plugin_event_name(topic, base_topic)
    if event is None:
        raise PluginMessageError(
            f"topic {topic!r} is not an OctoPrint-MQTT topic under {base_topic!r}"
        )
    return _ingest_event(view, event, body, timestamp)


def _ingest_progress(view: PluginPrinterView, body: dict[str, Any], ts: float) -> PluginIngestion:
    progress = body.get("progress")
    if not isinstance(progress, int | float) or isinstance(progress, bool):
        raise PluginMessageError("progress message without a numeric 'progress'")
    if view.state not in (PrinterState.PRINTING, PrinterState.PAUSED):
        # The plugin also sends progress 0 on file selection and 100 on PrintDone: the
        # events tell the state, progress only refines a running print.
        return PluginIngestion(view)
    path = body.get("path") if isinstance(body.get("path"), str) else view.file_path
    updated = _advance(view, ts, progress=max(0.0, min(100.0, float(progress))), file_path=path)
    return PluginIngestion(updated, status=updated.status())


def _ingest_event(
    view: PluginPrinterView, event: str, body: dict[str, Any], ts: float
) -> PluginIngestion:
    path = _file_path(body)
    job_id = job_id_from_filename(path)
    if event == "PrintStarted":
        updated = _advance(
            view, ts, state=PrinterState.PRINTING, job_id=job_id, file_path=path, progress=0.0
        )
        return _with_event(updated, EventKind.PRINT_STARTED, event, path, ts, None)
    if event in _ENDINGS:
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
        if event == "PrintFailed" and reason == "cancelled":
            return PluginIngestion(view)  # PrintCancelled already said it
        updated = _advance(
            view,
            ts,
            state=PrinterState.AWAITING_CLEAR,
            job_id=job_id or view.job_id,
            file_path=path,
            progress=100.0 if event == "PrintDone" else None,
        )
        return _with_event(updated, _ENDINGS[event], event, path, ts, reason)
    if event == "PrintPaused":
        updated = _advance(view, ts, state=PrinterState.PAUSED)
        return PluginIngestion(updated, status=updated.status())
    if event == "PrintResumed":
        updated = _advance(view, ts, state=PrinterState.PRINTING)
        return PluginIngestion(updated, status=updated.status())
    if event == "Disconnected":
        updated = _advance(view, ts, state=PrinterState.OFFLINE, progress=None)
        return PluginIngestion(updated, status=updated.status())
    if event == "Error":
        updated = _advance(view, ts, state=PrinterState.ERROR)
        return PluginIngestion(updated, status=updated.status())
    if event == "Connected" and view.state in (PrinterState.OFFLINE, PrinterState.ERROR):
        updated = _advance(view, ts, state=PrinterState.IDLE)
        return PluginIngestion(updated, status=updated.status())
    return PluginIngestion(view)


def clear_bed(view: PluginPrinterView, ts: float) -> PluginIngestion:
    """The maker confirmed (through the service) that a plugin printer's bed is clear."""
    if view.state != PrinterState.AWAITING_CLEAR:
        return PluginIngestion(view)
    updated = _advance(view, ts, state=PrinterState.IDLE, job_id=None, progress=None)
    event = EventPayload(
        event_id=plugin_event_id(view.printer_id, "BedCleared", view.file_path, ts),
        kind=EventKind.BED_CLEARED,
        job_id=view.job_id,
        ts=ts,
    )
    return PluginIngestion(updated, status=updated.status(), event=event)


def _with_event(
    view: PluginPrinterView,
    kind: EventKind,
    event: str,
    path: str | None,
    ts: float,
    reason: str | None,
) -> PluginIngestion:
    payload = EventPayload(
        event_id=plugin_event_id(view.printer_id, event, path, ts),
        kind=kind,
        job_id=view.job_id,
        reason=reason[:500] if reason else None,
        ts=ts,
    )
    return PluginIngestion(view, status=view.status(), event=payload)


def _advance(view: PluginPrinterView, ts: float, **changes: Any) -> PluginPrinterView:
    return replace(view, seq=view.seq + 1, ts=ts, **changes)


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
