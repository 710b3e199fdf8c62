"""Issue 13, point 5: in production, start-up refuses every weak secret, naming it.

Found: `MAKERLINE_ENVIRONMENT=production` started with `CHANGE-ME` as secret, coordinator
token and invite code; `Bearer CHANGE-ME` was then a coordinator.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.core.config import SettingsError, load_settings, weak_secret

STRONG = {
    "secret": "q7VnN3x1-4bX0rMzKp9WcD2sYf",
    "coordinator_token": "mkl_Z8vQ2nL5tR1wK9pXcB4mJ7hD",
    "invite_code": "abbeville-somme-2020-visieres",
    "mqtt_url": "mqtt://makerline-service:Zq84nNv2Lx0Pw7RcTk3m@mosquitto:1883",
}


def production(**changes: str) -> dict[str, str]:
    return {"environment": "production", **STRONG, **changes}


def test_strong_secrets_start(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, **production())
    assert settings.environment == "production"


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("secret", "MAKERLINE_SECRET"),
        ("coordinator_token", "MAKERLINE_COORDINATOR_TOKEN"),
        ("invite_code", "MAKERLINE_INVITE_CODE"),
    ],
)
@pytest.mark.parametrize("value", ["CHANGE-ME", "Change_Me-please-now", "", "k3y-9", "x" * 40])
def test_each_weak_secret_is_refused_by_name(field: str, variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(**production(**{field: value}))
    assert variable in str(refused.value)
    if value:
        assert value not in str(refused.value)  # the message does not repeat a secret


@pytest.mark.parametrize(
    "mqtt_url",
    ["mqtt://mosquitto:1883", "mqtt://svc:CHANGE-ME@mosquitto:1883", "mqtt://svc:pw@mosquitto"],
)
def test_a_weak_or_missing_broker_password_is_refused(mqtt_url: str) -> None:
    with pytest.raises(SettingsError, match="broker password in MAKERLINE_MQTT_URL"):
        load_settings(**production(mqtt_url=mqtt_url))


def test_placeholders_are_recognised_in_any_case() -> None:
    for placeholder in ("CHANGE-ME", "change-me", "ChangeMe", "CHANGEME-TO-SOMETHING-LONG"):
        assert weak_secret(placeholder) is not None
    assert weak_secret("password-password-password") is not None
    assert weak_secret(STRONG["secret"]) is None


def test_the_service_does_not_start_with_placeholders(tmp_path: Path) -> None:
    """The real command, as compose runs it, with the values of `.env.example`."""
    environment = {
        "PATH": os.environ["PATH"],
        "MAKERLINE_ENVIRONMENT": "production",
        "MAKERLINE_SECRET": "CHANGE-ME",
        "MAKERLINE_COORDINATOR_TOKEN": "CHANGE-ME",
        "MAKERLINE_INVITE_CODE": "CHANGE-ME",
        "MAKERLINE_MQTT_URL": "mqtt://makerline-service:CHANGE-ME@127.0.0.1:1883",
        "MAKERLINE_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "serve"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    for variable in (
        "MAKERLINE_SECRET",
        "MAKERLINE_COORDINATOR_TOKEN",
        "MAKERLINE_INVITE_CODE",
        "MAKERLINE_MQTT_URL",
    ):
        assert variable in result.stderr
    assert not (tmp_path / "makerline.db").exists()  # refused before touching anything
