"""Printers driven by the OctoPrint-MQTT plugin instead of our agent (`octoprint-mqtt`).

What this module owns, for the bridge:
- Which printers are ingested (`plugin_routes`): each needs a base topic of its own, one
  that overlaps neither another printer's nor the service's prefix. The broker's ACL is
  written from the same choice, so what the bridge listens to and what a printer may write
  cannot drift apart.
- Their subscriptions, re-read when the printers change, and one `PluginPrinterView` per
  printer. Each message is folded by `printers.octoprint_mqtt`, and its status and event go
  down the agents' paths (`Bridge.apply_status`, `Bridge.record_event`).
- Their commands. The plugin takes none, so `start_job` becomes a REST upload-and-start in
  a worker thread, and the API's `clear_bed`, `cancel`, `pause` and `resume` (published on
  the printer's usual command topic) are carried out here. A start OctoPrint refuses, or
  cannot be reached for, becomes a PrintFailed event: the job lifecycle re-queues the job.

Every orchestrator replica subscribes to every plugin printer (no shared subscription):
a view is folded message by message and must see them all. Event ids are derived from
the message, so replicas store each event once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col, select

from orchestrator.errors import DomainError
from orchestrator.services import parts
from orchestrator.tables import ConnectionKind, Printer, PrinterStatus
from printers.job_files import gcode_filename, job_id_from_filename
from printers.octoprint import (
    OctoPrintAdapter,
    OctoPrintError,
    OctoPrintSnapshot,
    PrinterActivity,
)
from printers.octoprint_mqtt import (
    PluginIngestion,
    PluginMessageError,
    PluginPrinterView,
    clear_bed,
    ingest_plugin_message,
)
from printers.payloads import (
    CommandKind,
    CommandPayload,
    EventKind,
    EventPayload,
    PayloadError,
    PrinterState,
    parse_payload,
)
from printers.topics import check_prefix, commands_topic, plugin_subscriptions

if TYPE_CHECKING:
    from orchestrator.link.bridge import Bridge

log = logging.getLogger(__name__)

# Plain topic levels only: no wildcards, no `$`, no spaces (the base goes into the ACL file).
_BASE_TOPIC = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
# The API's kick (best effort) makes a refresh immediate; without one, a printer registered
# or changed is followed within REFRESH_SECONDS. A printer that is offline or in error is
# asked over REST how it is at most every PROBE_SECONDS.
REFRESH_SECONDS = 2.0
PROBE_SECONDS = 30.0
REST_WORKERS = 4

_STATE_OF_ACTIVITY = {
    PrinterActivity.READY: PrinterState.IDLE,
    PrinterActivity.PRINTING: PrinterState.PRINTING,
    PrinterActivity.PAUSED: PrinterState.PAUSED,
    PrinterActivity.DISCONNECTED: PrinterState.OFFLINE,
    PrinterActivity.ERROR: PrinterState.ERROR,
}


# --- which printers, on which topics (pure) -------------------------------------------


@dataclass(frozen=True)
class PluginRoute:
    printer_id: int
    base_topic: str
    octoprint_url: str | None
    octoprint_api_key: str | None

    def adapter(self) -> OctoPrintAdapter | None:
        if not self.octoprint_url or not self.octoprint_api_key:
            return None
        return OctoPrintAdapter(self.octoprint_url, self.octoprint_api_key)


def _overlap(first: str, second: str) -> bool:
    """Whether one topic tree holds the other: a write grant on one would reach both."""
    return first == second or first.startswith(f"{second}/") or second.startswith(f"{first}/")


def refuse_unroutable(session: Session, prefix: str, printer_id: int) -> None:
    """Refuse a plugin printer the bridge could not follow (no, bad or taken base topic)."""
    _routes, skipped = plugin_routes(session.exec(select(Printer)), prefix)
    if printer_id in skipped:
        raise UnroutablePrinter(f"This printer cannot be followed: {skipped[printer_id]}.")


class UnroutablePrinter(DomainError):
    status_code = 422


def plugin_routes(
    printers: Iterable[Printer], prefix: str
) -> tuple[dict[int, PluginRoute], dict[int, str]]:
    """The plugin printers to ingest, by id, and why each of the others is skipped.

    Printers are taken in id order, so a later printer cannot take over (or shadow) the
    base topic of one registered before it."""
    root = check_prefix(prefix)
    routes: dict[int, PluginRoute] = {}
    skipped: dict[int, str] = {}
    for printer in sorted(printers, key=lambda p: p.id or 0):
        if printer.id is None or printer.connection_kind != ConnectionKind.OCTOPRINT_MQTT:
            continue
        base = (printer.mqtt_base_topic or "").strip().strip("/")
        taken = next((r for r in routes.values() if _overlap(base, r.base_topic)), None)
        if not base:
            skipped[printer.id] = "it has no MQTT base topic (mqtt_base_topic is empty)"
        elif not _BASE_TOPIC.match(base):
            skipped[printer.id] = (
                f"its base topic {base!r} is not plain topic levels (letters, digits, '_.-')"
            )
        elif _overlap(base, root):
            skipped[printer.id] = f"its base topic {base!r} overlaps the service's {root!r}"
        elif taken is not None:
            skipped[printer.id] = (
                f"its base topic {base!r} overlaps {taken.base_topic!r}, "
                f"the base topic of printer {taken.printer_id}"
            )
        else:
            routes[printer.id] = PluginRoute(
                printer.id, base, printer.octoprint_url, printer.octoprint_api_key
            )
    return routes, skipped


def render_plugin_acl(routes: Iterable[PluginRoute], username: Callable[[int], str]) -> str:
    """Mosquitto ACL blocks: a plugin printer writes under its own base topic, reads none."""
    return "\n".join(
        f"user {username(route.printer_id)}\ntopic write {route.base_topic}/#\n"
        for route in sorted(routes, key=lambda r: r.printer_id)
    )


# --- folds the plugin module does not have --------------------------------------------


def _marked(view: PluginPrinterView, state: PrinterState, ts: float) -> PluginIngestion:
    updated = replace(view, state=state, seq=view.seq + 1, ts=ts)
    return PluginIngestion(updated, status=updated.status())


def _probed(view: PluginPrinterView, snapshot: OctoPrintSnapshot, ts: float) -> PluginIngestion:
    """What OctoPrint's REST API says, taken only while the view knows nothing better (it
    is offline, in error, or never heard of): the plugin's events stay the authority."""
    state = _STATE_OF_ACTIVITY.get(snapshot.activity)
    if state is None or view.state not in (PrinterState.OFFLINE, PrinterState.ERROR):
        return PluginIngestion(view)
    if state == view.state and view.seq > 0:
        return PluginIngestion(view)
    printing = state in (PrinterState.PRINTING, PrinterState.PAUSED)
    updated = replace(
        view,
        state=state,
        job_id=job_id_from_filename(snapshot.file_name) if printing else None,
        file_path=snapshot.file_name if printing else None,
        progress=snapshot.progress if printing else None,
        seq=view.seq + 1,
        ts=ts,
    )
    return PluginIngestion(updated, status=updated.status())


def _seeded(printer_id: int, stored: PrinterStatus | None) -> PluginPrinterView:
    """A view that starts where the database left the printer; unknown means offline, so
    that nothing is dispatched to it before it (or its OctoPrint) says it is ready."""
    if stored is None:
        return PluginPrinterView(printer_id=str(printer_id), state=PrinterState.OFFLINE)
    try:
        state = PrinterState(stored.state)
    except ValueError:
        state = PrinterState.OFFLINE
    return PluginPrinterView(
        printer_id=str(printer_id),
        state=state,
        job_id=stored.job_id,
        file_path=gcode_filename(stored.job_id) if stored.job_id else None,
        progress=stored.progress,
        seq=stored.seq or 0,
    )


@dataclass(frozen=True)
class RestStart:
    """A start command for a plugin printer, as plain values for a worker thread."""

    job_id: int
    printer_id: int
    command_id: str | None


# --- the bridge's part ----------------------------------------------------------------


class PluginPrinters:
    """The plugin printers one bridge ingests and commands. Thread-safe."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.counters = bridge.counters
        self.lock = threading.RLock()
        self.routes: dict[int, PluginRoute] = {}
        self.views: dict[int, PluginPrinterView] = {}
        self.skipped: dict[int, str] = {}
        self.busy: set[tuple[str, int]] = set()  # (what, id) of REST calls under way
        self.rest = ThreadPoolExecutor(REST_WORKERS, thread_name_prefix="octoprint-rest")
        self.changed = threading.Event()  # set on a kick: the printers may have changed
        self.refreshed_at = 0.0
        self.probed_at = 0.0

    # --- subscriptions ---

    def refresh_if_due(self) -> None:
        if self.changed.is_set() or time.monotonic() - self.refreshed_at > REFRESH_SECONDS:
            self.changed.clear()
            self.refresh()

    def refresh(self) -> None:
        """Subscribe newly registered plugin printers, drop removed ones, follow changed
        base topics, and ask OctoPrint about the printers we know nothing good of."""
        prefix = self.bridge.settings.mqtt_topic_prefix
        with Session(self.bridge.engine) as session:
            printers = list(
                session.exec(
                    select(Printer).where(Printer.connection_kind == ConnectionKind.OCTOPRINT_MQTT)
                )
            )
            routes, skipped = plugin_routes(printers, prefix)
            stored = {
                s.printer_id: s
                for s in session.exec(
                    select(PrinterStatus).where(col(PrinterStatus.printer_id).in_(list(routes)))
                )
            }
        self.refreshed_at = time.monotonic()
        for printer_id, why in skipped.items():
            if self.skipped.get(printer_id) != why:
                self.counters.add("plugin_printers_skipped")
                log.warning("OctoPrint-MQTT printer %s is not ingested: %s", printer_id, why)
        with self.lock:
            known = set(self.routes)
            self.skipped = skipped
            for printer_id, old in list(self.routes.items()):
                new = routes.get(printer_id)
                if new is None or new.base_topic != old.base_topic:
                    self._unsubscribe(old, prefix)
                    del self.routes[printer_id]
                    if new is None:
                        self.views.pop(printer_id, None)
            for printer_id, route in routes.items():
                if printer_id not in self.routes:
                    self.views.setdefault(printer_id, _seeded(printer_id, stored.get(printer_id)))
                    self._subscribe(route, prefix)
                self.routes[printer_id] = route  # the URL or key may have changed
            added = [pid for pid in routes if pid not in known]
            unsure = [
                pid
                for pid, view in self.views.items()
                if view.state in (PrinterState.OFFLINE, PrinterState.ERROR)
            ]
        if time.monotonic() - self.probed_at > PROBE_SECONDS:
            self.probed_at = time.monotonic()
        else:
            unsure = [pid for pid in unsure if pid in added]
        for printer_id in unsure:
            self._probe_soon(printer_id)

    def _subscribe(self, route: PluginRoute, prefix: str) -> None:
        printer_id = route.printer_id

        def on_plugin(topic: str, payload: bytes) -> None:
            self.handle_message(printer_id, topic, payload)

        def on_command(topic: str, payload: bytes) -> None:
            self.handle_command(printer_id, topic, payload)

        for topic_filter in plugin_subscriptions(route.base_topic):
            self.bridge.connection.subscribe(topic_filter, on_plugin)
        self.bridge.connection.subscribe(commands_topic(printer_id, prefix), on_command)
        log.info("ingesting OctoPrint-MQTT printer %s under %s/", printer_id, route.base_topic)

    def _unsubscribe(self, route: PluginRoute, prefix: str) -> None:
        connection = self.bridge.connection
        filters = [
            *plugin_subscriptions(route.base_topic),
            commands_topic(route.printer_id, prefix),
        ]
        connection.unsubscribe(set(filters))
        log.info("no longer ingesting OctoPrint-MQTT printer %s", route.printer_id)

    # --- messages (paho's network thread) ---

    def handle_message(self, printer_id: int, topic: str, payload: bytes) -> None:
        with self.lock:
            route = self.routes.get(printer_id)
        if route is None:
            return  # unsubscribed while the message was on its way
        self.counters.add("plugin_messages")
        try:
            self._fold(
                printer_id,
                lambda view: ingest_plugin_message(
                    view, base_topic=route.base_topic, topic=topic, payload=payload
                ),
            )
        except PluginMessageError as error:
            self.bridge.reject(topic, str(error))

    def handle_command(self, printer_id: int, topic: str, payload: bytes) -> None:
        """The API's commands to a plugin printer, carried out since no agent will."""
        try:
            command = parse_payload(CommandPayload, payload)
        except PayloadError as error:
            self.bridge.reject(topic, str(error))
            return
        if command.kind == CommandKind.CLEAR_BED:
            # The command's own time makes a redelivered command the same BedCleared.
            self.clear_bed(printer_id, command.ts or time.time())
        elif command.kind in (CommandKind.CANCEL, CommandKind.PAUSE, CommandKind.RESUME):
            self._submit(("command", printer_id), self._run_command, printer_id, command.kind)

    def clear_bed(self, printer_id: int, ts: float) -> EventPayload | None:
        """The maker says the bed is clear: BedCleared, and the printer takes work again."""
        result = self._fold(printer_id, lambda view: clear_bed(view, ts))
        return result.event if result is not None else None

    def _fold(
        self, printer_id: int, change: Callable[[PluginPrinterView], PluginIngestion]
    ) -> PluginIngestion | None:
        with self.lock:
            view = self.views.get(printer_id)
            if view is None:
                return None
            result = change(view)
            self.views[printer_id] = result.view
        if result.status is not None:
            self.bridge.apply_status(printer_id, result.status)
        if result.event is not None:
            self.bridge.record_event(printer_id, result.event)
        return result

    # --- REST (worker threads) ---

    def start_job(self, start: RestStart) -> None:
        """Upload and start a job's G-code on the printer's OctoPrint, in the background."""
        self._submit(("start", start.job_id), self._start, start)

    def _submit(self, key: tuple[str, int], call: Callable[..., None], *args: object) -> None:
        with self.lock:
            if key in self.busy:
                return  # the same call is already under way (a resend, a redelivery)
            self.busy.add(key)

        def run() -> None:
            try:
                call(*args)
            except Exception:  # a worker must never die silently
                self.counters.add("rest_errors")
                log.exception("a REST call to an OctoPrint-MQTT printer failed")
            finally:
                with self.lock:
                    self.busy.discard(key)

        try:
            self.rest.submit(run)
        except RuntimeError:  # shutting down
            with self.lock:
                self.busy.discard(key)

    def _start(self, start: RestStart) -> None:
        filename = gcode_filename(str(start.job_id))
        try:
            with Session(self.bridge.engine) as session:
                printer = session.get(Printer, start.printer_id)
                if printer is None:
                    raise DomainError(f"printer {start.printer_id} is no longer registered")
                path, _sha = parts.gcode_for_job(
                    session=session,
                    settings=self.bridge.settings,
                    printer=printer,
                    job_id=start.job_id,
                )
                url, key = printer.octoprint_url, printer.octoprint_api_key
            gcode = path.read_bytes()
        except (DomainError, OSError, OperationalError, InterfaceError) as error:
            why = error.message if isinstance(error, DomainError) else str(error)
            self._start_failed(start, f"its G-code could not be read here: {why}", False)
            return
        if not url or not key:
            self._start_failed(
                start, "the printer has no OctoPrint URL and API key to start it over REST", True
            )
            return
        adapter = OctoPrintAdapter(url, key)
        try:
            now = adapter.snapshot()
            if now.file_name == filename and now.activity in (
                PrinterActivity.PRINTING,
                PrinterActivity.PAUSED,
            ):
                log.info(
                    "printer %s already prints %s; not started again", start.printer_id, filename
                )
                return
            adapter.start_print(filename, gcode)
        except OctoPrintError as error:
            self._start_failed(start, str(error), True)
            return
        self.counters.add("rest_starts")
        log.info("started %s on printer %s over REST", filename, start.printer_id)

    def _start_failed(self, start: RestStart, why: str, printer_at_fault: bool) -> None:
        """Record the failed start as a PrintFailed, once per attempt, so the lifecycle
        re-queues the job; a printer that refused is held in error until it reports again
        (or its OctoPrint answers a probe), so it is not handed the next job at once."""
        self.counters.add("rest_start_failures")
        log.warning("could not start job %s on printer %s: %s", start.job_id, start.printer_id, why)
        ts = time.time()
        if printer_at_fault:
            self._fold(start.printer_id, lambda view: _marked(view, PrinterState.ERROR, ts))
        attempt = start.command_id or f"start-{start.job_id}-{int(ts * 1000)}"
        event = EventPayload(
            event_id=f"rest-{attempt}"[:64],
            kind=EventKind.PRINT_FAILED,
            job_id=str(start.job_id),
            reason=f"OctoPrint did not start the job: {why}"[:500],
            ts=ts,
        )
        self.bridge.record_event(start.printer_id, event)

    def _probe_soon(self, printer_id: int) -> None:
        with self.lock:
            route = self.routes.get(printer_id)
        if route is not None and route.adapter() is not None:
            self._submit(("probe", printer_id), self._probe, route)

    def _probe(self, route: PluginRoute) -> None:
        adapter = route.adapter()
        assert adapter is not None
        try:
            snapshot = adapter.snapshot()
        except OctoPrintError as error:
            log.info("OctoPrint of printer %s did not answer: %s", route.printer_id, error)
            return
        self._fold(route.printer_id, lambda view: _probed(view, snapshot, time.time()))

    def _run_command(self, printer_id: int, kind: CommandKind) -> None:
        with self.lock:
            route = self.routes.get(printer_id)
        adapter = route.adapter() if route is not None else None
        if adapter is None:
            log.warning("cannot %s printer %s: no OctoPrint URL and API key", kind, printer_id)
            return
        action = {
            CommandKind.CANCEL: adapter.cancel,
            CommandKind.PAUSE: adapter.pause,
            CommandKind.RESUME: adapter.resume,
        }[kind]
        try:
            action()
        except OctoPrintError as error:
            self.counters.add("rest_command_failures")
            log.warning("OctoPrint of printer %s refused %s: %s", printer_id, kind, error)

    def close(self) -> None:
        self.rest.shutdown(wait=True, cancel_futures=True)


def clear_plugin_bed(
    bridge: Bridge, printer_id: int, ts: float | None = None
) -> EventPayload | None:
    """Record that a plugin printer's bed is clear (BedCleared through the bridge); None if
    the printer is not a plugin printer this bridge ingests, or was not awaiting a clear."""
    return bridge.plugin_printers.clear_bed(printer_id, time.time() if ts is None else ts)
