"""Defect reports on a batch, from its label's public page (anonymous) and from the health
centre it was delivered to, on SQLite and PostgreSQL: the coordinator sees each with the
batch's trace, the board raises an alert, and a hold from the report silences it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.conftest import Network
from tests.test_labels import decoded_qr_codes, delivered_visors, token_of
from tests.test_production_flow import get, post


def alerts_of(client: TestClient, network: Network, kind: str) -> list[dict]:
    board = get(client, network.coordinator, "/board").json()
    return [alert for alert in board["alerts"] if alert["kind"] == kind]


def test_a_carer_reports_a_defect_from_the_label_anonymously(
    client: TestClient, network: Network, engine: Engine
) -> None:
    batch_id, _ = delivered_visors(client, network)
    token = token_of(engine, batch_id)
    sent = client.post(
        f"/b/{token}/defect",
        data={"text": "  Fissure sur le serre-tête  ", "contact": "marie@example.org"},
    )
    assert sent.status_code == 200
    assert "Merci" in sent.text and 'id="reported"' in sent.text

    reports = get(client, network.coordinator, "/defects").json()
    assert len(reports) == 1
    report = reports[0]
    assert (report["batch_id"], report["source"], report["centre_id"]) == (batch_id, "public", None)
    assert report["text"] == "Fissure sur le serre-tête"
    assert report["trace"]["makers"] == ["Camille"]
    with engine.connect() as connection:  # the contact was never kept
        stored = connection.execute(text("SELECT * FROM defectreport")).mappings().one()
    assert "marie@example.org" not in str(dict(stored))

    (alert,) = alerts_of(client, network, "defect_reported")
    assert alert["params"]["batch_id"] == batch_id
    assert alert["params"]["report_id"] == report["id"]


def test_the_public_form_is_bounded_and_rate_limited(
    client: TestClient, network: Network, engine: Engine
) -> None:
    batch_id, _ = delivered_visors(client, network)
    token = token_of(engine, batch_id)
    assert client.post(f"/b/{token}/defect", data={"text": "  "}).status_code == 400
    assert client.post(f"/b/{token}/defect", data={"text": "x" * 1001}).status_code == 422
    assert (
        client.post("/b/AAAAAAAAAAAAAAAAAAAAAA/defect", data={"text": "cassé"}).status_code == 404
    )
    answers = [
        client.post(f"/b/{token}/defect", data={"text": f"élastique cassé {n}"}).status_code
        for n in range(6)
    ]
    # Five tries an hour per address, the refused short one included.
    assert answers == [200] * 4 + [429, 429]
    assert len(get(client, network.coordinator, "/defects").json()) == 4


def test_a_centre_reports_only_on_a_batch_it_received(client: TestClient, network: Network) -> None:
    batch_id, _ = delivered_visors(client, network)
    body = {"batch_id": batch_id, "text": "Le film se détache"}
    sent = post(client, network.centre, "/defects", body)
    assert sent.status_code == 201, sent.text
    assert (sent.json()["source"], sent.json()["centre_name"]) == ("centre", "CH Abbeville")

    assert post(client, network.other_centre, "/defects", body).status_code == 403
    assert post(client, network.maker, "/defects", body).status_code == 403
    unknown = post(client, network.centre, "/defects", {**body, "batch_id": 999_999})
    assert unknown.status_code == 404
    assert post(client, network.centre, "/defects", {**body, "text": "x" * 1001}).status_code == 422
    assert post(client, network.centre, "/defects", {**body, "text": " a "}).status_code == 422
    assert get(client, network.centre, "/defects").status_code == 403

    listed = get(client, network.coordinator, "/defects", params={"batch_id": batch_id}).json()
    assert [report["text"] for report in listed] == ["Le film se détache"]


def test_holding_the_batch_from_the_report_silences_its_alert(
    client: TestClient, network: Network
) -> None:
    """The coordinator's button on the report calls the quarantine's `POST /holds`."""
    batch_id, _ = delivered_visors(client, network)
    report = post(client, network.centre, "/defects", {"batch_id": batch_id, "text": "Fissure"})
    assert len(alerts_of(client, network, "defect_reported")) == 1
    hold = post(
        client,
        network.coordinator,
        "/holds",
        {"scope": "batch", "id": batch_id, "reason": f"defect report #{report.json()['id']}"},
    )
    assert hold.status_code == 201, hold.text
    assert alerts_of(client, network, "defect_reported") == []
    assert "quarantaine" in client.get(f"/b/{token_of_client(client, network, batch_id)}").text


def token_of_client(client: TestClient, network: Network, batch_id: int) -> str:
    """The batch's token, read back from its label's QR address through the API's PDF."""
    pdf = get(client, network.coordinator, f"/batches/{batch_id}/labels.pdf").content
    return decoded_qr_codes(pdf)[0].rsplit("/", 1)[1]
