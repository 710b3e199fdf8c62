"""Printers that run the OctoPrint-MQTT plugin instead of our agent, against a real
Mosquitto (and a real OctoPrint with its virtual printer for the REST start): status and
events from `{base}/...` into the API and the job lifecycle, the broker's ACL, and starts
over REST, refused or not.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.link.broker_files import write_broker_files
from orchestrator.process import Orchestrator
from orchestrator.services.parts import gcode_path
from orchestrator.tables import Job, JobAttempt, JobStatus, Movement, Part, PrinterEvent
from printers.topics import plugin_event_topic, plugin_progress_topic, status_topic
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto, MqttRecorder, OctoPrintServer, tiny_gcode, wait_for

pytestmark = pytest.mark.slow
API = "/api/v1"
MK3 = {"name": "MK3S with OctoPrint-MQTT", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto) -> Settings:
    return settings.model_copy(
        update={"mqtt_url": mosquitto.url, "status_flush_seconds": 0.2, "hub_delay_hours": 0}
    )


@pytest.fixture
def orchestrator(engine: Engine, settings: Settings, live_server: str) -> Iterator[Orchestrator]:
    running = Orchestrator(settings=settings, engine=engine, name="test", sweep_seconds=0.5)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def maker_api(live_server: str, network: Network) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{live_server}{API}", headers=bearer(network.maker), timeout=30
    ) as http:
        yield http


@pytest.fixture
def coordinator_api(live_server: str, network: Network) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{live_server}{API}", headers=bearer(network.coordinator), timeout=30
    ) as http:
        yield http


def register(http: httpx.Client, base: str | None, **fields: Any) -> tuple[int, str]:
    created = http.post(
        "/printers",
        json=MK3 | {"connection_kind": "octoprint-mqtt", "mqtt_base_topic": base} | fields,
    )
    created.raise_for_status()
    return created.json()["id"], created.json()["token"]


def subscribed(orchestrator: Orchestrator, printer_id: int) -> None:
    plugins = orchestrator.bridge.plugin_printers
    wait_for(lambda: printer_id in plugins.routes, 10, f"printer {printer_id} to be subscribed")


def plugin_event(event: str, ts: float, **fields: Any) -> bytes:
    return json.dumps({"_event": event, "_timestamp": ts, **fields}).encode()


def job_file(job_id: int) -> dict[str, str]:
    name = f"makerline-job-{job_id}.gcode"
    return {"name": name, "path": name, "origin": "local"}


def status_of(http: httpx.Client, printer_id: int) -> dict[str, Any] | None:
    answer = http.get(f"/printers/{printer_id}/status")
    return answer.json() if answer.status_code == 200 else None


def job_on(
    engine: Engine,
    settings: Settings,
    printer_id: int,
    status: JobStatus,
    gcode: bytes | None = None,
) -> int:
    """A job already given to the printer, as the dispatcher leaves it (with its G-code)."""
    sha = hashlib.sha256(gcode).hexdigest() if gcode else None
    if gcode is not None and sha is not None:
        path = gcode_path(settings, sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gcode)
    with Session(engine) as session:
        part = session.exec(select(Part).where(Part.bom_role == "headband")).first()
        assert part is not None and part.id is not None
        moment = datetime.now(UTC)
        job = Job(
            part_id=part.id,
            copies=2,
            status=status,
            printer_id=printer_id,
            command_id=f"start-{printer_id}-0",
            gcode_sha256=sha,
            assigned_at=moment,
        )
        session.add(job)
        session.flush()
        assert job.id is not None
        job.command_id = f"start-{job.id}-0"
        session.add(
            JobAttempt(
                job_id=job.id, printer_id=printer_id, assigned_at=moment, estimated_seconds=60
            )
        )
        session.commit()
        return job.id


def job_row(engine: Engine, job_id: int) -> Job:
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def headbands_at_maker(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.coalesce(func.sum(Movement.delta), 0)).where(
            Movement.item == "headband", Movement.stage == "at_maker"
        )
        return int(session.exec(query).one())


def malformed(http: httpx.Client) -> int:
    return int(http.get("/metrics").json()["totals"].get("malformed", 0))


def test_a_plugin_printer_reports_prints_and_clears_through_its_own_topics(
    engine: Engine,
    settings: Settings,
    orchestrator: Orchestrator,
    mosquitto: Mosquitto,
    maker_api: httpx.Client,
    coordinator_api: httpx.Client,
    recorders: Callable[..., MqttRecorder],
) -> None:
    base = "octoPrint/camille"
    printer_id, _token = register(maker_api, base)
    subscribed(orchestrator, printer_id)
    job_id = job_on(engine, settings, printer_id, JobStatus.SENT)
    plugin = recorders(mosquitto.port, [])

    # The subscription may still be on its way to the broker: say "Connected" until heard.
    def heard() -> dict[str, Any] | None:
        plugin.publish(
            plugin_event_topic(base, "Connected"), plugin_event("Connected", time.time())
        )
        return status_of(maker_api, printer_id)

    assert wait_for(heard, 10, "the plugin printer's first status", step=0.5)["state"] == "idle"

    started_at = time.monotonic()
    plugin.publish(
        plugin_event_topic(base, "PrintStarted"),
        plugin_event("PrintStarted", time.time(), **job_file(job_id)),
    )
    wait_for(
        lambda: (status_of(maker_api, printer_id) or {}).get("state") == "printing",
        10,
        "the printing status in the API",
        step=0.02,
    )
    status_latency = time.monotonic() - started_at
    plugin.publish(
        plugin_progress_topic(base),
        json.dumps(
            {
                "location": "local",
                "path": job_file(job_id)["path"],
                "progress": 40,
                "_timestamp": time.time(),
            }
        ).encode(),
        retain=True,
    )
    wait_for(
        lambda: (status_of(maker_api, printer_id) or {}).get("progress") == 40, 10, "progress 40 %"
    )
    assert job_row(engine, job_id).status == JobStatus.PRINTING
    assert status_of(maker_api, printer_id)["job_id"] == str(job_id)  # type: ignore[index]

    done = plugin_event("PrintDone", time.time(), time=12.5, **job_file(job_id))
    plugin.publish(plugin_event_topic(base, "PrintDone"), done)
    plugin.publish(plugin_event_topic(base, "PrintDone"), done)  # redelivered
    wait_for(lambda: job_row(engine, job_id).status == JobStatus.AWAITING_CLEAR, 10, "the job done")
    garbage = [
        (plugin_event_topic(base, "PrintStarted"), b"not json"),
        (plugin_event_topic(base, "PrintDone"), b"{}"),
        (plugin_event_topic(base, "PrintDone"), b'{"_timestamp": "yesterday"}'),
        (plugin_progress_topic(base), b'{"_timestamp": 5, "progress": "half"}'),
        (plugin_event_topic(base, "PrintDone"), b"[1, 2]"),
    ]
    for topic, payload in garbage:
        plugin.publish(topic, payload)
    wait_for(lambda: malformed(coordinator_api) >= len(garbage), 10, "malformed plugin messages")

    cleared = maker_api.post(f"/printers/{printer_id}/clear-bed")
    assert cleared.status_code == 202
    wait_for(lambda: job_row(engine, job_id).status == JobStatus.DONE, 10, "the bed cleared")
    wait_for(
        lambda: (status_of(maker_api, printer_id) or {}).get("state") == "idle", 10, "idle again"
    )

    assert headbands_at_maker(engine) == 2  # counted once despite the redelivery
    assert malformed(coordinator_api) == len(garbage)
    kinds = [e["kind"] for e in maker_api.get(f"/printers/{printer_id}/events").json()]
    assert sorted(kinds) == ["BedCleared", "PrintDone", "PrintStarted"]
    assert coordinator_api.get("/metrics").json()["totals"]["duplicate_events"] >= 1
    print(f"\nplugin message to API status: {status_latency * 1000:.0f} ms")
    assert status_latency < 2.0


def test_plugin_printers_are_followed_as_they_come_and_go(
    engine: Engine,
    orchestrator: Orchestrator,
    mosquitto: Mosquitto,
    maker_api: httpx.Client,
    recorders: Callable[..., MqttRecorder],
) -> None:
    plugins = orchestrator.bridge.plugin_printers
    first, _ = register(maker_api, "octoPrint/first")
    subscribed(orchestrator, first)
    # The API refuses a plugin printer the bridge could not follow, and says why.
    no_base = maker_api.post("/printers", json=MK3 | {"connection_kind": "octoprint-mqtt"})
    assert no_base.status_code == 422
    assert "no MQTT base topic" in no_base.json()["detail"]
    shadowing = maker_api.post(
        "/printers",
        json=MK3
        | {"connection_kind": "octoprint-mqtt", "mqtt_base_topic": "octoPrint/first/inner"},
    )
    assert shadowing.status_code == 422
    assert "overlaps 'octoPrint/first'" in shadowing.json()["detail"]

    assert maker_api.delete(f"/printers/{first}").status_code == 204
    wait_for(lambda: first not in plugins.routes, 10, "the deleted printer to be dropped")
    filters = [topic_filter for topic_filter, _handler in orchestrator.connection.handlers]
    assert "octoPrint/first/event/+" not in filters
    # The base topic it held is free again.
    inner, _ = register(maker_api, "octoPrint/first/inner")
    subscribed(orchestrator, inner)
    assert "octoPrint/first/inner/event/+" in [f for f, _ in orchestrator.connection.handlers]
    plugin = recorders(mosquitto.port, [])
    plugin.publish(
        plugin_event_topic("octoPrint/first", "Connected"), plugin_event("Connected", time.time())
    )
    time.sleep(0.5)
    with Session(engine) as session:  # nobody listens on the old base topic any more
        assert session.exec(select(func.count()).select_from(PrinterEvent)).one() == 0


def test_the_broker_confines_a_plugin_printer_to_its_base_topic(
    settings: Settings,
    engine: Engine,
    maker_api: httpx.Client,
    tmp_path: Path,
    recorders: Callable[..., MqttRecorder],
) -> None:
    agent = maker_api.post("/printers", json=MK3 | {"name": "agent"}).json()["id"]
    printer_id, token = register(maker_api, "octoPrint/shop")
    neighbour, neighbour_token = register(maker_api, "octoPrint/shop-next-door")
    service_settings = settings.model_copy(update={"mqtt_url": "mqtt://service:s3cret@x:1883"})
    with Session(engine) as session:
        files = write_broker_files(session, service_settings, tmp_path / "auth")
    assert "topic write octoPrint/shop/#" in files.acl_file.read_text()
    workdir = tmp_path / "broker"
    workdir.mkdir()
    broker = Mosquitto(workdir, password_file=files.password_file, acl_file=files.acl_file)
    broker.start()
    try:
        service = recorders(
            broker.port, ["makerline/#", "octoPrint/#"], username="service", password="s3cret"
        )
        plugin = recorders(
            broker.port,
            ["octoPrint/#", "makerline/#"],
            username=f"printer-{printer_id}",
            password=token,
        )
        intruder = recorders(
            broker.port, [], username=f"printer-{neighbour}", password=neighbour_token
        )
        own = plugin_event_topic("octoPrint/shop", "PrintDone")
        plugin.publish("octoPrint/elsewhere/event/PrintDone", plugin_event("PrintDone", 1))
        plugin.publish(status_topic(printer_id), b'{"v":1,"state":"idle"}')
        plugin.publish(status_topic(agent), b'{"v":1,"state":"idle"}')
        intruder.publish(plugin_event_topic("octoPrint/shop", "PrintDone"), b"{}")
        service.publish(f"makerline/printers/{printer_id}/commands", b'{"v":1}')
        plugin.publish(own, plugin_event("PrintDone", 2))
        wait_for(lambda: service.on(own), 10, "the plugin printer's own event")
        time.sleep(0.5)
        assert [m.topic for m in service.messages if m.topic.startswith("octoPrint/")] == [own]
        assert service.on(status_topic(printer_id)) == service.on(status_topic(agent)) == []
        assert plugin.messages == []  # it reads nothing, not even its own topics
    finally:
        broker.stop()


@pytest.fixture
def octoprint_api(idle_octoprint: OctoPrintServer) -> Iterator[OctoPrintServer]:
    yield idle_octoprint
    idle_octoprint.make_idle()


def test_a_job_is_started_over_rest_and_a_refused_start_requeues_it(
    engine: Engine,
    settings: Settings,
    orchestrator: Orchestrator,
    maker_api: httpx.Client,
    coordinator_api: httpx.Client,
    octoprint_api: OctoPrintServer,
) -> None:
    printer_id, _ = register(
        maker_api,
        "octoPrint/virtual",
        octoprint_url=octoprint_api.url,
        octoprint_api_key=octoprint_api.api_key,
    )
    refusing, _ = register(
        maker_api,
        "octoPrint/refusing",
        octoprint_url=octoprint_api.url,
        octoprint_api_key="NOT-THE-KEY",
    )
    subscribed(orchestrator, printer_id)
    # Nothing heard from the plugin yet: OctoPrint's REST API says the printer is ready.
    wait_for(
        lambda: (status_of(maker_api, printer_id) or {}).get("state") == "idle",
        15,
        "the probed printer to be idle",
    )
    job_id = job_on(engine, settings, printer_id, JobStatus.ASSIGNED, tiny_gcode(30))

    sent_at = time.monotonic()
    assert orchestrator.send([job_row(engine, job_id)]) == 1
    send_seconds = time.monotonic() - sent_at
    job_name = f"makerline-job-{job_id}.gcode"

    def printing() -> bool:
        job = octoprint_api.get("/api/job")
        return job["state"].startswith("Printing") and job["job"]["file"]["name"] == job_name

    wait_for(printing, 20, "OctoPrint to print the job's file")
    start_seconds = time.monotonic() - sent_at
    assert job_row(engine, job_id).status == JobStatus.SENT
    # Sent again (as the sweep does when no PrintStarted comes): it is not started twice.
    orchestrator.send([job_row(engine, job_id)])
    time.sleep(1.0)
    assert printing()
    totals = coordinator_api.get("/metrics").json()["totals"]
    assert totals.get("rest_starts") == 1 and "rest_start_failures" not in totals

    refused = job_on(engine, settings, refusing, JobStatus.ASSIGNED, tiny_gcode(1))
    orchestrator.send([job_row(engine, refused)])
    # Re-queued (the planner may then withdraw it: no order needs this hand-made job).
    wait_for(lambda: job_row(engine, refused).attempts == 1, 15, "the refused job re-queued")
    assert job_row(engine, refused).printer_id is None
    with Session(engine) as session:
        failed = session.exec(
            select(PrinterEvent).where(col(PrinterEvent.job_id) == str(refused))
        ).one()
        assert failed.kind == "PrintFailed" and failed.printer_id == refusing
        attempt = session.exec(select(JobAttempt).where(JobAttempt.job_id == refused)).one()
        assert attempt.outcome == "failed" and "API key" in (attempt.reason or "")
    wait_for(
        lambda: (status_of(maker_api, refusing) or {}).get("state") == "error",
        10,
        "the refusing printer held in error",
    )
    print(
        f"\nsend() returned in {send_seconds * 1000:.0f} ms; printing after {start_seconds:.2f} s"
    )
    assert send_seconds < 0.5
