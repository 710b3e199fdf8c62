"""Issue 13, point 3: one bad printer cannot stop the fleet.

Against the running service: the API (uvicorn), the orchestrator, a real Mosquitto and
simulated printers. Beside three good printers sit a printer PrusaSlicer crashes on (its
profile passes the API's checks), one whose bed fits no part, and two rows written straight
to the database as rows from before the ranges would be: a 0.001 mm nozzle and unreadable
hours. The reinforcement's STL goes missing, and a job is assigned by hand to a broken
printer. The good printers print every headband of the order; the broken ones are skipped
and flagged on the board, and so is the reinforcement; every part's plates answer 200; the
orchestrator's loop never fails, and does not ask PrusaSlicer again for the plate it
crashed on.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from orchestrator.database.tables import Job, Part
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.production_line import ProductionLine
from tests.conftest import Network, bearer
from tests.parts.test_slicing import crashes_of, install_crashing_slicer
from tests.realparts import Mosquitto, descendants_cpu_seconds, wait_for, wait_while_progressing
from tests.test_link import (  # noqa: F401  (the settings fixture: the broker of the test)
    at_maker,
    settings,
    simulate,
)
from tests.test_parts_api import write_past_the_checks

pytestmark = pytest.mark.slow
API = "/api/v1"
MK3 = {"bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
VISORS = 6
PROBLEMS = {  # what the board says of each broken printer, and of the part
    "wide": ("printer_cannot_print", "slicer_failed"),
    "tiny": ("printer_cannot_print", "bed_too_small"),
    "old": ("printer_cannot_print", "settings_out_of_range"),
    "reinforcement": ("part_cannot_be_sliced", "stl_missing"),
}


def register(http: httpx.Client, token: str, name: str, **fields: object) -> tuple[int, str]:
    created = http.post("/printers", json=MK3 | {"name": name, **fields}, headers=bearer(token))
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["token"]


def problems_on_board(http: httpx.Client, token: str, subjects: dict[str, str]) -> dict:
    alerts = http.get("/board", headers=bearer(token)).json()["alerts"]
    found = {(a["kind"], a["subject"]): a["params"]["reason"] for a in alerts}
    return {
        name: (kind, found.get((kind, subjects[name])))
        for name, (kind, _reason) in PROBLEMS.items()
    }


def headband_jobs(engine: Engine) -> list[Job]:
    with Session(engine) as session:
        return list(
            session.exec(select(Job).join(Part).where(Part.key == "headband").order_by(col(Job.id)))
        )


def production_progress(engine: Engine) -> object:
    """What changes while production goes on, however slowly on a loaded machine: the
    headband jobs' states, the parts printed, and PrusaSlicer's CPU time as it slices."""
    jobs = tuple((job.id, str(job.status), job.attempts) for job in headband_jobs(engine))
    return jobs, at_maker(engine, "headband"), descendants_cpu_seconds()


def test_a_broken_printer_beside_good_ones_does_not_stop_production(
    live_server: str,
    network: Network,
    engine: Engine,
    orchestrator: ProductionLine,
    mosquitto: Mosquitto,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slicer = install_crashing_slicer(tmp_path, when="nozzle_diameter = 0.6")
    monkeypatch.setenv("PATH", f"{slicer.parent}{os.pathsep}{os.environ['PATH']}")
    http = httpx.Client(base_url=f"{live_server}{API}", timeout=30)
    coordinator = bearer(network.coordinator)
    healthy = [register(http, network.maker, f"MK3S #{n}") for n in range(3)]
    broken = [
        register(http, network.other_maker, "Wide nozzle", nozzle_mm=0.6),
        register(http, network.other_maker, "Tiny", bed_x_mm=60, bed_y_mm=60, bed_z_mm=20),
        register(http, network.other_maker, "From before the ranges"),
        register(http, network.other_maker, "Odd hours"),
    ]
    good = {printer_id for printer_id, _token in healthy}
    wide, tiny, old, odd = (printer_id for printer_id, _token in broken)
    write_past_the_checks(engine, old, nozzle_mm=0.001)
    write_past_the_checks(engine, odd, availability_hours="whenever")
    with Session(engine) as session:  # the file is gone from the server's disk
        session.exec(  # type: ignore[call-overload]
            update(Part)
            .where(col(Part.key) == "reinforcement")
            .values(stl_path=str(tmp_path / "gone.stl"))
        )
        session.commit()
    http.post(
        "/jobs",
        json={"part_key": "headband", "copies": 1, "printer_id": old},
        headers=coordinator,
    ).raise_for_status()
    for item in ("film_sheet", "elastic"):
        http.post(
            "/donations",
            json={"donor": "Papeterie", "item": item, "quantity": VISORS},
            headers=coordinator,
        ).raise_for_status()
    credentials = {str(printer_id): token for printer_id, token in healthy + broken}
    loop, task, thread = simulate(mosquitto, credentials, speed=40_000.0, auto_clear_seconds=0.05)
    try:
        http.post(
            "/orders",
            json={
                "product_key": "visor-reinforced",
                "quantity": VISORS,
                "delivery_address": "CH Abbeville",
                "needed_by": (date.today() + timedelta(days=3)).isoformat(),
            },
            headers=bearer(network.centre),
        ).raise_for_status()

        wait_while_progressing(
            lambda: (
                at_maker(engine, "headband") == VISORS
                and all(job.status == JobStatus.DONE for job in headband_jobs(engine))
            ),
            lambda: production_progress(engine),
            f"{VISORS} headbands printed by the good printers",
            stalled_after=30,
            limit=240,
        )
        subjects = {
            "wide": f"printer:{wide}",
            "tiny": f"printer:{tiny}",
            "old": f"printer:{old}",
            "reinforcement": "part:reinforcement",
        }
        flagged = wait_for(
            lambda: (
                (found := problems_on_board(http, network.coordinator, subjects)) == PROBLEMS
                and found
            ),
            20,
            "the broken printers and the part flagged on the board",
        )
        metrics = wait_for(
            lambda: (
                (m := http.get("/metrics", headers=coordinator).json()["totals"]).get(
                    "slicing_failures", 0
                )
                >= 3
                and m
            ),
            10,
            "the orchestrator's counters",
        )
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)
    alerts = http.get("/board", headers=coordinator).json()["alerts"]
    plates = {
        key: [
            http.get(f"/parts/{key}/plates", headers=bearer(token))
            for token in (network.centre, network.maker, network.other_maker, network.coordinator)
        ]
        for key in ("headband", "reinforcement")
    }
    http.close()

    jobs = headband_jobs(engine)
    assert {job.printer_id for job in jobs} == good  # each good printer got work
    by_hand = next(job for job in jobs if job.order_id is None)
    assert by_hand.attempts == 1
    assert f"cannot be sliced for printer {old} (settings_out_of_range)" in str(by_hand.last_reason)
    assert flagged == PROBLEMS
    wide_alert = next(a for a in alerts if a["subject"] == f"printer:{wide}")
    assert (wide_alert["params"]["maker"], wide_alert["params"]["parts"]) == ("Julien", "headband")
    assert not {f"printer:{printer_id}" for printer_id in good} & {a["subject"] for a in alerts}
    assert {answer.status_code for answers in plates.values() for answer in answers} == {200}
    headband = {plate["printer_ids"][0]: plate["problem"] for plate in plates["headband"][0].json()}
    assert [headband[printer_id] for printer_id in (min(good), wide, tiny, old)] == [
        None,
        "slicer_failed",
        "bed_too_small",
        "settings_out_of_range",
    ]
    reinforcement = {p["printer_ids"][0]: p for p in plates["reinforcement"][0].json()}
    assert reinforcement[min(good)]["problem"] == "stl_missing"
    # The loop never failed, and PrusaSlicer was not asked again for the plate it crashed on.
    assert "worker_errors" not in metrics
    assert not [r for r in caplog.records if "planning or dispatching failed" in r.getMessage()]
    assert crashes_of(slicer) == 1
