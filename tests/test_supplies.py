"""Every supply of a bill of materials in planning, forecasts and alerts, through the API
on SQLite and PostgreSQL: an order short of elastic, as in the 2020 hubs (issue 16)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import board_views
from orchestrator.core.config import Settings
from orchestrator.services.planning import replan
from tests.conftest import Network
from tests.test_production_flow import donate, get, order, post, printed, printer_for


def planned_now(engine: Engine, settings: Settings) -> tuple[int, int]:
    """One planning pass, as the production line runs it."""
    with Session(engine) as session:
        created = replan(session, settings)
        session.commit()
    return created


def queued_copies(client: TestClient, net: Network, order_id: int) -> int:
    jobs = get(client, net.coordinator, "/jobs", params={"status": "queued"}).json()
    return sum(job["copies"] for job in jobs if job["order_id"] == order_id)


def supply(summary: dict[str, Any], item: str) -> dict[str, Any]:
    (found,) = [s for s in summary["supplies"] if s["item"] == item]
    return found


def alerts(summary: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {a["subject"]: a["params"] for a in summary["alerts"] if a["kind"] == kind}


def three_visors_made_with_elastic_for_five(client: TestClient, net: Network) -> None:
    """Film for 20 visors, elastic for 5; 4 headbands checked, 3 visors assembled today."""
    donate(client, net, "film_sheet", 20)
    donate(client, net, "elastic", 5)
    printer = printer_for(client, net.maker)
    printed(client, net, printer, "headband", 4)
    post(
        client,
        net.coordinator,
        "/collections",
        {"maker_id": net.maker_id, "item": "headband", "quantity": 4},
    )
    post(client, net.coordinator, "/qc", {"item": "headband", "passed": 4})
    made = post(client, net.coordinator, "/batches", {"product_key": "visor", "quantity": 3})
    assert made.status_code == 201, made.text


def test_an_order_short_of_elastic_prints_only_what_can_be_assembled_and_says_so(
    client: TestClient, engine: Engine, network: Network, settings: Settings
) -> None:
    net = network
    three_visors_made_with_elastic_for_five(client, net)
    order_id = order(client, net.centre, "visor", 12)

    # 12 visors - 3 made = 9 to assemble; 2 elastics left: 2 visors can be, and 1 headband
    # is checked already, so 1 is printed, not 8.
    assert planned_now(engine, settings) == (1, 0)
    assert queued_copies(client, net, order_id) == 1

    seen = get(client, net.centre, f"/orders/{order_id}").json()
    assert seen["eta"] is None
    assert seen["eta_note"] == "awaiting_supplies"
    assert seen["held_back"] == [{"item": "elastic", "missing": 7}]
    assert board_views.eta_note(seen["eta_note"], "fr", seen["held_back"]) == (
        "en attente de fournitures : Élastiques (il en manque 7)"
    )
    assert board_views.eta_note(seen["eta_note"], "en", seen["held_back"]) == (
        "waiting for supplies: Elastic bands (7 missing)"
    )

    # The board said so while 2 elastics were still on hand.
    summary = get(client, net.coordinator, "/board").json()
    assert supply(summary, "elastic") == {
        "item": "elastic",
        "on_hand": 2,
        "used_per_day": 3.0,
        "days_left": 0.7,
        "needed_for_open_orders": 9,
        "missing": 7,
    }
    assert supply(summary, "film_sheet")["missing"] == 0
    assert alerts(summary, "supply_short") == {
        "supply:elastic": {"item": "elastic", "on_hand": 2, "needed": 9, "missing": 7}
    }
    assert alerts(summary, "supply_running_out")["supply:elastic"]["days_left"] == 0.7
    # What the planner and the board foresaw, assembly meets.
    refused = post(client, net.coordinator, "/batches", {"product_key": "visor", "quantity": 3})
    assert refused.status_code == 409
    assert "elastic" in refused.json()["detail"]

    # A donation of the 7 missing: nothing held back, the rest is planned.
    donate(client, net, "elastic", 7)
    waiting = get(client, net.centre, f"/orders/{order_id}").json()
    assert (waiting["held_back"], waiting["eta_note"]) == ([], "awaiting_parts")
    planned_now(engine, settings)
    assert queued_copies(client, net, order_id) == 8  # 9 to assemble, 1 headband checked
    ready = get(client, net.centre, f"/orders/{order_id}").json()
    assert (ready["held_back"], ready["eta_note"]) == ([], "no_printer_online")
    summary = get(client, net.coordinator, "/board").json()
    assert "supply:elastic" not in alerts(summary, "supply_short")


def test_supplies_go_to_the_order_due_first(
    client: TestClient, engine: Engine, network: Network, settings: Settings
) -> None:
    """Elastic for 5: the order due in 2 days takes 4, the one due in 9 days lacks 5 of its
    6 and is printed for 1."""
    donate(client, network, "film_sheet", 50)
    donate(client, network, "elastic", 5)
    later = order(client, network.other_centre, "visor", 6, days=9)
    soon = order(client, network.centre, "visor-reinforced", 4, days=2)

    planned_now(engine, settings)

    assert queued_copies(client, network, soon) == 8  # 4 headbands and 4 reinforcements
    assert queued_copies(client, network, later) == 1
    orders = {o["id"]: o for o in get(client, network.coordinator, "/orders").json()}
    assert orders[soon]["held_back"] == []
    assert orders[later]["held_back"] == [{"item": "elastic", "missing": 5}]
