"""The agent's settings: where it fetches G-code from, and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from printers.agent_config import AgentSettingsError, load_agent_settings, write_agent_config

LINK = "https://makerline.example.org/api/v1/jobs/5/gcode?attempt=2"


def config(tmp_path: Path, **extra: str) -> Path:
    path = tmp_path / "agent.toml"
    values = {"printer_id": "3", "printer_token": "mkl_t", "octoprint_api_key": "key"}
    write_agent_config(path, values | extra)
    return path


def test_g_code_links_are_followed_as_given_by_default(tmp_path: Path) -> None:
    assert load_agent_settings(config(tmp_path)).gcode_source(LINK) == LINK


def test_an_agent_beside_the_service_fetches_g_code_on_its_own_address(tmp_path: Path) -> None:
    settings = load_agent_settings(config(tmp_path, api_url="http://api:8000/"))
    assert settings.gcode_source(LINK) == "http://api:8000/api/v1/jobs/5/gcode?attempt=2"


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAKERLINE_AGENT_API_URL", "http://10.0.0.2:8000")
    settings = load_agent_settings(config(tmp_path, api_url="http://api:8000"))
    assert settings.gcode_source(LINK).startswith("http://10.0.0.2:8000/api/v1/")


def test_a_wrong_address_is_named(tmp_path: Path) -> None:
    with pytest.raises(AgentSettingsError, match=r"MAKERLINE_AGENT_API_URL.*must look like http"):
        load_agent_settings(config(tmp_path, api_url="api:8000"))
