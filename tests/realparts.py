"""Real parts for the tests, as a pytest plugin: Mosquitto brokers, OctoPrint with its
virtual printer, a G-code server that checks bearer tokens, an MQTT recorder and agent
processes. `tests/conftest.py` loads it, so every test folder shares these fixtures.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import requests
from paho.mqtt.enums import CallbackAPIVersion

from printers import virtual_octoprint
from tests.ports import free_port

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
OCTOPRINT_API_KEY = "MAKERLINETESTKEY0123456789ABCDEF"
OCTOPRINT_PASSWORD = "maker-test-password"


def wait_for(condition: Callable[[], Any], timeout: float, what: str, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- Mosquitto ------------------------------------------------------------------------


class Mosquitto:
    """One Mosquitto 2.0 on a free port; restartable on the same port and data dir."""

    def __init__(
        self, workdir: Path, *, password_file: Path | None = None, acl_file: Path | None = None
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        lines = [
            f"listener {self.port} 127.0.0.1",
            "max_queued_messages 100000",
            # Started as root, mosquitto would switch to its own user and could not
            # write its persistence file in the test directory.
            "user root",
            "persistence true",
            f"persistence_location {workdir}/",
            f"log_dest file {workdir}/mosquitto.log",
            "log_type all",
        ]
        if password_file is not None:
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        if acl_file is not None:
            lines.append(f"acl_file {acl_file}")
        self.config = workdir / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 10, f"mosquitto on port {self.port}", 0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: mosquitto saves its persistence file
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    broker = Mosquitto(workdir)
    broker.start()
    yield broker
    broker.stop()


# --- MQTT recorder --------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


class MqttRecorder:
    """A threaded paho client that records what arrives on its subscriptions."""

    def __init__(
        self,
        port: int,
        topics: list[str],
        *,
        username: str | None = None,
        password: str | None = None,
        protocol: int = mqtt.MQTTv311,
        persistent: bool = True,
    ) -> None:
        self.messages: list[Received] = []
        self.publish_results: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._topics = topics
        client_id = f"recorder-{os.getpid()}-{time.monotonic_ns()}"
        if protocol == mqtt.MQTTv5:
            self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id, protocol=protocol)
        else:
            self.client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id,
                protocol=protocol,
                clean_session=not persistent,
            )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(1, 2)
        self.subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        if topics:
            assert self.subscribed.wait(10), "recorder could not subscribe"

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        for topic in self._topics:
            client.subscribe(topic, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Received(message.topic, bytes(message.payload), message.retain))

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, props: Any
    ) -> None:
        with self._lock:
            self.publish_results[mid] = reason_code

    def on(self, topic: str) -> list[Received]:
        with self._lock:
            return [message for message in self.messages if message.topic == topic]

    def json_on(self, topic: str) -> list[Any]:
        return [message.json() for message in self.on(topic)]

    def wait_json(
        self, topic: str, predicate: Callable[[Any], bool], timeout: float, what: str
    ) -> Any:
        def found() -> Any:
            for body in self.json_on(topic):
                if predicate(body):
                    return body
            return None

        return wait_for(found, timeout, what)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int:
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        return int(info.mid)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def recorders() -> Iterator[Callable[..., MqttRecorder]]:
    made: list[MqttRecorder] = []

    def make(*args: Any, **kwargs: Any) -> MqttRecorder:
        recorder = MqttRecorder(*args, **kwargs)
        made.append(recorder)
        return recorder

    yield make
    for recorder in made:
        recorder.close()


# --- G-code server --------------------------------------------------------------------


def tiny_gcode(seconds: float) -> bytes:
    """G-code the virtual printer runs in about `seconds`: dwells, which it honours."""
    lines = ["G28", "G90", "G1 X10 Y10 F6000"]
    for _ in range(max(1, int(seconds / 0.5))):
        lines.append("G4 P500")
    lines.append("G1 X20 Y20 F6000")
    return ("\n".join(lines) + "\n").encode()


class GcodeServer:
    """Serves registered G-code at /gcode/<name> to requests carrying the right bearer token."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.tokens: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                authorization = self.headers.get("Authorization")
                server.requests.append((self.path, authorization))
                name = self.path.removeprefix("/gcode/")
                if authorization not in {f"Bearer {token}" for token in server.tokens}:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = server.files.get(name)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, name: str, body: bytes) -> tuple[str, str]:
        """Register a file; returns its URL and sha256."""
        self.files[name] = body
        return f"http://127.0.0.1:{self.port}/gcode/{name}", hashlib.sha256(body).hexdigest()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gcode_server() -> Iterator[GcodeServer]:
    server = GcodeServer()
    yield server
    server.close()


# --- OctoPrint ------------------------------------------------------------------------


@dataclass
class OctoPrintServer:
    url: str
    api_key: str
    basedir: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str) -> Any:
        response = requests.get(f"{self.url}{path}", headers={"X-Api-Key": self.api_key}, timeout=5)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> int:
        response = requests.post(
            f"{self.url}{path}", json=body, headers={"X-Api-Key": self.api_key}, timeout=5
        )
        return response.status_code

    def state(self) -> str:
        return str(self.get("/api/job")["state"])

    def wait_operational(self, timeout: float = 30) -> None:
        wait_for(lambda: self.state() == "Operational", timeout, "OctoPrint to be Operational")

    def make_idle(self) -> None:
        """Leave the printer as a fresh test expects it: connected and not printing."""
        if self.state() != "Operational":
            self.post("/api/job", {"command": "cancel"})
        self.wait_operational()


def start_octoprint(basedir: Path) -> OctoPrintServer:
    virtual_octoprint.prepare(basedir, api_key=OCTOPRINT_API_KEY, password=OCTOPRINT_PASSWORD)
    port = free_port()
    log = open(basedir / "serve.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        virtual_octoprint.serve_command(basedir, host="127.0.0.1", port=port),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return OctoPrintServer(f"http://127.0.0.1:{port}", OCTOPRINT_API_KEY, basedir, process)


def wait_octoprint_ready(server: OctoPrintServer, timeout: float = 60) -> None:
    virtual_octoprint.wait_ready(server.url, server.api_key, timeout)


@contextmanager
def running_octoprint(basedir: Path) -> Iterator[OctoPrintServer]:
    server = start_octoprint(basedir)
    try:
        wait_octoprint_ready(server)
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()


@pytest.fixture(scope="session")
def octoprint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OctoPrintServer]:
    with running_octoprint(tmp_path_factory.mktemp("octoprint")) as server:
        yield server


@pytest.fixture(scope="session")
def second_octoprint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OctoPrintServer]:
    """Another maker's OctoPrint, for tests of two printers side by side."""
    with running_octoprint(tmp_path_factory.mktemp("octoprint-second")) as server:
        yield server


@pytest.fixture
def idle_octoprint(octoprint: OctoPrintServer) -> OctoPrintServer:
    octoprint.make_idle()
    return octoprint


# --- agent processes ------------------------------------------------------------------


class AgentProcess:
    """`python -m printers.cli agent` with a TOML config, killable and restartable."""

    def __init__(self, config: Path, state_dir: Path) -> None:
        self.config = config
        self.state_dir = state_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = state_dir.parent / f"{state_dir.name}.log"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINE_AGENT_")}
        env["PYTHONPATH"] = str(REPO)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "printers.cli", "agent", "--config", str(self.config)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def control(self, verb: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "printers.cli",
                "agent",
                verb,
                "--state-dir",
                str(self.state_dir),
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=30,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def make_agent(tmp_path: Path) -> Iterator[Callable[..., AgentProcess]]:
    agents: list[AgentProcess] = []

    def make(
        *,
        printer_id: str,
        broker_url: str,
        octoprint: OctoPrintServer,
        token: str = "printer-token",
        **extra: Any,
    ) -> AgentProcess:
        state_dir = tmp_path / f"agent-{printer_id}"
        values: dict[str, Any] = {
            "printer_id": printer_id,
            "printer_token": token,
            "broker_url": broker_url,
            "octoprint_url": octoprint.url,
            "octoprint_api_key": octoprint.api_key,
            "state_dir": str(state_dir),
            "status_interval_seconds": 1.0,
            "poll_interval_seconds": 0.5,
            "keepalive_seconds": 2,
            **extra,
        }
        config = tmp_path / f"agent-{printer_id}.toml"
        config.write_text(
            "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
        )
        agent = AgentProcess(config, state_dir)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.stop()
