"""The board's summary and printer grid against a small network with a known history,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.api.schemas import StockBalance
from orchestrator.database.tables import JobAttempt, PrinterStatus
from orchestrator.domain.vocabulary import Item, Stage
from orchestrator.parts.slicing import SlicingProblem
from orchestrator.services import board
from tests.conftest import Network, bearer
from tests.test_parts_api import API, record_failure, register_printer
from tests.test_production_flow import donate, get, order, post, printed, printer_for


def report_status(engine: Engine, printer_id: int, state: str, **fields: Any) -> None:
    with Session(engine) as session:
        session.merge(PrinterStatus(printer_id=printer_id, state=state, **fields))
        session.commit()


def failed_attempts(engine: Engine, job_id: int, printer_id: int, outcomes: list[str]) -> None:
    with Session(engine) as session:
        for outcome in outcomes:
            session.add(
                JobAttempt(
                    job_id=job_id,
                    printer_id=printer_id,
                    outcome=outcome,
                    reason="warped",
                    ended_at=datetime.now(UTC),
                )
            )
        session.commit()


def seed_history(client: TestClient, engine: Engine, net: Network) -> dict[str, int]:
    """6 headbands printed, 3 visors assembled, 2 delivered; 4 film sheets donated."""
    donate(client, net, "film_sheet", 4)
    donate(client, net, "elastic", 10)
    printer = printer_for(client, net.maker, "Prusa MK3S")
    printed(client, net, printer, "headband", 6)
    post(
        client,
        net.coordinator,
        "/collections",
        {"maker_id": net.maker_id, "item": "headband", "quantity": 6},
    )
    post(
        client,
        net.coordinator,
        "/qc",
        {"item": "headband", "passed": 5, "rejected": 1, "reason": "warped"},
    )
    batch = post(client, net.coordinator, "/batches", {"product_key": "visor", "quantity": 3})
    post(client, net.coordinator, f"/batches/{batch.json()['id']}/disinfection", {"method": "uv"})
    visors = order(client, net.centre, "visor", 10)
    order(client, net.other_centre, "amicroche", 5)
    post(client, net.coordinator, "/packings", {"order_id": visors, "quantity": 2})
    post(client, net.coordinator, "/deliveries", {"order_id": visors, "quantity": 2})
    return {"printer": printer, "visor_order": visors}


def test_the_summary_adds_up_the_networks_history(
    client: TestClient, engine: Engine, network: Network
) -> None:
    seeded = seed_history(client, engine, network)
    busy = printer_for(client, network.other_maker, "Voron")
    gone = printer_for(client, network.other_maker, "Ender 3")
    printer_for(client, network.maker, "never seen")
    report_status(engine, seeded["printer"], "awaiting_clear")
    report_status(engine, busy, "printing", progress=42.0)
    stranded = post(
        client,
        network.coordinator,
        "/jobs",
        {"part_key": "headband", "copies": 1, "printer_id": gone},
    )
    report_status(engine, gone, "offline", offline_since=datetime.now(UTC))
    flaky = post(client, network.coordinator, "/jobs", {"part_key": "amicroche", "copies": 2})
    failed_attempts(engine, flaky.json()["id"], busy, ["failed", "lost"])

    summary = get(client, network.coordinator, "/board").json()

    products = {line["item"]: line for line in summary["products"]}
    assert products["visor"] == {
        "item": "visor",
        "ordered": 10,
        "packed": 0,
        "delivered": 2,
        "remaining": 8,
    }
    assert products["amicroche"]["ordered"] == 5
    assert summary["printers"] == {
        "total": 4,
        "online": 2,
        "printing": 1,
        "awaiting_clear": 1,
        "idle": 0,
        "offline": 2,
    }
    assert summary["jobs_by_status"]["queued"] == 1
    assert summary["jobs_by_status"]["assigned"] == 1
    funnel = {(step["item"], step["step"]): step["quantity"] for step in summary["funnel"]}
    assert [
        funnel[("visor", step)]
        for step in ("printed", "collected", "qc_passed", "assembled", "disinfected", "delivered")
    ] == [6, 6, 5, 3, 3, 2]
    stock = {(b["item"], b["stage"]): b["quantity"] for b in summary["stock"]}
    assert stock[("headband", "qc_passed")] == 2
    assert stock[("visor", "disinfected")] == 1
    # 3 of 4 sheets (and 3 of 10 elastics) used today; 8 visors still to make, 1 already
    # made: 7 more of each needed, which the elastic covers and the film does not.
    assert summary["supplies"] == [
        {
            "item": "elastic",
            "on_hand": 7,
            "used_per_day": 3.0,
            "days_left": 2.3,
            "needed_for_open_orders": 7,
            "missing": 0,
        },
        {
            "item": "film_sheet",
            "on_hand": 1,
            "used_per_day": 3.0,
            "days_left": 0.3,
            "needed_for_open_orders": 7,
            "missing": 6,
        },
    ]
    # All of it within minutes: the chart shows the last hour in 5-minute bars.
    bars = summary["throughput"]
    assert summary["throughput_bar_minutes"] == 5
    assert len(bars) in (13, 14)
    assert (sum(b["printed"] for b in bars), sum(b["delivered"] for b in bars)) == (6, 2)
    headband_stages = [b["stage"] for b in summary["stock"] if b["item"] == "headband"]
    assert headband_stages == ["qc_passed", "rejected", "assembled"], "in production order"
    kinds = {(alert["kind"], alert["subject"]) for alert in summary["alerts"]}
    assert ("printer_offline_during_job", f"printer:{gone}") in kinds
    assert ("job_failed_twice", f"job:{flaky.json()['id']}") in kinds
    assert ("supply_short", "supply:film_sheet") in kinds
    assert ("supply_short", "supply:elastic") not in kinds
    # Both run out within days at today's rate.
    assert ("supply_running_out", "supply:film_sheet") in kinds
    assert ("supply_running_out", "supply:elastic") in kinds
    (short,) = [a for a in summary["alerts"] if a["kind"] == "supply_short"]
    assert short["params"] == {"item": "film_sheet", "on_hand": 1, "needed": 7, "missing": 6}
    assert stranded.status_code == 201


NOW = datetime(2026, 11, 30, 16, 47, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "bar_minutes", "first_bar"),
    [
        # A demo a few minutes old: the last hour in 5-minute bars.
        (NOW - timedelta(minutes=3), 5, datetime(2026, 11, 30, 15, 45, tzinfo=UTC)),
        (NOW - timedelta(hours=3), 5, datetime(2026, 11, 30, 13, 45, tzinfo=UTC)),
        (NOW - timedelta(hours=30), 60, datetime(2026, 11, 29, 10, tzinfo=UTC)),
        (NOW - timedelta(days=6), 360, datetime(2026, 11, 24, 12, tzinfo=UTC)),
        (NOW - timedelta(days=30), 1440, datetime(2026, 10, 31, tzinfo=UTC)),
        # Nothing printed or delivered: the last day.
        (None, 60, datetime(2026, 11, 29, 16, tzinfo=UTC)),
    ],
)
def test_the_throughput_chart_starts_at_its_first_data_in_bars_that_fit(
    first: datetime | None, bar_minutes: int, first_bar: datetime
) -> None:
    start, width = board.throughput_window(first, NOW)

    assert (start, width) == (first_bar, timedelta(minutes=bar_minutes))
    assert (NOW - start) // width < board.MAX_BARS


def test_stock_is_listed_in_production_order() -> None:
    balances = [
        StockBalance(item=Item(item), stage=Stage(stage), quantity=1)
        for item, stage in [
            ("visor", "delivered"),
            ("headband", "qc_passed"),
            ("visor", "assembled"),
            ("headband", "at_maker"),
            ("film_sheet", "on_hand"),
            ("headband", "collected"),
        ]
    ]

    assert [(b.item, b.stage) for b in board.in_production_order(balances)] == [
        ("headband", "at_maker"),
        ("headband", "collected"),
        ("headband", "qc_passed"),
        ("film_sheet", "on_hand"),
        ("visor", "assembled"),
        ("visor", "delivered"),
    ]


def test_late_alerts_are_the_orders_flagged_late(
    client: TestClient, engine: Engine, network: Network
) -> None:
    """30 headbands of about 80 minutes each on one printer cannot be ready tomorrow (the
    supplies are there: an order they hold back has no date at all)."""
    donate(client, network, "film_sheet", 31)
    donate(client, network, "elastic", 31)
    rushed = order(client, network.centre, "visor", 30, days=1)
    order(client, network.other_centre, "visor", 1, days=60)
    for _ in range(30):
        post(
            client,
            network.coordinator,
            "/jobs",
            {"part_key": "headband", "copies": 1, "order_id": rushed},
        )
    report_status(engine, printer_for(client, network.maker), "idle")
    orders = get(client, network.coordinator, "/orders").json()
    late = {f"order:{o['id']}" for o in orders if o["late"]}
    alerts = get(client, network.coordinator, "/board").json()["alerts"]
    assert (
        {a["subject"] for a in alerts if a["kind"] == "order_late"} == late == {f"order:{rushed}"}
    )


def test_the_printer_grid_pages_and_filters(
    client: TestClient, engine: Engine, network: Network
) -> None:
    ids = [printer_for(client, network.maker, f"P{n}") for n in range(5)]
    report_status(engine, ids[1], "printing", progress=10.0)
    job = post(
        client,
        network.coordinator,
        "/jobs",
        {"part_key": "headband", "copies": 1, "printer_id": ids[1]},
    ).json()

    page = get(client, network.coordinator, "/board/printers", params={"limit": 2, "offset": 1})
    assert page.json()["total"] == 5
    rows = page.json()["rows"]
    assert [row["printer_id"] for row in rows] == ids[1:3]
    assert rows[0]["state"] == "printing"
    assert (rows[0]["job_id"], rows[0]["part_key"], rows[0]["maker_name"]) == (
        job["id"],
        "headband",
        "Camille",
    )
    assert rows[1]["state"] == "offline"  # never reported
    printing = get(client, network.coordinator, "/board/printers", params={"state": "printing"})
    assert [row["printer_id"] for row in printing.json()["rows"]] == [ids[1]]
    offline = get(client, network.coordinator, "/board/printers", params={"state": "offline"})
    assert offline.json()["total"] == 4
    # A printer its maker paused says so.
    assert post(client, network.maker, "/pauses", {"printer_id": ids[3]}).status_code == 201
    rows = get(client, network.coordinator, "/board/printers").json()["rows"]
    assert [row["printer_id"] for row in rows if row["paused"]] == [ids[3]]


def test_the_queue_lists_jobs_in_dispatch_order(client: TestClient, network: Network) -> None:
    first = order(client, network.centre, "visor", 2, days=9)
    urgent = order(client, network.other_centre, "visor", 2, days=2)
    for order_id in (first, urgent):
        post(
            client,
            network.coordinator,
            "/jobs",
            {"part_key": "headband", "copies": 1, "order_id": order_id},
        )
    queue = get(client, network.coordinator, "/jobs", params={"status": "queued", "limit": 1})
    assert [job["order_id"] for job in queue.json()] == [urgent]
    # The board's queue tab: the head of the same queue, and how many are queued.
    head = get(client, network.coordinator, "/board/queue", params={"limit": 1}).json()
    assert head["total"] == 2
    assert [job["order_id"] for job in head["jobs"]] == [urgent]
    assert head["jobs"][0]["part_key"] == "headband"
    assert get(client, network.maker, "/board/queue").status_code == 403


def test_printers_that_cannot_be_given_work_and_parts_none_can_slice_are_alerts(
    client: TestClient, engine: Engine, network: Network
) -> None:
    printer_for(client, network.maker, "Prusa MK3S")
    wide = register_printer(client, network.other_maker, name="Wide nozzle", nozzle_mm=0.6)
    tiny = register_printer(client, network.maker, name="Tiny", bed_x_mm=60, bed_y_mm=60)
    record_failure(engine, "headband", SlicingProblem.SLICER_FAILED, nozzle_mm=0.6)
    record_failure(engine, "reinforcement", SlicingProblem.SLICER_TIMEOUT, nozzle_mm=0.6)
    record_failure(engine, "amicroche", SlicingProblem.STL_MISSING)  # on the MK3S's profile

    alerts = get(client, network.coordinator, "/board").json()["alerts"]
    unworkable = {
        alert["subject"]: alert
        for alert in alerts
        if alert["kind"] in ("printer_cannot_print", "part_cannot_be_sliced")
    }
    corrected = client.patch(
        f"{API}/printers/{wide['id']}", json={"nozzle_mm": 0.4}, headers=bearer(network.other_maker)
    )
    after = get(client, network.coordinator, "/board").json()["alerts"]

    assert unworkable == {
        f"printer:{wide['id']}": {
            "kind": "printer_cannot_print",
            "subject": f"printer:{wide['id']}",
            "params": {
                "printer": "Wide nozzle",
                "printer_id": wide["id"],
                "maker": "Julien",
                "reason": "slicer_failed",
                "parts": "headband, reinforcement",
                "retry_at": "2020-04-02T09:01:00+00:00",
            },
            "since": "2020-04-02T09:00:00Z",
        },
        f"printer:{tiny['id']}": {
            "kind": "printer_cannot_print",
            "subject": f"printer:{tiny['id']}",
            "params": {
                "printer": "Tiny",
                "printer_id": tiny["id"],
                "maker": "Camille",
                "reason": "bed_too_small",
                "parts": None,
                "retry_at": None,
            },
            "since": None,
        },
        "part:amicroche": {
            "kind": "part_cannot_be_sliced",
            "subject": "part:amicroche",
            "params": {
                "part": "amicroche",
                "reason": "stl_missing",
                "retry_at": "2020-04-02T09:01:00+00:00",
            },
            "since": "2020-04-02T09:00:00Z",
        },
    }
    assert corrected.status_code == 200, corrected.text
    assert f"printer:{wide['id']}" not in {alert["subject"] for alert in after}
