"""Issue 13, point 1: no request forgery through printers.

Against the running service (uvicorn, a real orchestrator, a real Mosquitto): a maker's
plugin printer whose OctoPrint URL leads to the service's own host is refused when it is
registered (an address) or when it is called (a name, resolved then), and the "internal
server" there never hears a thing. A network the fab-lab allowed is called, but what it
answers never reaches the maker: reasons are in our words. No redirect is followed. An
error never names another maker's printer or base topic.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.core.outbound_policy import address_allowed, literal_address_refused
from orchestrator.database.tables import JobAttempt
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.link.outbound import AddressNotAllowed, outbound_session
from orchestrator.production_line import ProductionLine
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto, tiny_gcode, wait_for
from tests.test_plugin_printers import MK3, job_on, job_row, register

pytestmark = pytest.mark.slow
API = "/api/v1"
SECRET_BODY = "INTERNAL-ONLY-7f3a9c: root password is hunter2"


@dataclass
class Heard:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class RecordingServer:
    """An HTTP server on 127.0.0.1 that records every request and answers each with
    `status`, `body` and `headers` (a Location, say)."""

    status: int = 404
    body: str = SECRET_BODY
    headers: dict[str, str] = field(default_factory=dict)
    heard: list[Heard] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                server.heard.append(Heard(self.command, self.path, dict(self.headers)))
                payload = server.body.encode()
                self.send_response(server.status)
                for name, value in server.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recording_servers() -> Iterator[Callable[..., RecordingServer]]:
    servers: list[RecordingServer] = []

    def make(**answer: object) -> RecordingServer:
        servers.append(RecordingServer(**answer))  # type: ignore[arg-type]
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto, request: pytest.FixtureRequest) -> Settings:
    """The service with a broker; `allowed_private_networks` from the test's parameter."""
    return settings.model_copy(
        update={
            "mqtt_url": mosquitto.url,
            "status_flush_seconds": 0.2,
            "allowed_private_networks": getattr(request, "param", ""),
        }
    )


def start_and_fail(
    engine: Engine, settings: Settings, orchestrator: ProductionLine, printer: int
) -> str:
    """Send the printer a job over REST, wait for its start to fail; the attempt's reason."""
    job_id = job_on(engine, settings, printer, JobStatus.ASSIGNED, tiny_gcode(1))
    assert orchestrator.send([job_row(engine, job_id)]) == 1
    wait_for(lambda: job_row(engine, job_id).attempts == 1, 15, "the failed start re-queued")
    with Session(engine) as session:
        attempt = session.exec(select(JobAttempt).where(JobAttempt.job_id == job_id)).one()
    assert attempt.outcome == "failed"
    # Unless the planner has withdrawn the re-queued job since: no order needs it.
    withdrawn = "no open order needs it any more"
    assert job_row(engine, job_id).last_reason in (attempt.reason, withdrawn)
    return attempt.reason or ""


def events_text(maker_api: httpx.Client, printer: int) -> str:
    answer = maker_api.get(f"/printers/{printer}/events")
    assert answer.status_code == 200
    return answer.text


# --- the policy itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "::1",
        "0.0.0.0",
        "::",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.20",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fc00::1",
        "100.64.0.1",  # carrier-grade NAT
        "192.0.2.1",  # documentation
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "224.0.0.1",  # multicast
        "239.1.2.3",
        "ff0e::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
def test_local_private_and_special_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address), ())


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), ())


def test_a_network_the_fab_lab_allowed_is_allowed_in_every_form() -> None:
    lan = (ipaddress.ip_network("192.168.1.0/24"),)
    assert address_allowed(ipaddress.ip_address("192.168.1.20"), lan)
    assert address_allowed(ipaddress.ip_address("::ffff:192.168.1.20"), lan)
    assert not address_allowed(ipaddress.ip_address("192.168.2.20"), lan)
    assert not address_allowed(ipaddress.ip_address("127.0.0.1"), lan)


def test_only_an_address_is_judged_at_registration_a_name_when_called() -> None:
    assert literal_address_refused("http://[::1]:5000/", ())
    assert literal_address_refused("http://169.254.169.254/latest/meta-data", ())
    assert not literal_address_refused("http://localhost:5000/", ())
    assert not literal_address_refused("https://octoprint.example.org", ())


@pytest.mark.parametrize(
    "host", ["localhost", "127.1", "2130706433", "0x7f000001", "017700000001", "0", "[::1]"]
)
def test_every_spelling_of_the_service_host_is_refused_before_connecting(
    recording_servers: Callable[..., RecordingServer], host: str
) -> None:
    internal = recording_servers()

    with pytest.raises(AddressNotAllowed):
        outbound_session(()).get(f"http://{host}:{internal.port}/")
    assert internal.heard == []


@pytest.mark.parametrize("host", ["localhost", "127.1", "2130706433", "0x7f000001"])
def test_a_loopback_the_fab_lab_allowed_is_called_however_it_is_spelled(
    recording_servers: Callable[..., RecordingServer], host: str
) -> None:
    internal = recording_servers()
    loopback = (ipaddress.ip_network("127.0.0.0/8"),)

    answer = outbound_session(loopback).get(f"http://{host}:{internal.port}/")

    assert answer.status_code == 404 and len(internal.heard) == 1


# --- against the running service ------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254", "10.0.0.8", "0.0.0.0"]
)
def test_registering_a_plugin_printer_at_a_private_address_is_refused_at_once(
    maker_api: httpx.Client, recording_servers: Callable[..., RecordingServer], host: str
) -> None:
    internal = recording_servers()
    body = MK3 | {
        "connection_kind": "octoprint-mqtt",
        "mqtt_base_topic": "octoPrint/probe",
        "octoprint_url": f"http://{host}:{internal.port}/",
        "octoprint_api_key": "KEY-0123456789",
    }

    created = maker_api.post("/printers", json=body)

    assert created.status_code == 422, created.text
    assert "octoprint_url" in created.json()["detail"]
    assert maker_api.get("/printers").json() == []
    assert internal.heard == []


def test_changing_a_printer_to_a_private_address_is_refused(maker_api: httpx.Client) -> None:
    plugin, _ = register(maker_api, "octoPrint/mine", octoprint_url="https://octoprint.example.org")
    agent = maker_api.post("/printers", json=MK3 | {"octoprint_url": "http://127.0.0.1:5000"})
    assert agent.status_code == 201  # an agent's OctoPrint is never called by the service

    moved = maker_api.patch(f"/printers/{plugin}", json={"octoprint_url": "http://10.0.0.8"})
    switched = maker_api.patch(
        f"/printers/{agent.json()['id']}",
        json={"connection_kind": "octoprint-mqtt", "mqtt_base_topic": "octoPrint/switched"},
    )

    for refused in (moved, switched):
        assert refused.status_code == 422, refused.text
        assert "octoprint_url" in refused.json()["detail"]
    assert maker_api.get(f"/printers/{plugin}").json()["octoprint_url"] == (
        "https://octoprint.example.org"
    )


def test_a_name_that_leads_to_the_service_host_is_refused_when_called_and_never_heard(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    recording_servers: Callable[..., RecordingServer],
) -> None:
    internal = recording_servers()
    printer, _ = register(
        maker_api,
        "octoPrint/rebound",
        octoprint_url=internal.url("localhost"),  # a name: checked when it is called
        octoprint_api_key="KEY-0123456789",
    )

    reason = start_and_fail(engine, settings, orchestrator, printer)

    assert reason == (
        "OctoPrint did not start the job: the OctoPrint address is on a private network "
        "the fab-lab has not allowed"
    )
    seen = events_text(maker_api, printer)
    assert reason in seen
    assert internal.heard == []  # neither the probe nor the start reached it
    assert str(internal.port) not in seen and "localhost" not in seen


@pytest.mark.parametrize("settings", ["127.0.0.0/8"], indirect=True)
def test_an_allowed_network_is_called_but_its_answer_never_reaches_the_maker(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    recording_servers: Callable[..., RecordingServer],
) -> None:
    internal = recording_servers(status=404)
    printer, _ = register(
        maker_api,
        "octoPrint/lan",
        octoprint_url=f"{internal.url()}/private/path",
        octoprint_api_key="KEY-0123456789",
    )

    reason = start_and_fail(engine, settings, orchestrator, printer)

    assert internal.heard, "an allowed network is called"
    assert {heard.headers.get("X-Api-Key") for heard in internal.heard} == {"KEY-0123456789"}
    assert reason == "OctoPrint did not start the job: OctoPrint answered 404"
    seen = events_text(maker_api, printer)
    assert "INTERNAL-ONLY" not in seen and "hunter2" not in seen
    assert "/private/path" not in seen and str(internal.port) not in seen


@pytest.mark.parametrize("settings", ["127.0.0.0/8"], indirect=True)
def test_a_redirect_is_not_followed_so_the_key_goes_nowhere_else(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    recording_servers: Callable[..., RecordingServer],
) -> None:
    elsewhere = recording_servers(status=200, body="{}")
    redirecting = recording_servers(
        status=307, body="", headers={"Location": f"{elsewhere.url()}/api/version"}
    )
    printer, _ = register(
        maker_api,
        "octoPrint/redirecting",
        octoprint_url=redirecting.url(),
        octoprint_api_key="KEY-0123456789",
    )

    reason = start_and_fail(engine, settings, orchestrator, printer)

    assert redirecting.heard and elsewhere.heard == []
    assert "redirect" in reason and str(elsewhere.port) not in reason


def test_an_error_never_names_another_makers_printer_or_base_topic(
    live_server: str, network: Network
) -> None:
    with (
        httpx.Client(base_url=f"{live_server}{API}", headers=bearer(network.maker)) as camille,
        httpx.Client(base_url=f"{live_server}{API}", headers=bearer(network.other_maker)) as julien,
    ):
        # Camille kept the plugin's default Base Topic; Julien's topics would be inside hers.
        theirs, _ = register(camille, "octoPrint/")

        taken = julien.post(
            "/printers",
            json=MK3 | {"connection_kind": "octoprint-mqtt", "mqtt_base_topic": "octoPrint/event/"},
        )

    assert taken.status_code == 422
    detail = taken.json()["detail"]
    assert "another printer" in detail
    assert "'octoPrint/'" not in detail and f"printer {theirs}" not in detail
