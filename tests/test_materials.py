"""Materials that may change, on SQLite and PostgreSQL: a part lists the materials it may
be printed in, the preferred first (the catalogue's headband and reinforcement: PETG,
then PLA; the AMICROCHE hook: PETG only). A printer loaded with PLA prints what PLA is
allowed for, is sliced for PLA, and its plates take PLA from its maker's filament.
End to end with the production line, PrusaSlicer and a simulated printer on a real
broker."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Part
from orchestrator.domain.vocabulary import JobStatus, Stage
from tests.conftest import Network, bearer
from tests.production_runs import dispatch_round, order, printing, serving
from tests.realparts import Mosquitto, wait_for
from tests.test_filament import MK3, held, post
from tests.test_link import at_maker
from tests.test_windows import all_jobs_done

API = "/api/v1"


def test_the_catalogue_says_which_materials_each_part_may_take(
    client: TestClient, network: Network
) -> None:
    answer = client.get(f"{API}/parts", headers=bearer(network.coordinator))
    assert answer.status_code == 200, answer.text
    kept = {part["key"]: (part["material"], part["other_materials"]) for part in answer.json()}
    assert kept["headband"] == ("PETG", "PLA")
    assert kept["reinforcement"] == ("PETG", "PLA")
    assert kept["amicroche"] == ("PETG", "")


def test_a_pla_printer_takes_a_pla_allowed_part_and_its_plates_take_pla(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    """Camille's only printer has PLA loaded, and she declared a kilo of it. Hooks (PETG
    only) are first in the queue; her printer passes over them and takes a headband. Once
    done, the plate's grams leave her PLA, and her PETG is not touched."""
    coordinator = network.coordinator
    pla = post(client, network.maker, "/printers", MK3 | {"name": "MK3S PLA", "material": "PLA"})
    assert pla.status_code == 201, pla.text
    printer_id = pla.json()["id"]
    for material in ("PLA", "PETG"):
        body = {"material": material, "grams": 1_000}
        assert post(client, network.maker, "/makers/me/filament", body).status_code == 201

    def dispatch(part_key: str) -> list[Job]:
        made = dispatch_round(
            engine,
            settings,
            idle=[printer_id],
            jobs=1,
            estimate=lambda *_: 600.0,
            grams=lambda *_: 30.0,
            part_key=part_key,
        )
        return [job for job, _printer, _decision in made]

    assert dispatch("amicroche") == []  # PETG only: the PLA printer passes over it
    (job,) = dispatch("headband")
    assert (job.printer_id, job.material, job.grams) == (printer_id, "PLA", 30)
    assert post(client, coordinator, f"/jobs/{job.id}/done").status_code == 200
    assert held(engine, Stage.AT_MAKER, maker_id=network.maker_id, material="PLA") == 970
    assert held(engine, Stage.AT_MAKER, maker_id=network.maker_id, material="PETG") == 1_000
    with Session(engine) as session:
        hook = session.exec(
            select(Job).join(Part, col(Job.part_id) == Part.id).where(Part.key == "amicroche")
        ).one()
    assert (hook.status, hook.printer_id) == (JobStatus.QUEUED, None)


def test_an_order_of_visors_is_printed_in_pla_on_a_pla_printer(
    engine: Engine, settings: Settings, network: Network, mosquitto: Mosquitto
) -> None:
    """The only printer online has PLA loaded: a visor order is printed on it all the same,
    from G-code PrusaSlicer made for PLA."""
    with serving(engine, settings, mosquitto) as url:
        hub = httpx.Client(base_url=f"{url}{API}", headers=bearer(network.coordinator), timeout=30)
        for item in ("film_sheet", "elastic"):
            body = {"donor": "Club 3D", "item": item, "quantity": 2}
            hub.post("/donations", json=body).raise_for_status()
        body = MK3 | {"name": "MK3S PLA", "material": "PLA"}
        created = hub.post("/printers", json=body, headers=bearer(network.maker))
        created.raise_for_status()
        printer_id, token = created.json()["id"], created.json()["token"]
        with printing(engine, settings, mosquitto, {str(printer_id): token}, name="pla"):
            order(url, network.centre, "visor", 2)
            wait_for(lambda: at_maker(engine, "headband") >= 2, 180, "2 printed headbands")
            wait_for(lambda: all_jobs_done(engine), 30, "the beds cleared")
        with Session(engine) as session:
            jobs = session.exec(select(Job).where(col(Job.printer_id).is_not(None))).all()
        assert jobs and {(job.printer_id, job.material) for job in jobs} == {(printer_id, "PLA")}
        gcode = httpx.get(f"{url}{API}/jobs/{jobs[0].id}/gcode", headers=bearer(token), timeout=30)
    assert gcode.status_code == 200, gcode.text[:200]
    assert "filament_type = PLA" in gcode.text
