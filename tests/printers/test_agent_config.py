"""The agent's settings: where it fetches G-code from (and where it will not send its
token), how it logs in to the broker, where its config and state live by default, and
errors that name the setting."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from printers.agent.config import (
    AgentSettingsError,
    GcodeLinkRefused,
    default_config_path,
    load_agent_settings,
    write_agent_config,
)
from printers.protocol.broker_auth import printer_broker_password

API = "https://makerline.example.org"
LINK = f"{API}/api/v1/jobs/5/gcode?attempt=2"


def config(tmp_path: Path, **extra: str) -> Path:
    path = tmp_path / "agent.toml"
    values = {"printer_id": "3", "printer_token": "mkl_t", "octoprint_api_key": "key"}
    write_agent_config(path, values | {"api_url": API} | extra)
    return path


def test_g_code_links_on_the_api_are_followed_as_given(tmp_path: Path) -> None:
    assert load_agent_settings(config(tmp_path)).gcode_download_url(LINK, "5") == LINK


def test_an_agent_beside_the_service_fetches_g_code_on_its_local_address(tmp_path: Path) -> None:
    settings = load_agent_settings(config(tmp_path, api_local_url="http://api:8000/"))
    assert settings.gcode_download_url(LINK, "5") == "http://api:8000/api/v1/jobs/5/gcode?attempt=2"


def test_an_api_under_a_path_takes_links_under_that_path(tmp_path: Path) -> None:
    settings = load_agent_settings(config(tmp_path, api_url=f"{API}/makerline/"))
    link = f"{API}/makerline/api/v1/jobs/5/gcode"
    assert settings.gcode_download_url(link, "5") == link
    with pytest.raises(GcodeLinkRefused):
        settings.gcode_download_url(f"{API}/api/v1/jobs/5/gcode", "5")


@pytest.mark.parametrize(
    "link",
    [
        "https://attacker.example/api/v1/jobs/5/gcode",  # another host
        "http://makerline.example.org/api/v1/jobs/5/gcode",  # another scheme
        "https://makerline.example.org:8443/api/v1/jobs/5/gcode",  # another port
        "https://makerline.example.org.attacker.example/api/v1/jobs/5/gcode",
        "https://makerline.example.org@attacker.example/api/v1/jobs/5/gcode",
        "https://user@makerline.example.org/api/v1/jobs/5/gcode",
        "https://makerline.example.org/api/v1/jobs/6/gcode",  # another job's
        "https://makerline.example.org/api/v1/jobs/5/gcode/../../../accounts",
        "https://makerline.example.org/api/v1/me",
    ],
)
def test_a_link_that_is_not_this_jobs_g_code_on_the_api_is_refused(
    tmp_path: Path, link: str
) -> None:
    settings = load_agent_settings(config(tmp_path, api_local_url="http://api:8000"))
    with pytest.raises(GcodeLinkRefused):
        settings.gcode_download_url(link, "5")


def test_the_default_port_is_the_schemes(tmp_path: Path) -> None:
    settings = load_agent_settings(config(tmp_path))
    link = "https://MAKERLINE.example.org:443/api/v1/jobs/5/gcode"
    assert (
        settings.gcode_download_url(link, "5")
        == "https://makerline.example.org/api/v1/jobs/5/gcode"
    )


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAKERLINE_AGENT_API_LOCAL_URL", "http://10.0.0.2:8000")
    settings = load_agent_settings(config(tmp_path, api_local_url="http://api:8000"))
    assert settings.gcode_download_url(LINK, "5").startswith("http://10.0.0.2:8000/api/v1/")


def test_the_api_address_is_required(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    write_agent_config(path, {"printer_id": "3", "printer_token": "t", "octoprint_api_key": "k"})
    with pytest.raises(AgentSettingsError, match=r"MAKERLINE_AGENT_API_URL.*required"):
        load_agent_settings(path)


@pytest.mark.parametrize("name", ["api_url", "api_local_url"])
@pytest.mark.parametrize("value", ["api:8000", "ftp://api:8000", "https://api:8000/?next=x"])
def test_a_wrong_address_is_named(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(AgentSettingsError, match=rf"MAKERLINE_AGENT_{name.upper()}.*must"):
        load_agent_settings(config(tmp_path, **{name: value}))


def test_the_agent_logs_in_with_the_password_derived_from_its_token(tmp_path: Path) -> None:
    broker = load_agent_settings(config(tmp_path)).broker
    assert (broker.username, broker.password) == ("printer-3", printer_broker_password("mkl_t"))
    assert broker.password != "mkl_t"
    explicit = load_agent_settings(config(tmp_path, broker_password="set-by-hand")).broker
    assert explicit.password == "set-by-hand"


@pytest.fixture
def home() -> Iterator[Path]:
    """A maker's home folder, short like a real one: pytest's own folders are too deep for
    the agent's socket path to fit in a Unix socket's 107 bytes."""
    with tempfile.TemporaryDirectory(prefix="home-") as folder:
        yield Path(folder)


def at_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A maker's account with nothing set but HOME."""
    monkeypatch.setenv("HOME", str(home))
    for variable in list(os.environ):
        if variable.startswith(("XDG_", "MAKERLINE_AGENT_")):
            monkeypatch.delenv(variable)


def test_config_and_state_default_to_the_makers_own_folders(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_home(home, monkeypatch)
    assert default_config_path() == home / ".config/makerline/agent.toml"
    config(home / ".config/makerline")
    settings = load_agent_settings()  # no --config: the default file
    assert settings.printer_id == "3"
    assert settings.control_socket_path == home / ".local/state/makerline/printer-3/agent.sock"

    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    assert load_agent_settings().state_dir == home / "state/makerline/printer-3"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/is/ignored")
    assert default_config_path() == home / ".config/makerline/agent.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_config_path() == tmp_path / "xdg/makerline/agent.toml"
    monkeypatch.setenv("MAKERLINE_AGENT_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert default_config_path() == tmp_path / "elsewhere.toml"
    with pytest.raises(AgentSettingsError, match=r"elsewhere\.toml does not exist"):
        load_agent_settings()


def test_without_a_config_the_message_says_to_enrol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_home(tmp_path, monkeypatch)
    with pytest.raises(AgentSettingsError) as error:
        load_agent_settings()
    assert f"No agent config at {tmp_path}/.config/makerline/agent.toml" in str(error.value)
    assert "makerline agent enrol" in str(error.value)
    assert "Field required" not in str(error.value)


def test_a_state_folder_too_deep_for_the_control_socket_is_named(tmp_path: Path) -> None:
    deep = "/tmp/" + "deep/" * 20
    with pytest.raises(AgentSettingsError, match=r"MAKERLINE_AGENT_STATE_DIR.*too deep"):
        load_agent_settings(config(tmp_path, state_dir=deep))
