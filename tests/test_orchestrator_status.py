"""`makerline orchestrator-status`, compose's healthcheck for the orchestrator: it reads
the retained service status on the broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from tests.realparts import REPO, Mosquitto, MqttRecorder


def status(broker_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "orchestrator-status", "--timeout", "2"],
        cwd=REPO,
        env=os.environ | {"MAKERLINE_MQTT_URL": broker_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_online_only_while_an_orchestrator_says_so(
    mosquitto: Mosquitto, recorders: Callable[..., MqttRecorder]
) -> None:
    assert status(mosquitto.url).returncode == 1  # nothing retained yet
    recorder = recorders(mosquitto.port, [])
    recorder.publish("makerline/service/status", b'{"v": 1, "state": "online"}', retain=True)
    online = status(mosquitto.url)
    assert (online.returncode, online.stdout.strip()) == (0, "an orchestrator is online")
    recorder.publish("makerline/service/status", b'{"v": 1, "state": "offline"}', retain=True)
    assert status(mosquitto.url).returncode == 1


def test_an_unreachable_broker_is_not_online() -> None:
    assert status("mqtt://127.0.0.1:9").returncode == 1
