"""The simulator: many printers from one process, speaking the agent's protocol."""

from __future__ import annotations

import asyncio
import resource
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from printers.protocol.broker_auth import (
    mosquitto_password_hash,
    printer_broker_password,
    printer_username,
    render_acl_file,
    render_password_file,
)
from printers.protocol.payloads import CommandPayload, encode_payload
from printers.protocol.topics import commands_topic, status_topic
from printers.simulated.simulator import Simulation, SimulationSettings, run_simulation
from tests.realparts import GcodeServer, Mosquitto, MqttRecorder, wait_for
from tests.test_link import simulate

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


def test_simulated_printers_log_in_as_their_agents_would(
    tmp_path: Path, recorders: Callable[..., MqttRecorder]
) -> None:
    """Each as `printer-{id}` with the broker password derived from its token, which is
    all a broker run from the service's files knows of it."""
    tokens = {"51": "mkl_token-of-51", "52": "mkl_token-of-52"}
    passwords, acl = tmp_path / "passwd", tmp_path / "acl"
    logins = [("service", "service-password")]
    logins += [(printer_username(i), printer_broker_password(t)) for i, t in tokens.items()]
    passwords.write_text(render_password_file([(u, mosquitto_password_hash(p)) for u, p in logins]))
    acl.write_text(render_acl_file(tokens, "service"))
    broker = Mosquitto(tmp_path, password_file=passwords, acl_file=acl)
    broker.start()
    try:
        service = recorders(
            broker.port, ["makerline/#"], username="service", password="service-password"
        )
        loop, task, thread = simulate(broker, tokens)
        try:
            for printer_id in tokens:
                service.wait_json(
                    status_topic(printer_id),
                    lambda body: body["state"] == "idle",
                    timeout=20,
                    what=f"printer {printer_id} online",
                )
        finally:
            loop.call_soon_threadsafe(task.cancel)
            thread.join(timeout=10)
    finally:
        broker.stop()


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


def test_a_print_dropped_with_its_event_loop_tells_nothing() -> None:
    """A print still under way when its event loop is closed (a simulator stopped without
    cancelling its tasks) is dropped as it is: it cannot end, tell, or plan a bed clear on
    a loop that can run nothing more."""
    started: dict[str, Any] = {}

    async def begin() -> None:
        simulation = Simulation(SimulationSettings(printers=1, broker_url="mqtt://127.0.0.1:9"))
        printing = simulation.printers[0]._print("job-1", seconds=600.0)
        started["task"] = asyncio.get_running_loop().create_task(printing)
        await asyncio.sleep(0)  # the print reaches its first wait
        started["simulation"], started["printing"] = simulation, printing

    def run_then_close_the_loop() -> None:
        # In a thread of its own, as the simulator runs beside the tests' browser.
        loop = asyncio.new_event_loop()
        loop.run_until_complete(begin())
        loop.close()

    thread = threading.Thread(target=run_then_close_the_loop)
    thread.start()
    thread.join(timeout=10)
    simulation: Simulation = started["simulation"]
    printing: Coroutine[Any, Any, None] = started["printing"]

    printing.close()  # as the garbage collector does with a task its loop never finished

    counters = simulation.counters
    assert (counters.done, counters.failed, counters.cancelled) == (0, 0, 0)
    assert simulation.printers[0].clear_task is None
    assert not started["task"].done()
