"""The orchestrator under faults: killed mid-run and restarted, and two replicas at once.

Both run real processes (`makerline orchestrate`) against a real Mosquitto, with simulated
printers, and check the ledger afterwards: every job dispatched once, its parts counted
once, and production finished.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.db import make_engine, migrate
from orchestrator.services import catalogue
from orchestrator.tables import Job, JobAttempt, JobStatus, Movement
from tests.conftest import Network, bearer, empty_all_tables
from tests.realparts import Mosquitto, MqttRecorder, wait_for
from tests.test_link import register_printers, simulate

pytestmark = pytest.mark.slow
API = "/api/v1"


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto) -> Settings:
    return settings.model_copy(update={"mqtt_url": mosquitto.url, "hub_delay_hours": 0})


def orchestrator_process(
    engine: Engine, settings: Settings, name: str, share_group: str | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MAKERLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MAKERLINE_MQTT_URL": settings.mqtt_url,
        "MAKERLINE_PUBLIC_URL": settings.public_url,
        "MAKERLINE_DATA_DIR": str(settings.data_dir),
        "MAKERLINE_STATUS_FLUSH_SECONDS": "0.2",
    }
    command = [sys.executable, "-m", "orchestrator.cli", "orchestrate", "--name", name]
    if share_group:
        command += ["--share-group", share_group]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def place_visor_order(url: str, network: Network, quantity: int) -> None:
    with httpx.Client(base_url=f"{url}{API}", timeout=30) as http:
        for item in ("film_sheet", "elastic"):
            http.post(
                "/donations",
                headers=bearer(network.coordinator),
                json={"donor": "Papeterie", "item": item, "quantity": quantity},
            ).raise_for_status()
        http.post(
            "/orders",
            headers=bearer(network.centre),
            json={
                "product_key": "visor",
                "quantity": quantity,
                "delivery_address": "CH",
                "needed_by": (date.today() + timedelta(days=3)).isoformat(),
            },
        ).raise_for_status()


def jobs_of(engine: Engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job)))


def attempts_per_job(engine: Engine) -> Counter[int]:
    with Session(engine) as session:
        return Counter(a.job_id for a in session.exec(select(JobAttempt)))


def headbands_at_maker(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.exec(
                select(func.coalesce(func.sum(Movement.delta), 0)).where(
                    Movement.item == "headband", Movement.stage == "at_maker"
                )
            ).one()
        )


@pytest.fixture
def stopper() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_sigkill_mid_run_then_restart_loses_and_repeats_nothing(
    live_server: str,
    network: Network,
    engine: Engine,
    settings: Settings,
    mosquitto: Mosquitto,
    stopper: list[subprocess.Popen[bytes]],
) -> None:
    credentials = register_printers(live_server, network.maker, 3)
    # About 1.5 s a print: long enough to kill the orchestrator while printers print.
    loop, task, thread = simulate(mosquitto, credentials, speed=3300.0, auto_clear_seconds=0.1)
    try:
        first = orchestrator_process(engine, settings, "first")
        stopper.append(first)
        place_visor_order(live_server, network, 9)
        wait_for(
            lambda: sum(j.status == JobStatus.PRINTING for j in jobs_of(engine)) >= 2,
            60,
            "printers printing",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        # Restarted under its name, it resumes its broker session: events sent while it
        # was dead wait there for it.
        second = orchestrator_process(engine, settings, "first")
        stopper.append(second)
        wait_for(lambda: headbands_at_maker(engine) >= 9, 120, "nine headbands")
        wait_for(
            lambda: all(j.status == JobStatus.DONE for j in jobs_of(engine)),
            30,
            "every bed cleared",
        )
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)
    assert headbands_at_maker(engine) == 9
    assert sum(j.copies for j in jobs_of(engine)) == 9
    assert set(attempts_per_job(engine).values()) == {1}  # no job started twice


@pytest.fixture
def engine(postgres_url: str) -> Engine:
    """Replicas share one PostgreSQL: this module's tests run on it only."""
    migrate(postgres_url)
    engine = make_engine(postgres_url)
    empty_all_tables(engine)
    with Session(engine) as session:
        catalogue.seed_catalogue(session=session)
        session.commit()
    return engine


def test_two_replicas_dispatch_each_job_exactly_once(
    live_server: str,
    network: Network,
    engine: Engine,
    settings: Settings,
    mosquitto: Mosquitto,
    recorders: Callable[..., MqttRecorder],
    stopper: list[subprocess.Popen[bytes]],
) -> None:
    commands = recorders(mosquitto.port, ["makerline/printers/+/commands"])
    credentials = register_printers(live_server, network.maker, 8)
    loop, task, thread = simulate(mosquitto, credentials, speed=40_000.0, auto_clear_seconds=0.05)
    try:
        stopper.append(orchestrator_process(engine, settings, "replica-a", "makerline"))
        stopper.append(orchestrator_process(engine, settings, "replica-b", "makerline"))
        place_visor_order(live_server, network, 40)
        wait_for(lambda: headbands_at_maker(engine) >= 40, 180, "forty headbands")
        wait_for(
            lambda: all(j.status == JobStatus.DONE for j in jobs_of(engine)),
            30,
            "every bed cleared",
        )
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)
    starts = Counter(
        m.json()["job_id"] for m in commands.messages if m.json().get("kind") == "start_job"
    )
    assert len(starts) == len(jobs_of(engine)) == 40
    assert set(starts.values()) == {1}
    assert set(attempts_per_job(engine).values()) == {1}
    assert headbands_at_maker(engine) == 40
