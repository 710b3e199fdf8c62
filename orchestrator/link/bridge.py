"""The MQTT bridge: printers' statuses and events in, validated, into state and database.

- Statuses go to the in-memory `StatusCache`; a flusher thread writes the changed ones in
  one statement every `status_flush_seconds`.
- Events go to the `EventWriter`, which stores whatever has arrived in one transaction
  (each event with the job transition it causes) and only then acknowledges their messages
  to the broker: an event is either stored or redelivered. A redelivered event hits the
  unique (printer, event id) and changes nothing.
- Anything that does not parse is logged with its topic, counted and dropped.
- Each printer's events are bounded in rate (`EVENTS_PER_PRINTER`): a printer's login
  that floods its events topic cannot fill the database. A real printer sends a handful
  of events per print; an agent back from days offline replays its outbox well within it.
- Printers that run the OctoPrint-MQTT plugin instead of our agent come in through
  `PluginPrinters` (their own base topics, re-read when printers change) and go down the
  same two paths: `apply_status` and `record_event`. The bridge hands itself to it as its
  `PrinterReports`, the only part of the bridge plugin code sees.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session

from orchestrator.core.config import Settings
from orchestrator.link.connection import Ack, AcksLater, ServiceConnection
from orchestrator.link.event_writer import EventWriter
from orchestrator.link.plugin_printers import PluginPrinters
from orchestrator.link.status_cache import StatusCache
from orchestrator.services import printer_link
from printers.protocol.payloads import EventPayload, PayloadError, StatusPayload, parse_payload
from printers.protocol.topics import (
    Channel,
    TopicError,
    all_printers_subscription,
    parse_printer_topic,
    shared_subscription,
)

log = logging.getLogger(__name__)

PrinterNews = Callable[[int, str], None]  # (printer id, event kind or new state)

EVENTS_PER_PRINTER = parse_many("300/minute;3000/hour")


class Bridge:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        connection: ServiceConnection,
        process: str,
        share_group: str | None = None,
        on_event: PrinterNews | None = None,
        on_state_change: PrinterNews | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.connection = connection
        self.counters = connection.counters
        self.process = process
        self.share_group = share_group
        self.on_event = on_event
        self.on_state_change = on_state_change
        self.statuses = StatusCache()
        self.stopping = threading.Event()
        self.known_printers: set[int] = set()
        self.known_refreshed_at = 0.0
        self.event_rates = MovingWindowRateLimiter(MemoryStorage())
        self.flooding: set[int] = set()  # printers whose flood was logged
        self.plugin_printers = PluginPrinters(
            reports=self, engine=engine, settings=settings, connection=connection
        )
        self.event_writer = EventWriter(
            engine=engine,
            max_attempts=settings.max_job_attempts,
            counters=self.counters,
            on_stored=self._event_stored,
        )
        self.flusher = threading.Thread(
            target=self._flush_forever, name="status-flusher", daemon=True
        )

    # --- wiring ---

    def start(self) -> None:
        self._refresh_known_printers()
        self.plugin_printers.refresh()
        self.event_writer.start()
        handlers: tuple[tuple[Channel, Callable[[str, bytes], None] | AcksLater], ...] = (
            (Channel.STATUS, self.handle_status),
            (Channel.EVENTS, AcksLater(self.handle_event)),
        )
        for channel, handler in handlers:
            topic_filter = all_printers_subscription(channel, self.settings.mqtt_topic_prefix)
            # Replicas split the events; each still hears every status, because a broker
            # never sends retained messages to a shared subscription and a printer's
            # retained status is how a replica learns it is there and idle.
            if self.share_group and channel == Channel.EVENTS:
                topic_filter = shared_subscription(self.share_group, topic_filter)
            self.connection.subscribe(topic_filter, handler)
        self.flusher.start()

    def stop(self) -> None:
        self.stopping.set()
        self.flusher.join(timeout=10)
        self.event_writer.stop()
        self.plugin_printers.close()
        self.flush_once()

    # --- messages (paho's network thread) ---

    def printer_of(self, topic: str) -> int | None:
        try:
            printer_id = parse_printer_topic(topic, self.settings.mqtt_topic_prefix).printer_id
        except TopicError as error:
            self.reject(topic, str(error))
            return None
        number = int(printer_id) if printer_id.isdigit() else None
        if number is None or not self.is_known(number):
            self.counters.add("unknown_printer")
            log.warning("message on %s from a printer that is not registered; dropped", topic)
            return None
        return number

    def reject(self, topic: str, why: str) -> None:
        self.counters.add("malformed")
        log.warning("malformed message on %s dropped: %s", topic, why)

    def handle_status(self, topic: str, payload: bytes) -> None:
        printer_id = self.printer_of(topic)
        if printer_id is None:
            return
        try:
            status = parse_payload(StatusPayload, payload)
        except PayloadError as error:
            self.reject(topic, str(error))
            return
        self.apply_status(printer_id, status)

    def handle_event(self, topic: str, payload: bytes, ack: Ack) -> None:
        """Queue the event for the writer, which acknowledges it once stored; anything
        that will never be stored is acknowledged at once."""
        printer_id = self.printer_of(topic)
        if printer_id is None:
            ack()
            return
        try:
            event = parse_payload(EventPayload, payload)
        except PayloadError as error:
            self.reject(topic, str(error))
            ack()
            return
        if not self.within_event_rate(printer_id):
            ack()
            return
        if not self.event_writer.running:  # stopping: store it here, as it comes
            self.record_event(printer_id, event)
            ack()
            return
        self.event_writer.submit(printer_id, event, ack)

    def within_event_rate(self, printer_id: int) -> bool:
        """Count one event of the printer's; False (and logged) once it floods."""
        if all(self.event_rates.hit(rate, str(printer_id)) for rate in EVENTS_PER_PRINTER):
            return True
        self.counters.add("rate_limited_events")
        if printer_id not in self.flooding:
            self.flooding.add(printer_id)
            log.warning("printer %s sends events faster than any printer can; dropped", printer_id)
        return False

    # --- the two paths every printer's news takes, agent or plugin ---

    def apply_status(self, printer_id: int, status: StatusPayload) -> None:
        self.counters.add("statuses")
        before = self.statuses.get(printer_id)
        if not self.statuses.apply(printer_id, status, datetime.now(UTC)):
            self.counters.add("stale_statuses")
            return
        if self.on_state_change and (before is None or before.state != status.state):
            self.on_state_change(printer_id, status.state.value)

    def record_event(self, printer_id: int, event: EventPayload) -> None:
        """Store one event now, in the caller's thread (OctoPrint-MQTT printers' events,
        whose messages are acknowledged when their handler returns, and REST failures)."""
        changed_job = self.store_event(printer_id, event)
        if changed_job is not None:
            self._event_stored(printer_id, event.kind.value, changed_job)

    def _event_stored(self, printer_id: int, kind: str, _changed_job: int | None) -> None:
        if self.on_event is not None:
            self.on_event(printer_id, kind)

    def store_event(self, printer_id: int, event: EventPayload) -> int | None:
        """Record the event and its job transition in one transaction, retrying while the
        database is unreachable: the caller returns, and so acknowledges, only after."""
        delay = 0.5
        while True:
            try:
                with Session(self.engine, expire_on_commit=False) as session:
                    (outcome,) = printer_link.store_events(
                        session, [(printer_id, event)], self.settings.max_job_attempts
                    )
                    session.commit()
                self.counters.add("events" if outcome is not None else "duplicate_events")
                return outcome
            except (OperationalError, InterfaceError) as error:
                if self.stopping.is_set():
                    raise
                self.counters.add("database_retries")
                log.warning(
                    "database unavailable while storing an event (%s); retrying",
                    error.__class__.__name__,
                )
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    # --- known printers ---

    def is_known(self, printer_id: int) -> bool:
        if printer_id in self.known_printers:
            return True
        if time.monotonic() - self.known_refreshed_at > 1.0:
            self._refresh_known_printers()
        return printer_id in self.known_printers

    def _refresh_known_printers(self) -> None:
        with Session(self.engine) as session:
            self.known_printers = printer_link.known_printer_ids(session)
        self.known_refreshed_at = time.monotonic()

    # --- batched writes ---

    def flush_once(self) -> int:
        batch = self.statuses.take_changes()
        try:
            with Session(self.engine) as session:
                written = printer_link.flush_statuses(session, batch)
                printer_link.store_counters(session, self.process, self.counters.snapshot())
                session.commit()
            return written
        except (OperationalError, InterfaceError):
            self.statuses.requeue(batch)
            log.warning("database unavailable; %d statuses kept for the next batch", len(batch))
            return 0

    def _flush_forever(self) -> None:
        while not self.stopping.wait(self.settings.status_flush_seconds):
            try:
                self.flush_once()
            except Exception:
                log.exception("flushing statuses failed; will retry")
            try:
                self.plugin_printers.refresh_if_due()
            except Exception:
                log.exception("re-reading the OctoPrint-MQTT printers failed; will retry")
