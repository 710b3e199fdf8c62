"""Settings: defaults, the MAKERLINE_ prefix, and errors that name the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from orchestrator.core.config import SettingsError, load_settings


def test_defaults_use_sqlite_in_the_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAKERLINE_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.effective_database_url == "sqlite:///data/makerline.db"
    assert settings.mqtt_url == "mqtt://127.0.0.1:1883"


def test_environment_variables_use_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAKERLINE_DATABASE_URL", "postgresql+psycopg://u@db/makerline")
    monkeypatch.setenv("MAKERLINE_MQTT_URL", "mqtt://service:pw@broker:1883")
    settings = load_settings()
    assert settings.effective_database_url == "postgresql+psycopg://u@db/makerline"
    assert settings.mqtt_url == "mqtt://service:pw@broker:1883"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAKERLINE_DATABASE_URL", "mysql://root@localhost/x"),
        ("MAKERLINE_MQTT_URL", "http://broker:1883"),
        ("MAKERLINE_PORT", "not-a-number"),
        ("MAKERLINE_SIGNUP_MODE", "sometimes"),
        ("MAKERLINE_MQTT_TOPIC_PREFIX", "make#rline"),
    ],
)
def test_a_wrong_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert variable in str(raised.value)


def test_production_refuses_the_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAKERLINE_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="MAKERLINE_SECRET"):
        load_settings()


def test_the_command_stops_with_the_variable_name(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "migrate"],
        env={"MAKERLINE_MQTT_URL": "ftp://nowhere", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0
    assert "MAKERLINE_MQTT_URL" in result.stderr
    assert "Traceback" not in result.stderr
