"""Issue 14, point 6: a printer's broker password is not its API token.

Found: a printer's broker password was its API token, which also fetches its G-code and
reaches the API as that printer, and the OctoPrint-MQTT plugin writes its broker password
into OctoPrint's log at INFO on a settings change. The broker password is now derived from
the token one way (HMAC-SHA256 keyed by the token): a leaked log lets one speak on the
broker as that printer, within its ACL, and nothing more.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from orchestrator.core.config import Settings
from printers.protocol.broker_auth import printer_broker_password
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto
from tests.security.test_signup_and_tokens import PRINTER, broker_accepts, settings

API = "/api/v1"
# Fixtures are found by their name in the module: this one is imported for pytest.
__all__ = ["settings"]


def test_the_broker_password_is_derived_from_the_token_and_tells_itself_apart() -> None:
    token = "mkl_" + "7" * 43
    password = printer_broker_password(token)
    assert password == printer_broker_password(token)  # the agent and the service agree
    assert password.startswith("mqb_") and token[4:] not in password
    assert printer_broker_password(token[:-1] + "8") != password
    # Pinned: an agent and a service of different versions must derive the same password.
    assert (
        printer_broker_password("mkl_example") == "mqb_K3dwBxl0YO_S3eglJKH9QS87xyPA-g7iGLVUeBgM_rk"
    )


def test_the_broker_password_logs_in_to_the_broker_and_nowhere_else(
    live_server: str, network: Network, settings: Settings, tmp_path: Path
) -> None:
    assert settings.broker_auth_dir is not None
    with httpx.Client(base_url=live_server) as http:
        created = http.post(f"{API}/printers", json=PRINTER, headers=bearer(network.maker))
    assert created.status_code == 201
    token, user = created.json()["token"], created.json()["mqtt_username"]
    password = created.json()["mqtt_password"]
    assert password == printer_broker_password(token) != token
    stored = (settings.broker_auth_dir / "passwd").read_text()
    assert user in stored and token not in stored and password not in stored

    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    broker = Mosquitto(
        workdir,
        password_file=settings.broker_auth_dir / "passwd",
        acl_file=settings.broker_auth_dir / "acl",
    )
    broker.start()
    try:
        assert broker_accepts(broker.port, user, password)
        assert not broker_accepts(broker.port, user, token)
    finally:
        broker.stop()

    with httpx.Client(base_url=live_server) as http:
        # The broker password is nobody on the API: not the printer, not its maker...
        for path in ("/jobs/1/gcode", "/me", "/printers"):
            answer = http.get(f"{API}{path}", headers=bearer(password))
            assert answer.status_code == 401, path
        # ...while the token still is the printer (no such job, but the door opens).
        assert http.get(f"{API}/jobs/1/gcode", headers=bearer(token)).status_code == 404
