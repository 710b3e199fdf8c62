"""The simulator: many printers from one process, speaking the agent's protocol."""

from __future__ import annotations

import asyncio
import resource
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from printers.payloads import CommandPayload, encode_payload
from printers.simulator import SimulationSettings, run_simulation
from printers.topics import commands_topic
from tests.realparts import GcodeServer, Mosquitto, MqttRecorder, wait_for

pytestmark = pytest.mark.slow

PRINTERS = 200


def test_two_hundred_simulated_printers_run_start_job_commands(
    mosquitto: Mosquitto, recorders: Callable[..., MqttRecorder], gcode_server: GcodeServer
) -> None:
    service = recorders(mosquitto.port, ["makerline/#"])
    gcode_server.tokens.add("shared-token")
    gcode = b"; estimated printing time (normal mode) = 20s\nG28\n"
    url, sha = gcode_server.add("demo.gcode", gcode)
    settings = SimulationSettings(
        printers=PRINTERS,
        broker_url=f"mqtt://sim:shared-token@127.0.0.1:{mosquitto.port}",
        first_id=1000,
        speed=10.0,
        status_interval_seconds=0.5,
        auto_clear_seconds=0.5,
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    loop = asyncio.new_event_loop()
    simulation = loop.create_task(run_simulation(settings))
    thread = threading.Thread(target=loop.run_until_complete, args=(simulation,), daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        run_jobs(service, url, sha, started)
    finally:
        loop.call_soon_threadsafe(simulation.cancel)
        thread.join(timeout=10)
    print(
        f"rss grew {(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024:.1f}"
        " MB"
    )


def run_jobs(service: MqttRecorder, url: str, sha: str, started: float) -> None:

    def idle_printers() -> set[str]:
        return {
            m.topic.split("/")[2]
            for m in service.messages
            if m.topic.endswith("/status") and m.json()["state"] == "idle"
        }

    wait_for(lambda: len(idle_printers()) == PRINTERS, 30, "every printer's birth status")
    connected_in = time.monotonic() - started
    for index in range(PRINTERS):
        command = CommandPayload(
            command_id=uuid.uuid4().hex,
            kind="start_job",
            job_id=f"sim-{index}",
            gcode_url=url,
            sha256=sha,
        )
        service.publish(commands_topic(1000 + index), encode_payload(command))

    def count(kind: str) -> int:
        return sum(
            1 for m in service.messages if m.topic.endswith("/events") and m.json()["kind"] == kind
        )

    wait_for(lambda: count("PrintDone") == PRINTERS, 30, "every PrintDone")
    wait_for(lambda: count("BedCleared") == PRINTERS, 10, "every bed cleared")
    print(f"{PRINTERS} printers connected in {connected_in:.2f} s")
    assert count("PrintStarted") == PRINTERS
