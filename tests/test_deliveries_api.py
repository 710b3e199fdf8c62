"""A health centre's deliveries as the API lists them, on SQLite and PostgreSQL: numbered
per centre (its first, second, third delivery), with the product, quantity, date and the
batches they came from; and a batch's trace names the printers its parts came from."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Network
from tests.test_production_flow import get, order, post, printed, printer_for


def hooks_ready(client: TestClient, net: Network, quantity: int) -> int:
    """Hooks printed on Camille's printer, collected, checked, assembled and disinfected:
    the batch's id."""
    printer = printer_for(client, net.maker, "Prusa de Camille")
    printed(client, net, printer, "amicroche", quantity)
    for path, body in (
        ("/collections", {"maker_id": net.maker_id, "item": "amicroche", "quantity": quantity}),
        ("/qc", {"item": "amicroche", "passed": quantity}),
    ):
        assert post(client, net.coordinator, path, body).status_code == 201
    batch = post(
        client, net.coordinator, "/batches", {"product_key": "amicroche", "quantity": quantity}
    )
    assert batch.status_code == 201, batch.text
    batch_id: int = batch.json()["id"]
    disinfected = post(
        client, net.coordinator, f"/batches/{batch_id}/disinfection", {"method": "alcohol_70"}
    )
    assert disinfected.status_code == 200, disinfected.text
    return batch_id


def delivered(client: TestClient, net: Network, order_id: int, quantity: int) -> dict:
    packed = post(
        client, net.coordinator, "/packings", {"order_id": order_id, "quantity": quantity}
    )
    assert packed.status_code == 201, packed.text
    delivery = post(
        client, net.coordinator, "/deliveries", {"order_id": order_id, "quantity": quantity}
    )
    assert delivery.status_code == 201, delivery.text
    answer: dict = delivery.json()
    return answer


def test_deliveries_are_numbered_per_centre_with_product_quantity_date_and_batches(
    client: TestClient, network: Network
) -> None:
    net = network
    batch_id = hooks_ready(client, net, 10)
    mine = order(client, net.centre, "amicroche", 6)
    theirs = order(client, net.other_centre, "amicroche", 4)

    first = delivered(client, net, mine, 2)
    other = delivered(client, net, theirs, 4)
    second = delivered(client, net, mine, 3)

    assert (first["number"], other["number"], second["number"]) == (1, 1, 2)
    seen = get(client, net.centre, "/deliveries").json()
    assert [d["id"] for d in seen] == [first["id"], second["id"]]
    assert [d["number"] for d in seen] == [1, 2]
    assert [(d["product_key"], d["quantity"]) for d in seen] == [("amicroche", 2), ("amicroche", 3)]
    assert {d["health_centre_id"] for d in seen} == {net.centre_id}
    assert all(d["delivered_at"] for d in seen)
    assert [d["batches"] for d in seen] == [
        [{"batch_id": batch_id, "quantity": 2}],
        [{"batch_id": batch_id, "quantity": 3}],
    ]
    (their_delivery,) = get(client, net.other_centre, "/deliveries").json()
    assert (their_delivery["id"], their_delivery["number"]) == (other["id"], 1)

    everyone = get(client, net.coordinator, "/deliveries").json()
    assert [(d["id"], d["number"], d["health_centre_id"]) for d in everyone] == [
        (first["id"], 1, net.centre_id),
        (other["id"], 1, net.other_centre_id),
        (second["id"], 2, net.centre_id),
    ]

    receipt = post(client, net.centre, f"/deliveries/{second['id']}/receipt")
    assert receipt.status_code == 200, receipt.text
    assert (receipt.json()["number"], receipt.json()["product_key"]) == (2, "amicroche")
    assert receipt.json()["received_at"] is not None


def test_a_batch_trace_names_the_printers_its_parts_came_from(
    client: TestClient, network: Network
) -> None:
    batch_id = hooks_ready(client, network, 3)
    trace = get(client, network.coordinator, f"/batches/{batch_id}/trace").json()
    assert {(line["maker_name"], line["printer_name"]) for line in trace["parts"]} == {
        ("Camille", "Prusa de Camille")
    }
