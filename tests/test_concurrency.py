"""The ledger's invariants hold under concurrency, enforced by the database transaction."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from orchestrator.database.tables import Job, Movement
from orchestrator.services import filament
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


def test_filament_sent_and_printed_at_once_never_goes_below_zero(
    live_server: str, network: Network, engine: Engine
) -> None:
    """The hub holds 1 kg of PETG and 20 shipments of 100 g race for it; Camille holds 50 g
    and 6 jobs of 20 g are reported done at once: exactly 10 shipments pass, and her jobs
    take the 50 g there are and record the 70 g missing, every lot at zero or more."""
    coordinator = bearer(network.coordinator)
    with httpx.Client(base_url=f"{live_server}{API}", timeout=30) as http:
        http.post(
            "/donations",
            headers=coordinator,
            json={"donor": "Filalab", "item": "filament_g", "quantity": 1_000, "material": "PETG"},
        ).raise_for_status()
        http.post(
            "/makers/me/filament",
            headers=bearer(network.maker),
            json={"material": "PETG", "grams": 50},
        ).raise_for_status()
        job_ids = []
        for index in range(6):
            printer = http.post(
                "/printers",
                headers=bearer(network.maker),
                json={"name": f"MK3 {index}", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210},
            ).json()
            job = http.post(
                "/jobs",
                headers=coordinator,
                json={"part_key": "headband", "copies": 1, "printer_id": printer["id"]},
            ).json()
            job_ids.append(job["id"])
    with Session(engine) as session:
        for job in session.exec(select(Job).where(col(Job.id).in_(job_ids))):
            job.grams = 20  # as the orchestrator stores it from the slicer
            session.add(job)
        session.commit()
    start = threading.Barrier(26)
    outcomes: list[httpx.Response] = []

    def send_one() -> None:
        with httpx.Client(base_url=f"{live_server}{API}", timeout=60) as http:
            start.wait()
            outcomes.append(
                http.post(
                    "/filament/sent",
                    headers=coordinator,
                    json={"maker_id": network.other_maker_id, "material": "PETG", "grams": 100},
                )
            )

    def done_one(job_id: int) -> None:
        with httpx.Client(base_url=f"{live_server}{API}", timeout=60) as http:
            start.wait()
            http.post(f"/jobs/{job_id}/done", headers=coordinator).raise_for_status()

    threads = [threading.Thread(target=send_one) for _ in range(20)]
    threads += [threading.Thread(target=done_one, args=(job_id,)) for job_id in job_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(r.status_code for r in outcomes) == {201: 10, 409: 10}
    with Session(engine) as session:

        def filament_at(stage: str, **scope: object) -> int:
            query = select(func.coalesce(func.sum(Movement.delta), 0)).where(
                Movement.item == "filament_g", Movement.stage == stage
            )
            for name, value in scope.items():
                query = query.where(getattr(Movement, name) == value)
            return int(session.exec(query).one())

        assert filament_at("on_hand") == 0
        assert filament_at("at_maker", maker_id=network.other_maker_id) == 1_000
        assert filament_at("at_maker", maker_id=network.maker_id) == 0
        printed = session.exec(select(Movement).where(Movement.reason == "printed")).all()
        assert len(printed) == 6  # one movement a job: each counted once
        assert sum(m.delta for m in printed) == -50
        short = sum(int(m.note.split()[2]) for m in printed if m.note)  # "short by N g"
        assert short == 6 * 20 - 50
        assert filament.negative_lots(session) == []


# --- quarantine and recall ------------------------------------------------------------


def disinfected_visors(url: str, net: Network, visors: int) -> dict[str, int]:
    """`visors` disinfected visors in one batch of the maker's one job, and an order for
    them: the ids of the job, printer, batch and order."""
    prepare_stock_for_visors(url, net, headbands=visors, films=visors)
    coordinator = bearer(net.coordinator)
    with httpx.Client(base_url=f"{url}{API}", timeout=30) as http:
        batch = http.post(
            "/batches", headers=coordinator, json={"product_key": "visor", "quantity": visors}
        ).json()
        http.post(
            f"/batches/{batch['id']}/disinfection",
            headers=coordinator,
            json={"method": "alcohol_70"},
        ).raise_for_status()
        order = http.post(
            "/orders",
            headers=bearer(net.centre),
            json={
                "product_key": "visor",
                "quantity": visors,
                "needed_by": date.today().isoformat(),
                "delivery_address": "43 rue de l'Isle, Abbeville",
            },
        ).json()
        (job,) = http.get("/jobs", headers=coordinator).json()
    return {
        "job": job["id"],
        "printer": job["printer_id"],
        "batch": batch["id"],
        "order": order["id"],
    }


def ledger_totals(engine: Engine, item: str) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(Movement.stage, func.sum(Movement.delta))
            .where(Movement.item == item)
            .group_by(Movement.stage)
        )
        return {stage: int(total) for stage, total in rows}


def test_a_packing_racing_a_hold_never_packs_held_goods(
    live_server: str, network: Network, engine: Engine
) -> None:
    ids = disinfected_visors(live_server, network, visors=12)
    start = threading.Barrier(7)
    packings: list[httpx.Response] = []

    def pack() -> None:
        with httpx.Client(base_url=f"{live_server}{API}", timeout=60) as http:
            start.wait()
            packings.append(
                http.post(
                    "/packings",
                    headers=bearer(network.coordinator),
                    json={"order_id": ids["order"], "quantity": 2},
                )
            )

    def hold() -> None:
        with httpx.Client(base_url=f"{live_server}{API}", timeout=60) as http:
            start.wait()
            placed = http.post(
                "/holds",
                headers=bearer(network.coordinator),
                json={"scope": "maker", "id": network.maker_id, "reason": "cracks reported"},
            )
            assert placed.status_code == 201, placed.text

    threads = [threading.Thread(target=pack) for _ in range(6)]
    threads.append(threading.Thread(target=hold))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {r.status_code for r in packings} <= {201, 409}
    packed_before_hold = 2 * sum(r.status_code == 201 for r in packings)
    totals = ledger_totals(engine, "visor")
    # Whatever was packed before the hold is held from `packed`; nothing is left packed.
    assert (totals.get("packed", 0), totals["disinfected"], totals["quarantined"]) == (0, 0, 12)
    with Session(engine) as session:
        held_from = dict(
            session.exec(
                select(Movement.held_from, func.sum(Movement.delta))
                .where(Movement.item == "visor", Movement.stage == "quarantined")
                .group_by(Movement.held_from)
            ).all()
        )
    assert held_from.get("packed", 0) == packed_before_hold
    assert held_from.get("disinfected", 0) == 12 - packed_before_hold
    with httpx.Client(base_url=f"{live_server}{API}", timeout=30) as http:
        later = http.post(
            "/packings",
            headers=bearer(network.coordinator),
            json={"order_id": ids["order"], "quantity": 1},
        )
    assert later.status_code == 409


def test_overlapping_holds_never_move_goods_twice(
    live_server: str, network: Network, engine: Engine
) -> None:
    """Four holds placed at once reach the same 12 visors: each visor is held once, and
    releasing the holds one by one passes the goods to the holds still active."""
    ids = disinfected_visors(live_server, network, visors=12)
    scopes = [
        {"scope": "maker", "id": network.maker_id},
        {"scope": "printer", "id": ids["printer"]},
        {"scope": "job", "id": ids["job"]},
        {"scope": "batch", "id": ids["batch"]},
    ]
    start = threading.Barrier(len(scopes))
    placed: list[httpx.Response] = []

    def hold(scope: dict[str, object]) -> None:
        with httpx.Client(base_url=f"{live_server}{API}", timeout=60) as http:
            start.wait()
            placed.append(
                http.post(
                    "/holds",
                    headers=bearer(network.coordinator),
                    json={**scope, "reason": "suspect batch"},
                )
            )

    threads = [threading.Thread(target=hold, args=(scope,)) for scope in scopes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in placed] == [201] * 4, [r.text for r in placed]
    assert sorted(r.json()["held"] for r in placed) == [0, 0, 0, 12]
    placed_totals = ledger_totals(engine, "visor")
    assert (placed_totals["disinfected"], placed_totals["quarantined"]) == (0, 12)
    with httpx.Client(base_url=f"{live_server}{API}", timeout=30) as http:
        holding = sorted(placed, key=lambda r: -r.json()["held"])
        for response in holding[:-1]:
            released = http.post(
                f"/holds/{response.json()['id']}/release", headers=bearer(network.coordinator)
            )
            assert released.status_code == 200, released.text
            assert ledger_totals(engine, "visor")["disinfected"] == 0
            left = [
                h["held"] for h in http.get("/holds", headers=bearer(network.coordinator)).json()
            ]
            assert sorted(left) == [0, 0, 0, 12]
        last = holding[-1].json()["id"]
        http.post(f"/holds/{last}/release", headers=bearer(network.coordinator)).raise_for_status()
    totals = ledger_totals(engine, "visor")
    assert (totals["disinfected"], totals["quarantined"]) == (12, 0)
