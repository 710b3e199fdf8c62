"""Printers that run the OctoPrint-MQTT plugin instead of our agent, against a real
Mosquitto, the tests' emulation of the plugin (`tests.realparts.OctoPrintMqttPlugin`, which
publishes what the real plugin 0.8.16 does) and a real OctoPrint with its virtual printer
for the REST side: status and events from the plugin's topics into the API and the job
lifecycle, going offline, the broker's ACL, and starts over REST: refused, waiting for a
busy printer, and never twice on one bed.
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
from orchestrator.database.tables import Job, JobAttempt, Movement, Part, PrinterEvent
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.link.broker_files import write_broker_files
from orchestrator.production_line import ProductionLine
from orchestrator.services.parts import gcode_path
from printers.octoprint.rest import OctoPrintAdapter, OctoPrintWrongState
from printers.protocol.topics import (
    plugin_event_topic,
    plugin_progress_topic,
    plugin_subscriptions,
    status_topic,
)
from tests.conftest import Network, bearer
from tests.realparts import (
    Mosquitto,
    MqttRecorder,
    OctoPrintMqttPlugin,
    OctoPrintServer,
    tiny_gcode,
    wait_for,
)

pytestmark = pytest.mark.slow
API = "/api/v1"
MK3 = {"name": "MK3S with OctoPrint-MQTT", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto, request: pytest.FixtureRequest) -> Settings:
    """The service with a broker; a test's parameter, if any, changes more."""
    return settings.model_copy(
        update={
            "mqtt_url": mosquitto.url,
            "status_flush_seconds": 0.2,
            "hub_delay_hours": 0,
            # The test OctoPrint servers are on loopback, as a fab-lab's LAN would be.
            "allowed_private_networks": "127.0.0.0/8",
            **getattr(request, "param", {}),
        }
    )


@pytest.fixture
def coordinator_api(live_server: str, network: Network) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{live_server}{API}", headers=bearer(network.coordinator), timeout=30
    ) as http:
        yield http


def registered(http: httpx.Client, base: str | None, **fields: Any) -> dict[str, Any]:
    """A plugin printer registered as a maker does, with its credentials."""
    created = http.post(
        "/printers",
        json=MK3 | {"connection_kind": "octoprint-mqtt", "mqtt_base_topic": base} | fields,
    )
    created.raise_for_status()
    return dict(created.json())


def register(http: httpx.Client, base: str | None, **fields: Any) -> tuple[int, str]:
    created = registered(http, base, **fields)
    return created["id"], created["token"]


def subscribed(orchestrator: ProductionLine, printer_id: int) -> None:
    plugins = orchestrator.bridge.plugin_printers
    wait_for(lambda: printer_id in plugins.routes, 10, f"printer {printer_id} to be subscribed")


def plugin_event(event: str, ts: float, **fields: Any) -> bytes:
    return json.dumps({"_event": event, "_timestamp": ts, **fields}).encode()


def job_name(job_id: int) -> str:
    return f"makerline-job-{job_id}.gcode"


def status_of(http: httpx.Client, printer_id: int) -> dict[str, Any] | None:
    answer = http.get(f"/printers/{printer_id}/status")
    return answer.json() if answer.status_code == 200 else None


def state_of(http: httpx.Client, printer_id: int) -> str | None:
    return (status_of(http, printer_id) or {}).get("state")


def heard_ready(plugin: OctoPrintMqttPlugin, http: httpx.Client, printer_id: int) -> None:
    """The plugin connects and OctoPrint says OPERATIONAL, until the service has heard it
    (its subscription may still be on its way to the broker)."""
    plugin.connect()

    def idle() -> bool:
        plugin.operational()
        return state_of(http, printer_id) == "idle"

    wait_for(idle, 10, "the plugin printer to be idle", step=0.3)


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


def test_a_plugin_printer_prints_finishes_and_goes_offline_through_its_own_topics(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    mosquitto: Mosquitto,
    maker_api: httpx.Client,
    coordinator_api: httpx.Client,
    recorders: Callable[..., MqttRecorder],
    octoprint_mqtt_plugins: Callable[..., OctoPrintMqttPlugin],
) -> None:
    base = "octoPrint/camille/"  # as the plugin's settings show it, slash included
    printer_id, _token = register(maker_api, base)
    subscribed(orchestrator, printer_id)
    job_id = job_on(engine, settings, printer_id, JobStatus.SENT)
    name = job_name(job_id)
    plugin = octoprint_mqtt_plugins(mosquitto.port, base)
    heard_ready(plugin, maker_api, printer_id)

    started_at = time.monotonic()
    plugin.file_uploaded(name)
    plugin.print_started(name, 1301)
    wait_for(lambda: state_of(maker_api, printer_id) == "printing", 10, "printing", step=0.02)
    status_latency = time.monotonic() - started_at
    plugin.temperature("bed", None, 60.0)
    plugin.temperature("tool0", 21.3, 200.0)
    plugin.progress(name, 40)
    wait_for(
        lambda: (status_of(maker_api, printer_id) or {}).get("progress") == 40, 10, "progress 40 %"
    )
    printing = status_of(maker_api, printer_id) or {}
    assert printing["job_id"] == str(job_id)
    assert printing["temperatures"]["bed"] == {"actual": None, "target": 60.0}
    assert job_row(engine, job_id).status == JobStatus.PRINTING

    plugin.print_done(name, 1301, 12.5)  # while OctoPrint is still FINISHING
    plugin.repeat("event/PrintDone")  # as a second replica hears it: stored once
    wait_for(lambda: job_row(engine, job_id).status == JobStatus.AWAITING_CLEAR, 10, "the job done")
    assert maker_api.post(f"/printers/{printer_id}/clear-bed").status_code == 202
    wait_for(lambda: job_row(engine, job_id).status == JobStatus.DONE, 10, "the bed cleared")
    time.sleep(0.5)
    assert state_of(maker_api, printer_id) == "printing"  # done, but not ready: finishing
    plugin.operational()
    wait_for(lambda: state_of(maker_api, printer_id) == "idle", 10, "idle once OPERATIONAL")

    raw = recorders(mosquitto.port, [])
    garbage = [
        (plugin_event_topic(base, "PrintStarted"), b"not json"),
        (plugin_event_topic(base, "PrintDone"), b"{}"),
        (plugin_event_topic(base, "PrintDone"), b'{"_timestamp": "yesterday"}'),
        (plugin_progress_topic(base), b'{"_timestamp": 5, "progress": "half"}'),
        (plugin_event_topic(base, "PrintDone"), b"[1, 2]"),
        (f"{base}temperature/bed", b'{"actual": "hot", "target": 60, "_timestamp": 5}'),
        (f"{base}mqtt", b"online"),
    ]
    for topic, payload in garbage:
        raw.publish(topic, payload)
    wait_for(lambda: malformed(coordinator_api) >= len(garbage), 10, "malformed plugin messages")

    plugin.shutdown()  # `disconnected`, Shutdown, a stray temperature, the will
    offline = wait_for(
        lambda: state_of(maker_api, printer_id) == "offline" and status_of(maker_api, printer_id),
        10,
        "the printer offline",
    )
    assert offline["offline_since"] is not None

    assert headbands_at_maker(engine) == 2  # counted once despite the repeat
    assert malformed(coordinator_api) == len(garbage)  # the plain-text last will is not
    kinds = [e["kind"] for e in maker_api.get(f"/printers/{printer_id}/events").json()]
    assert sorted(kinds) == ["BedCleared", "PrintDone", "PrintStarted"]
    assert coordinator_api.get("/metrics").json()["totals"]["duplicate_events"] >= 1
    print(f"\nplugin message to API status: {status_latency * 1000:.0f} ms")
    assert status_latency < 2.0


def test_plugin_printers_are_followed_as_they_come_and_go(
    engine: Engine,
    orchestrator: ProductionLine,
    mosquitto: Mosquitto,
    maker_api: httpx.Client,
    octoprint_mqtt_plugins: Callable[..., OctoPrintMqttPlugin],
) -> None:
    plugins = orchestrator.bridge.plugin_printers

    def filters() -> list[str]:
        return [topic_filter for topic_filter, _handler in orchestrator.connection.handlers]

    first, _ = register(maker_api, "octoPrint/first/")
    subscribed(orchestrator, first)
    assert {
        "octoPrint/first/event/+",
        "octoPrint/first/progress/printing",
        "octoPrint/first/temperature/+",
        "octoPrint/first/mqtt",
    } <= set(filters())
    # The API refuses a plugin printer the bridge could not follow, and says why.
    no_base = maker_api.post("/printers", json=MK3 | {"connection_kind": "octoprint-mqtt"})
    assert no_base.status_code == 422
    assert "no MQTT base topic" in no_base.json()["detail"]
    wildcard = maker_api.post(
        "/printers", json=MK3 | {"connection_kind": "octoprint-mqtt", "mqtt_base_topic": "a/#"}
    )
    assert wildcard.status_code == 422 and "Base Topic" in wildcard.text
    for taken in ("octoPrint/first/", "octoPrint/first/event/"):  # its topics, or inside them
        shadowing = maker_api.post(
            "/printers",
            json=MK3 | {"connection_kind": "octoprint-mqtt", "mqtt_base_topic": taken},
        )
        assert shadowing.status_code == 422
        assert "overlaps the base topic of another printer" in shadowing.json()["detail"]
    assert f"printer {first}" not in shadowing.json()["detail"]
    assert "'octoPrint/first/'" not in shadowing.json()["detail"]
    # Beside it, not inside its topics: the plugin's topics under these are not first's.
    inner, _ = register(maker_api, "octoPrint/first/inner/")
    bare, _ = register(maker_api, "octoPrint")  # no slash: `octoPrintevent/...`, as published
    subscribed(orchestrator, inner)
    subscribed(orchestrator, bare)
    assert {"octoPrint/first/inner/event/+", "octoPrintevent/+", "octoPrintmqtt"} <= set(filters())

    assert maker_api.delete(f"/printers/{first}").status_code == 204
    wait_for(lambda: first not in plugins.routes, 10, "the deleted printer to be dropped")
    assert "octoPrint/first/event/+" not in filters()
    # The topics it held are free again.
    inside, _ = register(maker_api, "octoPrint/first/event/")
    subscribed(orchestrator, inside)
    gone = octoprint_mqtt_plugins(mosquitto.port, "octoPrint/first/")
    gone.connect()
    gone.serial_connected()
    time.sleep(0.5)
    with Session(engine) as session:  # nobody listens on the old base topic any more
        assert session.exec(select(func.count()).select_from(PrinterEvent)).one() == 0


def test_the_broker_lets_a_plugin_printer_write_its_own_topics_only(
    settings: Settings,
    engine: Engine,
    maker_api: httpx.Client,
    tmp_path: Path,
    recorders: Callable[..., MqttRecorder],
    octoprint_mqtt_plugins: Callable[..., OctoPrintMqttPlugin],
) -> None:
    agent = maker_api.post("/printers", json=MK3 | {"name": "agent"}).json()["id"]
    shop = registered(maker_api, "octoPrint/shop/")
    bare = registered(maker_api, "octoPrint")  # the plugin's default without its slash
    service_settings = settings.model_copy(update={"mqtt_url": "mqtt://service:s3cret@x:1883"})
    with Session(engine) as session:
        files = write_broker_files(session, service_settings, tmp_path / "auth")
    acl = files.acl_file.read_text()
    assert (
        f"user printer-{shop['id']}\n"
        "topic write octoPrint/shop/event/#\n"
        "topic write octoPrint/shop/progress/#\n"
        "topic write octoPrint/shop/temperature/#\n"
        "topic write octoPrint/shop/mqtt\n"
    ) in acl
    assert "topic write octoPrintevent/#\n" in acl and "topic read octoPrintmqtt\n" in acl
    workdir = tmp_path / "broker"
    workdir.mkdir()
    broker = Mosquitto(workdir, password_file=files.password_file, acl_file=files.acl_file)
    broker.start()
    try:
        reads = [*plugin_subscriptions("octoPrint/shop/"), *plugin_subscriptions("octoPrint")]
        service = recorders(
            broker.port, ["makerline/#", *reads], username="service", password="s3cret"
        )

        def login(created: dict[str, Any]) -> dict[str, str]:
            return {"username": created["mqtt_username"], "password": created["mqtt_password"]}

        # The plugins as they connect: MQTT 3.1, their will, the login the maker copies.
        plugin = octoprint_mqtt_plugins(broker.port, "octoPrint/shop/", **login(shop))
        plain = octoprint_mqtt_plugins(broker.port, "octoPrint", **login(bare))
        plugin.connect()
        plugin.serial_connected()
        plugin.temperature("bed", None, 60.0)
        plain.connect()
        plain.operational()
        # What each may not do, with the same logins: write elsewhere, read anything.
        snoop = recorders(broker.port, ["octoPrint/#", "makerline/#"], **login(shop))
        intruder = recorders(broker.port, [], **login(bare))
        snoop.publish("octoPrint/elsewhere/event/PrintDone", plugin_event("PrintDone", 1))
        snoop.publish("octoPrint/shop/status", b"{}")
        snoop.publish(status_topic(shop["id"]), b'{"v":1,"state":"idle"}')
        snoop.publish(status_topic(agent), b'{"v":1,"state":"idle"}')
        intruder.publish(plugin_event_topic("octoPrint/shop/", "PrintDone"), b"{}")
        service.publish(f"makerline/printers/{shop['id']}/commands", b'{"v":1}')
        plugin.kill()  # the will, on a topic it may write
        own_will = "octoPrint/shop/mqtt"
        wait_for(lambda: len(service.on(own_will)) == 2, 10, "the plugin's birth and will")
        time.sleep(0.5)

        heard = {m.topic for m in service.messages if not m.topic.startswith("makerline/")}
        assert heard == {
            own_will,
            "octoPrint/shop/progress/printing",
            "octoPrint/shop/event/PrinterStateChanged",
            "octoPrint/shop/event/Connected",
            "octoPrint/shop/event/FirmwareData",
            "octoPrint/shop/event/UpdatedFiles",
            "octoPrint/shop/temperature/bed",
            "octoPrintmqtt",
            "octoPrintprogress/printing",
            "octoPrintevent/PrinterStateChanged",
        }
        assert [m.payload for m in service.on(own_will)] == [b"connected", b"disconnected"]
        assert service.on(status_topic(shop["id"])) == service.on(status_topic(agent)) == []
        assert snoop.messages == []  # it reads nothing, not even its own topics
    finally:
        broker.stop()


@pytest.fixture
def octoprint_api(idle_octoprint: OctoPrintServer) -> Iterator[OctoPrintServer]:
    """The session's OctoPrint, idle, without our job files: their print records (job ids
    start again in each test's database) would read as this test's jobs' prints."""
    forget_job_files(idle_octoprint)
    yield idle_octoprint
    idle_octoprint.make_idle()
    forget_job_files(idle_octoprint)


def forget_job_files(octoprint: OctoPrintServer) -> None:
    adapter = OctoPrintAdapter(octoprint.url, octoprint.api_key)
    for entry in octoprint.get("/api/files/local")["files"]:
        if entry["name"].startswith("makerline-job-") or entry["name"].startswith("window-"):
            adapter.delete_file(entry["name"])


def prints_of(octoprint: OctoPrintServer, name: str) -> dict[str, Any]:
    """OctoPrint's count of the file's prints: {"success": n, "failure": n, "last": ...}."""
    return dict(octoprint.get(f"/api/files/local/{name}").get("prints") or {})


def octoprint_state(octoprint: OctoPrintServer) -> str:
    return octoprint.state()


def prints_file(octoprint: OctoPrintServer, name: str) -> bool:
    job = octoprint.get("/api/job")
    return job["state"] != "Operational" and (job["job"]["file"] or {}).get("name") == name


def test_a_job_is_started_over_rest_and_a_refused_start_requeues_it(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    coordinator_api: httpx.Client,
    octoprint_api: OctoPrintServer,
) -> None:
    printer_id, _ = register(
        maker_api,
        "octoPrint/virtual/",
        octoprint_url=octoprint_api.url,
        octoprint_api_key=octoprint_api.api_key,
    )
    refusing, _ = register(
        maker_api,
        "octoPrint/refusing/",
        octoprint_url=octoprint_api.url,
        octoprint_api_key="NOT-THE-KEY",
    )
    subscribed(orchestrator, printer_id)
    # Nothing heard from the plugin yet: OctoPrint's REST API says the printer is ready.
    wait_for(lambda: state_of(maker_api, printer_id) == "idle", 15, "the probed printer idle")
    job_id = job_on(engine, settings, printer_id, JobStatus.ASSIGNED, tiny_gcode(30))

    sent_at = time.monotonic()
    assert orchestrator.send([job_row(engine, job_id)]) == 1
    send_seconds = time.monotonic() - sent_at

    def printing() -> bool:
        return octoprint_state(octoprint_api).startswith("Printing") and prints_file(
            octoprint_api, job_name(job_id)
        )

    wait_for(printing, 20, "OctoPrint to print the job's file")
    start_seconds = time.monotonic() - sent_at
    # OctoPrint took it: the job is printing, though the plugin has said nothing.
    wait_for(lambda: job_row(engine, job_id).status == JobStatus.PRINTING, 10, "job printing")
    wait_for(
        lambda: (status_of(maker_api, printer_id) or {}).get("job_id") == str(job_id),
        10,
        "the printer's status naming the job",
    )
    assert state_of(maker_api, printer_id) == "printing"
    # Sent again (as a sweep may): it is not started twice.
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
    wait_for(lambda: state_of(maker_api, refusing) == "error", 10, "the refusing printer in error")
    print(
        f"\nsend() returned in {send_seconds * 1000:.0f} ms; printing after {start_seconds:.2f} s"
    )
    assert send_seconds < 0.5


@pytest.mark.parametrize("settings", [{"start_ack_timeout_seconds": 1.0}], indirect=True)
def test_a_job_started_before_the_plugin_is_set_up_is_printed_once_and_followed_to_its_end(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    coordinator_api: httpx.Client,
    octoprint_api: OctoPrintServer,
) -> None:
    """Issue 14's job 9: registered with its OctoPrint URL, the printer got a job over REST
    before its plugin was set up, and the sweep (here every 0.5 s, with a 1 s timeout) sent
    the start again and again. It must be printing at once, end as done, and never start
    a second time on the uncleared bed."""
    printer_id, _ = register(
        maker_api,
        "octoPrint/not-yet/",
        octoprint_url=octoprint_api.url,
        octoprint_api_key=octoprint_api.api_key,
    )
    subscribed(orchestrator, printer_id)
    wait_for(lambda: state_of(maker_api, printer_id) == "idle", 15, "the probed printer idle")
    job_id = job_on(engine, settings, printer_id, JobStatus.ASSIGNED, tiny_gcode(2))
    name = job_name(job_id)

    orchestrator.send([job_row(engine, job_id)])
    wait_for(lambda: job_row(engine, job_id).status == JobStatus.PRINTING, 15, "job printing")
    wait_for(
        lambda: job_row(engine, job_id).status == JobStatus.AWAITING_CLEAR, 30, "the end, by REST"
    )
    assert prints_of(octoprint_api, name).get("success") == 1
    time.sleep(3.0)  # six sweeps, and probes, after the end

    assert octoprint_state(octoprint_api) == "Operational"  # not printing it again
    assert prints_of(octoprint_api, name).get("success") == 1
    assert state_of(maker_api, printer_id) == "awaiting_clear"
    kinds = [e["kind"] for e in maker_api.get(f"/printers/{printer_id}/events").json()]
    assert sorted(kinds) == ["PrintDone", "PrintStarted"]
    totals = coordinator_api.get("/metrics").json()["totals"]
    assert totals.get("rest_starts") == 1 and "rest_start_failures" not in totals


def test_a_start_is_not_sent_to_a_bed_that_holds_the_jobs_finished_print(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    coordinator_api: httpx.Client,
    octoprint_api: OctoPrintServer,
) -> None:
    """The service lost track of a start that OctoPrint carried out (its PrintStarted never
    came): before starting the job, OctoPrint's record of the file says it was printed."""
    printer_id, _ = register(
        maker_api,
        "octoPrint/lost-track/",
        octoprint_url=octoprint_api.url,
        octoprint_api_key=octoprint_api.api_key,
    )
    subscribed(orchestrator, printer_id)
    wait_for(lambda: state_of(maker_api, printer_id) == "idle", 15, "the probed printer idle")
    gcode = tiny_gcode(1)
    job_id = job_on(engine, settings, printer_id, JobStatus.CANCELLED, gcode)
    name = job_name(job_id)
    OctoPrintAdapter(octoprint_api.url, octoprint_api.api_key).start_print(name, gcode)
    wait_for(lambda: prints_of(octoprint_api, name).get("success") == 1, 20, "the print done")
    with Session(engine) as session:  # as the service left it: given, and sent
        job = session.get(Job, job_id)
        assert job is not None
        job.status = JobStatus.SENT
        session.add(job)
        session.commit()

    orchestrator.send([job_row(engine, job_id)])

    wait_for(lambda: job_row(engine, job_id).status == JobStatus.AWAITING_CLEAR, 10, "done")
    time.sleep(1.0)
    assert octoprint_state(octoprint_api) == "Operational"
    assert prints_of(octoprint_api, name).get("success") == 1
    assert state_of(maker_api, printer_id) == "awaiting_clear"
    assert "rest_starts" not in coordinator_api.get("/metrics").json()["totals"]


def slow_ending_gcode() -> bytes:
    """A short print whose last moves are slow: OctoPrint has sent the whole file and is
    FINISHING while the virtual printer still runs them (seconds here, ~18 s in the issue)."""
    slow = ["G1 X300 F600", "G0 X0 F12000"] * 2  # 300 mm at 10 mm/s: 3 s on the virtual printer
    return tiny_gcode(1) + ("\n".join(slow) + "\n").encode()


def test_a_start_in_octoprints_finishing_window_waits_for_it_and_is_no_failure(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    mosquitto: Mosquitto,
    maker_api: httpx.Client,
    coordinator_api: httpx.Client,
    octoprint_api: OctoPrintServer,
    octoprint_mqtt_plugins: Callable[..., OctoPrintMqttPlugin],
) -> None:
    """The plugin's PrintDone comes while OctoPrint is FINISHING, and refuses a new file
    (409). A bed cleared then, and a start sent then, must wait for OPERATIONAL: the job
    stays on the printer and starts as soon as OctoPrint is ready."""
    base = "octoPrint/finishing/"
    printer_id, _ = register(
        maker_api, base, octoprint_url=octoprint_api.url, octoprint_api_key=octoprint_api.api_key
    )
    subscribed(orchestrator, printer_id)
    plugin = octoprint_mqtt_plugins(mosquitto.port, base)
    heard_ready(plugin, maker_api, printer_id)
    gcode = slow_ending_gcode()
    first = job_on(engine, settings, printer_id, JobStatus.ASSIGNED, gcode)
    orchestrator.send([job_row(engine, first)])
    # The plugin beside OctoPrint says what OctoPrint does, as it does it.
    wait_for(lambda: prints_file(octoprint_api, job_name(first)), 15, "OctoPrint printing")
    plugin.print_started(job_name(first), len(gcode))
    wait_for(lambda: job_row(engine, first).status == JobStatus.PRINTING, 10, "first printing")

    wait_for(lambda: octoprint_state(octoprint_api) == "Finishing", 30, "Finishing", step=0.05)
    plugin.print_done(job_name(first), len(gcode), 5.0)
    with pytest.raises(OctoPrintWrongState):  # the window is real: OctoPrint answers 409
        OctoPrintAdapter(octoprint_api.url, octoprint_api.api_key).start_print(
            "window-probe.gcode", tiny_gcode(1)
        )
    assert maker_api.post(f"/printers/{printer_id}/clear-bed").status_code == 202
    wait_for(lambda: job_row(engine, first).status == JobStatus.DONE, 10, "the bed cleared")
    second = job_on(engine, settings, printer_id, JobStatus.ASSIGNED, tiny_gcode(1))
    orchestrator.send([job_row(engine, second)])  # as a dispatcher that took done for ready
    wait_for(
        lambda: "rest_starts_waiting" in coordinator_api.get("/metrics").json()["totals"],
        10,
        "the start to wait",
    )
    assert octoprint_state(octoprint_api) == "Finishing"
    assert state_of(maker_api, printer_id) == "printing"  # not idle: OctoPrint is busy

    wait_for(lambda: octoprint_state(octoprint_api) == "Operational", 30, "Operational", 0.05)
    plugin.operational()
    wait_for(lambda: prints_file(octoprint_api, job_name(second)), 15, "the second started")
    plugin.print_started(job_name(second), len(tiny_gcode(1)))
    wait_for(lambda: job_row(engine, second).status == JobStatus.PRINTING, 10, "second printing")

    job = job_row(engine, second)
    assert (job.attempts, job.printer_id) == (0, printer_id)
    with Session(engine) as session:
        kinds = session.exec(
            select(PrinterEvent.kind).where(col(PrinterEvent.job_id) == str(second))
        ).all()
    assert kinds == ["PrintStarted"]  # no PrintFailed: a busy printer is no failure
    assert "rest_start_failures" not in coordinator_api.get("/metrics").json()["totals"]
