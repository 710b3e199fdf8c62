"""Holds through the API, on SQLite and PostgreSQL: what a scope reaches, new parts of a
held printer, release back to the original stages, scrap, and every field bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from orchestrator.database.tables import ROW_ID_MAX
from orchestrator.services.local_days import local_today
from tests.conftest import Network
from tests.test_production_flow import donate, get, order, post, printed, printer_for, stock
from tests.test_recall import assert_ledger_reconciles


def collect_and_check(client: TestClient, net: Network, maker_id: int, quantity: int) -> None:
    body = {"maker_id": maker_id, "item": "headband", "quantity": quantity}
    assert post(client, net.coordinator, "/collections", body).status_code == 201
    assert (
        post(client, net.coordinator, "/qc", {"item": "headband", "passed": quantity}).status_code
        == 201
    )


def test_a_printer_hold_catches_its_later_jobs_and_a_release_puts_all_back(
    client: TestClient, network: Network
) -> None:
    net = network
    printer = printer_for(client, net.maker)
    printed(client, net, printer, "headband", 4)
    collect_and_check(client, net, net.maker_id, 4)
    printed(client, net, printer, "headband", 3)  # stays at the maker's
    before = stock(client, net.coordinator)

    hold = post(
        client, net.coordinator, "/holds", {"scope": "printer", "id": printer, "reason": "nozzle"}
    )
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["id"]
    later = printed(client, net, printer, "headband", 2)  # done while the printer is held
    detail = get(client, net.coordinator, f"/holds/{hold_id}").json()
    assert {(line["held_from"], line["quantity"]) for line in detail["lines"]} == {
        ("qc_passed", 4),
        ("at_maker", 5),
    }
    assert later in {lot["job_id"] for lot in detail["lots"]}
    # Nothing held can be assembled or collected.
    donate(client, net, "film_sheet", 4)
    donate(client, net, "elastic", 4)
    refused = post(client, net.coordinator, "/batches", {"product_key": "visor", "quantity": 1})
    assert refused.status_code == 409
    assert "Not enough headband at stage qc_passed" in refused.json()["detail"]
    collect = {"maker_id": net.maker_id, "item": "headband", "quantity": 1}
    assert post(client, net.coordinator, "/collections", collect).status_code == 409
    assert_ledger_reconciles(client, net.coordinator)

    released = post(client, net.coordinator, f"/holds/{hold_id}/release")
    assert released.status_code == 200, released.text
    assert (released.json()["status"], released.json()["held"]) == ("released", 0)
    after = stock(client, net.coordinator)
    assert after[("headband", "qc_passed")] == before[("headband", "qc_passed")] == 4
    assert after[("headband", "at_maker")] == before[("headband", "at_maker")] + 2 == 5
    assert post(client, net.coordinator, f"/holds/{hold_id}/release").status_code == 409
    scrap = post(client, net.coordinator, f"/holds/{hold_id}/scrap", {"reason": "too late"})
    assert scrap.status_code == 409
    # Released, the printer's next parts are stock like any other.
    printed(client, net, printer, "headband", 1)
    assert stock(client, net.coordinator)[("headband", "at_maker")] == 6
    assert (
        post(
            client, net.coordinator, "/batches", {"product_key": "visor", "quantity": 4}
        ).status_code
        == 201
    )
    assert_ledger_reconciles(client, net.coordinator)


def test_goods_packed_for_a_cancelled_order_are_released_unpacked(
    client: TestClient, network: Network
) -> None:
    net = network
    printer = printer_for(client, net.maker)
    printed(client, net, printer, "headband", 3)
    collect_and_check(client, net, net.maker_id, 3)
    donate(client, net, "film_sheet", 3)
    donate(client, net, "elastic", 3)
    batch = post(client, net.coordinator, "/batches", {"product_key": "visor", "quantity": 3})
    batch_id = batch.json()["id"]
    post(client, net.coordinator, f"/batches/{batch_id}/disinfection", {"method": "uv"})
    order_id = order(client, net.centre, "visor", 2)
    assert (
        post(
            client, net.coordinator, "/packings", {"order_id": order_id, "quantity": 2}
        ).status_code
        == 201
    )

    hold = post(
        client, net.coordinator, "/holds", {"scope": "batch", "id": batch_id, "reason": "crack"}
    )
    assert {(line["held_from"], line["quantity"]) for line in hold.json()["lines"]} == {
        ("disinfected", 1),
        ("packed", 2),
    }
    again = post(
        client, net.coordinator, "/holds", {"scope": "batch", "id": batch_id, "reason": "twice"}
    )
    assert again.status_code == 409
    assert post(client, net.centre, f"/orders/{order_id}/cancel").status_code == 200
    assert post(client, net.coordinator, f"/holds/{hold.json()['id']}/release").status_code == 200
    after = stock(client, net.coordinator)
    assert (after[("visor", "disinfected")], after[("visor", "packed")]) == (3, 0)
    assert_ledger_reconciles(client, net.coordinator)


def test_a_period_hold_reaches_what_was_made_in_it(client: TestClient, network: Network) -> None:
    net = network
    printer = printer_for(client, net.maker)
    printed(client, net, printer, "headband", 2)
    today = local_today()
    old = post(
        client,
        net.coordinator,
        "/holds",
        {
            "scope": "period",
            "since": str(today - timedelta(days=30)),
            "until": str(today - timedelta(days=2)),
            "reason": "old",
        },
    )
    assert old.status_code == 201 and old.json()["held"] == 0
    now = post(
        client,
        net.coordinator,
        "/holds",
        {
            "scope": "period",
            "since": str(today - timedelta(days=1)),
            "until": str(today),
            "reason": "this week",
        },
    )
    assert now.status_code == 201 and now.json()["held"] == 2
    # A period hold never reaches what is made after it was placed.
    printed(client, net, printer, "headband", 1)
    assert stock(client, net.coordinator)[("headband", "at_maker")] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"scope": "batch", "reason": "no id"}, 400),
        ({"scope": "batch", "id": ROW_ID_MAX + 1, "reason": "too big"}, 422),
        ({"scope": "batch", "id": 0, "reason": "zero"}, 422),
        ({"scope": "maker", "id": 12345, "reason": "nobody"}, 404),
        ({"scope": "job", "id": 1, "reason": "x" * 501}, 422),
        ({"scope": "job", "id": 1, "reason": "  "}, 422),
        ({"scope": "lot", "id": 1, "reason": "no such scope"}, 422),
        (
            {
                "scope": "period",
                "since": "2020-01-01",
                "until": str(local_today()),
                "reason": "old",
            },
            422,
        ),
        (
            {
                "scope": "period",
                "since": str(local_today()),
                "until": str(local_today() + timedelta(days=9)),
                "reason": "future",
            },
            422,
        ),
        (
            {
                "scope": "period",
                "since": str(local_today()),
                "until": str(local_today() - timedelta(days=1)),
                "reason": "backwards",
            },
            400,
        ),
        ({"scope": "period", "since": str(local_today()), "reason": "half"}, 400),
        (
            {
                "scope": "period",
                "id": 3,
                "since": str(local_today()),
                "until": str(local_today()),
                "reason": "both",
            },
            400,
        ),
    ],
)
def test_every_field_of_a_hold_is_bounded(
    client: TestClient, network: Network, body: dict, status: int
) -> None:
    response = post(client, network.coordinator, "/holds", body)
    assert response.status_code == status, response.text
    assert get(client, network.coordinator, "/holds").json() == []


def test_only_the_coordinator_holds_releases_or_reads_recalls(
    client: TestClient, network: Network
) -> None:
    body = {"scope": "maker", "id": network.maker_id, "reason": "cracks"}
    for token in (network.maker, network.centre):
        assert post(client, token, "/holds", body).status_code == 403
        assert get(client, token, "/holds").status_code == 403
    hold_id = post(client, network.coordinator, "/holds", body).json()["id"]
    for token in (network.maker, network.centre):
        assert post(client, token, f"/holds/{hold_id}/release").status_code == 403
        assert post(client, token, f"/holds/{hold_id}/scrap", {"reason": "bad"}).status_code == 403
        assert get(client, token, f"/holds/{hold_id}/recall").status_code == 403
    assert get(client, network.coordinator, f"/holds/{ROW_ID_MAX + 1}").status_code == 422
    assert get(client, network.coordinator, "/holds/999").status_code == 404
    nothing = post(client, network.coordinator, f"/holds/{hold_id}/recall/notified")
    assert nothing.status_code == 409  # nothing delivered: no centre to tell
