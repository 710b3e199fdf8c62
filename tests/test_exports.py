"""The treasurer's CSV exports, on SQLite and PostgreSQL: deliveries with their batches,
donations, each maker's contribution over a period; every cell safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from orchestrator.services.local_days import local_today
from tests.conftest import Network
from tests.test_labels import delivered_visors
from tests.test_production_flow import get, printed, printer_for


def rows(client: TestClient, token: str, path: str, **params: str) -> list[dict[str, str]]:
    answer = get(client, token, path, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_deliveries_carry_their_batches_in_the_api_and_the_csv(
    client: TestClient, network: Network
) -> None:
    batch_id, delivery_id = delivered_visors(client, network)
    (seen,) = get(client, network.centre, "/deliveries").json()
    assert seen["batches"] == [{"batch_id": batch_id, "quantity": 6}]
    (line,) = rows(client, network.coordinator, "/deliveries.csv")
    assert (line["delivery_id"], line["batches"]) == (str(delivery_id), f"{batch_id}:6")
    (line,) = rows(client, network.coordinator, "/exports/deliveries.csv")
    assert line["batches"] == f"{batch_id}:6"
    receipt = client.post(
        f"/api/v1/deliveries/{delivery_id}/receipt",
        headers={"Authorization": f"Bearer {network.centre}"},
    )
    assert receipt.json()["batches"] == [{"batch_id": batch_id, "quantity": 6}]


def test_contributions_count_each_makers_parts_grams_and_jobs_in_the_period(
    client: TestClient, network: Network, engine: Engine
) -> None:
    camille = printer_for(client, network.maker)
    julien = printer_for(client, network.other_maker, "Ender 3")
    printed(client, network, camille, "headband", 6)
    printed(client, network, camille, "amicroche", 10)
    printed(client, network, julien, "headband", 4)
    with engine.begin() as connection:
        grams = dict(connection.execute(text("SELECT key, grams FROM part")).all())
        connection.execute(
            text("UPDATE maker SET display_name = '=HYPERLINK(1)' WHERE id = :m"),
            {"m": network.other_maker_id},
        )

    today = local_today()
    lines = rows(
        client,
        network.coordinator,
        "/exports/contributions.csv",
        since=(today - timedelta(days=1)).isoformat(),
        until=today.isoformat(),
    )
    by_maker = {int(line["maker_id"]): line for line in lines}
    mine = by_maker[network.maker_id]
    assert (mine["jobs_done"], mine["headband"], mine["amicroche"]) == ("2", "6", "10")
    assert mine["parts_total"] == "16"
    expected = (grams["headband"] or 0) * 6 + (grams["amicroche"] or 0) * 10
    assert abs(int(mine["grams"]) - expected) <= 1
    other = by_maker[network.other_maker_id]
    assert (other["jobs_done"], other["headband"]) == ("1", "4")
    assert other["maker"] == "'=HYPERLINK(1)"  # neutralised: opens as text

    last_year = rows(
        client,
        network.coordinator,
        "/exports/contributions.csv",
        since=date(today.year - 1, 1, 1).isoformat(),
        until=date(today.year - 1, 12, 31).isoformat(),
    )
    assert {line["jobs_done"] for line in last_year} == {"0"}


def test_donations_export_is_safe_in_a_spreadsheet(client: TestClient, network: Network) -> None:
    for donor in ("=cmd|' /C calc'!A0", "@SUM(A1)", "Papeterie Dupont"):
        answer = client.post(
            "/api/v1/donations",
            json={"donor": donor, "item": "film_sheet", "quantity": 100},
            headers={"Authorization": f"Bearer {network.coordinator}"},
        )
        assert answer.status_code == 201, answer.text
    lines = rows(client, network.coordinator, "/exports/donations.csv")
    assert [line["donor"] for line in lines] == [
        "'=cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "Papeterie Dupont",
    ]
    assert {line["quantity"] for line in lines} == {"100"}


def test_periods_are_bounded_and_exports_are_for_the_coordinator(
    client: TestClient, network: Network
) -> None:
    today = local_today()
    for params in (
        {"since": "2019-01-01", "until": "2019-02-01"},
        {"since": today.isoformat(), "until": (today - timedelta(days=3)).isoformat()},
        {"until": (today + timedelta(days=30)).isoformat()},
        {"since": (today - timedelta(days=400)).isoformat(), "until": today.isoformat()},
    ):
        answer = get(client, network.coordinator, "/exports/contributions.csv", params=params)
        assert answer.status_code == 400, params
    assert (
        get(
            client, network.coordinator, "/exports/donations.csv", params={"since": "not-a-day"}
        ).status_code
        == 422
    )
    for path in ("deliveries", "donations", "contributions"):
        for token in (network.maker, network.centre):
            assert get(client, token, f"/exports/{path}.csv").status_code == 403
