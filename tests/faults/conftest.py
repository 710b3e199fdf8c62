"""Fixtures of the fault-injection suite: a PostgreSQL cluster of our own (restartable
without disturbing the shared server), and a production line of real processes.

The line is the API (uvicorn in this process), `makerline orchestrate` and `makerline
simulate` as subprocesses, a Mosquitto of its own, and an MQTT recorder of every command
and event, so that each fault can be injected into one piece while the others run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.database.engine import make_engine, migrate
from orchestrator.database.tables import Job, PrinterStatus
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.services import catalogue
from tests.conftest import Network, bearer, empty_all_tables
from tests.faults.soundness import done_jobs, parts_counted
from tests.ports import free_port
from tests.realparts import (
    REPO,
    Mosquitto,
    MqttRecorder,
    descendants_cpu_seconds,
    wait_while_progressing,
)

API = "/api/v1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
MK3 = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
# The headband's G-code says about 1 h 23 min: at this speed a print takes about 2 s, long
# enough to inject a fault while printers print, short enough for a suite under 90 s.
PRINT_SPEED = 2500.0
# The longest a line may do nothing we can see while a test waits on it. Its slowest silent
# step is PrusaSlicer slicing a plate, which shows as CPU time of the slicer's process.
STALLED_AFTER_SECONDS = 30.0


# --- a PostgreSQL cluster of our own ---------------------------------------------------


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder, on a free port, run as the `postgres` user
    when we are root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="makerline-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/makerline"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        with psycopg.connect(self.admin_dsn, autocommit=True) as admin:
            admin.execute("CREATE DATABASE makerline")

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            # A crash (`stop("immediate")`) must keep every commit, as in production:
            # with synchronous_commit off, the last commits die in the WAL buffers and the
            # line loses events it had already acknowledged. fsync stays off: the machine
            # itself does not crash, so the page cache keeps what was written.
            "-c fsync=off -c synchronous_commit=on -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects every client and rolls back what is open; `immediate` is a
        crash: the server dies and recovers from its WAL on the next start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.init()
        migrate(cluster.url)
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def engine(pg_cluster: PostgresCluster) -> Iterator[Engine]:
    """The faults run on PostgreSQL, the production database, in a cluster of their own."""
    engine = make_engine(pg_cluster.url)
    empty_all_tables(engine)
    with Session(engine) as session:
        catalogue.seed_catalogue(session=session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto) -> Settings:
    return settings.model_copy(update={"mqtt_url": mosquitto.url, "hub_delay_hours": 0})


# --- the production line ---------------------------------------------------------------


@dataclass
class Line:
    """The processes of one production line, each of which a test may kill or restart."""

    engine: Engine
    settings: Settings
    mosquitto: Mosquitto
    url: str
    network: Network
    workdir: Path
    recorder: MqttRecorder
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    credentials: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "MAKERLINE_DATABASE_URL": self.engine.url.render_as_string(hide_password=False),
            "MAKERLINE_MQTT_URL": self.settings.mqtt_url,
            "MAKERLINE_PUBLIC_URL": self.settings.public_url,
            "MAKERLINE_DATA_DIR": str(self.settings.data_dir),
            "MAKERLINE_STATUS_FLUSH_SECONDS": "0.2",
            **extra,
        }

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def orchestrate(
        self, name: str = "faults", share_group: str | None = None, **env: str
    ) -> subprocess.Popen[bytes]:
        """`makerline orchestrate` under a stable name (its broker session survives it).
        A start not acknowledged in 5 s is sent again: restarts then cause resends, which
        must not start a job twice."""
        command = [sys.executable, "-m", "orchestrator.cli", "orchestrate", "--name", name]
        if share_group:
            command += ["--share-group", share_group]
        env = {"MAKERLINE_START_ACK_TIMEOUT_SECONDS": "5", **env}
        return self._spawn(f"orchestrator-{name}", command, self.env(**env))

    def register_printers(self, count: int) -> dict[str, str]:
        with httpx.Client(
            base_url=f"{self.url}{API}", headers=bearer(self.network.maker), timeout=30
        ) as http:
            for index in range(count):
                created = http.post("/printers", json=MK3 | {"name": f"MK3S #{index}"})
                created.raise_for_status()
                self.credentials[str(created.json()["id"])] = created.json()["token"]
        return self.credentials

    def simulate(
        self, printer_ids: list[str] | None = None, speed: float = PRINT_SPEED
    ) -> subprocess.Popen[bytes]:
        """`makerline simulate` for consecutive registered printers (all by default)."""
        ids = sorted(printer_ids or self.credentials, key=int)
        assert [int(i) for i in ids] == list(range(int(ids[0]), int(ids[0]) + len(ids)))
        credentials = self.workdir / f"credentials-{ids[0]}.json"
        credentials.write_text(json.dumps({i: self.credentials[i] for i in ids}))
        command = [
            *[sys.executable, "-m", "printers.cli", "simulate"],
            *["--printers", str(len(ids)), "--first-id", ids[0]],
            *["--credentials", str(credentials), "--broker-url", self.mosquitto.url],
            *["--speed", str(speed), "--status-interval", "0.5"],
            *["--auto-clear-seconds", "0.1"],
        ]
        return self._spawn(f"simulator-{ids[0]}", command, self.env())

    def order_visors(self, quantity: int) -> None:
        """Film and elastic for `quantity` visors, and a health centre's order for them."""
        with httpx.Client(base_url=f"{self.url}{API}", timeout=30) as http:
            for item in ("film_sheet", "elastic"):
                http.post(
                    "/donations",
                    headers=bearer(self.network.coordinator),
                    json={"donor": "Papeterie", "item": item, "quantity": quantity},
                ).raise_for_status()
            http.post(
                "/orders",
                headers=bearer(self.network.centre),
                json={
                    "product_key": "visor",
                    "quantity": quantity,
                    "delivery_address": "CH Abbeville",
                    "needed_by": (date.today() + timedelta(days=3)).isoformat(),
                },
            ).raise_for_status()

    def progress(self) -> object:
        """A snapshot of everything the line visibly does: the messages on the broker, the
        jobs' states, the processes' logs, and the CPU time of the processes they started
        (PrusaSlicer slicing). Whatever the load, it changes while the line works."""
        try:
            jobs: tuple[object, ...] = tuple(
                sorted((j.id or 0, str(j.status), j.gcode_sha256, j.attempts) for j in self.jobs())
            )
        except OperationalError:  # the database is what a test stopped
            jobs = ()
        logs = tuple(path.stat().st_size for path in sorted(self.workdir.glob("*.log")))
        slicers = sum(descendants_cpu_seconds(process.pid) for process in self.processes)
        return (len(self.recorder.messages), jobs, logs, round(slicers, 1))

    def wait(self, condition: Callable[[], Any], what: str, limit: float) -> Any:
        """`condition`'s first true value, waiting while the line makes progress: under load
        each step is slower, but a line that stops moving fails within
        STALLED_AFTER_SECONDS; `limit` bounds the whole wait."""
        try:
            return wait_while_progressing(
                condition, self.progress, what, stalled_after=STALLED_AFTER_SECONDS, limit=limit
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.describe()}") from None

    def wait_done_beyond(self, count: int, limit: float, what: str) -> int:
        """Production resumes: wait until more than `count` jobs are done."""
        return int(
            self.wait(
                lambda: done_jobs(self.engine) > count and done_jobs(self.engine), what, limit
            )
        )

    def metrics(self) -> Any:
        response = httpx.get(
            f"{self.url}{API}/metrics", headers=bearer(self.network.coordinator), timeout=10
        )
        response.raise_for_status()
        return response.json()

    def commands(self) -> list[Any]:
        return [m.json() for m in self.recorder.messages if m.topic.endswith("/commands")]

    def events(self) -> list[Any]:
        return [m.json() for m in self.recorder.messages if m.topic.endswith("/events")]

    def printer_events(self) -> list[tuple[str, Any]]:
        """(printer id, event body) in the order the broker carried them."""
        return [
            (m.topic.split("/")[-2], m.json())
            for m in list(self.recorder.messages)
            if m.topic.endswith("/events")
        ]

    def jobs(self) -> list[Job]:
        with Session(self.engine) as session:
            return list(session.exec(select(Job)))

    def printing(self) -> int:
        return sum(job.status == JobStatus.PRINTING for job in self.jobs())

    def wait_all_done(self, copies: int, limit: float) -> None:
        """Every part of the order printed and every bed cleared."""
        self.wait(lambda: parts_counted(self.engine) >= copies, f"{copies} parts", limit)
        self.wait(
            lambda: all(job.status == JobStatus.DONE for job in self.jobs()), "beds cleared", limit
        )

    def describe(self) -> str:
        """The jobs and the printers' stored statuses, to tell why production stopped."""
        with Session(self.engine) as session:
            statuses = [
                (s.printer_id, s.state, s.job_id) for s in session.exec(select(PrinterStatus))
            ]
        jobs = [(j.id, str(j.status), j.printer_id, j.attempts) for j in self.jobs()]
        return f"jobs (id, status, printer, attempts): {jobs}\nstatuses: {statuses}"

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.workdir.glob("*.log"))
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def line(
    live_server: str,
    network: Network,
    engine: Engine,
    settings: Settings,
    mosquitto: Mosquitto,
    recorders: Callable[..., MqttRecorder],
    tmp_path: Path,
) -> Iterator[Line]:
    recorder = recorders(
        mosquitto.port, ["makerline/printers/+/commands", "makerline/printers/+/events"]
    )
    workdir = tmp_path / "line"
    workdir.mkdir()
    production = Line(engine, settings, mosquitto, live_server, network, workdir, recorder)
    try:
        yield production
    finally:
        production.stop()
