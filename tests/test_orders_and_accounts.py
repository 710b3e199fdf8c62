"""Orders (duplicates, dates), sign-up, printers' secrets and idempotent retries."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.core.sealing import open_sealed
from orchestrator.core.security import hash_token
from orchestrator.database.tables import Account, Printer
from tests.conftest import Network, bearer

API = "/api/v1"
ORDER = {
    "product_key": "visor",
    "quantity": 50,
    "needed_by": (date.today() + timedelta(days=5)).isoformat(),
    "urgency": "critical",
    "delivery_address": "CH Abbeville, service des urgences",
}


def test_the_same_order_twice_in_a_day_is_refused_unless_confirmed(
    client: TestClient, network: Network
) -> None:
    centre = bearer(network.centre)
    first = client.post(f"{API}/orders", json=ORDER, headers=centre)
    assert first.status_code == 201
    again = client.post(f"{API}/orders", json=ORDER, headers=centre)
    assert again.status_code == 409
    assert f"order #{first.json()['id']}" in again.json()["detail"]
    assert "confirm_duplicate" in again.json()["detail"]
    other_quantity = client.post(f"{API}/orders", json=ORDER | {"quantity": 20}, headers=centre)
    assert other_quantity.status_code == 201
    other_centre = client.post(f"{API}/orders", json=ORDER, headers=bearer(network.other_centre))
    assert other_centre.status_code == 201
    confirmed = client.post(
        f"{API}/orders", json=ORDER | {"confirm_duplicate": True}, headers=centre
    )
    assert confirmed.status_code == 201
    assert len(client.get(f"{API}/orders", headers=centre).json()) == 3


def test_an_order_needed_yesterday_is_refused(client: TestClient, network: Network) -> None:
    past = ORDER | {"needed_by": (date.today() - timedelta(days=1)).isoformat()}
    response = client.post(f"{API}/orders", json=past, headers=bearer(network.centre))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "needed_by"]


def test_unknown_product_lists_known_ones(client: TestClient, network: Network) -> None:
    response = client.post(
        f"{API}/orders", json=ORDER | {"product_key": "mask"}, headers=bearer(network.centre)
    )
    assert response.status_code == 404
    assert "amicroche" in response.json()["detail"]


def test_open_signup_gives_a_maker_a_token_stored_only_hashed(
    client: TestClient, engine: Engine
) -> None:
    response = client.post(f"{API}/signup", json={"name": "Léa", "city": "Abbeville"})
    assert response.status_code == 201
    token = response.json()["token"]
    assert client.get(f"{API}/me", headers=bearer(token)).json()["role"] == "maker"
    with Session(engine) as session:
        account = session.exec(select(Account).where(Account.name == "Léa")).one()
        assert account.token_hash == hash_token(token)
        assert token not in repr(account.model_dump())


def test_health_centres_and_coordinators_cannot_self_register(client: TestClient) -> None:
    centre = client.post(f"{API}/signup", json={"name": "Clinique", "role": "health_centre"})
    assert centre.status_code == 403
    invited = client.post(
        f"{API}/signup",
        json={"name": "Clinique", "role": "health_centre", "invite_code": "abbeville-2020"},
    )
    assert invited.status_code == 201
    assert (
        client.post(
            f"{API}/signup",
            json={"name": "x", "role": "coordinator", "invite_code": "abbeville-2020"},
        ).status_code
        == 403
    )


def test_invite_only_signup(client: TestClient) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"signup_mode": "invite"}
    )
    assert client.post(f"{API}/signup", json={"name": "Léa"}).status_code == 403
    assert (
        client.post(f"{API}/signup", json={"name": "Léa", "invite_code": "wrong"}).status_code
        == 403
    )
    assert (
        client.post(
            f"{API}/signup", json={"name": "Léa", "invite_code": "abbeville-2020"}
        ).status_code
        == 201
    )


def test_the_octoprint_key_is_stored_but_never_returned(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    key = "OCTOPRINT-SECRET-KEY-123"
    body = {
        "name": "MK3",
        "bed_x_mm": 250,
        "bed_y_mm": 210,
        "bed_z_mm": 210,
        "octoprint_url": "http://192.0.2.10",
        "octoprint_api_key": key,
        "availability_hours": "08:00-22:00",
    }
    created = client.post(f"{API}/printers", json=body, headers=bearer(network.maker))
    assert created.status_code == 201, created.text
    printer_id = created.json()["id"]
    assert created.json()["mqtt_username"] == f"printer-{printer_id}"
    seen = [
        created.text,
        client.get(f"{API}/printers", headers=bearer(network.maker)).text,
        client.get(f"{API}/printers/{printer_id}", headers=bearer(network.coordinator)).text,
        client.patch(
            f"{API}/printers/{printer_id}",
            json={"octoprint_api_key": "NEW-KEY-456"},
            headers=bearer(network.maker),
        ).text,
    ]
    assert all(key not in text and "NEW-KEY-456" not in text for text in seen)
    with Session(engine) as session:
        printer = session.get(Printer, printer_id)
        assert printer is not None
        assert open_sealed(settings.secret, printer.octoprint_api_key or "") == "NEW-KEY-456"
        assert printer.token_hash == hash_token(created.json()["token"])
        assert (printer.mqtt_password_hash or "").startswith("$7$")


def test_printer_fields_are_validated(client: TestClient, network: Network) -> None:
    maker = bearer(network.maker)
    bad_hours = {
        "name": "MK3",
        "bed_x_mm": 250,
        "bed_y_mm": 210,
        "bed_z_mm": 210,
        "availability_hours": "8h-20h",
    }
    response = client.post(f"{API}/printers", json=bad_hours, headers=maker)
    assert response.status_code == 422
    assert "availability_hours" in response.text
    negative_bed = bad_hours | {"availability_hours": "08:00-20:00", "bed_x_mm": -1}
    assert client.post(f"{API}/printers", json=negative_bed, headers=maker).status_code == 422


def test_a_printer_with_history_cannot_be_deleted(client: TestClient, network: Network) -> None:
    printer = client.post(
        f"{API}/printers",
        headers=bearer(network.maker),
        json={"name": "MK3", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210},
    ).json()
    client.post(
        f"{API}/jobs",
        headers=bearer(network.coordinator),
        json={"part_key": "headband", "copies": 1, "printer_id": printer["id"]},
    )
    refused = client.delete(f"{API}/printers/{printer['id']}", headers=bearer(network.maker))
    assert refused.status_code == 409
    assert "traceable" in refused.json()["detail"]


def test_an_idempotency_key_makes_a_retry_count_once(client: TestClient, network: Network) -> None:
    coordinator = bearer(network.coordinator) | {"Idempotency-Key": "donation-2020-04-02-a"}
    body = {"donor": "Papeterie Picarde", "item": "film_sheet", "quantity": 100}
    first = client.post(f"{API}/donations", json=body, headers=coordinator)
    retry = client.post(f"{API}/donations", json=body, headers=coordinator)
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    stock = client.get(f"{API}/stock", headers=bearer(network.coordinator)).json()
    assert [(s["item"], s["quantity"]) for s in stock] == [("film_sheet", 100)]
    reused = client.post(f"{API}/donations", json=body | {"quantity": 5}, headers=coordinator)
    assert reused.status_code == 422
    assert "different request" in reused.json()["detail"]
    fresh = client.post(
        f"{API}/donations",
        json=body,
        headers=bearer(network.coordinator) | {"Idempotency-Key": "other"},
    )
    assert fresh.status_code == 201
    stock = client.get(f"{API}/stock", headers=bearer(network.coordinator)).json()
    assert stock[0]["quantity"] == 200


def test_a_retried_hand_in_is_declared_once(client: TestClient, network: Network) -> None:
    maker = bearer(network.maker) | {"Idempotency-Key": "hand-in-2020-04-03"}
    body = {"item": "headband", "quantity": 12}
    first = client.post(f"{API}/hand-ins", json=body, headers=maker)
    retry = client.post(f"{API}/hand-ins", json=body, headers=maker)
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    declared = client.get(f"{API}/hand-ins", headers=bearer(network.maker)).json()
    assert [(h["item"], h["quantity"]) for h in declared] == [("headband", 12)]


def test_a_failed_request_does_not_burn_its_idempotency_key(
    client: TestClient, network: Network
) -> None:
    headers = bearer(network.coordinator) | {"Idempotency-Key": "batch-1"}
    body = {"product_key": "visor", "quantity": 1}
    assert client.post(f"{API}/batches", json=body, headers=headers).status_code == 409
    assert client.post(f"{API}/batches", json=body, headers=headers).status_code == 409
