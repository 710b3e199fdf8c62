"""compose's Mosquitto, run for real outside Docker: deploy/mosquitto/mosquitto.conf and
run.sh with the files `makerline broker-files` writes, and a certificate from a throwaway
CA in the place of Caddy's. Anonymous clients are refused, the service logs in, a printer
registered after the start can log in once the API has rewritten the files (run.sh
reloads them), agents reach it over TLS, and a payload over the service's cap is refused
without the broker holding it."""

from __future__ import annotations

import shutil
import signal
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.core.config import Settings, load_settings
from orchestrator.link.broker_files import ACL_FILE, PASSWORD_FILE, write_broker_files
from printers.protocol.broker_auth import (
    mosquitto_password_hash,
    printer_broker_password,
    printer_username,
    render_acl_file,
    render_password_file,
)
from printers.protocol.payloads import MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES
from printers.protocol.topics import events_topic
from tests.conftest import makers_printer
from tests.ports import free_port
from tests.realparts import MOSQUITTO, REPO, MqttRecorder, port_open, wait_for
from tests.security.test_broker_bounds import peak_rss_mib

DEPLOY = REPO / "deploy" / "mosquitto"
SERVICE_USER, SERVICE_PASSWORD = "makerline-service", "service-password"
PRINTER_ID, PRINTER_TOKEN = 7, "mkl_printer-seven-token"
PRINTER_PASSWORD = printer_broker_password(PRINTER_TOKEN)  # what its agent logs in with


def connects(port: int, username: str | None, password: str | None) -> bool:
    """True if the broker accepts this login (CONNACK success)."""
    outcome: list[bool] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password)
    client.on_connect = lambda _c, _u, _f, code, _p: outcome.append(not code.is_failure)
    client.connect("127.0.0.1", port)
    deadline = time.monotonic() + 5
    while not outcome and time.monotonic() < deadline:
        client.loop(timeout=0.1)
    client.disconnect()
    return bool(outcome and outcome[0])


@pytest.fixture
def settings_with_service_login(settings: Settings) -> Settings:
    url = f"mqtt://{SERVICE_USER}:{SERVICE_PASSWORD}@127.0.0.1:1883"
    return load_settings(data_dir=settings.data_dir, mqtt_url=url)


@dataclass(frozen=True)
class Certificates:
    ca: Path  # what agents trust
    chain: Path  # what the broker shows, for 127.0.0.1
    key: Path


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 it signed, as a fab-lab's own
    CA on a LAN would make them."""
    folder = tmp_path_factory.mktemp("certificates")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl(
        "req", "-x509", *ec, "-subj", "/CN=makerline test CA", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.crt",
    )  # fmt: skip
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "server.ext").write_text(
        "subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n"
        "authorityKeyIdentifier = keyid\nsubjectKeyIdentifier = hash\n"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt",
    )  # fmt: skip
    return Certificates(folder / "ca.crt", folder / "server.crt", folder / "server.key")


@dataclass(frozen=True)
class BrokerLayout:
    root: Path  # compose's /mosquitto: config/ (the repository's files), auth/, data/
    port: int  # the plain listener (compose's 1883)
    tls_port: int  # the TLS listener (compose's 8883)
    certificates: Certificates

    @property
    def run_sh(self) -> list[str]:
        return ["/bin/sh", str(self.root / "config" / "run.sh")]

    @property
    def env(self) -> dict[str, str]:
        return {
            "MOSQUITTO_ROOT": str(self.root),
            "PATH": f"{Path(MOSQUITTO).parent}:/usr/bin:/bin",
            "TLS_CERT": str(self.certificates.chain),
            "TLS_KEY": str(self.certificates.key),
        }


@pytest.fixture
def layout(tmp_path: Path, certificates: Certificates) -> BrokerLayout:
    root = tmp_path / "mosquitto"
    shutil.copytree(DEPLOY, root / "config")
    (root / "auth").mkdir()
    (root / "data").mkdir()
    port, tls_port = free_port(), free_port()
    conf = root / "config" / "mosquitto.conf"
    text = conf.read_text().replace("/mosquitto/", f"{root}/")
    text = text.replace("listener 8883", f"listener {tls_port} 127.0.0.1")
    # Outside Docker, as root, Mosquitto would switch to its own user and not read tmp.
    conf.write_text(text.replace("listener 1883", f"listener {port} 127.0.0.1\nuser root"))
    return BrokerLayout(root, port, tls_port, certificates)


def write_service_and_printer_files(layout: BrokerLayout) -> None:
    """The files `makerline broker-files` writes for the service and printer 7."""
    logins = [(SERVICE_USER, SERVICE_PASSWORD), (printer_username(PRINTER_ID), PRINTER_PASSWORD)]
    auth = layout.root / "auth"
    passwords = [(user, mosquitto_password_hash(password)) for user, password in logins]
    (auth / PASSWORD_FILE).write_text(render_password_file(passwords))
    (auth / ACL_FILE).write_text(render_acl_file([PRINTER_ID], SERVICE_USER))


def start(layout: BrokerLayout) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        layout.run_sh, env=layout.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    wait_for(
        lambda: port_open(layout.tls_port) or process.poll() is not None, 10, "mosquitto to listen"
    )
    assert process.poll() is None, process.stdout.read() if process.stdout else b""
    return process


def stop(process: subprocess.Popen[bytes]) -> bytes:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    return output


def mosquitto_pid(run_sh: subprocess.Popen[bytes]) -> int:
    (broker,) = [
        child for child in psutil.Process(run_sh.pid).children() if child.name() == "mosquitto"
    ]
    return int(broker.pid)


class TlsClient:
    """A paho client over TLS, MQTT v5, that verifies the broker against `ca`, and tells
    how each of its publishes ended: acknowledged (with its reason), or cut off."""

    def __init__(self, layout: BrokerLayout, username: str, password: str, ca: Path) -> None:
        self.connected = threading.Event()
        self.refused: list[str] = []  # why the connection failed or ended
        self.acks: dict[int, Any] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password)
        self.client.tls_set(ca_certs=str(ca), cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = lambda _c, _u, _f, code, _p: (
            self.refused.append(str(code)) if code.is_failure else self.connected.set()
        )
        self.client.on_disconnect = lambda _c, _u, _f, code, _p: self.refused.append(str(code))
        self.client.on_publish = lambda _c, _u, mid, code, _p: self.acks.__setitem__(mid, code)
        try:
            self.client.connect("127.0.0.1", layout.tls_port)
        except ssl.SSLError as error:
            self.refused.append(error.reason or str(error))
            return
        self.client.loop_start()
        wait_for(lambda: self.connected.is_set() or self.refused, 10, "the TLS login")

    def publish(self, topic: str, payload: bytes) -> str:
        """'accepted', or what refused the message: a PUBACK's reason or the hang-up."""
        mid = self.client.publish(topic, payload, qos=1).mid
        wait_for(lambda: mid in self.acks or self.refused, 30, "the broker's answer")
        if mid in self.acks and not self.acks[mid].is_failure:
            return "accepted"
        return str(self.acks.get(mid) or self.refused[-1])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_run_sh_refuses_to_start_without_the_broker_files(layout: BrokerLayout) -> None:
    done = subprocess.run(
        layout.run_sh,
        env=layout.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "the setup service writes it" in done.stderr


def test_logins_follow_the_files_the_service_rewrites(
    layout: BrokerLayout, engine: Engine, settings_with_service_login: Settings
) -> None:
    port, auth = layout.port, layout.root / "auth"
    with Session(engine) as session:
        write_broker_files(session, settings_with_service_login, auth)
    process = start(layout)
    try:
        assert connects(port, SERVICE_USER, SERVICE_PASSWORD)
        assert not connects(port, None, None)  # no anonymous client
        with Session(engine) as session:
            printer = makers_printer(session, "Léa", "i3 Mega", (210, 210, 205))
            session.commit()
            username, password = printer.mqtt_username, printer.mqtt_password
            assert not connects(port, username, password)  # not in the files yet
            write_broker_files(session, settings_with_service_login, auth)
        wait_for(lambda: connects(port, username, password), 20, "run.sh to reload", 1.0)
        # The broker password logs in; the API token, which also fetches G-code, does not.
        assert not connects(port, username, printer.token)
    finally:
        output = stop(process)
    assert process.returncode == 0
    assert b"reloaded the password and ACL files" in output


def test_agents_reach_the_broker_over_tls_with_a_certificate_they_trust(
    layout: BrokerLayout,
) -> None:
    write_service_and_printer_files(layout)
    process = start(layout)
    try:
        agent = TlsClient(
            layout, printer_username(PRINTER_ID), PRINTER_PASSWORD, layout.certificates.ca
        )
        assert agent.connected.is_set(), agent.refused
        agent.close()
        # A client that trusts another authority (here only the broker's certificate,
        # which is no CA) refuses the broker: the check is real.
        stranger = TlsClient(layout, SERVICE_USER, SERVICE_PASSWORD, layout.certificates.chain)
        assert not stranger.connected.is_set()
        assert stranger.refused == ["CERTIFICATE_VERIFY_FAILED"]
    finally:
        stop(process)


def test_a_payload_over_the_service_s_cap_is_refused_and_never_held(
    layout: BrokerLayout, recorders: Callable[..., MqttRecorder]
) -> None:
    write_service_and_printer_files(layout)
    process = start(layout)
    ca, printer = layout.certificates.ca, printer_username(PRINTER_ID)
    events = events_topic(PRINTER_ID)
    try:
        # The service listens on the compose network, as the orchestrator does.
        service = recorders(layout.port, [events], username=SERVICE_USER, password=SERVICE_PASSWORD)
        broker = mosquitto_pid(process)
        before = peak_rss_mib(broker)

        at_the_cap = TlsClient(layout, printer, PRINTER_PASSWORD, ca)
        assert at_the_cap.publish(events, b"a" * MAX_PAYLOAD_BYTES) == "accepted"
        over_the_cap = TlsClient(layout, printer, PRINTER_PASSWORD, ca)
        assert over_the_cap.publish(events, b"b" * MAX_PACKET_BYTES) != "accepted"
        huge = TlsClient(layout, printer, PRINTER_PASSWORD, ca)
        assert huge.publish(events, b"c" * 50 * 2**20) != "accepted"
        # The broker goes on serving the printer's next login and the service.
        after = TlsClient(layout, printer, PRINTER_PASSWORD, ca)
        assert after.publish(events, b"d") == "accepted"
        wait_for(lambda: len(service.on(events)) == 2, 10, "the service to get the events")

        assert [len(message.payload) for message in service.on(events)] == [MAX_PAYLOAD_BYTES, 1]
        growth = peak_rss_mib(broker) - before
        assert growth < 5, f"the broker's memory peaked {growth:.1f} MiB above its start"
        for client in (at_the_cap, over_the_cap, huge, after):
            client.close()
    finally:
        stop(process)
