"""The service's side of the printer link against a real Mosquitto: the bridge, the
orchestrator from order to printed parts with simulated printers, and the broker's files.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Movement, PrinterEvent
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.link.broker_files import write_broker_files
from orchestrator.production_line import ProductionLine
from printers.protocol.broker_auth import printer_broker_password
from printers.protocol.topics import events_topic, status_topic
from printers.simulated.simulator import SimulationSettings, run_simulation
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto, MqttRecorder, wait_for

pytestmark = pytest.mark.slow
API = "/api/v1"
MK3 = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto) -> Settings:
    return settings.model_copy(
        update={
            "mqtt_url": mosquitto.url,
            "status_flush_seconds": 0.2,
            "hub_delay_hours": 0,
        }
    )


def register_printers(url: str, token: str, count: int) -> dict[str, str]:
    tokens = {}
    with httpx.Client(base_url=f"{url}{API}", headers=bearer(token), timeout=30) as http:
        for index in range(count):
            created = http.post("/printers", json=MK3 | {"name": f"MK3S #{index}"})
            created.raise_for_status()
            tokens[str(created.json()["id"])] = created.json()["token"]
    return tokens


def event(kind: str, job_id: str | None = None, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "event_id": event_id or uuid.uuid4().hex,
            "kind": kind,
            "job_id": job_id,
            "ts": time.time(),
        }
    ).encode()


def test_bridge_keeps_state_records_events_once_and_survives_garbage(
    live_server: str,
    network: Network,
    engine: Engine,
    orchestrator: ProductionLine,
    mosquitto: Mosquitto,
    recorders: Callable[..., MqttRecorder],
) -> None:
    ((printer_id, _token),) = register_printers(live_server, network.maker, 1).items()
    printer = recorders(mosquitto.port, [])
    coordinator = httpx.Client(
        base_url=f"{live_server}{API}", headers=bearer(network.coordinator), timeout=10
    )
    status = {
        "v": 1,
        "state": "idle",
        "seq": 1,
        "ts": time.time(),
        "temperatures": {"tool0": {"actual": 24.0, "target": 0}},
    }
    printer.publish(status_topic(printer_id), json.dumps(status).encode(), retain=True)
    seen = wait_for(
        lambda: (
            coordinator.get(f"/printers/{printer_id}/status").json()
            if coordinator.get(f"/printers/{printer_id}/status").status_code == 200
            else None
        ),
        10,
        "the status in the API",
    )
    assert seen["state"] == "idle"
    assert seen["temperatures"]["tool0"]["actual"] == 24.0

    garbage = [
        b"",
        b"not json",
        b"{}",
        b'{"v": 2, "state": "idle"}',
        b"\xff\xfe",
        json.dumps({"v": 1, "state": "printing", "progress": 400}).encode(),
        json.dumps({"v": 1, "kind": "PrintDone", "ts": 1}).encode(),
    ]
    for payload in garbage:
        printer.publish(status_topic(printer_id), payload)
        printer.publish(events_topic(printer_id), payload)
    printer.publish(events_topic("not-a-printer"), event("PrintDone"))
    printer.publish("makerline/printers/1/firmware", b"{}")

    duplicated = event("BedCleared", event_id="evt-0001")
    printer.publish(events_topic(printer_id), duplicated)
    printer.publish(events_topic(printer_id), duplicated)
    printer.publish(
        status_topic(printer_id),
        json.dumps(status | {"seq": 2, "state": "awaiting_clear"}).encode(),
    )
    wait_for(
        lambda: (
            coordinator.get(f"/printers/{printer_id}/status").json()["state"] == "awaiting_clear"
        ),
        10,
        "the bridge to go on after the garbage",
    )
    events = coordinator.get(f"/printers/{printer_id}/events").json()
    assert [e["event_id"] for e in events] == ["evt-0001"]

    def malformed() -> int:
        return coordinator.get("/metrics").json()["totals"].get("malformed", 0)

    wait_for(lambda: malformed() >= 2 * len(garbage), 10, "malformed payloads to be counted")
    assert malformed() == 2 * len(garbage)
    totals = coordinator.get("/metrics").json()["totals"]
    assert totals["duplicate_events"] == 1
    assert totals["unknown_printer"] >= 1
    stale = json.dumps(status | {"seq": 1, "state": "printing"}).encode()
    printer.publish(status_topic(printer_id), stale)
    time.sleep(0.6)
    assert coordinator.get(f"/printers/{printer_id}/status").json()["state"] == "awaiting_clear"
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(PrinterEvent)).one() == 1


def simulate(
    mosquitto: Mosquitto, credentials: dict[str, str], **overrides: object
) -> tuple[asyncio.AbstractEventLoop, asyncio.Task[None], threading.Thread]:
    ids = sorted(int(i) for i in credentials)
    settings = SimulationSettings(
        printers=len(ids),
        first_id=ids[0],
        credentials=credentials,
        broker_url=f"mqtt://127.0.0.1:{mosquitto.port}",
        status_interval_seconds=0.5,
        **overrides,  # type: ignore[arg-type]
    )
    loop = asyncio.new_event_loop()
    task = loop.create_task(run_simulation(settings))
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    return loop, task, thread


def at_maker(engine: Engine, item: str) -> int:
    with Session(engine) as session:
        query = select(func.coalesce(func.sum(Movement.delta), 0)).where(
            Movement.item == item, Movement.stage == "at_maker"
        )
        return int(session.exec(query).one())


def test_an_order_of_twenty_visors_is_printed_once(
    live_server: str,
    network: Network,
    engine: Engine,
    orchestrator: ProductionLine,
    mosquitto: Mosquitto,
    recorders: Callable[..., MqttRecorder],
) -> None:
    coordinator = httpx.Client(
        base_url=f"{live_server}{API}", headers=bearer(network.coordinator), timeout=30
    )
    for item in ("film_sheet", "elastic"):
        coordinator.post(
            "/donations", json={"donor": "Papeterie", "item": item, "quantity": 20}
        ).raise_for_status()
    credentials = register_printers(live_server, network.maker, 3)
    # The headband's G-code says 1 h 23 min; at 40,000x a print takes about 0.12 s.
    loop, task, thread = simulate(mosquitto, credentials, speed=40_000.0, auto_clear_seconds=0.05)
    try:
        httpx.post(
            f"{live_server}{API}/orders",
            headers=bearer(network.centre),
            json={
                "product_key": "visor",
                "quantity": 20,
                "delivery_address": "CH Abbeville",
                "needed_by": (date.today() + timedelta(days=3)).isoformat(),
            },
        ).raise_for_status()
        wait_for(lambda: at_maker(engine, "headband") >= 20, 120, "20 printed headbands")

        def jobs() -> list[Job]:
            with Session(engine) as session:
                return list(session.exec(select(Job)))

        try:
            wait_for(lambda: all(j.status == JobStatus.DONE for j in jobs()), 30, "beds cleared")
        except AssertionError:
            with Session(engine) as session:
                print([(j.id, j.status, j.printer_id, j.attempts, j.last_reason) for j in jobs()])
                print(
                    [
                        (e.printer_id, e.kind, e.job_id, e.reason)
                        for e in session.exec(select(PrinterEvent))
                    ]
                )
            raise
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)

    assert at_maker(engine, "headband") == 20
    assert sum(j.copies for j in jobs()) == 20
    assert {j.printer_id for j in jobs()} == {int(i) for i in credentials}  # all printers used
    # A duplicated PrintDone, with the same or a new event id, changes nothing.
    printer = recorders(mosquitto.port, [])
    done = jobs()[0]
    with Session(engine) as session:
        original = session.exec(
            select(PrinterEvent).where(
                PrinterEvent.kind == "PrintDone", PrinterEvent.job_id == str(done.id)
            )
        ).one()
    printer.publish(
        events_topic(done.printer_id or 0), event("PrintDone", str(done.id), original.event_id)
    )
    printer.publish(events_topic(done.printer_id or 0), event("PrintDone", str(done.id)))
    time.sleep(1.0)
    assert at_maker(engine, "headband") == 20
    order = httpx.get(f"{live_server}{API}/orders", headers=bearer(network.centre)).json()[0]
    assert order["eta"] is not None and order["late"] is False


def test_broker_files_from_the_database_confine_each_printer(
    live_server: str,
    network: Network,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    recorders: Callable[..., MqttRecorder],
) -> None:
    tokens = register_printers(live_server, network.maker, 2)
    (first, first_token), (second, _second_token) = sorted(tokens.items())
    service_settings = settings.model_copy(update={"mqtt_url": "mqtt://service:s3cret@x:1883"})
    with Session(engine) as session:
        files = write_broker_files(session, service_settings, tmp_path / "auth")
    assert files.printers == 2
    first_password = printer_broker_password(first_token)  # what its agent logs in with
    assert first_token not in files.password_file.read_text()
    assert first_password not in files.password_file.read_text()
    workdir = tmp_path / "broker"
    workdir.mkdir()
    broker = Mosquitto(workdir, password_file=files.password_file, acl_file=files.acl_file)
    broker.start()
    try:
        service = recorders(broker.port, ["makerline/#"], username="service", password="s3cret")
        intruder = recorders(
            broker.port,
            [f"makerline/printers/{second}/commands"],
            username=f"printer-{first}",
            password=first_password,
        )
        intruder.publish(status_topic(second), b'{"v":1,"state":"idle"}')
        intruder.publish(events_topic(second), event("PrintDone", "1"))
        intruder.publish(status_topic(first), b'{"v":1,"state":"idle","seq":1}')
        service.publish(f"makerline/printers/{second}/commands", b'{"v":1}')
        wait_for(lambda: service.on(status_topic(first)), 10, "the printer's own status")
        time.sleep(0.5)
        assert service.on(status_topic(second)) == []
        assert service.on(events_topic(second)) == []
        assert intruder.on(f"makerline/printers/{second}/commands") == []
    finally:
        broker.stop()
