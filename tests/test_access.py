"""Role isolation as a matrix of role x endpoint, and ownership between users of one role.

Every route of the API is listed here; a test fails when a route is added without a row.
"""

from __future__ import annotations

import re
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
    ("POST", "/pauses", {"printer_id": 999}, {"coordinator", "maker"}),
    ("GET", "/pauses", None, {"coordinator", "maker"}),
    ("DELETE", "/pauses/999", None, {"coordinator", "maker"}),
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
    ("GET", "/board/queue", None, {"coordinator"}),
    ("POST", "/me/token", None, ALL),
    ("DELETE", "/me/token", None, ALL),
    ("POST", "/accounts/999/token", None, {"coordinator"}),
    ("DELETE", "/accounts/999/token", None, {"coordinator"}),
    ("POST", "/printers/999/token", None, {"coordinator", "maker"}),
    ("DELETE", "/printers/999/token", None, {"coordinator", "maker"}),
    ("GET", "/batches/999/labels.pdf", None, {"coordinator"}),
    # The coordinator holds no filament: past authorisation, a 404 says where to look.
    ("POST", "/makers/me/filament", {"material": "PETG", "grams": 100}, {"coordinator", "maker"}),
    ("GET", "/makers/me/filament", None, {"coordinator", "maker"}),
    ("POST", "/makers/999/filament", {"material": "PETG", "grams": 100}, {"coordinator"}),
    ("GET", "/filament", None, {"coordinator"}),
    (
        "POST",
        "/filament/sent",
        {"maker_id": 999, "material": "PETG", "grams": 100},
        {"coordinator"},
    ),
    ("POST", "/defects", {"batch_id": 999, "text": "sangle cassée"}, {"health_centre"}),
    ("GET", "/defects", None, {"coordinator"}),
    ("GET", "/exports/deliveries.csv", None, {"coordinator"}),
    ("GET", "/exports/donations.csv", None, {"coordinator"}),
    ("GET", "/exports/contributions.csv", None, {"coordinator"}),
    ("POST", "/holds", {"scope": "batch", "id": 999, "reason": "défaut signalé"}, {"coordinator"}),
    ("GET", "/holds", None, {"coordinator"}),
    ("GET", "/holds/999", None, {"coordinator"}),
    ("POST", "/holds/999/release", None, {"coordinator"}),
    ("POST", "/holds/999/scrap", {"reason": "visières fendues"}, {"coordinator"}),
    ("GET", "/holds/999/recall", None, {"coordinator"}),
    ("POST", "/holds/999/recall/notified", None, {"coordinator"}),
    ("GET", "/me/contact", None, ALL),
    ("PUT", "/me/contact", {"language": "fr"}, ALL),
    ("GET", "/me/notifications", None, ALL),
    ("PUT", "/me/notifications", {"channels": {}}, ALL),
    ("GET", "/accounts/999/contact", None, {"coordinator"}),
    ("GET", "/notifications", None, {"coordinator"}),
]
# The G-code download takes a printer's token, never an account's (an account token gets
# 401, not 403), so it sits outside the matrix; tests/test_parts_api.py covers its access.
OPEN = {("GET", "/health"), ("POST", "/signup"), ("GET", "/jobs/{x}/gcode")}


def generic_path(path: str) -> str:
    """The path with every id or key replaced by one placeholder."""
    return re.sub(r"\{[a-z_]+\}|\b999\b", "{x}", path)


def token_of(network: Network, role: str) -> str:
    return {
        "coordinator": network.coordinator,
        "maker": network.maker,
        "health_centre": network.centre,
    }[role]


def test_the_matrix_lists_every_route(client: TestClient) -> None:
    """Read from the OpenAPI document, which lists every operation however the routers
    are nested (the app's own route list holds an included router as one entry)."""
    listed = {(method, generic_path(path)) for method, path, _, _ in MATRIX} | OPEN
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    api_paths = [path for path in paths if path.startswith(API)]
    assert len(api_paths) > 40, "the API's paths were not found: the test would check nothing"
    missing = []
    for path in api_paths:
        for method in paths[path]:
            if (method.upper(), generic_path(path.removeprefix(API))) not in listed:
                missing.append(f"{method.upper()} {path}")
    assert not missing, "missing from MATRIX:\n" + "\n".join(missing)


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
