"""A recall, through the API on SQLite and PostgreSQL: parts and goods at every stage, some
delivered to two centres; a hold on a maker. Nothing held is packed afterwards, every
balance reconciles with the ledger, and the recall names exactly the delivered batches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Network
from tests.test_production_flow import donate, get, order, post, printed, printer_for, stock

LOT = ("job_id", "maker_id", "batch_id", "order_id", "material")
HELD_LOT = (*LOT, "hold_id", "held_from")


def movements(client: TestClient, token: str) -> list[dict[str, Any]]:
    response = get(client, token, "/stock/movements")
    assert response.status_code == 200, response.text
    return response.json()


def assert_ledger_reconciles(client: TestClient, token: str) -> None:
    """What the API shows is what the ledger sums to, and nothing is made or lost.

    - each (item, stage) balance of GET /stock is the sum of its movements;
    - no lot of any stage is below zero (quarantined lots counted per hold and origin);
    - per item, what came in (donations, printed parts, goods assembled) equals what left
      (scrapped) plus what is on hand at every stage;
    - each hold holds, per item and original stage, what its quarantined movements sum to.
    """
    ledger = movements(client, token)
    per_stage: dict[tuple[str, str], int] = defaultdict(int)
    per_lot: dict[tuple[Any, ...], int] = defaultdict(int)
    came_in: dict[str, int] = defaultdict(int)
    went_out: dict[str, int] = defaultdict(int)
    held: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for m in ledger:
        per_stage[(m["item"], m["stage"])] += m["delta"]
        lot = HELD_LOT if m["stage"] == "quarantined" else LOT
        per_lot[(m["item"], m["stage"], *(m[name] for name in lot))] += m["delta"]
        if m["reason"] in ("donation", "job_done") and m["delta"] > 0:
            came_in[m["item"]] += m["delta"]
        if m["reason"] == "assembly" and m["item"] == "visor":
            came_in["visor"] += m["delta"]  # a batch makes its visors; parts only move
        if m["reason"] == "scrapped":
            went_out[m["item"]] -= m["delta"]
        if m["stage"] == "quarantined":
            held[m["hold_id"]][(m["item"], m["held_from"])] += m["delta"]
    # Quarantined lots are counted per hold and origin; every other stage per lot.
    negative = {lot: total for lot, total in per_lot.items() if total < 0}
    assert not negative, negative
    shown = {key: total for key, total in stock(client, token).items() if total}
    assert shown == {key: total for key, total in per_stage.items() if total}
    on_hand: dict[str, int] = defaultdict(int)
    for (item, _stage), total in per_stage.items():
        on_hand[item] += total
    for item in set(came_in) | set(on_hand):
        assert came_in[item] == went_out[item] + on_hand[item], item
    for hold in get(client, token, "/holds").json():
        detail = get(client, token, f"/holds/{hold['id']}").json()
        shown = {(line["item"], line["held_from"]): line["quantity"] for line in detail["lines"]}
        summed = {key: total for key, total in held[hold["id"]].items() if total}
        assert shown == summed, hold["id"]
        assert detail["held"] == hold["held"] == sum(summed.values())


def test_a_makers_hold_quarantines_what_is_left_and_recalls_what_was_delivered(
    client: TestClient, network: Network
) -> None:
    net = network
    coordinator = net.coordinator
    camille = printer_for(client, net.maker)
    julien = printer_for(client, net.other_maker, "Ender 3")

    # Printed, collected and checked: Camille's 10 headbands first, then Julien's 10.
    job1 = printed(client, net, camille, "headband", 10)
    job2 = printed(client, net, julien, "headband", 10)
    for maker_id in (net.maker_id, net.other_maker_id):
        collected = post(
            client,
            coordinator,
            "/collections",
            {"maker_id": maker_id, "item": "headband", "quantity": 10},
        )
        assert collected.status_code == 201, collected.text
    assert post(client, coordinator, "/qc", {"item": "headband", "passed": 20}).status_code == 201
    donate(client, net, "film_sheet", 40)
    donate(client, net, "elastic", 40)

    # B1 is Camille's alone, B2 both makers' (4 of job1, 2 of job2), B3 Julien's alone.
    batches = []
    for quantity in (6, 6, 4):
        batch = post(
            client, coordinator, "/batches", {"product_key": "visor", "quantity": quantity}
        )
        assert batch.status_code == 201, batch.text
        batches.append(batch.json()["id"])
        disinfected = post(
            client, coordinator, f"/batches/{batches[-1]}/disinfection", {"method": "alcohol_70"}
        )
        assert disinfected.status_code == 200, disinfected.text
    b1, b2, b3 = batches
    trace = get(client, coordinator, f"/batches/{b2}/trace").json()
    assert {line["job_id"] for line in trace["parts"]} == {job1, job2}

    # Delivered: 5 of B1 to CH Abbeville; 1 of B1 and 3 of B2 to EHPAD Les Jardins.
    # Packed, not delivered: 3 of B2 for a second order of CH Abbeville.
    first = order(client, net.centre, "visor", 5)
    second = order(client, net.other_centre, "visor", 4)
    third = order(client, net.centre, "visor", 6)
    for order_id, packed, delivered in ((first, 5, 5), (second, 4, 4), (third, 3, 0)):
        packing = post(client, coordinator, "/packings", {"order_id": order_id, "quantity": packed})
        assert packing.status_code == 201, packing.text
        if delivered:
            delivery = post(
                client, coordinator, "/deliveries", {"order_id": order_id, "quantity": delivered}
            )
            assert delivery.status_code == 201, delivery.text

    # Camille's later parts: 3 collected (not checked yet), 5 still at her place. Julien's 2.
    job3 = printed(client, net, camille, "headband", 3)
    assert (
        post(
            client,
            coordinator,
            "/collections",
            {"maker_id": net.maker_id, "item": "headband", "quantity": 3},
        ).status_code
        == 201
    )
    job4 = printed(client, net, camille, "headband", 5)
    job5 = printed(client, net, julien, "headband", 2)
    before = stock(client, coordinator)
    assert before[("visor", "disinfected")] == 4  # B3
    assert before[("visor", "packed")] == 3
    assert before[("visor", "delivered")] == 9
    assert before[("headband", "qc_passed")] == 4  # job2's last 4
    assert_ledger_reconciles(client, coordinator)

    placed = post(
        client,
        coordinator,
        "/holds",
        {"scope": "maker", "id": net.maker_id, "reason": "Cracked headbands from this maker"},
    )
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    hold_id = hold["id"]
    assert hold["status"] == "active"
    assert hold["batch_ids"] == [b1, b2]
    assert {(line["item"], line["held_from"]): line["quantity"] for line in hold["lines"]} == {
        ("headband", "at_maker"): 5,
        ("headband", "collected"): 3,
        ("visor", "packed"): 3,
    }
    assert {(lot["job_id"], lot["batch_id"], lot["order_id"]) for lot in hold["lots"]} == {
        (job4, None, None),
        (job3, None, None),
        (None, b2, third),
    }
    after = stock(client, coordinator)
    assert after[("visor", "quarantined")] == 3
    assert after[("headband", "quarantined")] == 8
    assert after.get(("visor", "packed"), 0) == 0
    assert after[("visor", "disinfected")] == 4  # Julien's B3 is not held
    assert after[("headband", "qc_passed")] == 4
    assert after[("headband", "at_maker")] == 2  # Julien's job5
    assert_ledger_reconciles(client, coordinator)

    # The recall names exactly the delivered batches of the hold, centre by centre.
    recall = get(client, coordinator, f"/holds/{hold_id}/recall").json()
    assert recall["quantity"] == 9
    assert recall["notified_at"] is None
    named = {
        centre["centre_name"]: {
            (b["batch_id"], b["order_id"], b["quantity"]) for b in centre["batches"]
        }
        for centre in recall["centres"]
    }
    assert named == {
        "CH Abbeville": {(b1, first, 5)},
        "EHPAD Les Jardins": {(b1, second, 1), (b2, second, 3)},
    }
    assert all(len(b["delivery_ids"]) == 1 for c in recall["centres"] for b in c["batches"])

    # After the hold: Camille's next job goes straight to quarantine; nothing of hers can
    # be collected; the order whose packed goods are held gets only what it still needs,
    # from Julien's batch.
    job6 = printed(client, net, camille, "headband", 2)
    held = get(client, coordinator, f"/holds/{hold_id}").json()
    assert {lot["job_id"] for lot in held["lots"]} >= {job6}
    assert held["held"] == 13
    assert stock(client, coordinator)[("headband", "at_maker")] == 2  # still only job5
    refused = post(
        client,
        coordinator,
        "/collections",
        {"maker_id": net.maker_id, "item": "headband", "quantity": 1},
    )
    assert refused.status_code == 409, refused.text
    too_many = post(client, coordinator, "/packings", {"order_id": third, "quantity": 4})
    assert too_many.status_code == 409
    assert "needs 3 more" in too_many.json()["detail"]
    repacked = post(client, coordinator, "/packings", {"order_id": third, "quantity": 3})
    assert repacked.status_code == 201, repacked.text
    assert {m["batch_id"] for m in repacked.json()["movements"]} == {b3}
    delivered = post(client, coordinator, "/deliveries", {"order_id": third, "quantity": 3})
    assert delivered.status_code == 201, delivered.text
    hold_started = min(m["id"] for m in movements(client, coordinator) if m["hold_id"] == hold_id)
    packed_since = [
        m
        for m in movements(client, coordinator)
        if m["id"] > hold_started and m["stage"] in ("packed", "delivered") and m["delta"] > 0
    ]
    assert packed_since and {m["batch_id"] for m in packed_since} == {b3}
    assert_ledger_reconciles(client, coordinator)
    assert get(client, coordinator, f"/holds/{hold_id}/recall").json() == recall

    # The centres are told (recorded, until the notifications send it), then it is scrapped.
    told = post(client, coordinator, f"/holds/{hold_id}/recall/notified")
    assert told.status_code == 200, told.text
    assert told.json()["notified_at"] is not None
    assert get(client, coordinator, f"/holds/{hold_id}/recall").json()["notified_at"]
    scrapped = post(
        client, coordinator, f"/holds/{hold_id}/scrap", {"reason": "cracks confirmed on 3 of 5"}
    )
    assert scrapped.status_code == 200, scrapped.text
    assert (scrapped.json()["status"], scrapped.json()["held"]) == ("scrapped", 0)
    gone = [m for m in movements(client, coordinator) if m["reason"] == "scrapped"]
    assert sum(-m["delta"] for m in gone) == 13
    assert {m["note"] for m in gone} == {"cracks confirmed on 3 of 5"}
    final = stock(client, coordinator)
    assert final[("headband", "quarantined")] == final[("visor", "quarantined")] == 0
    assert_ledger_reconciles(client, coordinator)
    assert job5  # Julien's parts were never touched
    assert final[("headband", "at_maker")] == 2
