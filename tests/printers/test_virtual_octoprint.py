"""`makerline virtual-octoprint`, as compose's `octoprint` service runs it: OctoPrint set
up offline, its Virtual Printer connected, the API key from the environment accepted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from printers.simulated import virtual_octoprint
from tests.ports import free_port
from tests.realparts import REPO

API_KEY = "COMPOSEKEY0123456789ABCDEF"


def run(basedir: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "orchestrator.cli", "virtual-octoprint"]
    command += ["--basedir", str(basedir), "--port", str(port)]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=os.environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_it_serves_an_operational_virtual_printer_with_the_given_key(tmp_path: Path) -> None:
    port = free_port()
    server = run(tmp_path / "octoprint", port, OCTOPRINT_API_KEY=API_KEY, OCTOPRINT_PASSWORD="pw")
    try:
        virtual_octoprint.wait_ready(f"http://127.0.0.1:{port}", API_KEY, timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert not virtual_octoprint.is_ready(f"http://127.0.0.1:{port}", API_KEY)


def test_it_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    server = run(tmp_path / "octoprint", free_port(), OCTOPRINT_API_KEY="", OCTOPRINT_PASSWORD="")
    output, _ = server.communicate(timeout=60)
    assert server.returncode == 2
    assert b"OCTOPRINT_API_KEY" in output
