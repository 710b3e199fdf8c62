"""`makerline agent enrol` against the real API: it registers the printer, writes a
config the agent loads (with the API's address, where alone it sends its token), signs a
maker up when asked, does nothing the second time, and says what the service answered
when it refuses."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from printers.agent.config import load_agent_settings
from printers.agent.enrol import EnrolError, Enrolment, enrol, parse_bed
from tests.conftest import Network, bearer
from tests.realparts import REPO


def enrolment(api_url: str, config: Path, **who: str) -> Enrolment:
    return Enrolment(
        api_url=api_url,
        printer={"name": "Prusa MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210},
        broker_url="mqtt://broker.example.org:1883",
        octoprint_url="http://127.0.0.1:5000",
        octoprint_api_key="OCTOPRINT-KEY-0123456789",
        config=config,
        state_dir=config.parent / "state",
        **who,  # type: ignore[arg-type]
    )


def test_a_maker_enrols_a_printer_the_agent_can_run_with(
    live_server: str, network: Network, tmp_path: Path
) -> None:
    config = tmp_path / "agent.toml"
    with httpx.Client(timeout=10) as http:
        enrolled = enrol(enrolment(live_server, config, maker_token=network.maker), http)
        again = enrol(enrolment(live_server, config, maker_token=network.maker), http)
        printers = http.get(f"{live_server}/api/v1/printers", headers=bearer(network.maker)).json()

    assert enrolled.created and not again.created
    assert again.printer_id == enrolled.printer_id
    assert [str(p["id"]) for p in printers] == [enrolled.printer_id]
    settings = load_agent_settings(config)
    assert (settings.printer_id, settings.broker.username) == (
        enrolled.printer_id,
        f"printer-{enrolled.printer_id}",
    )
    assert settings.printer_token.startswith("mkl_")
    assert settings.api_url == live_server  # the one place the agent sends its token
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_enrolling_can_sign_a_new_maker_up(live_server: str, tmp_path: Path) -> None:
    with httpx.Client(timeout=10) as http:
        enrolled = enrol(enrolment(live_server, tmp_path / "a.toml", signup_name="Inès"), http)
        assert enrolled.maker_token is not None
        me = http.get(f"{live_server}/api/v1/me", headers=bearer(enrolled.maker_token)).json()
    assert (me["name"], me["role"]) == ("Inès", "maker")


def test_a_printer_refused_after_signing_up_still_gives_the_maker_token(
    live_server: str, tmp_path: Path
) -> None:
    refused = enrolment(live_server, tmp_path / "agent.toml", signup_name="Hugo")
    refused = replace(refused, printer=refused.printer | {"bed_x_mm": -1})
    with httpx.Client(timeout=10) as http:
        with pytest.raises(EnrolError) as error:
            enrol(refused, http)
        token = re.search(r"mkl_\S+(?=\.)", str(error.value))
        assert token is not None
        me = http.get(f"{live_server}/api/v1/me", headers=bearer(token.group(0))).json()
    assert "answered 422" in str(error.value)
    assert me["name"] == "Hugo"


def test_a_refusal_says_what_the_service_answered(live_server: str, tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    with httpx.Client(timeout=10) as http, pytest.raises(EnrolError, match="answered 401"):
        enrol(enrolment(live_server, config, maker_token="mkl_not-a-token"), http)
    assert not config.exists()


@pytest.mark.parametrize("text", ["250x210", "250 x 210 x 210", "x210x210", "-1x2x3"])
def test_a_bed_size_must_read_x_by_y_by_z(text: str) -> None:
    with pytest.raises(ValueError, match="250x210x210"):
        parse_bed(text)


def test_the_command_line_enrols_and_prints_the_next_step(
    live_server: str, network: Network, tmp_path: Path
) -> None:
    config = tmp_path / "agent.toml"
    command = [sys.executable, "-m", "orchestrator.cli", "agent", "enrol"]
    command += ["--api-url", live_server, "--token", network.maker, "--name", "Ender 3"]
    command += ["--bed", "220x220x250", "--broker-url", "mqtt://127.0.0.1:1883"]
    command += ["--octoprint-api-key", "KEY-0123456789abcdef", "--config", str(config)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"makerline agent --config {config}" in done.stdout
    assert load_agent_settings(config).octoprint_api_key == "KEY-0123456789abcdef"
