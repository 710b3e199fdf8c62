"""Two makers' printers side by side: two real OctoPrint servers with their virtual
printers, an agent beside each, one broker. Each prints its own job, and neither hears the
other's commands."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.printers.test_agent import TOKEN, api_url, job_gcode, start_job, wait_event, wait_state
from tests.realparts import (
    AgentProcess,
    GcodeServer,
    Mosquitto,
    MqttRecorder,
    OctoPrintServer,
    tiny_gcode,
)

pytestmark = pytest.mark.slow


def test_two_agents_print_their_own_jobs_at_once(
    make_agent: Callable[..., AgentProcess],
    mosquitto: Mosquitto,
    octoprint: OctoPrintServer,
    second_octoprint: OctoPrintServer,
    recorders: Callable[..., MqttRecorder],
    gcode_server: GcodeServer,
) -> None:
    service = recorders(mosquitto.port, ["makerline/#"])
    gcode_server.tokens.add(TOKEN)
    printers = {"21": octoprint, "22": second_octoprint}
    for printer_id, server in printers.items():
        server.make_idle()
        make_agent(
            printer_id=printer_id,
            broker_url=mosquitto.url,
            octoprint=server,
            token=TOKEN,
            api_url=api_url(gcode_server),
        ).start()
    for printer_id in printers:
        wait_state(service, printer_id, "idle")

    for printer_id in printers:
        url, sha = job_gcode(gcode_server, f"job-{printer_id}", tiny_gcode(2))
        start_job(service, printer_id, f"job-{printer_id}", url, sha)
    for printer_id, server in printers.items():
        wait_event(service, printer_id, "PrintStarted", f"job-{printer_id}")
        wait_event(service, printer_id, "PrintDone", f"job-{printer_id}")
        printed = server.get(f"/api/files/local/makerline-job-job-{printer_id}.gcode")
        assert printed["prints"]["last"]["success"] is True
        other = next(s for pid, s in printers.items() if pid != printer_id)
        assert other.get("/api/files/local").get("files") is not None
        names = {f["name"] for f in other.get("/api/files/local")["files"]}
        assert f"makerline-job-job-{printer_id}.gcode" not in names
