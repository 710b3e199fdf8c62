"""Malformed bodies get a clear 4xx, never a 500, and change nothing."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Network, bearer

API = "/api/v1"
POSTS = [
    "/orders",
    "/donations",
    "/collections",
    "/qc",
    "/batches",
    "/packings",
    "/deliveries",
    "/printers",
    "/hand-ins",
    "/signup",
    "/jobs",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
fieldish = st.fixed_dictionaries(
    {},
    optional={
        name: json_values
        | st.sampled_from(["visor", "headband", "film_sheet", "\x00", "9" * 30, -1, 2**63])
        for name in [
            "product_key",
            "quantity",
            "needed_by",
            "item",
            "order_id",
            "maker_id",
            "donor",
            "passed",
            "rejected",
            "name",
            "bed_x_mm",
            "bed_y_mm",
            "bed_z_mm",
            "part_key",
            "copies",
            "delivery_address",
            "role",
            "material",
            "availability_hours",
        ]
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(POSTS), body=fieldish | json_values)
def test_no_body_produces_a_server_error(
    client: TestClient, network: Network, path: str, body: object
) -> None:
    response = client.post(f"{API}{path}", json=body, headers=bearer(network.coordinator))
    assert response.status_code < 500, response.text
    assert "detail" in response.json() or response.status_code < 300


def test_broken_json_is_a_clear_422(client: TestClient, network: Network) -> None:
    response = client.post(
        f"{API}/donations",
        content=b'{"donor": "x", "item": ',
        headers=bearer(network.coordinator) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "json" in json.dumps(response.json()).lower()


def test_huge_ids_in_paths_are_422_not_500(client: TestClient, network: Network) -> None:
    response = client.get(f"{API}/orders/99999999999999999999", headers=bearer(network.coordinator))
    assert response.status_code == 422


def test_a_donation_of_a_printed_part_is_refused(client: TestClient, network: Network) -> None:
    response = client.post(
        f"{API}/donations",
        headers=bearer(network.coordinator),
        json={"donor": "x", "item": "headband", "quantity": 3},
    )
    assert response.status_code == 400
    assert "supplies" in response.json()["detail"]
    assert client.get(f"{API}/stock", headers=bearer(network.coordinator)).json() == []


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/batches" in schema["paths"]
    assert client.get("/docs").status_code == 200
    assert client.get(f"{API}/health").json()["status"] == "ok"
