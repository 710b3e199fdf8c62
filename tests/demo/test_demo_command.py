"""`makerline demo` as a newcomer runs it, as a real process: everything starts, the tokens
it prints open the board's accounts, production and deliveries move, the messages people
are sent land where the demo says, and Ctrl-C (or SIGTERM) leaves no process behind.
The waits measure progress, not time: a loaded machine only makes them longer."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import httpx
import psutil
import pytest

from tests.ports import free_port
from tests.realparts import Mosquitto, wait_for

pytestmark = pytest.mark.slow

# Waits measure progress, as the demo's own do: they fail after this long without any
# (no new output line, no count moving), or at the cap, only a safety net.
STALL_SECONDS = 120.0
CAP_SECONDS = 900.0
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
        """Until the demo says it is running; each new line of its output is progress."""
        try:
            wait_while_moving(
                lambda: any(line.startswith("makerline is running") for line in self.lines),
                lambda: len(self.lines),
                "the demo to start",
                stopped=lambda: self.process.poll() is not None,
            )
        except AssertionError as error:
            self.reader.join(timeout=5)
            pytest.fail(f"{error}; the demo said:\n{self.output}")

    def tokens(self) -> dict[str, list[str]]:
        by_role: dict[str, list[str]] = {}
        for line in self.lines:
            if match := TOKEN_LINE.match(line):
                by_role.setdefault(match.group(1), []).append(match.group(3))
        return by_role

    def get(self, token: str, path: str) -> httpx.Response:
        return httpx.get(
            f"{self.api_url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30
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


def wait_while_moving(
    done: Callable[[], object],
    progress: Callable[[], object],
    what: str,
    stopped: Callable[[], bool] = lambda: False,
) -> None:
    """Until `done`; fails when `stopped`, after STALL_SECONDS in which `progress` did not
    change, or at the cap."""
    started = last_move = time.monotonic()
    seen = progress()
    while not done():
        if stopped():
            raise AssertionError(f"stopped while waiting for {what}")
        now = time.monotonic()
        if (current := progress()) != seen:
            seen, last_move = current, now
        if now - last_move > STALL_SECONDS or now - started > CAP_SECONDS:
            raise AssertionError(
                f"waited {now - started:.0f} s for {what}, the last {now - last_move:.0f} s "
                f"without progress (at {seen!r})"
            )
        time.sleep(0.5)


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
        "mail catcher and SMS recorder (loopback) … ok",
        "orchestrator … ok",
        "sender of messages … ok",
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

    def production() -> tuple[object, ...]:
        """What moves while the demo works: jobs by status, printers online and printing,
        deliveries, and the OctoPrint printer's state (a loaded machine is only slower)."""
        figures = board(demo, coordinator)
        octoprint = demo.get(coordinator, f"/printers/{octoprint_printer}/status").json()
        return (
            sorted(figures["jobs_by_status"].items()),
            figures["printers"],
            [(p["item"], p["delivered"]) for p in figures["products"]],
            octoprint.get("state"),
            octoprint.get("progress"),
        )

    def delivered_visors() -> int:
        figures = board(demo, coordinator)
        return next(p["delivered"] for p in figures["products"] if p["item"] == "visor")

    wait_while_moving(
        lambda: (
            demo.get(coordinator, f"/printers/{octoprint_printer}/status").json()["state"]
            == "printing"
        ),
        production,
        "the OctoPrint printer to print its job through its agent",
    )
    wait_while_moving(
        lambda: board(demo, coordinator)["jobs_by_status"].get("done", 0) > 0,
        production,
        "a job done",
    )
    wait_while_moving(lambda: delivered_visors() > 0, production, "visors delivered")
    assert any("delivered" in line and "visors" in line for line in demo.lines)

    # The messages land where the demo says: e-mails as files, SMS as lines.
    assert "Messages : demo/mail/ (e-mails), demo/sms.log (SMS)" in demo.output
    mail, sms_log = demo.data_dir / "mail", demo.data_dir / "sms.log"

    def mails() -> list[dict[str, str]]:
        found = []
        for path in sorted(mail.glob("*.eml")):
            letter = message_from_bytes(path.read_bytes(), policy=default_policy)
            assert isinstance(letter, EmailMessage)
            found.append({"to": str(letter["To"]), "body": letter.get_content()})
        return found

    def camille_told() -> bool:
        return any(m["to"] == "camille.lefebvre@example.org" for m in mails())

    def messages() -> tuple[object, ...]:
        return (len(mails()), sms_log.read_text().count("\n"), production())

    # She clears her beds once told (the others at once): her "bed to clear" arrives.
    wait_while_moving(camille_told, messages, "Camille's bed-to-clear e-mail")
    wait_while_moving(lambda: "+33639980101" in sms_log.read_text(), messages, "an SMS")
    assert all(demo.board_url in m["body"] for m in mails())  # links open the demo's board
    assert "/unsubscribe/" in mails()[0]["body"]

    children = descendants(demo.process.pid)
    # broker, API, orchestrator, sender, the printers (two simulators), OctoPrint, agent, board
    assert len(children) >= 9
    assert demo.stop(signal.SIGINT) == 0
    assert "stopped 9 processes" in demo.output
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
    assert "stopped 6 processes" in demo.output
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
