"""Printers' live status, kept in memory and handed to the database in batches.

Statuses arrive far more often than anything else (every few seconds from every printer),
so the bridge keeps the newest one per printer here and a flusher writes only the printers
that changed since the last batch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.domain.live_status import LiveStatus, is_newer, merged
from printers.protocol.payloads import PrinterState, StatusPayload


@dataclass
class StatusCache:
    """The newest status of every printer this process hears from. Thread-safe."""

    statuses: dict[int, LiveStatus] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)
    # Kept as statuses arrive, so that "is any printer idle?" costs nothing: the dispatcher
    # asks at every wake-up, and a busy farm wakes it with every batch of events.
    idle: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, printer_id: int, incoming: StatusPayload, received_at: datetime) -> bool:
        with self.lock:
            current = self.statuses.get(printer_id)
            if not is_newer(current, incoming):
                return False
            self.statuses[printer_id] = merged(current, printer_id, incoming, received_at)
            self.changed.add(printer_id)
            if incoming.state == PrinterState.IDLE:
                self.idle.add(printer_id)
            else:
                self.idle.discard(printer_id)
            return True

    def any_idle(self) -> bool:
        with self.lock:
            return bool(self.idle)

    def empty(self) -> bool:
        with self.lock:
            return not self.statuses

    def take_changes(self) -> list[LiveStatus]:
        with self.lock:
            batch = [self.statuses[printer_id] for printer_id in self.changed]
            self.changed.clear()
            return batch

    def requeue(self, statuses: list[LiveStatus]) -> None:
        """Put back a batch the database refused, unless newer statuses replaced it."""
        with self.lock:
            self.changed.update(s.printer_id for s in statuses if s.printer_id in self.statuses)

    def get(self, printer_id: int) -> LiveStatus | None:
        with self.lock:
            return self.statuses.get(printer_id)

    def snapshot(self) -> dict[int, LiveStatus]:
        with self.lock:
            return dict(self.statuses)
