"""The event writer keeps an event until it is stored: a database that is away, or a
connection that breaks (whatever error the driver raises for it), is waited for, never a
reason to drop the event."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from orchestrator.link import event_writer
from orchestrator.link.connection import Counters
from orchestrator.link.event_writer import EventWriter
from printers.protocol.payloads import EventKind, EventPayload


class BrokenConnection(Exception):
    """What a driver raises when the server vanishes mid-statement."""


def failing_then_storing(failures: list[Exception]) -> Callable[..., list[int | None]]:
    def store_events(_session: Any, events: list[Any], _max_attempts: int) -> list[int | None]:
        if failures:
            raise failures.pop(0)
        return [0 for _ in events]

    return store_events


def write_one(engine: Engine, monkeypatch: pytest.MonkeyPatch, failures: list[Exception]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(event_writer.printer_link, "store_events", failing_then_storing(failures))
    monkeypatch.setattr(event_writer.time, "sleep", lambda _s: None)
    acked = threading.Event()
    stored: list[tuple[int, str]] = []
    counters = Counters()
    writer = EventWriter(
        engine=engine,
        max_attempts=3,
        counters=counters,
        on_stored=lambda printer, kind, _job: stored.append((printer, kind)),
    )
    writer.start()
    event = EventPayload(event_id="e1", kind=EventKind.PRINT_DONE, job_id="7", ts=time.time())
    writer.submit(4, event, acked.set)
    assert acked.wait(10)
    writer.stop()
    return stored, counters


def test_a_broken_connection_is_retried_until_the_event_is_stored(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = DBAPIError("COMMIT", {}, BrokenConnection("server closed the connection"))
    broken.connection_invalidated = True
    stored, counters = write_one(engine, monkeypatch, [broken, broken])
    assert stored == [(4, "PrintDone")]
    assert counters.snapshot()["database_retries"] == 2


def test_an_event_the_database_refuses_is_dropped_not_retried(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = IntegrityError("INSERT", {}, BrokenConnection("violates a constraint"))
    stored, counters = write_one(engine, monkeypatch, [refused, refused])
    assert stored == []
    assert counters.snapshot()["handler_errors"] == 1
