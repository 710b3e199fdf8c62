"""Printers driven by the OctoPrint-MQTT plugin instead of our agent (`octoprint-mqtt`).

What this module owns, for the bridge:
- Which printers are ingested (`plugin_routes`): each needs a base topic of its own, kept
  as the plugin's settings show it, whose topics (`printers.protocol.topics.plugin_write_filters`)
  overlap neither another printer's nor the service's. The broker's ACL is written from the
  same filters, so what the bridge listens to and what a printer may write cannot drift
  apart.
- Their subscriptions, re-read when the printers change, and one `PluginPrinterView` per
  printer. Each message is folded by `printers.plugin.octoprint_mqtt`, and its status and event go
  down the agents' paths, through the small interface the bridge hands in
  (`PrinterReports`: `apply_status`, `record_event`, `reject`).
- Their commands. The plugin takes none, so `start_job` becomes a REST upload-and-start in
  a worker thread, and the API's `clear_bed`, `cancel`, `pause` and `resume` (published on
  the printer's usual command topic) are carried out here. Before a start, OctoPrint is
  asked what it is doing: a printer that prints the job already, or whose bed holds the
  job's finished print, is not started again (its PrintStarted or PrintDone is recorded
  instead); one that is busy (finishing a print, say) gets the start once it is ready. A
  start OctoPrint refuses, or cannot be reached for, becomes a PrintFailed event: the job
  lifecycle re-queues the job.
- Following OctoPrint over REST (`_probe`) when the plugin cannot tell: a printer never
  heard or offline (every PROBE_SECONDS), back after a disconnection, or printing one of our
  jobs while its plugin is silent (every REFRESH_SECONDS, until the print's end is known).
- How the service calls their OctoPrint (`service_octoprint`): under its outbound policy
  (`orchestrator.link.outbound`), with the API key opened from its sealed form only there.
  A refusal's reason is in our words: the job's reason is read later by the maker whose
  printer takes the job, so it never carries a URL, an address or what a server answered.

Every orchestrator replica subscribes to every plugin printer (no shared subscription):
a view is folded message by message and must see them all. Event ids are derived from
the message, so replicas store each event once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.core.sealing import UnreadableSecret, open_sealed
from orchestrator.database.tables import BASE_TOPIC_PATTERN, Job, Printer, PrinterStatus
from orchestrator.domain.errors import DomainError
from orchestrator.domain.vocabulary import ON_PRINTER, ConnectionKind, JobStatus
from orchestrator.link.connection import ServiceConnection
from orchestrator.link.outbound import AddressNotAllowed, outbound_session
from orchestrator.services import parts
from printers.octoprint.rest import (
    LastPrint,
    OctoPrintAdapter,
    OctoPrintError,
    OctoPrintSnapshot,
    OctoPrintWrongState,
)
from printers.plugin.octoprint_mqtt import (
    ACTIVE,
    PluginIngestion,
    PluginLink,
    PluginMessageError,
    PluginPrinterView,
    StartVerdict,
    clear_bed,
    ingest_plugin_message,
    needs_last_print,
    rest_busy,
    rest_printed,
    rest_probed,
    rest_refused,
    rest_started,
    start_verdict,
    view_from_state,
)
from printers.protocol.job_files import gcode_filename, job_id_from_filename
from printers.protocol.payloads import (
    CommandKind,
    CommandPayload,
    EventKind,
    EventPayload,
    PayloadError,
    PrinterState,
    StatusPayload,
    parse_payload,
)
from printers.protocol.topics import (
    check_prefix,
    commands_topic,
    filters_overlap,
    plugin_subscriptions,
    plugin_write_filters,
)

log = logging.getLogger(__name__)
Result = TypeVar("Result")

# The API's kick (best effort) makes a refresh immediate; without one, a printer registered
# or changed is followed within REFRESH_SECONDS. A printer that is offline or in error is
# asked over REST how it is at most every PROBE_SECONDS; one we must follow over REST (its
# plugin is silent while it prints our job, or a start waits for it) at every refresh.
REFRESH_SECONDS = 2.0
PROBE_SECONDS = 30.0
REST_WORKERS = 4


# --- which printers, on which topics (pure) -------------------------------------------


@dataclass(frozen=True)
class PluginRoute:
    printer_id: int
    base_topic: str
    octoprint_url: str | None
    octoprint_api_key: str | None  # sealed

    @property
    def has_octoprint(self) -> bool:
        return bool(self.octoprint_url and self.octoprint_api_key)


def _overlap(first: list[str], second: list[str]) -> bool:
    """Whether a topic is in both sets of filters: a grant on one would reach the other."""
    return any(filters_overlap(a, b) for a in first for b in second)


def refuse_unroutable(session: Session, prefix: str, printer_id: int) -> None:
    """Refuse a plugin printer the bridge could not follow (no, bad or taken base topic)."""
    _routes, skipped = plugin_routes(session.exec(select(Printer)), prefix)
    if printer_id in skipped:
        raise UnroutablePrinter(
            f"This printer cannot be followed: {skipped[printer_id]}.",
            code="printer_unroutable",
            printer=printer_id,
        )


class UnroutablePrinter(DomainError):
    status_code = 422


class OctoPrintKeyUnreadable(OctoPrintError):
    """The stored API key does not open: the service's secret changed, or it was never sealed."""


def service_octoprint(url: str, sealed_key: str, settings: Settings) -> OctoPrintAdapter:
    """A plugin printer's OctoPrint as the service calls it: under the outbound policy,
    with its API key opened from its sealed form."""
    try:
        api_key = open_sealed(settings.secret, sealed_key)
    except UnreadableSecret as error:
        raise OctoPrintKeyUnreadable(
            "the OctoPrint API key can no longer be read: enter it again"
        ) from error
    return OctoPrintAdapter(
        url, api_key, session=outbound_session(settings.private_networks_allowed)
    )


def call_octoprint(
    url: str, sealed_key: str, settings: Settings, action: Callable[[OctoPrintAdapter], Result]
) -> Result:
    """`action` on the printer's OctoPrint; whatever goes wrong raises an `OctoPrintError`
    whose message is in our words."""
    try:
        return action(service_octoprint(url, sealed_key, settings))
    except AddressNotAllowed as error:
        log.warning("refused to call OctoPrint at %s (%s)", url, error.address)
        raise OctoPrintError(
            "the OctoPrint address is on a private network the fab-lab has not allowed"
        ) from error


@dataclass(frozen=True)
class StartOutcome:
    """What OctoPrint showed when asked to start a job, and what was done."""

    verdict: StartVerdict
    snapshot: OctoPrintSnapshot
    last_print: LastPrint | None


def start_unless_done(
    octoprint: OctoPrintAdapter, filename: str, gcode: bytes, given_at: float
) -> StartOutcome:
    """Upload and start `filename`, a job given to the printer at `given_at`, unless
    OctoPrint prints it already, its bed holds its finished print, or it is not ready
    (`start_verdict`)."""
    snapshot = octoprint.snapshot()
    printing_it = snapshot.file_name == filename and snapshot.activity in ACTIVE
    last_print = None if printing_it else octoprint.last_print(filename)
    verdict = start_verdict(snapshot, filename, last_print, given_at)
    if verdict == StartVerdict.START:
        octoprint.start_print(filename, gcode)
    return StartOutcome(verdict, snapshot, last_print)


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
        # As the plugin's settings show it: the plugin appends its sub-topics to it as is.
        base = (printer.mqtt_base_topic or "").strip()
        writes = plugin_write_filters(base)
        taken = next(
            (r for r in routes.values() if _overlap(writes, plugin_write_filters(r.base_topic))),
            None,
        )
        if not base:
            skipped[printer.id] = "it has no MQTT base topic (mqtt_base_topic is empty)"
        elif not BASE_TOPIC_PATTERN.match(base):
            skipped[printer.id] = (
                f"its base topic {base!r} is not plain topic levels (letters, digits, '_.-')"
            )
        elif _overlap(writes, [f"{root}/#"]):
            skipped[printer.id] = f"its base topic {base!r} overlaps the service's {root!r}"
        elif taken is not None:
            # Never named: the printer that holds it may be another maker's.
            skipped[printer.id] = (
                f"its base topic {base!r} overlaps the base topic of another printer; "
                "choose another (its OctoPrint-MQTT plugin's Base Topic)"
            )
        else:
            routes[printer.id] = PluginRoute(
                printer.id, base, printer.octoprint_url, printer.octoprint_api_key
            )
    return routes, skipped


def render_plugin_acl(routes: Iterable[PluginRoute], username: Callable[[int], str]) -> str:
    """Mosquitto ACL blocks: a plugin printer writes its own topics (events, progress,
    temperatures, last will, each under its base as the plugin builds them), reads none."""
    return "\n".join(
        f"user {username(route.printer_id)}\n"
        + "".join(
            f"topic write {topic_filter}\n"
            for topic_filter in plugin_write_filters(route.base_topic)
        )
        for route in sorted(routes, key=lambda r: r.printer_id)
    )


def render_service_plugin_reads(routes: Iterable[PluginRoute]) -> str:
    """The service's read grants on every plugin printer's topics (its user block's tail)."""
    return "".join(
        f"topic read {topic_filter}\n"
        for route in sorted(routes, key=lambda r: r.printer_id)
        for topic_filter in plugin_write_filters(route.base_topic)
    )


# --- seeding --------------------------------------------------------------------------


def _seeded(
    printer_id: int, stored: PrinterStatus | None, started_at: float | None
) -> PluginPrinterView:
    """A view that starts where the database left the printer (`started_at`: when its job
    started printing, if it did)."""
    if stored is None:
        return view_from_state(str(printer_id), None, None, None, None, None, 0)
    try:
        state: PrinterState | None = PrinterState(stored.state)
    except ValueError:
        state = None
    return view_from_state(
        str(printer_id),
        state,
        stored.job_id,
        gcode_filename(stored.job_id) if stored.job_id else None,
        started_at,
        stored.progress,
        stored.seq or 0,
    )


@dataclass(frozen=True)
class RestStart:
    """A start command for a plugin printer, as plain values for a worker thread."""

    job_id: int
    printer_id: int
    command_id: str | None


def _attempt_of(start: RestStart) -> str:
    return start.command_id or f"start-{start.job_id}"


def _start_times(session: Session, job_ids: Iterable[str | None]) -> dict[str, float]:
    """When each of these jobs started printing, by id (for views rebuilt after a restart)."""
    numbers = [int(job_id) for job_id in job_ids if job_id and job_id.isdigit()]
    if not numbers:
        return {}
    jobs = session.exec(select(Job).where(col(Job.id).in_(numbers)))
    return {str(job.id): job.started_at.timestamp() for job in jobs if job.started_at}


# --- the bridge's part ----------------------------------------------------------------


class PrinterReports(Protocol):
    """Where plugin printers' news goes: the two paths every printer's news takes, agent or
    plugin (`record_event` stores the event and its job transition before it returns), and
    the count of a message that does not parse. The bridge is one and hands itself in: this
    module sees nothing else of it."""

    def apply_status(self, printer_id: int, status: StatusPayload) -> None: ...

    def record_event(self, printer_id: int, event: EventPayload) -> None: ...

    def reject(self, topic: str, why: str) -> None: ...


class PluginPrinters:
    """The plugin printers one bridge ingests and commands. Thread-safe."""

    def __init__(
        self,
        *,
        reports: PrinterReports,
        engine: Engine,
        settings: Settings,
        connection: ServiceConnection,
    ) -> None:
        self.reports = reports
        self.engine = engine
        self.settings = settings
        self.connection = connection
        self.counters = connection.counters
        self.lock = threading.RLock()
        self.routes: dict[int, PluginRoute] = {}
        self.views: dict[int, PluginPrinterView] = {}
        self.skipped: dict[int, str] = {}
        self.busy: set[tuple[str, int]] = set()  # (what, id) of REST calls under way
        # Starts OctoPrint was not ready for, by printer: sent again once it is idle.
        self.waiting: dict[int, RestStart] = {}
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
        base topics, and ask OctoPrint about the printers the plugin does not tell of."""
        prefix = self.settings.mqtt_topic_prefix
        with Session(self.engine) as session:
            printers = list(
                session.exec(
                    select(Printer).where(Printer.connection_kind == ConnectionKind.OCTOPRINT_MQTT)
                )
            )
            routes, skipped = plugin_routes(printers, prefix)
            with self.lock:
                new = [pid for pid in routes if pid not in self.views]
            stored = {
                s.printer_id: s
                for s in session.exec(
                    select(PrinterStatus).where(col(PrinterStatus.printer_id).in_(new))
                )
            }
            started = _start_times(session, [s.job_id for s in stored.values()])
        self.refreshed_at = time.monotonic()
        for printer_id, why in skipped.items():
            if self.skipped.get(printer_id) != why:
                self.counters.add("plugin_printers_skipped")
                log.warning("OctoPrint-MQTT printer %s is not ingested: %s", printer_id, why)
        with self.lock:
            known = set(self.routes)
            self.skipped = skipped
            for printer_id, old in list(self.routes.items()):
                route = routes.get(printer_id)
                if route is None or route.base_topic != old.base_topic:
                    self._unsubscribe(old, prefix)
                    del self.routes[printer_id]
                if route is None:
                    self.views.pop(printer_id, None)
                    self.waiting.pop(printer_id, None)
                elif route.base_topic != old.base_topic and printer_id in self.views:
                    # What the old base's plugin said of its connection no longer counts.
                    self.views[printer_id] = replace(self.views[printer_id], link=None)
            for printer_id, route in routes.items():
                if printer_id not in self.routes:
                    status = stored.get(printer_id)
                    job_started = started.get(status.job_id or "") if status else None
                    self.views.setdefault(printer_id, _seeded(printer_id, status, job_started))
                    self._subscribe(route, prefix)
                self.routes[printer_id] = route  # the URL or key may have changed
            added = [pid for pid in routes if pid not in known]
            unsure = [
                pid
                for pid, view in self.views.items()
                if view.state in (PrinterState.OFFLINE, PrinterState.ERROR)
            ]
            followed = [pid for pid, view in self.views.items() if self._must_follow(pid, view)]
        if time.monotonic() - self.probed_at > PROBE_SECONDS:
            self.probed_at = time.monotonic()
        else:
            unsure = [pid for pid in unsure if pid in added]
        for printer_id in dict.fromkeys([*unsure, *followed]):
            self._probe_soon(printer_id)

    def _must_follow(self, printer_id: int, view: PluginPrinterView) -> bool:
        """Whether OctoPrint must be asked at every refresh: its plugin is not heard while
        it prints one of our jobs (we would not learn its end), or a start waits for it."""
        silent = view.link != PluginLink.CONNECTED
        waits = printer_id in self.waiting and view.state != PrinterState.OFFLINE
        return (silent and view.holds_unfinished_job) or waits

    def _subscribe(self, route: PluginRoute, prefix: str) -> None:
        printer_id = route.printer_id

        def on_plugin(topic: str, payload: bytes) -> None:
            self.handle_message(printer_id, topic, payload)

        def on_command(topic: str, payload: bytes) -> None:
            self.handle_command(printer_id, topic, payload)

        for topic_filter in plugin_subscriptions(route.base_topic):
            self.connection.subscribe(topic_filter, on_plugin)
        self.connection.subscribe(commands_topic(printer_id, prefix), on_command)
        log.info("ingesting OctoPrint-MQTT printer %s under %r", printer_id, route.base_topic)

    def _unsubscribe(self, route: PluginRoute, prefix: str) -> None:
        filters = [
            *plugin_subscriptions(route.base_topic),
            commands_topic(route.printer_id, prefix),
        ]
        self.connection.unsubscribe(set(filters))
        log.info("no longer ingesting OctoPrint-MQTT printer %s", route.printer_id)

    # --- messages (paho's network thread) ---

    def handle_message(self, printer_id: int, topic: str, payload: bytes) -> None:
        with self.lock:
            route = self.routes.get(printer_id)
        if route is None:
            return  # unsubscribed while the message was on its way
        self.counters.add("plugin_messages")
        received_at = time.time()
        try:
            self._fold(
                printer_id,
                lambda view: ingest_plugin_message(
                    view,
                    base_topic=route.base_topic,
                    topic=topic,
                    payload=payload,
                    received_at=received_at,
                ),
            )
        except PluginMessageError as error:
            self.reports.reject(topic, str(error))

    def handle_command(self, printer_id: int, topic: str, payload: bytes) -> None:
        """The API's commands to a plugin printer, carried out since no agent will."""
        try:
            command = parse_payload(CommandPayload, payload)
        except PayloadError as error:
            self.reports.reject(topic, str(error))
            return
        if command.kind == CommandKind.CLEAR_BED:
            # The command's own time makes a redelivered command the same BedCleared.
            self.clear_bed(printer_id, command.ts or time.time())
        elif command.kind in (CommandKind.CANCEL, CommandKind.PAUSE, CommandKind.RESUME):
            self._submit(("command", printer_id), self._run_command, printer_id, command.kind)

    def clear_bed(self, printer_id: int, ts: float) -> EventPayload | None:
        """The maker says the bed is clear: BedCleared, and the printer takes work again
        once OctoPrint is ready."""
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
            ready = result.view.state == PrinterState.IDLE
            waiting = self.waiting.pop(printer_id, None) if ready else None
        if result.status is not None:
            self.reports.apply_status(printer_id, result.status)
        if result.event is not None:
            self.reports.record_event(printer_id, result.event)
        if result.wants_probe:
            self._probe_soon(printer_id)
        if waiting is not None:
            log.info("printer %s is ready: job %s is started now", printer_id, waiting.job_id)
            self.start_job(waiting)
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
            with Session(self.engine) as session:
                printer = session.get(Printer, start.printer_id)
                if printer is None:
                    raise DomainError(
                        f"printer {start.printer_id} is no longer registered",
                        code="printer_gone",
                        printer=start.printer_id,
                    )
                job = session.get(Job, start.job_id)
                if (
                    job is None
                    or job.printer_id != start.printer_id
                    or job.status
                    not in (
                        JobStatus.ASSIGNED,
                        JobStatus.SENT,
                    )
                ):
                    # Started, ended, cancelled or given elsewhere since it was sent.
                    log.info(
                        "job %s is no longer to start on printer %s", start.job_id, start.printer_id
                    )
                    return
                given_at = (job.assigned_at or job.created_at).timestamp()
                path, _sha = parts.gcode_for_job(
                    session=session,
                    settings=self.settings,
                    printer=printer,
                    job_id=start.job_id,
                )
                url, key = printer.octoprint_url, printer.octoprint_api_key
            gcode = path.read_bytes()
        except (DomainError, OSError, OperationalError, InterfaceError) as error:
            # The detail (a path, a database or slicer message) is for the log only.
            log.warning("the G-code of job %s could not be read: %s", start.job_id, error)
            self._start_failed(start, "its G-code could not be read on the service", False)
            return
        if not url or not key:
            self._start_failed(
                start, "the printer has no OctoPrint URL and API key to start it over REST", True
            )
            return
        try:
            outcome = call_octoprint(
                url,
                key,
                self.settings,
                lambda octoprint: start_unless_done(octoprint, filename, gcode, given_at),
            )
        except OctoPrintWrongState:
            # 409: busy between our look and the start (still finishing a print, say).
            # Not the printer's fault, nor the job's: it starts once OctoPrint is ready.
            self._start_waits(start, lambda view: rest_busy(view, time.time()))
            return
        except OctoPrintError as error:
            self._start_failed(start, str(error), True)
            return
        self._started(start, filename, outcome)

    def _started(self, start: RestStart, filename: str, outcome: StartOutcome) -> None:
        """Record what OctoPrint showed, or did, when asked to start the job."""
        ts, job_id, attempt = time.time(), str(start.job_id), _attempt_of(start)
        printer_id = start.printer_id
        if outcome.verdict == StartVerdict.WAIT:
            log.info(
                "printer %s is not ready (OctoPrint says %r): job %s waits for it",
                printer_id,
                outcome.snapshot.state_text,
                job_id,
            )
            self._start_waits(
                start, lambda view: rest_probed(view, outcome.snapshot, None, ts, None)
            )
        elif outcome.verdict == StartVerdict.REFUSE:
            self._start_failed(start, "OctoPrint reports an error on the printer", True)
        elif outcome.verdict == StartVerdict.PRINTED:
            assert outcome.last_print is not None
            last_print = outcome.last_print
            log.warning(
                "the bed of printer %s holds the print of job %s already; not started again",
                printer_id,
                job_id,
            )
            self._fold(
                printer_id,
                lambda view: rest_printed(
                    view,
                    outcome.snapshot,
                    job_id=job_id,
                    file_path=filename,
                    last_print=last_print,
                    ts=ts,
                    attempt=attempt,
                ),
            )
        else:
            if outcome.verdict == StartVerdict.START:
                self.counters.add("rest_starts")
                log.info("started %s on printer %s over REST", filename, printer_id)
            else:
                log.info("printer %s already prints %s; not started again", printer_id, filename)
            self._fold(
                printer_id,
                lambda view: rest_started(
                    view,
                    job_id=job_id,
                    file_path=filename,
                    ts=ts,
                    attempt=attempt,
                    found_printing=outcome.verdict == StartVerdict.PRINTING,
                ),
            )

    def _start_waits(
        self, start: RestStart, change: Callable[[PluginPrinterView], PluginIngestion]
    ) -> None:
        """Keep the start for when the printer is ready, and show it as not ready meanwhile;
        it is followed over REST until then."""
        self.counters.add("rest_starts_waiting")
        with self.lock:
            self.waiting[start.printer_id] = start
        self._fold(start.printer_id, change)

    def _start_failed(self, start: RestStart, why: str, printer_at_fault: bool) -> None:
        """Record the failed start as a PrintFailed, once per attempt, so the lifecycle
        re-queues the job; a printer that refused is held in error until it reports again
        (or its OctoPrint answers a probe), so it is not handed the next job at once."""
        self.counters.add("rest_start_failures")
        log.warning("could not start job %s on printer %s: %s", start.job_id, start.printer_id, why)
        ts = time.time()
        if printer_at_fault:
            self._fold(start.printer_id, lambda view: rest_refused(view, ts))
        event = EventPayload(
            event_id=f"rest-{_attempt_of(start)}"[:64],
            kind=EventKind.PRINT_FAILED,
            job_id=str(start.job_id),
            reason=f"OctoPrint did not start the job: {why}"[:500],
            ts=ts,
        )
        self.reports.record_event(start.printer_id, event)

    def _probe_soon(self, printer_id: int) -> None:
        with self.lock:
            route = self.routes.get(printer_id)
        if route is not None and route.has_octoprint:
            self._submit(("probe", printer_id), self._probe, route)

    def _probe(self, route: PluginRoute) -> None:
        """Ask OctoPrint how the printer is, and what became of the print we follow."""
        assert route.octoprint_url and route.octoprint_api_key
        with self.lock:
            view = self.views.get(route.printer_id)
        if view is None:
            return

        def look(octoprint: OctoPrintAdapter) -> tuple[OctoPrintSnapshot, LastPrint | None]:
            snapshot = octoprint.snapshot()
            if view.file_path and needs_last_print(view, snapshot):
                return snapshot, octoprint.last_print(view.file_path)
            return snapshot, None

        try:
            snapshot, last_print = call_octoprint(
                route.octoprint_url, route.octoprint_api_key, self.settings, look
            )
        except OctoPrintError as error:
            log.info("OctoPrint of printer %s did not answer: %s", route.printer_id, error)
            return
        printing = job_id_from_filename(snapshot.file_name) if snapshot.activity in ACTIVE else None
        attempt = self._attempt_on(route.printer_id, printing or view.job_id)
        self._fold(
            route.printer_id,
            lambda current: rest_probed(current, snapshot, last_print, time.time(), attempt),
        )

    def _attempt_on(self, printer_id: int, job_id: str | None) -> str | None:
        """The start command of the job's attempt on this printer; None if the job is not
        on it (any more): what OctoPrint says of it then changes no job."""
        if job_id is None or not job_id.isdigit():
            return None
        with Session(self.engine) as session:
            job = session.get(Job, int(job_id))
        if job is None or job.printer_id != printer_id or job.status not in ON_PRINTER:
            return None
        return job.command_id

    def _run_command(self, printer_id: int, kind: CommandKind) -> None:
        with self.lock:
            route = self.routes.get(printer_id)
        if route is None or not route.octoprint_url or not route.octoprint_api_key:
            log.warning("cannot %s printer %s: no OctoPrint URL and API key", kind, printer_id)
            return
        action = {
            CommandKind.CANCEL: OctoPrintAdapter.cancel,
            CommandKind.PAUSE: OctoPrintAdapter.pause,
            CommandKind.RESUME: OctoPrintAdapter.resume,
        }[kind]
        try:
            call_octoprint(route.octoprint_url, route.octoprint_api_key, self.settings, action)
        except OctoPrintError as error:
            self.counters.add("rest_command_failures")
            log.warning("OctoPrint of printer %s refused %s: %s", printer_id, kind, error)

    def close(self) -> None:
        with self.lock:
            self.waiting.clear()
        self.rest.shutdown(wait=True, cancel_futures=True)
