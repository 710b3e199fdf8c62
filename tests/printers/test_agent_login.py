"""A new printer's broker login, as it reaches a real Mosquitto (issue 14, point 6).

Found: a new agent logged "broker refused the connection: Not authorized" two or three
times before its login reached the broker: the API rewrites the broker's password file
and Mosquitto reloads it a moment later. The agent now says once that it waits for the
broker to accept the printer, keeps trying, and warns only when the refusal lasts.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from printers.agent import runtime as agent_module
from printers.agent.config import load_agent_settings, write_agent_config
from printers.agent.runtime import Agent
from printers.protocol.broker_auth import (
    mosquitto_password_hash,
    printer_broker_password,
    render_acl_file,
    render_password_file,
)
from tests.printers.test_agent import TOKEN, wait_state
from tests.realparts import AgentProcess, Mosquitto, MqttRecorder, OctoPrintServer, wait_for

pytestmark = pytest.mark.slow

PRINTER_ID = "41"
SERVICE_LOGIN = ("service", "service-password")
WAITING = "waiting for the broker to accept this printer"


class LaggingBroker:
    """Mosquitto with the service's login only, until the printer's is added and the
    broker told to reload, as deploy/mosquitto/run.sh does after the API's rewrite."""

    def __init__(self, workdir: Path) -> None:
        self.passwords = workdir / "passwd"
        self._write([SERVICE_LOGIN])
        acl = workdir / "acl"
        acl.write_text(render_acl_file([PRINTER_ID], SERVICE_LOGIN[0]))
        self.mosquitto = Mosquitto(workdir, password_file=self.passwords, acl_file=acl)
        self.log = workdir / "mosquitto.log"

    def _write(self, logins: list[tuple[str, str]]) -> None:
        entries = [(user, mosquitto_password_hash(password)) for user, password in logins]
        self.passwords.write_text(render_password_file(entries))

    def add_the_printer(self) -> None:
        self._write([SERVICE_LOGIN, (f"printer-{PRINTER_ID}", printer_broker_password(TOKEN))])
        assert self.mosquitto.process is not None
        self.mosquitto.process.send_signal(signal.SIGHUP)

    def refusals(self) -> int:
        """Logins refused so far (Mosquitto logs them without a client id)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count("disconnected, not authorised")


@pytest.fixture
def lagging_broker(tmp_path: Path) -> Iterator[LaggingBroker]:
    workdir = tmp_path / "lagging"
    workdir.mkdir()
    broker = LaggingBroker(workdir)
    broker.mosquitto.start()
    yield broker
    broker.mosquitto.stop()


def test_an_agent_waits_for_the_broker_to_know_its_login_then_connects(
    make_agent: Callable[..., AgentProcess],
    lagging_broker: LaggingBroker,
    idle_octoprint: OctoPrintServer,
    recorders: Callable[..., MqttRecorder],
) -> None:
    user, password = SERVICE_LOGIN
    service = recorders(
        lagging_broker.mosquitto.port, ["makerline/#"], username=user, password=password
    )
    agent = make_agent(
        printer_id=PRINTER_ID,
        broker_url=lagging_broker.mosquitto.url,
        octoprint=idle_octoprint,
        token=TOKEN,
        api_url="http://127.0.0.1:9",
    )
    agent.start()
    wait_for(lambda: lagging_broker.refusals() >= 2, 30, "the broker to refuse twice")

    lagging_broker.add_the_printer()
    wait_state(service, PRINTER_ID, "idle", timeout=60)

    log = agent.log()
    assert log.count(WAITING) == 1
    assert "INFO printers.agent.runtime: " + WAITING in log
    assert "Not authorized" not in log and "refused the connection" not in log
    assert "connected to the broker" in log


def test_a_login_still_refused_after_a_while_is_worth_one_warning(
    lagging_broker: LaggingBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(agent_module, "LOGIN_PATIENCE_SECONDS", 1.0)  # a minute, in production
    config = tmp_path / "agent.toml"
    write_agent_config(
        config,
        {
            "printer_id": PRINTER_ID,
            "printer_token": "mkl_a-token-the-service-never-gave",
            "api_url": "http://127.0.0.1:9",
            "broker_url": lagging_broker.mosquitto.url,
            "octoprint_url": "http://127.0.0.1:9",
            "octoprint_api_key": "key",
            "state_dir": str(tmp_path / "state"),
        },
    )
    agent = Agent(load_agent_settings(config))
    caplog.set_level(logging.INFO, logger="printers.agent.runtime")
    running = threading.Thread(target=agent.run)
    running.start()

    def said(text: str) -> list[logging.LogRecord]:
        return [record for record in caplog.records if text in record.getMessage()]

    try:
        wait_for(lambda: said("still refuses"), 30, "the warning")
        wait_for(lambda: lagging_broker.refusals() >= 4, 30, "two refusals more")
    finally:
        agent.stop()
        running.join(timeout=20)

    assert [record.levelname for record in said(WAITING)] == ["INFO"]
    (warning,) = said("still refuses")
    assert warning.levelname == "WARNING"
    assert f"check printer_id and printer_token in {config}" in warning.getMessage()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
