"""What the benchmarks that run a real stack share: free ports and waiting, child processes
and their CPU and memory from /proc, a Mosquitto and a database of their own, percentiles.

The scripts run as `python bench/NAME.py`, which puts this folder on the path; pytest puts
it there too (`pythonpath` in pyproject.toml), for the smoke tests that import them.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition: Callable[[], T], timeout: float, what: str, step: float = 0.05) -> T:
    """The condition's first truthy answer; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def percentile(values: list[float], share: float) -> float:
    """Nearest rank; NaN without values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


# --- child processes ------------------------------------------------------------------


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM, and SIGKILL if it has not ended within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def cpu_seconds(pid: int | None) -> float:
    """utime + stime of a live process, from /proc (Linux); 0 when it is gone."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int | None) -> float:
    """Resident memory of a live process, from /proc (Linux); 0 when it is gone."""
    if pid is None:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# --- a broker and a database of the bench's own ---------------------------------------


@contextlib.contextmanager
def mosquitto(
    workdir: Path, max_queued_messages: int
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A Mosquitto on a free loopback port: (port, process).

    Mosquitto's default queue (1,000 messages) drops QoS 1 messages to a subscriber that
    falls behind (DESIGN.md): the benches raise it, so that a slow reader shows as lag."""
    port = free_port()
    config = workdir / "mosquitto.conf"
    config.write_text(
        "\n".join(
            [
                f"listener {port} 127.0.0.1",
                "allow_anonymous true",
                f"max_queued_messages {max_queued_messages}",
                "max_connections -1",
                "persistence false",
                # Started as root, mosquitto would switch to its own user.
                "user root",
                f"log_dest file {workdir}/mosquitto.log",
                "log_type error",
                "log_type warning",
            ]
        )
        + "\n"
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    # Its own session: Ctrl-C reaches the bench only, which stops the children in order.
    process = subprocess.Popen(
        [binary, "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: port_open(port), 10, f"mosquitto on port {port}")
        yield port, process
    finally:
        stop_process(process)


@contextlib.contextmanager
def fresh_database(workdir: Path, server_url: str | None) -> Iterator[str]:
    """A new SQLite file, or a throwaway database on the PostgreSQL server given."""
    if server_url is None:
        yield f"sqlite:///{workdir / 'makerline.db'}"
        return
    import psycopg

    admin_url = server_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"makerline_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
