"""The whole flow through the API, on SQLite and PostgreSQL: donations, printed jobs,
collection, QC, assembly, disinfection, packing, delivery, receipt and traceability."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.services.planning import planning_state
from tests.conftest import Network, bearer

API = "/api/v1"


def post(client: TestClient, token: str, path: str, body: dict | None = None, **kwargs):
    return client.post(f"{API}{path}", json=body, headers=bearer(token), **kwargs)


def get(client: TestClient, token: str, path: str, **kwargs):
    return client.get(f"{API}{path}", headers=bearer(token), **kwargs)


def stock(client: TestClient, token: str) -> dict[tuple[str, str], int]:
    rows = get(client, token, "/stock").json()
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        totals[(row["item"], row["stage"])] = (
            totals.get((row["item"], row["stage"]), 0) + row["quantity"]
        )
    return totals


def printer_for(client: TestClient, token: str, name: str = "Prusa MK3S") -> int:
    body = {"name": name, "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
    response = post(client, token, "/printers", body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def printed(client: TestClient, net: Network, printer_id: int, part: str, copies: int) -> int:
    job = post(
        client,
        net.coordinator,
        "/jobs",
        {"part_key": part, "copies": copies, "printer_id": printer_id},
    )
    assert job.status_code == 201, job.text
    done = post(client, net.coordinator, f"/jobs/{job.json()['id']}/done")
    assert done.status_code == 200, done.text
    return job.json()["id"]


def donate(client: TestClient, net: Network, item: str, quantity: int) -> None:
    response = post(
        client,
        net.coordinator,
        "/donations",
        {"donor": "Papeterie", "item": item, "quantity": quantity},
    )
    assert response.status_code == 201, response.text


def order(client: TestClient, token: str, product: str, quantity: int, days: int = 7) -> int:
    response = post(
        client,
        token,
        "/orders",
        {
            "product_key": product,
            "quantity": quantity,
            "needed_by": (date.today() + timedelta(days=days)).isoformat(),
            "urgency": "high",
            "delivery_address": "43 rue de l'Isle, Abbeville",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_visors_go_from_printer_to_carer_and_trace_back(
    client: TestClient, network: Network
) -> None:
    net = network
    camille = printer_for(client, net.maker)
    julien = printer_for(client, net.other_maker, "Ender 3")
    job_a = printed(client, net, camille, "headband", 6)
    job_b = printed(client, net, julien, "headband", 4)
    donate(client, net, "film_sheet", 20)
    donate(client, net, "elastic", 20)
    order_id = order(client, net.centre, "visor", 8)

    assert stock(client, net.coordinator)[("headband", "at_maker")] == 10
    hand_in = post(client, net.maker, "/hand-ins", {"item": "headband", "quantity": 6})
    assert hand_in.status_code == 201
    collected = post(
        client,
        net.coordinator,
        "/collections",
        {
            "maker_id": net.maker_id,
            "item": "headband",
            "quantity": 6,
            "hand_in_id": hand_in.json()["id"],
        },
    )
    assert collected.status_code == 201, collected.text
    assert (
        post(
            client,
            net.coordinator,
            "/collections",
            {"maker_id": net.other_maker_id, "item": "headband", "quantity": 4},
        ).status_code
        == 201
    )

    qc = post(
        client,
        net.coordinator,
        "/qc",
        {"item": "headband", "passed": 9, "rejected": 1, "reason": "delaminated"},
    )
    assert qc.status_code == 201, qc.text
    batch = post(client, net.coordinator, "/batches", {"product_key": "visor", "quantity": 9})
    assert batch.status_code == 201, batch.text
    batch_id = batch.json()["id"]

    balances = stock(client, net.coordinator)
    assert balances[("headband", "qc_passed")] == 0
    assert balances[("headband", "rejected")] == 1
    assert balances[("film_sheet", "on_hand")] == 11
    assert balances[("elastic", "on_hand")] == 11
    assert balances[("visor", "assembled")] == 9

    disinfected = post(
        client, net.coordinator, f"/batches/{batch_id}/disinfection", {"method": "alcohol_70"}
    )
    assert disinfected.status_code == 200, disinfected.text
    too_many = post(client, net.coordinator, "/packings", {"order_id": order_id, "quantity": 9})
    assert too_many.status_code == 409
    assert "needs 8 more" in too_many.json()["detail"]
    assert (
        post(
            client, net.coordinator, "/packings", {"order_id": order_id, "quantity": 8}
        ).status_code
        == 201
    )
    over = post(client, net.coordinator, "/deliveries", {"order_id": order_id, "quantity": 9})
    assert over.status_code == 409
    delivery = post(client, net.coordinator, "/deliveries", {"order_id": order_id, "quantity": 8})
    assert delivery.status_code == 201, delivery.text

    seen = get(client, net.centre, f"/orders/{order_id}").json()
    assert (seen["status"], seen["delivered"], seen["remaining"]) == ("delivered", 8, 0)
    receipt = post(client, net.centre, f"/deliveries/{delivery.json()['id']}/receipt")
    assert receipt.status_code == 200
    assert get(client, net.centre, f"/orders/{order_id}").json()["status"] == "received"

    trace = get(client, net.coordinator, f"/batches/{batch_id}/trace").json()
    assert {line["job_id"] for line in trace["parts"]} == {job_a, job_b}
    assert sum(line["quantity"] for line in trace["parts"]) == 9
    assert trace["makers"] == ["Camille", "Julien"]
    assert trace["orders"] == [order_id]

    exported = get(client, net.coordinator, "/deliveries.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["order_id"], r["quantity"], r["health_centre"]) for r in rows] == [
        (str(order_id), "8", "CH Abbeville")
    ]


def test_a_jobs_parts_count_once_however_often_done_arrives(
    client: TestClient, network: Network
) -> None:
    printer = printer_for(client, network.maker)
    job_id = printed(client, network, printer, "headband", 5)
    again = post(client, network.coordinator, f"/jobs/{job_id}/done")
    assert again.status_code == 200
    assert post(client, network.maker, f"/jobs/{job_id}/done").status_code == 200
    assert stock(client, network.coordinator)[("headband", "at_maker")] == 5


def test_assembly_short_of_film_is_refused_and_changes_nothing(
    client: TestClient, network: Network
) -> None:
    printer = printer_for(client, network.maker)
    printed(client, network, printer, "headband", 5)
    post(
        client,
        network.coordinator,
        "/collections",
        {"maker_id": network.maker_id, "item": "headband", "quantity": 5},
    )
    post(client, network.coordinator, "/qc", {"item": "headband", "passed": 5})
    donate(client, network, "film_sheet", 2)
    donate(client, network, "elastic", 5)
    before = stock(client, network.coordinator)
    refused = post(client, network.coordinator, "/batches", {"product_key": "visor", "quantity": 3})
    assert refused.status_code == 409
    assert "film_sheet" in refused.json()["detail"]
    assert "3 needed, 2 available" in refused.json()["detail"]
    assert stock(client, network.coordinator) == before


def test_reinforced_visor_also_consumes_a_reinforcement(
    client: TestClient, network: Network
) -> None:
    printer = printer_for(client, network.maker)
    for part in ("headband", "reinforcement"):
        printed(client, network, printer, part, 2)
        post(
            client,
            network.coordinator,
            "/collections",
            {"maker_id": network.maker_id, "item": part, "quantity": 2},
        )
        post(client, network.coordinator, "/qc", {"item": part, "passed": 2})
    donate(client, network, "film_sheet", 2)
    donate(client, network, "elastic", 2)
    made = post(
        client, network.coordinator, "/batches", {"product_key": "visor-reinforced", "quantity": 2}
    )
    assert made.status_code == 201, made.text
    balances = stock(client, network.coordinator)
    assert balances[("reinforcement", "qc_passed")] == 0
    assert balances[("reinforcement", "assembled")] == 2


def test_rejects_need_a_reason(client: TestClient, network: Network) -> None:
    response = post(client, network.coordinator, "/qc", {"item": "headband", "rejected": 1})
    assert response.status_code == 400
    assert "why" in response.json()["detail"]


def test_collection_beyond_a_makers_stock_is_refused(client: TestClient, network: Network) -> None:
    printer = printer_for(client, network.maker)
    printed(client, network, printer, "amicroche", 3)
    refused = post(
        client,
        network.coordinator,
        "/collections",
        {"maker_id": network.other_maker_id, "item": "amicroche", "quantity": 1},
    )
    assert refused.status_code == 409
    assert f"maker {network.other_maker_id}" in refused.json()["detail"]


def disinfected_hooks(client: TestClient, network: Network, quantity: int) -> None:
    """AMICROCHE hooks printed, collected, checked, assembled and disinfected."""
    printer = printer_for(client, network.maker)
    printed(client, network, printer, "amicroche", quantity)
    post(
        client,
        network.coordinator,
        "/collections",
        {"maker_id": network.maker_id, "item": "amicroche", "quantity": quantity},
    )
    post(client, network.coordinator, "/qc", {"item": "amicroche", "passed": quantity})
    batch = post(
        client, network.coordinator, "/batches", {"product_key": "amicroche", "quantity": quantity}
    ).json()
    disinfected = post(
        client, network.coordinator, f"/batches/{batch['id']}/disinfection", {"method": "uv"}
    )
    assert disinfected.status_code == 200, disinfected.text


def test_cancelling_an_order_returns_its_packed_goods(client: TestClient, network: Network) -> None:
    disinfected_hooks(client, network, 4)
    order_id = order(client, network.centre, "amicroche", 4)
    post(client, network.coordinator, "/packings", {"order_id": order_id, "quantity": 3})
    cancelled = post(client, network.centre, f"/orders/{order_id}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    balances = stock(client, network.coordinator)
    assert balances[("amicroche", "packed")] == 0
    assert balances[("amicroche", "disinfected")] == 4


def test_a_hook_batch_counts_its_hooks_once(client: TestClient, network: Network) -> None:
    """The AMICROCHE product is its own printed part: assembling must not count it twice."""
    printer = printer_for(client, network.maker)
    printed(client, network, printer, "amicroche", 5)
    post(
        client,
        network.coordinator,
        "/collections",
        {"maker_id": network.maker_id, "item": "amicroche", "quantity": 5},
    )
    post(client, network.coordinator, "/qc", {"item": "amicroche", "passed": 5})
    batch = post(
        client, network.coordinator, "/batches", {"product_key": "amicroche", "quantity": 5}
    )
    assert stock(client, network.coordinator)[("amicroche", "assembled")] == 5
    post(
        client, network.coordinator, f"/batches/{batch.json()['id']}/disinfection", {"method": "uv"}
    )
    balances = stock(client, network.coordinator)
    assert balances[("amicroche", "assembled")] == 0
    assert balances[("amicroche", "disinfected")] == 5
    trace = get(client, network.coordinator, f"/batches/{batch.json()['id']}/trace").json()
    assert sum(line["quantity"] for line in trace["parts"]) == 5


def test_an_order_is_packed_with_the_product_it_asks_for(
    client: TestClient, network: Network
) -> None:
    """Plain and reinforced visors are both visors in stock: a centre that ordered
    reinforced ones gets only visors from reinforced batches, even when plain ones are
    older."""
    printer = printer_for(client, network.maker)
    printed(client, network, printer, "headband", 5)
    printed(client, network, printer, "reinforcement", 2)
    donate(client, network, "film_sheet", 5)
    donate(client, network, "elastic", 5)
    for item, quantity in (("headband", 5), ("reinforcement", 2)):
        post(
            client,
            network.coordinator,
            "/collections",
            {"maker_id": network.maker_id, "item": item, "quantity": quantity},
        )
        post(client, network.coordinator, "/qc", {"item": item, "passed": quantity})
    batches = {}
    for product, quantity in (("visor", 3), ("visor-reinforced", 2)):
        batch = post(
            client, network.coordinator, "/batches", {"product_key": product, "quantity": quantity}
        ).json()
        post(client, network.coordinator, f"/batches/{batch['id']}/disinfection", {"method": "uv"})
        batches[product] = batch["id"]
    reinforced = order(client, network.centre, "visor-reinforced", 3)

    too_many = post(
        client, network.coordinator, "/packings", {"order_id": reinforced, "quantity": 3}
    )
    packed = post(client, network.coordinator, "/packings", {"order_id": reinforced, "quantity": 2})

    assert too_many.status_code == 409
    assert "from batches of visor-reinforced" in too_many.json()["detail"]
    assert packed.status_code == 201, packed.text
    arriving = [m for m in packed.json()["movements"] if m["stage"] == "packed"]
    assert {m["batch_id"] for m in arriving} == {batches["visor-reinforced"]}


def test_the_board_the_planner_and_the_order_page_agree_on_what_is_left(
    client: TestClient, network: Network, engine: Engine
) -> None:
    """An order's remaining need is one formula (quantity - packed - delivered) wherever
    it is shown or used."""
    disinfected_hooks(client, network, 6)
    order_id = order(client, network.centre, "amicroche", 10)
    post(client, network.coordinator, "/packings", {"order_id": order_id, "quantity": 4})
    delivered = post(
        client, network.coordinator, "/deliveries", {"order_id": order_id, "quantity": 1}
    )
    assert delivered.status_code == 201, delivered.text

    page = get(client, network.centre, f"/orders/{order_id}").json()
    board = get(client, network.coordinator, "/board").json()
    (line,) = [line for line in board["products"] if line["item"] == "amicroche"]
    with Session(engine) as session:
        (demand,) = planning_state(session, supply_allowance=0).orders
    assert (page["packed"], page["delivered"]) == (3, 1)
    assert page["remaining"] == line["remaining"] == demand.remaining == 10 - 3 - 1
