"""Issue 13, point 2: the agent gives its printer's token to its own API only.

A running agent (a real process, a real Mosquitto, a real OctoPrint with its virtual
printer) is sent start_job commands whose G-code link points elsewhere: to another host,
or to the API but not at that job's G-code. Each is refused before any request is made,
with a reason in our words, and counted where `makerline agent status` shows it. A link
that is right but answers with a redirect is not followed, so the token stays with the API.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.printers.test_agent import TOKEN, start_job, wait_event, wait_state
from tests.realparts import AgentProcess, Mosquitto, MqttRecorder, OctoPrintServer
from tests.security.test_outbound_calls import RecordingServer, recording_servers

pytestmark = pytest.mark.slow
# Fixtures are found by their name in the module: this one is imported for pytest.
__all__ = ["recording_servers"]
SHA = "0" * 64


def test_a_link_off_the_api_is_refused_counted_and_never_fetched(
    make_agent: Callable[..., AgentProcess],
    mosquitto: Mosquitto,
    idle_octoprint: OctoPrintServer,
    recorders: Callable[..., MqttRecorder],
    recording_servers: Callable[..., RecordingServer],
) -> None:
    service = recorders(mosquitto.port, ["makerline/#"])
    api, elsewhere = recording_servers(status=200), recording_servers(status=200)
    agent = make_agent(
        printer_id="31",
        broker_url=mosquitto.url,
        octoprint=idle_octoprint,
        token=TOKEN,
        api_url=f"{api.url()}/makerline",
    )
    agent.start()
    wait_state(service, "31", "idle")
    links = {
        "311": f"{elsewhere.url()}/makerline/api/v1/jobs/311/gcode",  # another server
        "312": f"{api.url()}/makerline/api/v1/jobs/999/gcode",  # another job's G-code
        "313": f"{api.url()}/makerline/api/v1/me",  # the API, not G-code
        "314": f"{api.url()}/api/v1/jobs/314/gcode",  # outside the API's path
    }

    for job_id, link in links.items():
        start_job(service, "31", job_id, link, SHA)
    refusals = {job_id: wait_event(service, "31", "PrintFailed", job_id) for job_id in links}

    assert api.heard == [] and elsewhere.heard == []
    assert refusals["311"]["reason"] == (
        "start_job refused: the G-code link is not on the service's API (api_url)"
    )
    for job_id in ("312", "313", "314"):
        assert refusals[job_id]["reason"] == (
            "start_job refused: the G-code link is not this job's G-code on the service"
        )
    status = agent.control("status")
    assert "G-code links refused: 4" in status.stdout, status.stdout + status.stderr
    wait_state(service, "31", "idle")  # nothing reached the bed


def test_a_redirect_from_the_api_is_not_followed(
    make_agent: Callable[..., AgentProcess],
    mosquitto: Mosquitto,
    idle_octoprint: OctoPrintServer,
    recorders: Callable[..., MqttRecorder],
    recording_servers: Callable[..., RecordingServer],
) -> None:
    service = recorders(mosquitto.port, ["makerline/#"])
    elsewhere = recording_servers(status=200, body="G28\n")
    api = recording_servers(status=302, body="", headers={"Location": f"{elsewhere.url()}/g"})
    agent = make_agent(
        printer_id="32",
        broker_url=mosquitto.url,
        octoprint=idle_octoprint,
        token=TOKEN,
        api_url=api.url(),
    )
    agent.start()
    wait_state(service, "32", "idle")

    start_job(service, "32", "321", f"{api.url()}/api/v1/jobs/321/gcode", SHA)
    refused = wait_event(service, "32", "PrintFailed", "321")

    assert [(h.path, h.headers.get("Authorization")) for h in api.heard] == [
        ("/api/v1/jobs/321/gcode", f"Bearer {TOKEN}")
    ]
    assert elsewhere.heard == []
    assert refused["reason"] == (
        "start_job refused: could not download the G-code: the service answered HTTP 302, "
        "a redirect, which is not followed"
    )
    assert "G-code links refused" not in agent.control("status").stdout
