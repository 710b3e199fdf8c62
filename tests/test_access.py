"""Role isolation as a matrix of role x endpoint, and ownership between users of one role.

Every route of the API is listed here; a test fails when a route is added without a row.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Network, bearer

API = "/api/v1"
ALL = {"coordinator", "maker", "health_centre"}
ORDER = {
    "product_key": "visor",
    "quantity": 5,
    "needed_by": (date.today() + timedelta(days=3)).isoformat(),
    "delivery_address": "Abbeville",
}
PRINTER = {"name": "MK3", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}

# (method, path, body, roles allowed). Paths use ids that do not exist: an allowed role
# gets past authorisation and then meets a 404, 400 or 409; a refused role gets 403.
MATRIX: list[tuple[str, str, dict | None, set[str]]] = [
    ("GET", "/me", None, ALL),
    ("POST", "/accounts", {"name": "x", "role": "maker"}, {"coordinator"}),
    ("GET", "/accounts", None, {"coordinator"}),
    ("GET", "/makers", None, {"coordinator"}),
    ("GET", "/metrics", None, {"coordinator"}),
    ("POST", "/printers", PRINTER, {"coordinator", "maker"}),
    ("GET", "/printers", None, {"coordinator", "maker"}),
    ("GET", "/printers/999", None, {"coordinator", "maker"}),
    ("GET", "/printers/status", None, {"coordinator", "maker"}),
    ("GET", "/printers/999/status", None, {"coordinator", "maker"}),
    ("GET", "/printers/999/events", None, {"coordinator", "maker"}),
    ("POST", "/printers/999/clear-bed", None, {"coordinator", "maker"}),
    ("PATCH", "/printers/999", {"name": "y"}, {"coordinator", "maker"}),
    ("DELETE", "/printers/999", None, {"coordinator", "maker"}),
    ("GET", "/jobs", None, {"coordinator", "maker"}),
    ("POST", "/jobs", {"part_key": "headband", "copies": 1}, {"coordinator"}),
    ("GET", "/jobs/999", None, {"coordinator", "maker"}),
    ("POST", "/jobs/999/done", None, {"coordinator", "maker"}),
    ("POST", "/jobs/999/cancel", None, {"coordinator"}),
    ("POST", "/orders", ORDER, {"coordinator", "health_centre"}),
    ("GET", "/orders", None, {"coordinator", "health_centre"}),
    ("GET", "/orders/999", None, {"coordinator", "health_centre"}),
    ("POST", "/orders/999/cancel", None, {"coordinator", "health_centre"}),
    ("GET", "/deliveries", None, {"coordinator", "health_centre"}),
    ("POST", "/deliveries/999/receipt", None, {"coordinator", "health_centre"}),
    ("POST", "/donations", {"donor": "d", "item": "elastic", "quantity": 1}, {"coordinator"}),
    ("POST", "/hand-ins", {"item": "headband", "quantity": 1}, {"coordinator", "maker"}),
    ("GET", "/hand-ins", None, {"coordinator", "maker"}),
    ("POST", "/collections", {"maker_id": 999, "item": "headband", "quantity": 1}, {"coordinator"}),
    ("POST", "/qc", {"item": "headband", "passed": 1}, {"coordinator"}),
    ("POST", "/batches", {"product_key": "visor", "quantity": 1}, {"coordinator"}),
    ("GET", "/batches", None, {"coordinator"}),
    ("GET", "/batches/999", None, {"coordinator"}),
    ("GET", "/batches/999/trace", None, {"coordinator"}),
    ("POST", "/batches/999/disinfection", {"method": "uv"}, {"coordinator"}),
    ("POST", "/packings", {"order_id": 999, "quantity": 1}, {"coordinator"}),
    ("POST", "/deliveries", {"order_id": 999, "quantity": 1}, {"coordinator"}),
    ("GET", "/deliveries.csv", None, {"coordinator"}),
    ("GET", "/stock", None, {"coordinator"}),
    ("GET", "/stock/movements", None, {"coordinator"}),
    ("GET", "/parts", None, ALL),
    # Multipart, no file: the coordinator meets a 422 after authorisation.
    ("POST", "/parts", None, {"coordinator"}),
    # A part key is not an id: "{key}" is both the route's own name and a missing part.
    ("GET", "/parts/{key}", None, ALL),
    ("GET", "/parts/{key}/plates", None, ALL),
    ("GET", "/products", None, ALL),
    ("GET", "/board", None, {"coordinator"}),
    ("GET", "/board/printers", None, {"coordinator"}),
]
# The G-code download takes a printer's token, never an account's (an account token gets
# 401, not 403), so it sits outside the matrix; tests/test_parts_api.py covers its access.
OPEN = {("GET", "/health"), ("POST", "/signup"), ("GET", "/jobs/{x}/gcode")}


def token_of(network: Network, role: str) -> str:
    return {
        "coordinator": network.coordinator,
        "maker": network.maker,
        "health_centre": network.centre,
    }[role]


def test_the_matrix_lists_every_route(client: TestClient) -> None:
    listed = {(method, path.replace("999", "{x}")) for method, path, _, _ in MATRIX} | OPEN
    for route in client.app.routes:  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if not path.startswith(API):
            continue
        for method in route.methods - {"HEAD"}:  # type: ignore[attr-defined]
            generic = path.removeprefix(API)
            for name in ("printer_id", "job_id", "order_id", "delivery_id", "batch_id"):
                generic = generic.replace("{" + name + "}", "{x}")
            assert (method, generic) in listed, f"{method} {path} is missing from MATRIX"


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_role_matrix(
    client: TestClient,
    network: Network,
    method: str,
    path: str,
    body: dict | None,
    allowed: set[str],
) -> None:
    assert client.request(method, f"{API}{path}", json=body).status_code == 401
    bad = client.request(method, f"{API}{path}", json=body, headers=bearer("mkl_not-a-token"))
    assert bad.status_code == 401
    for role in sorted(ALL):
        params = (
            {"maker_id": network.maker_id}
            if role == "coordinator" and path in ("/printers", "/hand-ins")
            else {}
        )
        if role == "coordinator" and path == "/orders" and method == "POST":
            params = {"health_centre_id": network.centre_id}
        response = client.request(
            method,
            f"{API}{path}",
            json=body,
            params=params,
            headers=bearer(token_of(network, role)),
        )
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert "Only" in response.json()["detail"]


def test_a_maker_cannot_touch_another_makers_printer(client: TestClient, network: Network) -> None:
    created = client.post(f"{API}/printers", json=PRINTER, headers=bearer(network.maker))
    printer_id = created.json()["id"]
    other = bearer(network.other_maker)
    assert client.get(f"{API}/printers/{printer_id}", headers=other).status_code == 403
    assert (
        client.patch(
            f"{API}/printers/{printer_id}", json={"name": "mine"}, headers=other
        ).status_code
        == 403
    )
    assert client.delete(f"{API}/printers/{printer_id}", headers=other).status_code == 403
    assert client.get(f"{API}/printers", headers=other).json() == []
    assert (
        client.get(f"{API}/printers/{printer_id}", headers=bearer(network.maker)).json()["name"]
        == "MK3"
    )


def test_a_health_centre_sees_only_its_own_orders(client: TestClient, network: Network) -> None:
    mine = client.post(f"{API}/orders", json=ORDER, headers=bearer(network.centre)).json()
    theirs = client.post(f"{API}/orders", json=ORDER, headers=bearer(network.other_centre)).json()
    listed = client.get(f"{API}/orders", headers=bearer(network.centre)).json()
    assert [o["id"] for o in listed] == [mine["id"]]
    assert (
        client.get(f"{API}/orders/{theirs['id']}", headers=bearer(network.centre)).status_code
        == 403
    )
    assert (
        client.post(
            f"{API}/orders/{theirs['id']}/cancel", headers=bearer(network.centre)
        ).status_code
        == 403
    )
    everything = client.get(f"{API}/orders", headers=bearer(network.coordinator)).json()
    assert {o["id"] for o in everything} == {mine["id"], theirs["id"]}


def test_a_maker_sees_only_jobs_on_their_printers(client: TestClient, network: Network) -> None:
    mine = client.post(f"{API}/printers", json=PRINTER, headers=bearer(network.maker)).json()
    theirs = client.post(
        f"{API}/printers", json=PRINTER, headers=bearer(network.other_maker)
    ).json()
    coordinator = bearer(network.coordinator)
    job_mine = client.post(
        f"{API}/jobs",
        json={"part_key": "headband", "copies": 2, "printer_id": mine["id"]},
        headers=coordinator,
    )
    job_theirs = client.post(
        f"{API}/jobs",
        json={"part_key": "headband", "copies": 2, "printer_id": theirs["id"]},
        headers=coordinator,
    )
    listed = client.get(f"{API}/jobs", headers=bearer(network.maker)).json()
    assert [j["id"] for j in listed] == [job_mine.json()["id"]]
    assert (
        client.post(
            f"{API}/jobs/{job_theirs.json()['id']}/done", headers=bearer(network.maker)
        ).status_code
        == 403
    )
