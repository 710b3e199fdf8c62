"""compose's Mosquitto, run for real outside Docker: deploy/mosquitto/mosquitto.conf and
run.sh with the files `makerline broker-files` writes. Anonymous clients are refused, the
service logs in, and a printer registered after the start can log in once the API has
rewritten the files, which run.sh reloads."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.core.config import Settings, load_settings
from orchestrator.link.broker_files import write_broker_files
from tests.conftest import makers_printer
from tests.ports import free_port
from tests.realparts import MOSQUITTO, REPO, port_open, wait_for

DEPLOY = REPO / "deploy" / "mosquitto"
SERVICE_USER, SERVICE_PASSWORD = "makerline-service", "service-password"


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
class BrokerLayout:
    root: Path  # compose's /mosquitto: config/ (the repository's files), auth/, data/
    port: int

    @property
    def run_sh(self) -> list[str]:
        return ["/bin/sh", str(self.root / "config" / "run.sh")]

    @property
    def env(self) -> dict[str, str]:
        return {"MOSQUITTO_ROOT": str(self.root), "PATH": f"{Path(MOSQUITTO).parent}:/usr/bin:/bin"}


@pytest.fixture
def layout(tmp_path: Path) -> BrokerLayout:
    root = tmp_path / "mosquitto"
    shutil.copytree(DEPLOY, root / "config")
    (root / "auth").mkdir()
    (root / "data").mkdir()
    port = free_port()
    conf = root / "config" / "mosquitto.conf"
    text = conf.read_text().replace("/mosquitto/", f"{root}/")
    # Outside Docker, as root, Mosquitto would switch to its own user and not read tmp.
    conf.write_text(text.replace("listener 1883", f"listener {port} 127.0.0.1\nuser root"))
    return BrokerLayout(root, port)


def start(layout: BrokerLayout) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        layout.run_sh, env=layout.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    wait_for(
        lambda: port_open(layout.port) or process.poll() is not None, 10, "mosquitto to listen"
    )
    assert process.poll() is None, process.stdout.read() if process.stdout else b""
    return process


def stop(process: subprocess.Popen[bytes]) -> bytes:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    return output


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
            username = f"printer-{printer.id}"
            assert not connects(port, username, printer.token)  # not in the files yet
            write_broker_files(session, settings_with_service_login, auth)
        wait_for(lambda: connects(port, username, printer.token), 20, "run.sh to reload", 1.0)
    finally:
        output = stop(process)
    assert process.returncode == 0
    assert b"reloaded the password and ACL files" in output
