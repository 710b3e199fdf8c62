"""A real OctoPrint with its Virtual Printer, headless and offline, for trying makerline
without a printer: `makerline demo --octoprint K`, the compose file's `octoprint` service
and the tests all start it this way.

OctoPrint 1.11.8 is set up before its first start (DESIGN.md, measured here): no setup
wizard or online check, the Virtual Printer on the serial port with auto-connect, the
plugins that call the internet disabled, and an admin user whose API key is known, so an
agent can drive it at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

# Plugins that call the internet or are not needed headless.
DISABLED_PLUGINS = (
    "announcements",
    "tracking",
    "softwareupdate",
    "pluginmanager",
    "errortracking",
    "discovery",
    "achievements",
    "backup",
    "health_check",
    "firmware_check",
    "file_check",
    "pi_support",
)
USER = "maker"


class OctoPrintMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "OctoPrint is not installed beside makerline: install it with "
            f"`{sys.executable} -m pip install 'OctoPrint==1.11.8'` (it needs gcc)"
        )


def octoprint_executable() -> str:
    """The `octoprint` command of this virtual environment, else the one on PATH."""
    beside = Path(sys.executable).with_name("octoprint")
    found = str(beside) if beside.exists() else shutil.which("octoprint")
    if found is None:
        raise OctoPrintMissing()
    return found


def config_yaml() -> str:
    disabled = "".join(f"    - {name}\n" for name in DISABLED_PLUGINS)
    return (
        "server:\n"
        "  firstRun: false\n"
        "  onlineCheck:\n"
        "    enabled: false\n"
        "  pluginBlacklist:\n"
        "    enabled: false\n"
        "serial:\n"
        "  port: VIRTUAL\n"
        "  baudrate: 0\n"
        "  autoconnect: true\n"
        "plugins:\n"
        "  _disabled:\n"
        f"{disabled}"
        "  virtual_printer:\n"
        "    enabled: true\n"
    )


def prepare(basedir: Path, *, api_key: str, password: str) -> None:
    """Write the configuration and add the user with `api_key`, once per base directory."""
    users = basedir / "users.yaml"
    if users.exists() and f"apikey: {api_key}" in users.read_text():
        return
    basedir.mkdir(parents=True, exist_ok=True)
    (basedir / "config.yaml").write_text(config_yaml())
    add_user = ["user", "add", USER, "--password", password, "--admin"]
    subprocess.run(
        [octoprint_executable(), "--basedir", str(basedir), *add_user],
        check=True,
        capture_output=True,
    )
    users.write_text(users.read_text().replace("apikey: null", f"apikey: {api_key}"))


def serve_command(basedir: Path, *, host: str, port: int) -> list[str]:
    command = [octoprint_executable(), "--basedir", str(basedir), "serve"]
    command += ["--host", host, "--port", str(port)]
    if os.geteuid() == 0:
        command.append("--iknowwhatimdoing")  # OctoPrint refuses root without it
    return command


def is_ready(url: str, api_key: str) -> bool:
    """OctoPrint answers and its Virtual Printer is connected (it answers 404 at first)."""
    headers = {"X-Api-Key": api_key}
    try:
        if httpx.get(f"{url}/api/version", headers=headers, timeout=1).status_code != 200:
            return False
        job = httpx.get(f"{url}/api/job", headers=headers, timeout=1)
    except httpx.HTTPError:
        return False
    return job.status_code == 200 and job.json().get("state") == "Operational"


def wait_ready(url: str, api_key: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not is_ready(url, api_key):
        if time.monotonic() > deadline:
            raise TimeoutError(f"OctoPrint at {url} was not operational after {timeout:.0f} s")
        time.sleep(0.2)
