"""The agent against a real Mosquitto and a real OctoPrint with its virtual printer."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from printers.protocol.payloads import CommandPayload, encode_payload
from printers.protocol.topics import commands_topic, events_topic, status_topic
from tests.realparts import (
    AgentProcess,
    GcodeServer,
    Mosquitto,
    MqttRecorder,
    OctoPrintServer,
    tiny_gcode,
    wait_for,
)

pytestmark = pytest.mark.slow

TOKEN = "printer-token"


def api_url(gcode_server: GcodeServer) -> str:
    """The G-code server plays the service's API, served under /gcode (as behind a proxy)."""
    return f"http://127.0.0.1:{gcode_server.port}/gcode"


def job_gcode(gcode_server: GcodeServer, job_id: str, body: bytes) -> tuple[str, str]:
    """Serve `body` as the job's G-code at the link the service gives; its URL and sha256."""
    return gcode_server.add(f"api/v1/jobs/{job_id}/gcode", body)


def start_job(service: MqttRecorder, printer_id: str, job_id: str, url: str, sha256: str) -> str:
    command_id = uuid.uuid4().hex
    command = CommandPayload(
        command_id=command_id, kind="start_job", job_id=job_id, gcode_url=url, sha256=sha256
    )
    service.publish(commands_topic(printer_id), encode_payload(command))
    return command_id


def send(service: MqttRecorder, printer_id: str, kind: str, **fields: Any) -> None:
    command = CommandPayload(command_id=uuid.uuid4().hex, kind=kind, **fields)  # type: ignore[arg-type]
    service.publish(commands_topic(printer_id), encode_payload(command))


def events_of(service: MqttRecorder, printer_id: str) -> list[dict[str, Any]]:
    return service.json_on(events_topic(printer_id))


def wait_event(
    service: MqttRecorder, printer_id: str, kind: str, job_id: str | None, timeout: float = 30
) -> dict[str, Any]:
    return service.wait_json(
        events_topic(printer_id),
        lambda body: body["kind"] == kind and body.get("job_id") == job_id,
        timeout,
        f"{kind} for job {job_id}",
    )


def wait_state(service: MqttRecorder, printer_id: str, state: str, timeout: float = 30) -> None:
    wait_for(
        lambda: (
            (statuses := service.json_on(status_topic(printer_id)))
            and statuses[-1]["state"] == state
        ),
        timeout,
        f"printer {printer_id} status {state}",
    )


@pytest.fixture
def service(mosquitto: Mosquitto, recorders: Callable[..., MqttRecorder]) -> MqttRecorder:
    return recorders(mosquitto.port, ["makerline/#"])


def running_agent(
    make_agent: Callable[..., AgentProcess],
    mosquitto: Mosquitto,
    octoprint: OctoPrintServer,
    service: MqttRecorder,
    gcode_server: GcodeServer,
    printer_id: str,
) -> AgentProcess:
    gcode_server.tokens.add(TOKEN)
    agent = make_agent(
        printer_id=printer_id,
        broker_url=mosquitto.url,
        octoprint=octoprint,
        token=TOKEN,
        api_url=api_url(gcode_server),
    )
    agent.start()
    wait_state(service, printer_id, "idle")
    return agent


def test_start_job_prints_on_the_virtual_printer_and_reports_done(
    make_agent, mosquitto, idle_octoprint, service, gcode_server
) -> None:
    agent = running_agent(make_agent, mosquitto, idle_octoprint, service, gcode_server, "11")
    url, sha = job_gcode(gcode_server, "101", tiny_gcode(2))

    sent_at = time.monotonic()
    start_job(service, "11", "101", url, sha)
    started = wait_event(service, "11", "PrintStarted", "101")
    wait_state(service, "11", "printing")
    done = wait_event(service, "11", "PrintDone", "101")
    latency = time.monotonic() - sent_at

    assert gcode_server.requests == [("/gcode/api/v1/jobs/101/gcode", f"Bearer {TOKEN}")]
    assert started["event_id"] != done["event_id"]
    wait_state(service, "11", "awaiting_clear")
    statuses = service.json_on(status_topic("11"))
    seqs = [status["seq"] for status in statuses if "seq" in status]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    files = idle_octoprint.get("/api/files/local/makerline-job-101.gcode")
    assert files["prints"]["last"]["success"] is True
    print(f"start_job to PrintDone for a ~2 s print: {latency:.2f} s")

    cleared = agent.control("clear")
    assert cleared.returncode == 0, cleared.stderr
    wait_event(service, "11", "BedCleared", "101")
    wait_state(service, "11", "idle")


def test_sigkill_gives_offline_through_the_last_will(
    make_agent, mosquitto, idle_octoprint, service, gcode_server
) -> None:
    agent = running_agent(make_agent, mosquitto, idle_octoprint, service, gcode_server, "12")

    killed_at = time.monotonic()
    agent.kill()
    wait_state(service, "12", "offline", timeout=2 * 1.5 + 2)
    delay = time.monotonic() - killed_at

    will = service.json_on(status_topic("12"))[-1]
    assert will == {"v": 1, "state": "offline", "temperatures": {}}
    print(f"will seen {delay:.2f} s after SIGKILL")


def test_broker_restart_mid_print_loses_no_event(
    make_agent, mosquitto, idle_octoprint, service, gcode_server
) -> None:
    running_agent(make_agent, mosquitto, idle_octoprint, service, gcode_server, "13")
    url, sha = job_gcode(gcode_server, "131", tiny_gcode(5))

    start_job(service, "13", "131", url, sha)
    wait_event(service, "13", "PrintStarted", "131")
    mosquitto.stop()
    wait_for(lambda: idle_octoprint.state() == "Operational", 30, "the print to end")
    time.sleep(1.5)  # the agent notices the end and emits PrintDone while the broker is down
    mosquitto.start()

    wait_event(service, "13", "PrintDone", "131", timeout=40)
    kinds = [event["kind"] for event in events_of(service, "13")]
    assert kinds.count("PrintStarted") >= 1 and kinds.count("PrintDone") >= 1


def test_killed_agent_resends_its_outbox_after_restart(
    make_agent, mosquitto, idle_octoprint, service, gcode_server
) -> None:
    agent = running_agent(make_agent, mosquitto, idle_octoprint, service, gcode_server, "14")
    url, sha = job_gcode(gcode_server, "141", tiny_gcode(1))
    start_job(service, "14", "141", url, sha)
    wait_event(service, "14", "PrintDone", "141")
    wait_state(service, "14", "awaiting_clear")

    mosquitto.stop()
    assert agent.control("clear").returncode == 0  # BedCleared can only go to the outbox
    database = sqlite3.connect(agent.state_dir / "agent.sqlite3")
    rows = database.execute("SELECT event_id, payload FROM outbox").fetchall()
    database.close()
    assert [json.loads(payload)["kind"] for _, payload in rows] == ["BedCleared"]
    agent.kill()
    mosquitto.start()
    agent.start()

    cleared = wait_event(service, "14", "BedCleared", "141", timeout=30)
    assert cleared["event_id"] == rows[0][0]
    wait_for(
        lambda: (
            not sqlite3.connect(agent.state_dir / "agent.sqlite3")
            .execute("SELECT count(*) FROM outbox")
            .fetchone()[0]
        ),
        10,
        "the outbox to empty once the broker acknowledged",
    )


def test_cancel_counts_once_and_no_job_starts_before_the_bed_is_cleared(
    make_agent, mosquitto, idle_octoprint, service, gcode_server
) -> None:
    agent = running_agent(make_agent, mosquitto, idle_octoprint, service, gcode_server, "15")
    url, sha = job_gcode(gcode_server, "151", tiny_gcode(20))
    start_job(service, "15", "151", url, sha)
    wait_event(service, "15", "PrintStarted", "151")
    wait_state(service, "15", "printing")

    send(service, "15", "cancel", job_id="151")
    wait_event(service, "15", "PrintCancelled", "151")
    wait_state(service, "15", "awaiting_clear")
    url2, sha2 = job_gcode(gcode_server, "152", tiny_gcode(1))
    start_job(service, "15", "152", url2, sha2)
    refused = wait_event(service, "15", "PrintFailed", "152")
    time.sleep(2)

    kinds_151 = [e["kind"] for e in events_of(service, "15") if e.get("job_id") == "151"]
    assert kinds_151 == ["PrintStarted", "PrintCancelled"]
    assert "bed has not been cleared" in refused["reason"]
    assert idle_octoprint.state() == "Operational"

    send(service, "15", "clear_bed")
    wait_event(service, "15", "BedCleared", "151")
    url3, sha3 = job_gcode(gcode_server, "153", tiny_gcode(1))
    start_job(service, "15", "153", url3, sha3)
    wait_event(service, "15", "PrintDone", "153")
    assert agent.control("clear").returncode == 0


def test_bad_sha256_and_bad_token_become_print_failed(
    make_agent, mosquitto, idle_octoprint, service, gcode_server
) -> None:
    agent = running_agent(make_agent, mosquitto, idle_octoprint, service, gcode_server, "16")
    url, _ = job_gcode(gcode_server, "161", tiny_gcode(1))
    service.publish(commands_topic("16"), b"{not json")  # logged and skipped

    start_job(service, "16", "161", url, "0" * 64)
    mismatch = wait_event(service, "16", "PrintFailed", "161")
    gcode_server.tokens.clear()
    url, sha = job_gcode(gcode_server, "162", tiny_gcode(1))
    start_job(service, "16", "162", url, sha)
    unauthorised = wait_event(service, "16", "PrintFailed", "162")

    assert "sha256" in mismatch["reason"]
    assert "401" in unauthorised["reason"]
    assert "bad commands dropped: 1" in agent.control("status").stdout
    wait_state(service, "16", "idle")
