"""Printers' events, stored in batches: one transaction, and so one commit, for every event
that arrived while the previous batch was being written.

Why: a commit is what costs (SQLite syncs its journal to disk at every one), so storing
events one transaction each capped the bridge at about 100 events/s here, and it stored them
in paho's network thread, so statuses waited behind every commit. Now paho's thread only
parses and queues; this writer stores.

What does not change:
- each event is stored once (the unique printer + event id) and moves its job along its
  lifecycle in the same transaction, in arrival order;
- its MQTT message is acknowledged only after that transaction commits; until then the
  broker keeps it and sends it again if the service goes away, and a redelivered event is
  a duplicate that changes nothing;
- the database being away holds the batch and retries, and the broker holds the rest: it
  sends a subscriber only so many unacknowledged messages (Mosquitto's
  `max_inflight_messages`, 20 by default), which also bounds this queue.

A batch that fails for another reason (a bug, a constraint) is written again one event per
transaction, so that one bad event cannot hold back the others; an event that fails alone is
logged, counted and acknowledged, as a handler that raises always was.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from orchestrator.link.connection import Ack, Counters
from orchestrator.services import printer_link
from printers.protocol.payloads import EventPayload

log = logging.getLogger(__name__)

# Enough to take whatever the broker has in flight in one commit; a transaction no longer
# than a few tens of milliseconds, so that the status flusher is not kept waiting.
MAX_BATCH = 500

Stored = Callable[[int, str, int | None], None]  # (printer id, kind, changed job id or None)


class DatabaseAway(Exception):
    """The database cannot be reached (or the connection broke): retry, never drop."""


def database_away(error: DBAPIError) -> bool:
    """A connection that failed or broke, whatever the driver calls it: SQLAlchemy marks
    the connection invalidated when the driver's error means a disconnect."""
    return isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated


@dataclass(frozen=True)
class PendingEvent:
    printer_id: int
    event: EventPayload
    ack: Ack


class EventWriter:
    def __init__(
        self,
        *,
        engine: Engine,
        max_attempts: int,
        counters: Counters,
        on_stored: Stored,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self.counters = counters
        self.on_stored = on_stored
        self.max_batch = max_batch
        self.pending: queue.SimpleQueue[PendingEvent] = queue.SimpleQueue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._write_forever, name="event-writer", daemon=True)

    @property
    def running(self) -> bool:
        return self.thread.is_alive() and not self.stopping.is_set()

    def start(self) -> None:
        self.thread.start()

    def submit(self, printer_id: int, event: EventPayload, ack: Ack) -> None:
        self.pending.put(PendingEvent(printer_id, event, ack))

    def stop(self, timeout: float = 10.0) -> None:
        """Store and acknowledge what is queued, then stop."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=timeout)

    # --- the writer thread ---

    def _write_forever(self) -> None:
        while True:
            batch = self._next_batch()
            if batch:
                self._write(batch)
            elif self.stopping.is_set():
                return

    def _next_batch(self) -> list[PendingEvent]:
        """What has arrived, up to `max_batch`; waits a little for the first event only."""
        try:
            batch = [self.pending.get(timeout=0.2)]
        except queue.Empty:
            return []
        while len(batch) < self.max_batch:
            try:
                batch.append(self.pending.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, batch: list[PendingEvent]) -> None:
        try:
            outcomes = self._store_retrying(batch)
        except DatabaseAway:
            log.warning("stopping with %d events unstored; the broker sends them again", len(batch))
            return
        except Exception:
            log.exception("storing %d events together failed; storing them one by one", len(batch))
            for pending in batch:
                self._write_alone(pending)
            return
        self._settle(batch, outcomes)

    def _write_alone(self, pending: PendingEvent) -> None:
        try:
            outcomes = self._store_retrying([pending])
        except DatabaseAway:
            return  # stopping: left unacknowledged, so the broker sends it again
        except Exception:
            self.counters.add("handler_errors")
            log.exception(
                "storing event %s of printer %s failed; dropped",
                pending.event.event_id,
                pending.printer_id,
            )
            pending.ack()
            return
        self._settle([pending], outcomes)

    def _settle(self, batch: Sequence[PendingEvent], outcomes: list[int | None]) -> None:
        """After the commit: acknowledge every message, then announce the changes."""
        for pending in batch:
            pending.ack()
        for pending, outcome in zip(batch, outcomes, strict=True):
            if outcome is not None:
                self.on_stored(pending.printer_id, pending.event.kind.value, outcome)

    def _store_retrying(self, batch: Sequence[PendingEvent]) -> list[int | None]:
        """Store the batch in one transaction, retrying while the database is unreachable
        (not once the bridge is stopping: the broker will send the events again)."""
        delay = 0.5
        while True:
            try:
                return self._store(batch)
            except DBAPIError as error:
                if not database_away(error):
                    raise
                if self.stopping.is_set():
                    raise DatabaseAway() from error
                self.counters.add("database_retries")
                log.warning(
                    "database unavailable while storing %d events (%s); retrying",
                    len(batch),
                    error.__class__.__name__,
                )
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _store(self, batch: Sequence[PendingEvent]) -> list[int | None]:
        """One transaction; per event None if it was a duplicate, else the id of the job it
        changed, or 0."""
        with Session(self.engine, expire_on_commit=False) as session:
            outcomes = printer_link.store_events(
                session, [(p.printer_id, p.event) for p in batch], self.max_attempts
            )
            session.commit()
        stored = sum(outcome is not None for outcome in outcomes)
        self.counters.add("events", stored)
        self.counters.add("duplicate_events", len(outcomes) - stored)
        self.counters.add("event_batches")
        return outcomes
