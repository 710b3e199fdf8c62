"""Telemetry: how many printers' statuses and events the service takes in, and how soon
they are visible in its API.

For each fleet size, on a fresh stack:
- its own Mosquitto (`max_queued_messages` raised) and a fresh database (SQLite, or a
  throwaway PostgreSQL database with `--database-url`), N printers registered;
- the service as it ships: `makerline serve` (the API) and `makerline orchestrate` (the
  MQTT bridge), each a child process whose CPU and memory are read from /proc;
- the publisher: the project's simulator (`printers.simulated.simulator`, one MQTT connection per
  printer on one asyncio loop), driven by this script: every printer reports a `printing`
  status every 5 s, at a random phase, and sends `events_per_printer` events
  (PrintStarted, PrintDone, BedCleared, with unique event ids) at random moments of the
  counted window. Their job ids name no job, so the bridge looks the job up, finds none and
  leaves every job alone;
- the baseline: a plain paho subscriber (another child process) on the same broker and the
  same topics that only counts what it receives: the ceiling the broker and a Python client
  deliver here. Figures are printed as makerline / baseline ratios.

What is measured, over the counted window (after the printers are connected and a warm-up):
- statuses stored and visible per second: a status's `progress` carries its number (k mod
  1000, /10), so two reads of `GET /printers/status`, at the window's start and end, tell
  how many statuses of each printer became visible between them;
- lag from publish to visible: sampled printers are polled on `GET /printers/{id}/status`
  every `poll_interval` after each of their statuses is published, until it shows;
- events: after the window, every event id sent must be in the PrinterEvent table (lost must
  be 0); their lag is `received_at - happened_at` there, and the sampled printers' events
  are also read back through `GET /printers/{id}/events`;
- CPU (share of one core over the window) and peak RSS of the service's processes.

Run: python bench/telemetry.py [--printers 1000,5000,10000] [--seconds 60]
     [--database-url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import heapq
import logging
import math
import multiprocessing
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, col, select

from harness import (
    cpu_seconds,
    free_port,
    fresh_database,
    mosquitto,
    percentile,
    rss_mib,
    stop_process,
    wait_until,
)
from orchestrator.api.schemas import AccountCreate, PrinterCreate
from orchestrator.core.config import load_settings
from orchestrator.database.engine import make_engine, migrate
from orchestrator.database.tables import PrinterEvent
from orchestrator.domain.vocabulary import Role
from orchestrator.services import accounts, catalogue, fleet

log = logging.getLogger("telemetry")

MK3 = {"bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210, "material": "PETG"}
PREFIX = "makerline"
EVENT_KINDS = ("PrintStarted", "PrintDone", "BedCleared")
# Job ids in events: all digits, as real ones, but beyond any job the database holds.
JOB_ID_BASE = 1_000_000_000
SEQ_MODULO = 1000  # a status's number is carried as progress = (k mod 1000) / 10
DEFAULT_SIZES = (1000, 5000, 10000)


@dataclass(frozen=True)
class Scenario:
    printers: int = 1000
    seconds: float = 60.0  # the counted window
    warmup: float = 10.0
    status_interval: float = 5.0
    events_per_printer: int = 3
    sampled: int = 20  # printers polled through the API for the lag
    poll_interval: float = 0.1
    drain_seconds: float = 180.0  # bound on waiting for the last events to be stored
    flush_seconds: float = 1.0  # MAKERLINE_STATUS_FLUSH_SECONDS
    database_url: str | None = None


QUICK = Scenario(printers=50, seconds=8.0, warmup=4.0, sampled=5, drain_seconds=60.0)


@dataclass
class Result:
    printers: int
    seconds: float
    offered_statuses_per_s: float
    visible_statuses_per_s: float
    baseline_statuses_per_s: float
    lag_ms: list[float]
    baseline_lag_ms: list[float]
    lag_missed: int  # sampled statuses never seen in the API within the timeout
    events_sent: int
    events_stored: int
    events_lost: int
    events_checked_in_api: int
    events_missing_in_api: int
    event_lag_ms: list[float]
    baseline_events: int
    events_per_commit: float  # the bridge's mean event batch
    cpu: dict[str, float]  # share of one core over the window, by process
    rss_mib: dict[str, float]  # peak resident memory, by process
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return ratio(self.visible_statuses_per_s, self.baseline_statuses_per_s)


def ratio(value: float, base: float) -> float:
    return value / base if base > 0 else math.nan


# --- processes: CPU and memory ---------------------------------------------------------


class Watch:
    """CPU over a window and peak RSS, sampled every second, of named processes."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0.0)
        self.cpu_at_start: dict[str, float] = {}
        self.cpu_at_end: dict[str, float] = {}
        self.started = self.ended = 0.0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._sample, name="watch", daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stopping.wait(1.0):
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mib(pid))

    def start_window(self) -> None:
        self.started = time.monotonic()
        self.cpu_at_start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def end_window(self) -> None:
        self.ended = time.monotonic()
        self.cpu_at_end = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def shares(self) -> dict[str, float]:
        span = max(self.ended - self.started, 1e-9)
        return {
            name: (self.cpu_at_end[name] - self.cpu_at_start[name]) / span for name in self.pids
        }

    def close(self) -> dict[str, float]:
        self.stopping.set()
        self.thread.join(timeout=5)
        for name, pid in self.pids.items():
            self.peak[name] = max(self.peak[name], rss_mib(pid))
        return self.peak


# --- the database -----------------------------------------------------------------------


def seed(url: str, printers: int) -> list[int]:
    """Migrate and register `printers` printers for a maker per hundred; their ids."""
    migrate(url)
    engine = make_engine(url)
    ids = []
    settings = load_settings(max_printers_per_maker=printers)  # a maker per hundred
    with Session(engine, expire_on_commit=False) as session:
        catalogue.seed_catalogue(session=session)
        makers = []
        for index in range(max(1, printers // 100)):
            made = accounts.create_account(
                session=session, account_in=AccountCreate(name=f"Maker {index}", role=Role.MAKER)
            )
            makers.append(accounts.get_maker(session=session, maker_id=made.maker_id or 0))
        for index in range(printers):
            printer = fleet.register_printer(
                session=session,
                maker=makers[index % len(makers)],
                printer_in=PrinterCreate(name=f"MK3S #{index}", **MK3),  # type: ignore[arg-type]
                settings=settings,
            )
            ids.append(printer.id)
        session.commit()
    engine.dispose()
    return ids


def stored_events(url: str, printer_ids: set[int]) -> list[tuple[int, str, float]]:
    """(printer, event id, lag in ms) of every event stored for these printers."""
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.exec(
            select(
                PrinterEvent.printer_id,
                PrinterEvent.event_id,
                PrinterEvent.happened_at,
                PrinterEvent.received_at,
            )
        ).all()
    engine.dispose()
    return [
        (printer, event_id, (received - happened).total_seconds() * 1000.0)
        for printer, event_id, happened, received in rows
        if printer in printer_ids
    ]


def stored_event_count(url: str) -> int:
    from sqlalchemy import func

    engine = make_engine(url)
    with Session(engine) as session:
        count = session.exec(select(func.count(col(PrinterEvent.id)))).one()
    engine.dispose()
    return int(count)


# --- the service: `makerline serve` and `makerline orchestrate` ---------------------------


def service_environment(url: str, port: int, api_port: int, data: Path, token: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "MAKERLINE_DATABASE_URL": url,
            "MAKERLINE_DATA_DIR": str(data),
            "MAKERLINE_MQTT_URL": f"mqtt://127.0.0.1:{port}",
            "MAKERLINE_HOST": "127.0.0.1",
            "MAKERLINE_PORT": str(api_port),
            "MAKERLINE_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
            "MAKERLINE_COORDINATOR_TOKEN": token,
        }
    )
    return env


@contextlib.contextmanager
def makerline(command: list[str], env: dict, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`makerline <command>` as the product runs it, stopped with SIGTERM (its Ctrl-C)."""
    with log_file.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.cli", *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_process(process)


# --- the baseline: a plain subscriber that counts ---------------------------------------


def baseline_subscriber(
    port: int, sampled: list[int], ready: Any, stop: Any, results: Any
) -> None:  # pragma: no cover - a child process
    """Count every status and event on the broker; the lag of the sampled printers'."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import json

    status_times, event_times = array.array("d"), array.array("d")
    lags: list[tuple[float, float]] = []  # (arrival, lag in ms)
    watched = {f"{PREFIX}/printers/{pid}/status" for pid in sampled}

    def on_connect(client: mqtt.Client, *_args: Any) -> None:
        client.subscribe([(f"{PREFIX}/printers/+/status", 1), (f"{PREFIX}/printers/+/events", 1)])

    def on_message(_client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        at = time.monotonic()
        topic = message.topic
        if topic.endswith("/events"):
            event_times.append(at)
            return
        status_times.append(at)
        if topic in watched:
            ts = json.loads(message.payload).get("ts")
            if ts is not None:
                lags.append((at, (time.time() - ts) * 1000.0))

    client = mqtt.Client(CallbackAPIVersion.VERSION2, f"baseline-{uuid.uuid4().hex[:8]}")
    client.on_connect = on_connect
    client.on_message = on_message
    client.on_subscribe = lambda *_args: ready.set()
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    stop.wait()
    client.disconnect()
    client.loop_stop()
    results.send((status_times, event_times, lags))


# --- the publisher: the project's simulator, driven on a schedule -----------------------


@dataclass(frozen=True)
class Schedule:
    printer_ids: list[int]
    sampled: list[int]
    port: int
    status_interval: float
    events_per_printer: int
    warmup: float
    seconds: float
    bound_seconds: float  # the publisher stops by itself after this long


def publish(
    schedule: Schedule, start_at: Any, stop: Any, samples: Any, results: Any
) -> None:  # pragma: no cover - a child process
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="publisher %(levelname)s %(message)s")
    outcome = asyncio.run(drive(schedule, start_at, stop, samples))
    results.send(outcome)


async def drive(schedule: Schedule, start_at: Any, stop: Any, samples: Any) -> dict[str, Any]:
    """Connect every printer through the simulator, then publish statuses every
    `status_interval` and the events at their moments, until told to stop."""
    from printers.protocol.payloads import (
        EventKind,
        PrinterState,
    )
    from printers.simulated.simulator import (
        Simulation,
        SimulationSettings,
        raise_file_limit,
    )

    ids = schedule.printer_ids
    raise_file_limit(len(ids) + 256)
    settings = SimulationSettings(
        printers=len(ids),
        broker_url=f"mqtt://127.0.0.1:{schedule.port}",
        first_id=min(ids),
        download_gcode=False,
        auto_clear_seconds=None,
        keepalive_seconds=60,
        connects_per_second=2000.0,
    )
    assert settings.printer_ids() == [str(i) for i in ids], "printer ids must be consecutive"
    simulation = Simulation(settings)
    running = asyncio.get_running_loop().create_task(simulation.run())
    began = time.monotonic()
    while simulation.counters.connected < len(ids):
        if time.monotonic() - began > 300:
            raise TimeoutError(f"only {simulation.counters.connected} printers connected")
        await asyncio.sleep(0.1)
    connect_s = time.monotonic() - began
    t0 = time.monotonic() + 0.5
    start_at.value = t0
    window = (t0 + schedule.warmup, t0 + schedule.warmup + schedule.seconds)
    # (due, order, printer index, number): number >= 0 a status, < 0 an event.
    due: list[tuple[float, int, int, int]] = []
    for index in range(len(ids)):
        due.append((t0 + random.uniform(0, schedule.status_interval), index, index, 0))
        moments = sorted(random.uniform(*window) for _ in range(schedule.events_per_printer))
        for number, moment in enumerate(moments):
            due.append((moment, index, index, -1 - number))
    heapq.heapify(due)
    sampled = set(schedule.sampled)
    sent_events: list[tuple[int, str]] = []
    statuses_in_window = statuses = 0
    deadline = t0 + schedule.bound_seconds
    while due and not stop.is_set() and time.monotonic() < deadline:
        now = time.monotonic()
        while due and due[0][0] <= now:
            moment, order, index, number = heapq.heappop(due)
            printer = simulation.printers[index]
            pid = ids[index]
            if number >= 0:
                printer.state = PrinterState.PRINTING
                printer.job_id = f"bench-{pid}"
                printer.progress = (number % SEQ_MODULO) / 10
                printer.publish_status()
                statuses += 1
                statuses_in_window += window[0] <= now < window[1]
                if pid in sampled:
                    samples.put((pid, number, time.monotonic()))
                next_at = moment + schedule.status_interval
                heapq.heappush(due, (next_at, order, index, number + 1))
            else:
                cycle = -1 - number
                kind = EventKind(EVENT_KINDS[cycle % len(EVENT_KINDS)])
                job_id = str(JOB_ID_BASE + pid * 100 + cycle // len(EVENT_KINDS))
                sent_events.append((pid, printer.emit(kind, job_id).event_id))
        await asyncio.sleep(max(0.0, min(due[0][0] - time.monotonic(), 0.05)) if due else 0.05)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    return {
        "connect_s": connect_s,
        "statuses": statuses,
        "statuses_in_window": statuses_in_window,
        "events": sent_events,
        "window": window,
    }


# --- the lag poller (this process) ------------------------------------------------------


class LagPoller:
    """Polls each sampled printer's status after each of its statuses is published, until
    the API shows it (or a later one); records publish-to-visible lags in the window."""

    timeout_s = 30.0

    def __init__(
        self, base: str, token: str, samples: Any, poll_interval: float, window: tuple
    ) -> None:
        self.http = httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        self.samples = samples
        self.poll_interval = poll_interval
        self.window = window
        self.pending: dict[int, list[tuple[int, float]]] = {}  # printer -> [(k, published)]
        self.next_poll: dict[int, float] = {}
        self.lags_ms: list[float] = []
        self.missed = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lag-poller", daemon=True)
        self.thread.start()

    def _take_samples(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                pid, number, published = self.samples.get_nowait()
                self.pending.setdefault(pid, []).append((number, published))
                self.next_poll.setdefault(pid, published + self.poll_interval)

    def _run(self) -> None:
        while not self.stopping.is_set():
            self._take_samples()
            now = time.monotonic()
            for pid in [p for p, at in self.next_poll.items() if at <= now]:
                self._poll(pid)
            wake = min(self.next_poll.values(), default=now + self.poll_interval)
            self.stopping.wait(max(0.0, min(wake - time.monotonic(), self.poll_interval)))

    def _poll(self, pid: int) -> None:
        asked = time.monotonic()
        response = self.http.get(f"/printers/{pid}/status")
        answered = time.monotonic()
        seen_at = (asked + answered) / 2
        shown = None
        if response.status_code == 200 and response.json().get("progress") is not None:
            shown = round(response.json()["progress"] * 10)
        left = []
        for number, published in self.pending[pid]:
            behind = (shown - number) % SEQ_MODULO if shown is not None else SEQ_MODULO
            if behind < SEQ_MODULO // 2:
                if self.window[0] <= published < self.window[1]:
                    self.lags_ms.append((seen_at - published) * 1000.0)
            elif answered - published > self.timeout_s:
                self.missed += self.window[0] <= published < self.window[1]
            else:
                left.append((number, published))
        if left:
            self.pending[pid] = left
            self.next_poll[pid] = answered + self.poll_interval
        else:
            del self.pending[pid]
            del self.next_poll[pid]

    def visible_numbers(self) -> tuple[float, dict[int, int]]:
        """(moment, status number shown per printer) from one read of every status."""
        asked = time.monotonic()
        response = self.http.get("/printers/status", timeout=120)
        moment = (asked + time.monotonic()) / 2
        response.raise_for_status()
        shown = {}
        for status in response.json():
            progress = status.get("progress")
            shown[status["printer_id"]] = -1 if progress is None else round(progress * 10)
        return moment, shown

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self.http.close()


def statuses_between(before: dict[int, int], after: dict[int, int]) -> int:
    """Statuses that became visible between two reads (numbers wrap at SEQ_MODULO)."""
    total = 0
    for pid, number in after.items():
        if number < 0:
            continue
        total += (number - before.get(pid, -1)) % SEQ_MODULO
    return total


# --- one fleet size ---------------------------------------------------------------------


def run_size(scenario: Scenario, workdir: Path) -> Result:
    workdir.mkdir(parents=True)
    n = scenario.printers
    context = multiprocessing.get_context("spawn")
    with (
        mosquitto(workdir, max_queued_messages=1_000_000) as (port, broker),
        fresh_database(workdir, scenario.database_url) as url,
    ):
        started = time.monotonic()
        printer_ids = seed(url, n)
        log.info("%d printers registered in %.1f s", n, time.monotonic() - started)
        sampled = random.Random(n).sample(printer_ids, min(scenario.sampled, n))
        token = secrets.token_urlsafe(24)
        api_port = free_port()
        env = service_environment(url, port, api_port, workdir / "data", token)
        env["MAKERLINE_STATUS_FLUSH_SECONDS"] = str(scenario.flush_seconds)
        base = f"http://127.0.0.1:{api_port}"
        with makerline(["serve"], env, workdir / "serve.log") as api:

            def healthy() -> bool:
                try:
                    return httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            wait_until(healthy, 60, "makerline serve")
            with makerline(
                ["orchestrate", "--name", "bench"], env, workdir / "orchestrate.log"
            ) as orchestrator:
                http = httpx.Client(
                    base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}
                )

                def connected() -> bool:
                    totals = http.get("/metrics").json()["totals"]
                    return totals.get("connects", 0) >= 1

                wait_until(connected, 60, "makerline orchestrate to connect", step=0.2)
                http.close()
                return measure(
                    scenario,
                    context,
                    url=url,
                    port=port,
                    base=base,
                    token=token,
                    printer_ids=printer_ids,
                    sampled=sampled,
                    pids={
                        "orchestrate": orchestrator.pid,
                        "serve": api.pid,
                        "broker": broker.pid,
                    },
                )


def measure(
    scenario: Scenario,
    context: Any,
    *,
    url: str,
    port: int,
    base: str,
    token: str,
    printer_ids: list[int],
    sampled: list[int],
    pids: dict[str, int | None],
) -> Result:
    n = scenario.printers
    stop_baseline, baseline_ready = context.Event(), context.Event()
    baseline_out, baseline_in = context.Pipe(duplex=False)
    baseline = context.Process(
        target=baseline_subscriber,
        args=(port, sampled, baseline_ready, stop_baseline, baseline_in),
        name="baseline",
    )
    stop_publisher, start_at = context.Event(), context.Value("d", 0.0)
    samples = context.Queue()
    publisher_out, publisher_in = context.Pipe(duplex=False)
    schedule = Schedule(
        printer_ids=printer_ids,
        sampled=sampled,
        port=port,
        status_interval=scenario.status_interval,
        events_per_printer=scenario.events_per_printer,
        warmup=scenario.warmup,
        seconds=scenario.seconds,
        bound_seconds=scenario.warmup + scenario.seconds + scenario.drain_seconds + 60,
    )
    publisher = context.Process(
        target=publish,
        args=(schedule, start_at, stop_publisher, samples, publisher_in),
        name="publisher",
    )
    poller: LagPoller | None = None
    watch: Watch | None = None
    try:
        baseline.start()
        if not baseline_ready.wait(30):
            raise TimeoutError("the baseline subscriber did not subscribe")
        publisher.start()
        wait_until(lambda: start_at.value > 0, 300, f"{n} printers to connect", step=0.2)
        t0 = start_at.value
        window = (t0 + scenario.warmup, t0 + scenario.warmup + scenario.seconds)
        watch = Watch(pids | {"publisher": publisher.pid, "baseline": baseline.pid})
        poller = LagPoller(base, token, samples, scenario.poll_interval, window)
        time.sleep(max(0.0, window[0] - time.monotonic()))
        first_at, first = poller.visible_numbers()
        watch.start_window()
        time.sleep(max(0.0, window[1] - time.monotonic()))
        watch.end_window()
        last_at, last = poller.visible_numbers()
        visible = statuses_between(first, last)
        # Every event is sent within the window; wait, bounded, until all are stored.
        expected = n * scenario.events_per_printer
        deadline = time.monotonic() + scenario.drain_seconds
        while stored_event_count(url) < expected and time.monotonic() < deadline:
            time.sleep(1.0)
        time.sleep(2 * scenario.poll_interval + scenario.flush_seconds)  # the last lags
        stop_publisher.set()
        if not publisher_out.poll(120):
            raise TimeoutError("the publisher did not report")
        sent = publisher_out.recv()
        stop_baseline.set()
        if not baseline_out.poll(60):
            raise TimeoutError("the baseline subscriber did not report")
        status_times, event_times, baseline_lags = baseline_out.recv()
    finally:
        if poller is not None:
            poller.close()
        peak = watch.close() if watch is not None else {}
        stop_publisher.set()
        stop_baseline.set()
        for child in (publisher, baseline):
            if child.pid is not None:
                child.join(timeout=30)
                if child.is_alive():
                    child.terminate()
                    child.join(timeout=10)
    stored = stored_events(url, set(printer_ids))
    stored_ids = {(printer, event_id) for printer, event_id, _lag in stored}
    sent_ids = set(sent["events"])
    in_api, missing_in_api = events_in_api(base, token, sampled, sent_ids)
    window_s = last_at - first_at
    baseline_in_window = sum(1 for at in status_times if first_at <= at < last_at)
    return Result(
        printers=n,
        seconds=window_s,
        offered_statuses_per_s=sent["statuses_in_window"] / scenario.seconds,
        visible_statuses_per_s=visible / window_s,
        baseline_statuses_per_s=baseline_in_window / window_s,
        lag_ms=poller.lags_ms if poller is not None else [],
        baseline_lag_ms=[lag for at, lag in baseline_lags if window[0] <= at < window[1]],
        lag_missed=poller.missed if poller is not None else 0,
        events_sent=len(sent_ids),
        events_stored=len(stored_ids & sent_ids),
        events_lost=len(sent_ids - stored_ids),
        events_checked_in_api=in_api,
        events_missing_in_api=missing_in_api,
        event_lag_ms=[lag for _printer, _event_id, lag in stored],
        baseline_events=len(event_times),
        events_per_commit=events_per_commit(base, token),
        cpu=watch.shares() if watch is not None else {},
        rss_mib=peak,
    )


def events_per_commit(base: str, token: str) -> float:
    """The bridge's counters, as `GET /metrics` shows them: events stored per batch."""
    headers = {"Authorization": f"Bearer {token}"}
    totals = httpx.get(f"{base}/api/v1/metrics", headers=headers, timeout=30).json()["totals"]
    return ratio(totals.get("events", 0), totals.get("event_batches", 0))


def events_in_api(
    base: str, token: str, sampled: list[int], sent: set[tuple[int, str]]
) -> tuple[int, int]:
    """(events of the sampled printers sent, of which not listed by the API)."""
    missing = checked = 0
    with httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        for pid in sampled:
            listed = {e["event_id"] for e in http.get(f"/printers/{pid}/events").json()}
            mine = {event_id for printer, event_id in sent if printer == pid}
            checked += len(mine)
            missing += len(mine - listed)
    return checked, missing


def run(scenarios: list[Scenario]) -> list[Result]:
    from printers.simulated.simulator import raise_file_limit

    raise_file_limit(2 * max(s.printers for s in scenarios) + 1024)  # the broker inherits it
    with tempfile.TemporaryDirectory(prefix="makerline-telemetry-") as temp:
        return [run_size(s, Path(temp) / f"{s.printers}") for s in scenarios]


def table(results: list[Result], scenario: Scenario) -> str:
    head = (
        f"{'printers':>8} {'offered/s':>9} {'stored/s':>9} {'base/s':>8} {'ratio':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'base p50':>8} {'base p99':>8} {'missed':>6} "
        f"{'events':>7} {'lost':>5} {'api miss':>8} {'ev p50':>7} {'ev p99':>7} {'ev/commit':>9} "
        f"{'orch CPU':>8} {'orch MiB':>8} {'api CPU':>7} {'api MiB':>7} {'broker':>6} "
        f"{'pub CPU':>7}"
    )
    lines = [
        f"statuses every {scenario.status_interval:g} s per printer, "
        f"{scenario.events_per_printer} events per printer; {scenario.seconds:g} s counted "
        f"after {scenario.warmup:g} s of warm-up; status flush every "
        f"{scenario.flush_seconds:g} s; lag polled every {scenario.poll_interval * 1000:g} ms "
        f"on {scenario.sampled} printers; ratio = stored/s / baseline/s; CPU = share of one core",
        head,
        "-" * len(head),
    ]
    for r in results:
        lines.append(
            f"{r.printers:>8} {r.offered_statuses_per_s:>9.0f} {r.visible_statuses_per_s:>9.0f} "
            f"{r.baseline_statuses_per_s:>8.0f} {r.ratio:>6.2f} "
            f"{percentile(r.lag_ms, 0.5):>7.0f} {percentile(r.lag_ms, 0.99):>7.0f} "
            f"{percentile(r.baseline_lag_ms, 0.5):>8.1f} "
            f"{percentile(r.baseline_lag_ms, 0.99):>8.1f} {r.lag_missed:>6} "
            f"{r.events_sent:>7} {r.events_lost:>5} "
            f"{r.events_missing_in_api:>4}/{r.events_checked_in_api:<3} "
            f"{percentile(r.event_lag_ms, 0.5):>7.0f} {percentile(r.event_lag_ms, 0.99):>7.0f} "
            f"{r.events_per_commit:>9.1f} "
            f"{r.cpu.get('orchestrate', 0):>8.0%} {r.rss_mib.get('orchestrate', 0):>8.0f} "
            f"{r.cpu.get('serve', 0):>7.0%} {r.rss_mib.get('serve', 0):>7.0f} "
            f"{r.cpu.get('broker', 0):>6.0%} {r.cpu.get('publisher', 0):>7.0%}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--printers",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="fleet sizes, comma-separated (default 1000,5000,10000)",
    )
    parser.add_argument("--seconds", type=float, help="counted window per size (default 60)")
    parser.add_argument("--warmup", type=float, help="seconds before the window (default 10)")
    parser.add_argument(
        "--events-per-printer", type=int, help="events each printer sends (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="50 printers, 8 s counted")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL; each size creates and drops a throwaway database there "
        "(default: SQLite in a temporary directory)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    scenario = QUICK if args.quick else Scenario()
    if args.seconds:
        scenario = replace(scenario, seconds=args.seconds)
    if args.warmup is not None:
        scenario = replace(scenario, warmup=args.warmup)
    if args.events_per_printer is not None:
        scenario = replace(scenario, events_per_printer=args.events_per_printer)
    if args.database_url:
        scenario = replace(scenario, database_url=args.database_url)
    sizes = [scenario.printers] if args.quick else [int(s) for s in args.printers.split(",")]
    scenarios = [replace(scenario, printers=size) for size in sizes]
    results = run(scenarios)
    print(table(results, scenario))


if __name__ == "__main__":
    main()
