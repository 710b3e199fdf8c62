"""Real parts for the tests, as a pytest plugin: Mosquitto brokers, OctoPrint with its
virtual printer, a G-code server that checks bearer tokens, an MQTT recorder and agent
processes. `tests/conftest.py` loads it, so every test folder shares these fixtures.
"""

from __future__ import annotations

import contextlib
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
import psutil
import pytest
import requests
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import Browser, sync_playwright

from printers.simulated import virtual_octoprint
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


def descendants_cpu_seconds(pid: int | None = None) -> float:
    """CPU time used so far by the processes `pid` (this process by default) started and
    that still run: PrusaSlicer slicing a plate shows here, though it logs nothing."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                total += times.user + times.system
    return round(total, 1)


def wait_while_progressing(
    condition: Callable[[], Any],
    progress: Callable[[], object],
    what: str,
    *,
    stalled_after: float,
    limit: float,
    step: float = 0.1,
) -> Any:
    """Wait for `condition` for as long as the system under test keeps moving.

    On a loaded machine every step of a production line (a process starting, PrusaSlicer
    slicing a plate, a print) takes longer, but something still changes; a line that hangs
    changes nothing. So this fails when `progress()` (any comparable snapshot of what the
    line has done) stays the same for `stalled_after` seconds, and in any case after
    `limit` seconds, which bounds the wait."""
    started = last_change = time.monotonic()
    seen = progress()
    while True:
        result = condition()
        if result:
            return result
        now = time.monotonic()
        if now - started > limit:
            raise AssertionError(f"timed out after {limit} s waiting for {what}")
        snapshot = progress()
        if snapshot != seen:
            seen, last_change = snapshot, now
        elif now - last_change > stalled_after:
            raise AssertionError(
                f"nothing moved for {stalled_after} s (after {now - started:.0f} s) "
                f"while waiting for {what}"
            )
        time.sleep(step)


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


# --- the OctoPrint-MQTT plugin, emulated ----------------------------------------------

PLUGIN_RETAINED_EVENTS = frozenset({"ZChange", "FirmwareData", "PausedForUser"})
# OctoPrint's `state_string` where it is not the id in title case.
PLUGIN_STATE_STRINGS = {
    "DETECT_SERIAL": "Detecting serial connection",
    "OPEN_SERIAL": "Opening serial connection",
    "CLOSED_WITH_ERROR": "Offline after error",
}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class OctoPrintMqttPlugin:
    """Publishes what OctoPrint-MQTT 0.8.16 publishes, as it publishes it, for the tests
    (the plugin needs paho-mqtt<2 and is fetched from GitHub, so it cannot run here).

    Measured against the real plugin on OctoPrint 1.11.8 (/work/plugin-lab, and
    `tests/printers/recorded/octoprint-mqtt-0.8.16-print.jsonl`, which `test_plugin_emulator`
    compares it with, message for message):
    - topics are the base topic and the sub-topic joined with no separator;
    - MQTT 3.1, a random 22-character client id, clean session; the last will is
      `{base}mqtt` = `disconnected`, QoS 1, retained, plain text, and each connection
      publishes `connected` there, then retained resets of `progress/printing` (an empty
      path) and `progress/slicing`;
    - events are QoS 0: the payload, `_event`, and `_timestamp` in whole seconds; only
      ZChange, FirmwareData and PausedForUser are retained;
    - progress and temperatures are QoS 0 and retained, each sent only when it changed
      (a temperature by 0.1 or more), and `actual` may be null;
    - a graceful stop publishes `disconnected` and `event/Shutdown`, then drops the
      connection without DISCONNECT, so the broker sends the will: `disconnected` twice.

    The story methods (`print_started`, `print_done`...) publish what OctoPrint's events
    are for that happening, in its order. Nothing is sent before `connect()`, as the plugin
    drops what happens while it is not connected.
    """

    def __init__(
        self,
        port: int,
        base: str = "octoPrint/",
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.port = port
        self.base = base
        self.username, self.password = username, password
        self.client: mqtt.Client | None = None
        self.progress_sent: tuple[str, str, int] | None = None
        self.temperatures_sent: dict[str, tuple[float | None, float | None]] = {}
        self.last_sent: dict[str, tuple[str, int, bool]] = {}  # by sub-topic

    # --- the connection ---

    def connect(self) -> None:
        client_id = "".join(_BASE62[b % 62] for b in os.urandom(22))
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id, protocol=mqtt.MQTTv31, clean_session=True
        )
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        client.will_set(self.topic("mqtt"), "disconnected", qos=1, retain=True)
        connected = threading.Event()
        client.on_connect = lambda c, u, flags, reason, props: reason == 0 and connected.set()
        client.connect("127.0.0.1", self.port, keepalive=60)
        client.loop_start()
        assert connected.wait(10), "the emulated plugin could not connect"
        self.client = client
        self.publish("mqtt", "connected", qos=1, retain=True)
        self.progress_sent = None
        self._progress("", "", 0)
        slicing = dict.fromkeys(
            ("slicer", "source_location", "source_path", "destination_location"), ""
        )
        self.publish_json(
            "progress/slicing", {**slicing, "destination_path": "", "progress": 0}, retain=True
        )

    def shutdown(self, *, stray: bool = True) -> None:
        """OctoPrint stopped gracefully: `disconnected`, `Shutdown`, a stray temperature
        (sent after the first `disconnected`, as seen), then the will when the connection
        drops."""
        self.publish("mqtt", "disconnected", qos=1, retain=True)
        self.event("Shutdown")
        if stray:
            for heater, (actual, target) in list(self.temperatures_sent.items())[:1]:
                self.temperatures_sent.pop(heater)
                self.temperature(heater, actual, target)
        self.kill()

    def kill(self) -> None:
        """The process is gone (SIGKILL): the socket closes, the broker sends the will."""
        assert self.client is not None
        client, self.client = self.client, None
        client.loop_stop()
        sock = client.socket()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        if self.client is not None:
            self.kill()

    # --- what the plugin sends ---

    def topic(self, sub_topic: str) -> str:
        return f"{self.base}{sub_topic}"

    def publish(self, sub_topic: str, payload: str, *, qos: int = 0, retain: bool = False) -> None:
        assert self.client is not None, "the plugin publishes nothing while not connected"
        info = self.client.publish(self.topic(sub_topic), payload, qos=qos, retain=retain)
        info.wait_for_publish(10)
        self.last_sent[sub_topic] = (payload, qos, retain)

    def repeat(self, sub_topic: str) -> None:
        """The last message on `sub_topic` again, byte for byte: what a second replica of
        the service hears, or a broker's redelivery."""
        payload, qos, retain = self.last_sent[sub_topic]
        self.publish(sub_topic, payload, qos=qos, retain=retain)

    def publish_json(self, sub_topic: str, data: dict[str, Any], *, retain: bool = False) -> None:
        self.publish(sub_topic, json.dumps({**data, "_timestamp": int(time.time())}), retain=retain)

    def event(self, kind: str, /, **payload: Any) -> None:
        body = {**payload, "_event": kind}
        self.publish_json(f"event/{kind}", body, retain=kind in PLUGIN_RETAINED_EVENTS)

    def state(self, state_id: str) -> None:
        state_string = PLUGIN_STATE_STRINGS.get(state_id, state_id.title())
        self.event("PrinterStateChanged", state_id=state_id, state_string=state_string)

    def temperature(self, heater: str, actual: float | None, target: float | None) -> None:
        """Sent when the actual moved by 0.1 or more, or the target did, or the previous
        actual was 0 or unknown; never when both are 0 or unknown."""
        if not actual and not target:
            return
        before = self.temperatures_sent.get(heater)
        if before is not None and before[0]:
            moved = actual is None or abs(actual - before[0]) >= 0.1
            retargeted = abs((target or 0.0) - (before[1] or 0.0)) >= 0.1
            if not moved and not retargeted:
                return
        self.temperatures_sent[heater] = (actual, target)
        self.publish_json(
            f"temperature/{heater}", {"actual": actual, "target": target}, retain=True
        )

    def progress(self, path: str, percent: int, origin: str = "local") -> None:
        """A tick of the plugin's 5 s timer: sent only if the rounded value or path changed."""
        self._progress(origin, path, percent)

    def _progress(self, origin: str, path: str, percent: int) -> None:
        if self.progress_sent == (origin, path, percent):
            return
        self.progress_sent = (origin, path, percent)
        body = {"location": origin, "path": path, "progress": percent}
        self.publish_json("progress/printing", body, retain=True)

    # --- OctoPrint's happenings, as events in OctoPrint's order ---

    def serial_connected(self) -> None:
        """The printer's serial link came up (after the plugin's connection: otherwise these
        are lost, as one start in three showed)."""
        self.state("OPERATIONAL")
        self.event("Connected", port="VIRTUAL", baudrate=0)
        firmware = {"FIRMWARE_NAME": "Virtual Marlin 1.0", "PROTOCOL_VERSION": "1.0"}
        self.event("FirmwareData", name="Virtual Marlin 1.0", data=firmware)
        self.event("UpdatedFiles", type="printables")

    def file_uploaded(self, name: str, *, select: bool = False, print_: bool = False) -> None:
        """An upload (as makerline's adapter does it, without select and print)."""
        self.event(
            "FileAdded",
            storage="local",
            path=name,
            name=name,
            type=["machinecode", "gcode"],
            operation="add",
        )
        self.event("UpdatedFiles", type="printables")
        if not select:
            self.event("Upload", **self._upload(name, select, print_))
        self.event("MetadataAnalysisStarted", **self._file(name), type="gcode")

    def print_started(self, name: str, size: int, *, uploaded_with_print: bool = False) -> None:
        """select(print=True), or an upload with select and print (`uploaded_with_print`)."""
        self.event("FileSelected", **self._file(name), size=None, owner="maker", user="maker")
        self.state("STARTING")
        job = {**self._file(name), "size": size, "owner": "maker", "user": "maker"}
        self.event("PrintStarted", **job)
        self.event("ChartMarked", type="print", label="Start")
        self.event("GcodeScriptBeforePrintStartedRunning", **job)
        self.event("GcodeScriptBeforePrintStartedFinished", **job)
        if uploaded_with_print:
            self.event("Upload", **self._upload(name, True, True))
        self.state("PRINTING")
        self.event("Home")
        self.event("ZChange", new=0.2, old=None)

    def layer(self, z: float) -> None:
        self.event("ZChange", new=round(z, 2), old=round(z - 0.2, 2))

    def print_done(self, name: str, size: int, seconds: float) -> None:
        """The end of the file: OctoPrint goes FINISHING and says PrintDone; it is ready for
        another file only at `operational()`, which the caller sends when it wants."""
        self.event("Home")
        self.state("FINISHING")
        self.event("MetadataAnalysisStarted", **self._file(name), type="gcode")
        self.event("ChartMarked", type="done", label="Done")
        job = {**self._file(name), "size": size, "owner": "maker", "time": seconds}
        self.event("PrintDone", **job)
        self.event("GcodeScriptAfterPrintDoneRunning", **job)
        self.event("GcodeScriptAfterPrintDoneFinished", **job)
        self.event("MetadataStatisticsUpdated", storage="local", path=name)

    def operational(self) -> None:
        self.state("OPERATIONAL")

    def print_cancelled(self, name: str, size: int, progress: int) -> None:
        job = {**self._file(name), "size": size}
        self.event("PrintCancelling", **job, owner="maker", user="maker")
        self.state("CANCELLING")
        position = dict.fromkeys(("y", "e", "f", "z", "t", "x"))
        where = {"position": position, "fileposition": 475, "progress": progress}
        cancelled = {**job, **where, "owner": "maker", "user": "maker", "time": 8.0}
        self.event("PrintCancelled", **cancelled)
        self.event("ChartMarked", type="cancel", label="Cancel")
        self.event("GcodeScriptAfterPrintCancelledRunning", **cancelled)
        self.event("GcodeScriptAfterPrintCancelledFinished", **cancelled)
        self.event("MetadataStatisticsUpdated", storage="local", path=name)
        self.event("PrintFailed", **cancelled, reason="cancelled")
        self.operational()

    def firmware_error(self, name: str, size: int, error: str) -> None:
        """A fatal firmware error during the print: Disconnected comes before PrintFailed."""
        self.state("ERROR")
        self.event("Error", error=error, reason="firmware", consequence="emergency")
        self.event("EStop")
        self.event("UpdatedFiles", type="printables")
        self.event("FileDeselected")
        self.event("Disconnected")
        self.state("OFFLINE")
        self.event("MetadataStatisticsUpdated", storage="local", path=name)
        failed = {**self._file(name), "size": size, "owner": "maker", "time": 8.0}
        self.event("PrintFailed", **failed, reason="error", error=error, progress=0.375)

    @staticmethod
    def _file(name: str) -> dict[str, Any]:
        return {"name": name, "path": name, "origin": "local"}

    @staticmethod
    def _upload(name: str, select: bool, print_: bool) -> dict[str, Any]:
        return {
            "name": name,
            "path": name,
            "target": "local",
            "select": select,
            "print": print_,
            "effective_select": select,
            "effective_print": print_,
        }


@pytest.fixture
def octoprint_mqtt_plugins() -> Iterator[Callable[..., OctoPrintMqttPlugin]]:
    """Emulated OctoPrint-MQTT plugins, connected by the test, dropped at its end."""
    made: list[OctoPrintMqttPlugin] = []

    def make(port: int, base: str = "octoPrint/", **login: Any) -> OctoPrintMqttPlugin:
        made.append(OctoPrintMqttPlugin(port, base, **login))
        return made[-1]

    yield make
    for plugin in made:
        plugin.close()


# --- the browser ----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless chromium, one for the whole session (Playwright's sync API runs
    one instance per thread); the test fails (not skips) when it is missing. No browser
    is downloaded: chromium comes from the system (`scripts/test` installs it)."""
    executable = shutil.which("chromium") or CHROMIUM
    if not Path(executable).exists():
        pytest.fail(
            f"chromium is needed for the browser tests and is not installed ({CHROMIUM}): "
            "run scripts/test, or apt-get install chromium chromium-driver"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
