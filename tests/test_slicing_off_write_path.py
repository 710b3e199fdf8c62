"""PrusaSlicer runs off the database's write path (issue 14): while the orchestrator slices,
SQLite's single write lock stays free, and API writes never answer 503.

The proof uses real components: the API under uvicorn, an in-process orchestrator,
simulated printers over Mosquitto, SQLite, and the real PrusaSlicer behind a slow
`prusa-slicer` put first on PATH. That wrapper waits a few seconds before slicing and,
meanwhile tries to take the write lock on the test database itself (`BEGIN IMMEDIATE`),
once in each of a dozen slots, waiting up to the end of the slot for it. A slice run
inside a write transaction would find the lock held in every slot, since its caller holds
it until the slicer exits. Short transactions only delay a try: every transaction here
takes the lock, reads included, so on a loaded machine the lock is held most of the time,
and a try that did not wait (busy timeout 0) missed every gap of a 3-second run once in
CI. Each run must find the lock free in at least one slot.

SQLite only: the lock under test is SQLite's database-wide write lock, which PostgreSQL
does not have.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.core.config import Settings
from orchestrator.database.engine import make_engine, migrate
from orchestrator.database.tables import Job, Part, Printer
from orchestrator.production_line import ProductionLine
from orchestrator.services import parts
from printers.simulated.simulator import SimulationSettings, run_simulation
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto

pytestmark = pytest.mark.slow

API = "/api/v1"
SLOW_SLICER_SECONDS = 3.0
LOCK_TRIES = 12  # slots that share the slow seconds
# Waits measure progress (slicer runs, printers served): a step fails only after this long
# without any, or past the safety cap, so a loaded machine only makes the test slower.
STALL_SECONDS = 120.0
CAP_SECONDS = 900.0
WRITE_PAUSE_SECONDS = 0.02
MAX_WRITES = 20_000
# Four printer profiles: each needs plates of its own, sliced while the API takes writes.
PRINTERS = [
    {"name": "MK3S PETG", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210},
    {"name": "Ender 3", "bed_x_mm": 220, "bed_y_mm": 220, "bed_z_mm": 250},
    {"name": "MK3S 0.6", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210, "nozzle_mm": 0.6},
    {"name": "Large", "bed_x_mm": 300, "bed_y_mm": 300, "bed_z_mm": 300},
]

SLOW_SLICER = """#!{python}
# A slow prusa-slicer for tests/test_slicing_off_write_path.py: while it "slices", it
# tries to take SQLite's write lock, reports what it found, then runs the real slicer.
import json, os, sqlite3, sys, time

started = time.time()
free = 0
for slot in range(1, {tries} + 1):
    # Wait for the lock until the slot ends (SQLite's busy handler polls meanwhile), then
    # for the slot's end, so that the run lasts its seconds whatever the tries found.
    slot_ends = started + slot * {pause}
    waiting = max(slot_ends - time.time(), 0.001)
    connection = sqlite3.connect({database!r}, timeout=waiting, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        pass
    else:
        free += 1
        connection.execute("ROLLBACK")
    finally:
        connection.close()
    time.sleep(max(slot_ends - time.time(), 0))
with open({report!r}, "a") as report:
    run = {{"started": started, "ended": time.time(), "tries": {tries}, "free": free}}
    report.write(json.dumps(run) + "\\n")
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
"""


@pytest.fixture(scope="module")
def migrated_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """SQLite only (see the module's docstring), in a file of this module's own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('slicing-db') / 'makerline.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto) -> Settings:
    return settings.model_copy(
        update={"mqtt_url": mosquitto.url, "status_flush_seconds": 0.2, "hub_delay_hours": 0}
    )


@dataclass
class SlowSlicer:
    """The wrapper's reports: one line per slicer run."""

    report: Path

    def runs(self) -> list[dict[str, float]]:
        if not self.report.exists():
            return []
        return [json.loads(line) for line in self.report.read_text().splitlines() if line]


@pytest.fixture
def slow_slicer(tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> SlowSlicer:
    real = shutil.which("prusa-slicer")
    if real is None:
        pytest.fail("Debian's prusa-slicer is not installed: run ./scripts/test, which installs it")
    folder = tmp_path / "slow-slicer"
    folder.mkdir()
    slow = SlowSlicer(folder / "runs.jsonl")
    wrapper = folder / "prusa-slicer"
    wrapper.write_text(
        SLOW_SLICER.format(
            python=sys.executable,
            tries=LOCK_TRIES,
            pause=SLOW_SLICER_SECONDS / LOCK_TRIES,
            database=engine.url.database,
            report=str(slow.report),
            real=real,
        )
    )
    wrapper.chmod(0o755)
    # The orchestrator's slicer threads and the API look PrusaSlicer up on PATH each time.
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    assert shutil.which("prusa-slicer") == str(wrapper)
    return slow


@dataclass
class Write:
    started: float
    seconds: float
    status: int


@dataclass
class ApiWriter:
    """Donations recorded through the API one after the other, until stopped (bounded)."""

    url: str
    token: str
    writes: list[Write] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=f"{self.url}{API}", headers=bearer(self.token)) as http:
            for _ in range(MAX_WRITES):
                if self.stopping.is_set():
                    return
                started = time.time()
                clock = time.monotonic()
                answer = http.post(
                    "/donations",
                    json={"donor": "Papeterie", "item": "elastic", "quantity": 1},
                    timeout=60,
                )
                self.writes.append(Write(started, time.monotonic() - clock, answer.status_code))
                time.sleep(WRITE_PAUSE_SECONDS)


def wait_while_progressing(
    done: Callable[[], bool], progress: Callable[[], object], what: str
) -> None:
    """Until `done`; fails after STALL_SECONDS in which `progress` did not change, or at the
    safety cap."""
    started = last_change = time.monotonic()
    seen = progress()
    while not done():
        now = time.monotonic()
        if (current := progress()) != seen:
            seen, last_change = current, now
        if now - last_change > STALL_SECONDS or now - started > CAP_SECONDS:
            pytest.fail(f"{what}: no progress in {now - last_change:.0f} s (at {seen})")
        time.sleep(0.5)


def register_printers(url: str, token: str, printers: list[dict[str, object]]) -> dict[str, str]:
    tokens = {}
    with httpx.Client(base_url=f"{url}{API}", headers=bearer(token), timeout=60) as http:
        for printer in printers:
            created = http.post("/printers", json=printer)
            created.raise_for_status()
            tokens[str(created.json()["id"])] = created.json()["token"]
    return tokens


def printers_served(engine: Engine) -> set[int]:
    """Printers that have been sent a job: its plate was sliced for their profile. Read
    without the write lock (the engine's transactions take it), so that the test watches
    without taking part."""
    database = f"file:{engine.url.database}?mode=ro"
    with contextlib.closing(sqlite3.connect(database, uri=True, timeout=30)) as connection:
        query = "SELECT DISTINCT printer_id FROM job WHERE sent_at IS NOT NULL"
        return {printer_id for (printer_id,) in connection.execute(query) if printer_id}


def test_the_write_lock_stays_free_and_api_writes_go_on_while_the_orchestrator_slices(
    live_server: str,
    network: Network,
    engine: Engine,
    settings: Settings,
    mosquitto: Mosquitto,
    slow_slicer: SlowSlicer,
) -> None:
    credentials = register_printers(live_server, network.maker, PRINTERS)
    coordinator = httpx.Client(
        base_url=f"{live_server}{API}", headers=bearer(network.coordinator), timeout=60
    )
    for item in ("film_sheet", "elastic"):
        coordinator.post(
            "/donations", json={"donor": "Papeterie", "item": item, "quantity": 40}
        ).raise_for_status()
    coordinator.close()
    httpx.post(
        f"{live_server}{API}/orders",
        headers=bearer(network.centre),
        json={
            "product_key": "visor",
            "quantity": 40,
            "delivery_address": "CH Abbeville",
            "needed_by": (date.today() + timedelta(days=3)).isoformat(),
        },
        timeout=60,
    ).raise_for_status()

    writer = ApiWriter(live_server, network.coordinator)
    writing = threading.Thread(target=writer.run, name="api-writer", daemon=True)
    orchestrator = ProductionLine(settings=settings, engine=engine, name="test", sweep_seconds=0.5)
    simulation = SimulationSettings(
        printers=len(credentials),
        first_id=min(int(i) for i in credentials),
        credentials=credentials,
        broker_url=mosquitto.url,
        status_interval_seconds=0.5,
        speed=2500.0,
        auto_clear_seconds=0.5,
    )
    loop = asyncio.new_event_loop()
    printing = loop.create_task(run_simulation(simulation))
    printers = threading.Thread(target=loop.run_until_complete, args=(printing,), daemon=True)
    writing.start()
    printers.start()
    orchestrator.start()
    try:
        wanted = {int(i) for i in credentials}
        wait_while_progressing(
            lambda: printers_served(engine) >= wanted,
            lambda: (len(slow_slicer.runs()), len(printers_served(engine))),
            "every printer to be sent a sliced job",
        )
    finally:
        writer.stopping.set()
        orchestrator.stop()
        loop.call_soon_threadsafe(printing.cancel)
        printers.join(timeout=30)
        writing.join(timeout=90)

    runs = slow_slicer.runs()
    assert len(runs) >= len(PRINTERS)  # one plate per profile at least
    held = [run for run in runs if run["free"] == 0]
    assert not held, f"{len(held)} of {len(runs)} slicer runs found the write lock held throughout"
    refused = [write.status for write in writer.writes if write.status != 201]
    assert not refused, f"API writes answered {sorted(set(refused))} while the orchestrator sliced"
    during = [
        write
        for write in writer.writes
        if any(run["started"] <= write.started <= run["ended"] for run in runs)
    ]
    assert during, "no API write happened while PrusaSlicer ran: the test proved nothing"
    latencies = sorted(write.seconds for write in writer.writes)
    print(
        f"\n{len(runs)} slicer runs, lock free on {sum(r['free'] for r in runs)} of "
        f"{sum(r['tries'] for r in runs)} tries; {len(writer.writes)} API writes "
        f"({len(during)} while slicing): median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; while slicing max "
        f"{max(write.seconds for write in during) * 1000:.0f} ms"
    )


def test_the_api_re_slices_a_job_whose_gcode_was_removed_without_the_write_lock(
    live_server: str, network: Network, engine: Engine, settings: Settings, slow_slicer: SlowSlicer
) -> None:
    """`GET /jobs/{id}/gcode` slices again when the G-code store was emptied."""
    ((printer_id, printer_token),) = register_printers(
        live_server, network.maker, PRINTERS[:1]
    ).items()
    job = httpx.post(
        f"{live_server}{API}/jobs",
        headers=bearer(network.coordinator),
        json={"part_key": "headband", "copies": 1, "printer_id": int(printer_id)},
        timeout=60,
    )
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    with Session(engine) as session:  # as the orchestrator does, outside any transaction
        stored = session.get(Job, job_id)
        printer = session.get(Printer, int(printer_id))
        part = session.get(Part, stored.part_id if stored else None)
        assert stored is not None and printer is not None and part is not None
        profile = parts.profile_for(printer)
        session.rollback()
        sliced = parts.slice_part(settings=settings, part=part, profile=profile, copies=1)
        stored.gcode_sha256 = sliced.sha256
        session.add(stored)
        session.commit()
    shutil.rmtree(parts.gcode_cache_dir(settings))
    slow_slicer.report.unlink()

    answer = httpx.get(
        f"{live_server}{API}/jobs/{job_id}/gcode", headers=bearer(printer_token), timeout=120
    )

    # 409 when the plate sliced anew differs from the job's (PrusaSlicer dates its G-code):
    # the orchestrator then sends the job again. Never a 5xx.
    assert answer.status_code in (200, 409), answer.text
    (run,) = slow_slicer.runs()
    assert run["free"] > 0, "the API held the write lock while PrusaSlicer sliced again"
