"""`makerline agent` as a new maker types it, README steps 3 to 5 (issue 14, point 6).

Found: `makerline agent status` and `makerline agent clear` failed with "Invalid agent
settings … Field required", even from the config's folder. Now `enrol` without --config
writes ~/.config/makerline/agent.toml, and `makerline agent`, `status` and `clear` find it,
and the running agent's socket, from any folder. Real commands, in a maker's shell with
nothing set but HOME, against the real API, Mosquitto and OctoPrint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Network
from tests.printers.test_agent import wait_state
from tests.printers.test_agent_config import home
from tests.realparts import Mosquitto, MqttRecorder, OctoPrintServer

pytestmark = pytest.mark.slow

MAKERLINE = str(Path(sys.executable).with_name("makerline"))
# Fixtures are found by their name in the module: this one is imported for pytest.
__all__ = ["home"]


def makers_shell(home: Path) -> dict[str, str]:
    """The environment of a maker who set nothing up but their home folder."""
    unset = ("XDG_", "MAKERLINE_AGENT_")
    return {k: v for k, v in os.environ.items() if not k.startswith(unset)} | {"HOME": str(home)}


def agent_command(home: Path, cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAKERLINE, "agent", *arguments],
        cwd=cwd,
        env=makers_shell(home),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_enrol_run_status_and_clear_need_no_config_path_from_any_folder(
    live_server: str,
    network: Network,
    mosquitto: Mosquitto,
    idle_octoprint: OctoPrintServer,
    recorders: Callable[..., MqttRecorder],
    home: Path,
    tmp_path: Path,
) -> None:
    clone, desktop, elsewhere = (tmp_path / name for name in ("clone", "desktop", "elsewhere"))
    for folder in (clone, desktop, elsewhere):
        folder.mkdir()
    service = recorders(mosquitto.port, ["makerline/#"])

    enrolled = agent_command(
        home,
        clone,
        *["enrol", "--api-url", live_server, "--token", network.maker],
        *["--name", "Prusa MK3S de Camille", "--bed", "250x210x210"],
        *["--broker-url", mosquitto.url, "--octoprint-url", idle_octoprint.url],
        *["--octoprint-api-key", idle_octoprint.api_key],
    )
    assert enrolled.returncode == 0, enrolled.stderr
    config = home / ".config/makerline/agent.toml"
    assert f"wrote {config}" in enrolled.stdout
    assert enrolled.stdout.endswith("start the agent: makerline agent\n")
    printer_id = str(tomllib.loads(config.read_text())["printer_id"])

    with open(tmp_path / "agent.log", "wb") as log:
        agent = subprocess.Popen(
            [MAKERLINE, "agent"], cwd=clone, env=makers_shell(home), stdout=log, stderr=log
        )
        try:
            wait_state(service, printer_id, "idle", timeout=60)
            status = agent_command(home, desktop, "status")
            assert (status.returncode, status.stdout) == (0, f"printer {printer_id}: idle\n")
            cleared = agent_command(home, elsewhere, "clear")
            assert (cleared.returncode, cleared.stderr) == (0, "")
            assert "already marked clear" in cleared.stdout
            state = home / f".local/state/makerline/printer-{printer_id}"
            assert (state / "agent.sock").is_socket()
        finally:
            agent.terminate()
            agent.wait(timeout=20)

    stopped = agent_command(home, desktop, "status")
    assert stopped.returncode == 1
    assert "start it with `makerline agent`" in stopped.stderr
    # Nothing was left in the folders the commands ran from.
    assert [path for folder in (clone, desktop, elsewhere) for path in folder.iterdir()] == []


def test_asking_an_agent_before_enrolling_says_to_enrol(tmp_path: Path) -> None:
    done = agent_command(tmp_path / "home", tmp_path, "status")
    assert done.returncode == 2
    assert f"No agent config at {tmp_path}/home/.config/makerline/agent.toml" in done.stderr
    assert "makerline agent enrol" in done.stderr
    assert "Field required" not in done.stderr
