"""`makerline demo` as a newcomer runs it, as a real process: everything starts, the tokens
it prints open the board's accounts, production and deliveries move within a minute, and
Ctrl-C (or SIGTERM) leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.ports import free_port
from tests.realparts import Mosquitto, wait_for

pytestmark = pytest.mark.slow

START_SECONDS = 150.0
TOKEN_LINE = re.compile(r"^\s+(coordinator|health_centre|maker)\s+(.+?)\s+(mkl_\S+)$")


class DemoRun:
    """`makerline demo` in a subprocess, its output read line by line as it comes."""

    def __init__(
        self,
        tmp_path: Path,
        *arguments: str,
        env: dict[str, str] | None = None,
        api_port: int | None = None,
    ) -> None:
        self.api_port, self.board_port = api_port or free_port(), free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.board_url = f"http://127.0.0.1:{self.board_port}"
        self.data_dir = tmp_path / "demo"
        self.lines: list[str] = []
        command = [sys.executable, "-m", "orchestrator.cli", "demo"]
        # Relative, as the default `data/demo` is: children work in other folders.
        command += ["--data-dir", "demo", "--api-port", str(self.api_port)]
        command += ["--board-port", str(self.board_port), *arguments]
        base = {k: v for k, v in os.environ.items() if not k.startswith("MAKERLINE_")}
        self.process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=base | (env or {}),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_running(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not any(line.startswith("makerline is running") for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.reader.join(timeout=5)
                pytest.fail(f"the demo did not start:\n{self.output}")
            time.sleep(0.2)

    def tokens(self) -> dict[str, list[str]]:
        by_role: dict[str, list[str]] = {}
        for line in self.lines:
            if match := TOKEN_LINE.match(line):
                by_role.setdefault(match.group(1), []).append(match.group(3))
        return by_role

    def get(self, token: str, path: str) -> httpx.Response:
        return httpx.get(
            f"{self.api_url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def stop(self, signum: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.reader.join(timeout=5)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def demos() -> Iterator[list[DemoRun]]:
    started: list[DemoRun] = []
    yield started
    for demo in started:
        demo.kill()


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def gone(processes: list[psutil.Process]) -> bool:
    return not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)


def board(demo: DemoRun, token: str) -> dict:
    answer = demo.get(token, "/board")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_everything_starts_production_moves_and_ctrl_c_stops_it_all(
    tmp_path: Path, demos: list[DemoRun]
) -> None:
    demo = DemoRun(tmp_path, "--octoprint", "1", "--hub-every", "5")
    demos.append(demo)
    demo.wait_running()

    for step in (
        "embedded MQTT broker … ok",
        "API on",
        "orchestrator … ok",
        "25 simulated printers",
        "1 OctoPrint with the Virtual Printer, and agents … ok",
        "board on",
    ):
        assert step in demo.output
    tokens = demo.tokens()
    assert {role: len(found) for role, found in tokens.items()} == {
        "coordinator": 1,
        "health_centre": 4,
        "maker": 15,
    }
    for role, found in tokens.items():
        for token in found:
            me = demo.get(token, "/me")
            assert (me.status_code, me.json()["role"]) == (200, role)
    assert httpx.get(f"{demo.board_url}/_stcore/health", timeout=5).status_code == 200

    coordinator = tokens["coordinator"][0]
    octoprint_printer = 26  # after the 25 simulated ones
    wait_for(
        lambda: (
            demo.get(coordinator, f"/printers/{octoprint_printer}/status").json()["state"]
            == "printing"
        ),
        60,
        "the OctoPrint printer to print its job through its agent",
        0.5,
    )

    def delivered_visors() -> int:
        figures = board(demo, coordinator)
        return next(p["delivered"] for p in figures["products"] if p["item"] == "visor")

    wait_for(
        lambda: board(demo, coordinator)["jobs_by_status"].get("done", 0) > 0, 60, "a job done"
    )
    wait_for(lambda: delivered_visors() > 0, 60, "visors delivered", 1.0)
    assert any("delivered" in line and "visors" in line for line in demo.lines)

    children = descendants(demo.process.pid)
    assert len(children) >= 7  # broker, API, orchestrator, printers, OctoPrint, agent, board
    assert demo.stop(signal.SIGINT) == 0
    assert "stopped 7 processes" in demo.output
    wait_for(lambda: gone(children), 10, "every child process to end")


def test_an_external_broker_is_used_as_given_and_sigterm_stops_it_all(
    tmp_path: Path, demos: list[DemoRun], mosquitto: Mosquitto
) -> None:
    demo = DemoRun(tmp_path, "--hub-every", "0", env={"MAKERLINE_MQTT_URL": mosquitto.url})
    demos.append(demo)
    demo.wait_running()

    assert "(MAKERLINE_MQTT_URL) … ok" in demo.output
    assert "embedded MQTT broker" not in demo.output
    assert "25 simulated printers" in demo.output  # their statuses came through Mosquitto
    children = descendants(demo.process.pid)
    commands = [" ".join(child.cmdline()) for child in children]
    assert not any(" broker " in command for command in commands)

    assert demo.stop(signal.SIGTERM) == 0
    assert "stopped 4 processes" in demo.output
    wait_for(lambda: gone(children), 10, "every child process to end")


def test_a_port_in_use_stops_the_demo_before_it_starts_anything(
    tmp_path: Path, demos: list[DemoRun]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        demo = DemoRun(tmp_path, api_port=taken.getsockname()[1])
        demos.append(demo)
        assert demo.process.wait(timeout=60) == 1
    demo.reader.join(timeout=5)
    assert f"port {demo.api_port} on 127.0.0.1 is in use" in demo.output
    assert "--api-port" in demo.output
    assert not (demo.data_dir / "logs").exists()


def test_a_missing_slicer_is_named_with_how_to_install_it(
    tmp_path: Path, demos: list[DemoRun]
) -> None:
    demo = DemoRun(tmp_path, env={"PATH": str(Path(sys.executable).parent)})
    demos.append(demo)
    assert demo.process.wait(timeout=60) == 1
    demo.reader.join(timeout=5)
    assert "apt-get install -y prusa-slicer" in demo.output
