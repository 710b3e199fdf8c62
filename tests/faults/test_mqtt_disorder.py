"""The broker delivers at least once and, across topics and reconnections, in any order:
every printer event arrives twice or more, late and shuffled, and the line must count
each job's parts once and dispatch each job once.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from printers.protocol.topics import commands_topic, events_topic, status_topic
from tests.faults.conftest import Line
from tests.faults.soundness import (
    assert_one_print_at_a_time,
    assert_sound,
    done_jobs,
    parts_counted,
)
from tests.realparts import MqttRecorder, wait_for

pytestmark = pytest.mark.faults
VISORS = 9


class Disorder:
    """Re-publishes every event a printer sent, twice, in shuffled batches and late."""

    def __init__(self, line: Line, seed: int = 8) -> None:
        self.line = line
        self.random = random.Random(seed)
        self.replayed = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        seen: set[bytes] = set()  # the recorder hears our copies too: replay each once
        while not self.stopping.wait(0.3):
            events = [m for m in self.line.recorder.messages if m.topic.endswith("/events")]
            fresh = {m.payload: m for m in events if m.payload not in seen}
            seen.update(fresh)
            batch = list(fresh.values()) * 2
            self.random.shuffle(batch)
            for message in batch:
                self.line.recorder.publish(message.topic, message.payload)
            self.replayed += len(batch)

    def __enter__(self) -> Disorder:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)


def test_duplicated_and_reordered_events_count_once(line: Line) -> None:
    line.register_printers(3)
    line.orchestrate()
    line.simulate()
    with Disorder(line) as disorder:
        line.order_visors(VISORS)
        line.wait_all_done(VISORS, 240)
    assert disorder.replayed > 0
    # And the whole history once more, newest first, after the fact.
    history = {m.payload: m for m in line.recorder.messages if m.topic.endswith("/events")}
    for message in reversed(list(history.values())):
        line.recorder.publish(message.topic, message.payload)
    time.sleep(1.0)
    assert parts_counted(line.engine) == VISORS
    assert_sound(line.engine, line.commands(), line.printer_events())
    assert_one_print_at_a_time(line.printer_events())
    metrics = line.metrics()["totals"]
    assert metrics["duplicate_events"] >= disorder.replayed


def event(kind: str, job_id: str) -> bytes:
    body = {"v": 1, "event_id": uuid.uuid4().hex, "kind": kind, "job_id": job_id}
    return json.dumps(body | {"ts": time.time()}).encode()


def test_a_job_whose_events_arrive_backwards_is_done_once_and_frees_its_printer(
    line: Line, recorders: type[MqttRecorder]
) -> None:
    """A hand-driven printer reports BedCleared, then PrintDone twice, then PrintStarted:
    the job ends done and counted once, and the printer gets its next job."""
    ((printer_id, _token),) = line.register_printers(1).items()
    printer = recorders(line.mosquitto.port, [commands_topic(printer_id)])
    seq = iter(range(1, 1000))

    def status(state: str, job_id: str | None = None) -> None:
        body = {"v": 1, "state": state, "job_id": job_id, "seq": next(seq), "ts": time.time()}
        printer.publish(status_topic(printer_id), json.dumps(body).encode(), retain=True)

    status("idle")
    line.orchestrate()
    line.order_visors(VISORS)

    def start_job(wanted: Callable[[Any], bool]) -> Any:
        starts = printer.json_on(commands_topic(printer_id))
        return next((c for c in starts if c["kind"] == "start_job" and wanted(c)), None)

    first = line.wait(lambda: start_job(lambda _c: True), "a start_job", 180)
    job_id = first["job_id"]
    status("awaiting_clear", job_id)
    for kind in ("BedCleared", "PrintDone", "PrintDone", "PrintStarted"):
        printer.publish(events_topic(printer_id), event(kind, job_id))
    status("idle")
    following = line.wait(
        lambda: start_job(lambda c: c["job_id"] != job_id), "the printer's next job", 180
    )
    assert following["job_id"] != job_id
    assert done_jobs(line.engine) == 1
    assert parts_counted(line.engine) == next(j.copies for j in line.jobs() if str(j.id) == job_id)
    wait_for(lambda: line.printing() == 0, 1, "no job printing")
    assert_sound(line.engine, line.commands())
