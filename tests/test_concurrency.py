"""The ledger's invariants hold under concurrency, enforced by the database transaction."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from orchestrator.tables import Movement
from tests.conftest import Network, bearer

API = "/api/v1"


def prepare_stock_for_visors(url: str, net: Network, headbands: int, films: int) -> None:
    coordinator = bearer(net.coordinator)
    with httpx.Client(base_url=f"{url}{API}", timeout=30) as http:
        printer = http.post(
            "/printers",
            headers=bearer(net.maker),
            json={"name": "MK3", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210},
        ).json()
        job = http.post(
            "/jobs",
            headers=coordinator,
            json={"part_key": "headband", "copies": headbands, "printer_id": printer["id"]},
        ).json()
        http.post(f"/jobs/{job['id']}/done", headers=coordinator).raise_for_status()
        http.post(
            "/collections",
            headers=coordinator,
            json={"maker_id": net.maker_id, "item": "headband", "quantity": headbands},
        ).raise_for_status()
        http.post(
            "/qc", headers=coordinator, json={"item": "headband", "passed": headbands}
        ).raise_for_status()
        for item, quantity in (("film_sheet", films), ("elastic", headbands)):
            http.post(
                "/donations",
                headers=coordinator,
                json={"donor": "test", "item": item, "quantity": quantity},
            ).raise_for_status()


def test_twenty_assemblies_compete_for_ten_film_sheets(
    live_server: str, network: Network, engine: Engine
) -> None:
    prepare_stock_for_visors(live_server, network, headbands=20, films=10)
    start = threading.Barrier(20)
    outcomes: list[httpx.Response] = []

    def assemble_one() -> None:
        with httpx.Client(base_url=f"{live_server}{API}", timeout=60) as http:
            start.wait()
            outcomes.append(
                http.post(
                    "/batches",
                    headers=bearer(network.coordinator),
                    json={"product_key": "visor", "quantity": 1},
                )
            )

    threads = [threading.Thread(target=assemble_one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(r.status_code for r in outcomes) == {201: 10, 409: 10}
    for refused in (r for r in outcomes if r.status_code == 409):
        assert "Not enough film_sheet" in refused.json()["detail"]
    with Session(engine) as session:

        def total(item: str, stage: str) -> int:
            query = select(func.coalesce(func.sum(Movement.delta), 0)).where(
                Movement.item == item, Movement.stage == stage
            )
            return int(session.exec(query).one())

        assert total("visor", "assembled") == 10
        assert total("film_sheet", "on_hand") == 0
        assert total("headband", "qc_passed") == 10
        assert total("elastic", "on_hand") == 10


def test_concurrent_done_reports_count_a_job_once(
    live_server: str, network: Network, engine: Engine
) -> None:
    coordinator = bearer(network.coordinator)
    with httpx.Client(base_url=f"{live_server}{API}", timeout=30) as http:
        printer = http.post(
            "/printers",
            headers=bearer(network.maker),
            json={"name": "MK3", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210},
        ).json()
        job = http.post(
            "/jobs",
            headers=coordinator,
            json={"part_key": "headband", "copies": 4, "printer_id": printer["id"]},
        ).json()
    start = threading.Barrier(8)
    codes: list[int] = []

    def report() -> None:
        with httpx.Client(base_url=f"{live_server}{API}", timeout=60) as http:
            start.wait()
            codes.append(http.post(f"/jobs/{job['id']}/done", headers=coordinator).status_code)

    threads = [threading.Thread(target=report) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(codes) <= {200, 409}
    with Session(engine) as session:
        counted = session.exec(
            select(func.sum(Movement.delta)).where(
                Movement.job_id == job["id"], Movement.stage == "at_maker"
            )
        ).one()
    assert counted == 4
