"""Issue 13, point 6: sign-up, tokens and brute force, against the running service.

Found: 300 wrong invite codes in a row, then the right one, gave 201; 200 anonymous
sign-ups in 21 s all got printers; tokens could be neither rotated nor revoked.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest

from orchestrator.core.config import Settings
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto, wait_for

API = "/api/v1"
SERVICE_PASSWORD = "service-password-for-tests"
PRINTER = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """Broker files written on every printer change, as in production."""
    return settings.model_copy(
        update={
            "broker_auth_dir": tmp_path / "broker-auth",
            "mqtt_url": f"mqtt://makerline-service:{SERVICE_PASSWORD}@127.0.0.1:9",
        }
    )


def test_wrong_invite_codes_are_slowed_down_even_before_the_right_one(
    live_server: str, settings: Settings
) -> None:
    centre = {"name": "CH Abbeville", "role": "health_centre"}
    with httpx.Client(base_url=live_server) as http:
        codes = [
            http.post(f"{API}/signup", json=centre | {"invite_code": f"guess-{n}"}).status_code
            for n in range(5)
        ]
        right = http.post(f"{API}/signup", json=centre | {"invite_code": settings.invite_code})
    assert codes == [403] * 5
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0
    assert "invite codes" in right.json()["detail"]


def test_anonymous_signups_are_limited_per_address(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as http:
        codes = [
            http.post(f"{API}/signup", json={"name": f"Bot {n}", "role": "maker"}).status_code
            for n in range(8)
        ]
    assert codes[:5] == [201] * 5
    assert codes[5:] == [429] * 3


def test_wrong_tokens_are_slowed_down(live_server: str, network: Network) -> None:
    with httpx.Client(base_url=live_server) as http:
        codes = [
            http.get(f"{API}/me", headers=bearer(f"mkl_guess_{n}")).status_code for n in range(21)
        ]
        after = http.get(f"{API}/me", headers=bearer(network.maker))
    assert codes[:20] == [401] * 20
    assert codes[20] == 429
    assert after.status_code == 429  # the address waits, whatever it sends
    assert "Retry-After" in after.headers


def test_an_account_rotates_and_revokes_its_token(live_server: str, network: Network) -> None:
    with httpx.Client(base_url=live_server) as http:
        rotated = http.post(f"{API}/me/token", headers=bearer(network.maker))
        assert rotated.status_code == 200
        new = rotated.json()["token"]
        assert rotated.json()["maker_id"] == network.maker_id
        assert http.get(f"{API}/me", headers=bearer(network.maker)).status_code == 401
        assert http.get(f"{API}/me", headers=bearer(new)).status_code == 200

        assert http.delete(f"{API}/me/token", headers=bearer(new)).status_code == 204
        assert http.get(f"{API}/me", headers=bearer(new)).status_code == 401


def test_the_coordinator_rotates_and_revokes_anyones_token(
    live_server: str, network: Network
) -> None:
    account_id = network.centre_id
    with httpx.Client(base_url=live_server) as http:
        # Nobody else may.
        for token in (network.maker, network.other_centre):
            refused = http.post(f"{API}/accounts/{account_id}/token", headers=bearer(token))
            assert refused.status_code == 403
        revoked = http.delete(
            f"{API}/accounts/{account_id}/token", headers=bearer(network.coordinator)
        )
        assert revoked.status_code == 204
        assert http.get(f"{API}/orders", headers=bearer(network.centre)).status_code == 401
        rotated = http.post(
            f"{API}/accounts/{account_id}/token", headers=bearer(network.coordinator)
        )
        assert rotated.status_code == 200
        assert http.get(f"{API}/orders", headers=bearer(rotated.json()["token"])).status_code == 200


def broker_accepts(port: int, username: str, password: str) -> bool:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, f"check-{username}-{password[-6:]}")
    client.username_pw_set(username, password)
    answers: list[bool] = []
    client.on_connect = lambda c, u, f, reason_code, p: answers.append(not reason_code.is_failure)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        wait_for(lambda: answers, 10, "CONNACK")
    finally:
        client.disconnect()
        client.loop_stop()
    return answers[0]


def test_a_printers_token_is_rotated_and_revoked_on_the_api_and_the_broker(
    live_server: str, network: Network, settings: Settings, tmp_path: Path
) -> None:
    assert settings.broker_auth_dir is not None
    with httpx.Client(base_url=live_server) as http:
        created = http.post(f"{API}/printers", json=PRINTER, headers=bearer(network.maker)).json()
        printer_id = created["id"]
        user, first_login = created["mqtt_username"], created["mqtt_password"]

        workdir = tmp_path / "mosquitto"
        workdir.mkdir()
        broker = Mosquitto(
            workdir,
            password_file=settings.broker_auth_dir / "passwd",
            acl_file=settings.broker_auth_dir / "acl",
        )
        broker.start()
        try:
            assert broker_accepts(broker.port, user, first_login)

            # Another maker may not touch it; its owner may.
            stranger = http.post(
                f"{API}/printers/{printer_id}/token", headers=bearer(network.other_maker)
            )
            assert stranger.status_code == 403
            rotated = http.post(f"{API}/printers/{printer_id}/token", headers=bearer(network.maker))
            assert rotated.status_code == 200
            second, second_login = rotated.json()["token"], rotated.json()["mqtt_password"]
            assert second_login != first_login
            assert broker.process is not None
            broker.process.send_signal(signal.SIGHUP)  # what deploy/mosquitto/run.sh does
            wait_for(lambda: not broker_accepts(broker.port, user, first_login), 10, "old refused")
            assert broker_accepts(broker.port, user, second_login)

            revoked = http.delete(
                f"{API}/printers/{printer_id}/token", headers=bearer(network.coordinator)
            )
            assert revoked.status_code == 204
            broker.process.send_signal(signal.SIGHUP)
            wait_for(lambda: not broker_accepts(broker.port, user, second_login), 10, "revoked")
        finally:
            broker.stop()
        # The G-code door is shut too: a printer token is refused once revoked.
        answer = http.get(f"{API}/jobs/1/gcode", headers=bearer(second))
        assert answer.status_code == 401
