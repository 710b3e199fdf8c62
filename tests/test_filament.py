"""Filament where it is, on SQLite and PostgreSQL: makers declare spools, the hub sends
them, the dispatcher gives a printer only the jobs its maker's filament covers, and each
counted job takes its plate's grams, never below zero."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Movement
from orchestrator.domain.vocabulary import Item, JobStatus, Stage
from orchestrator.services import filament
from tests.conftest import Network, bearer, makers_printer
from tests.production_runs import dispatch_round, order, printing, serving
from tests.realparts import Mosquitto, wait_for
from tests.test_link import at_maker

API = "/api/v1"
MK3 = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
PLATE_GRAMS = 25.0  # what the slicer would say of a headband plate, for these tests


def post(client: TestClient, token: str, path: str, body: dict | None = None):
    return client.post(f"{API}{path}", json=body, headers=bearer(token))


def get(client: TestClient, token: str, path: str):
    response = client.get(f"{API}{path}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def held(engine: Engine, stage: Stage, **scope: object) -> int:
    with Session(engine) as session:
        query = select(Movement).where(Movement.item == Item.FILAMENT_G, Movement.stage == stage)
        for name, value in scope.items():
            query = query.where(getattr(Movement, name) == value)
        return sum(m.delta for m in session.exec(query))


def printer_of(client: TestClient, token: str, name: str) -> int:
    response = post(client, token, "/printers", MK3 | {"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_declare_send_and_correct_within_what_is_there(
    client: TestClient, network: Network, engine: Engine
) -> None:
    coordinator, maker = network.coordinator, network.maker
    donated = post(
        client,
        coordinator,
        "/donations",
        {"donor": "Filalab", "item": "filament_g", "quantity": 2_000, "material": " petg"},
    )
    assert donated.status_code == 201, donated.text
    assert held(engine, Stage.ON_HAND, material="PETG") == 2_000

    sent = post(
        client,
        coordinator,
        "/filament/sent",
        {"maker_id": network.other_maker_id, "material": "PETG", "grams": 1_500},
    )
    assert sent.status_code == 201, sent.text
    too_much = post(
        client,
        coordinator,
        "/filament/sent",
        {"maker_id": network.other_maker_id, "material": "PETG", "grams": 501},
    )
    assert too_much.status_code == 409
    assert "Not enough filament_g" in too_much.json()["detail"]
    no_pla = post(
        client,
        coordinator,
        "/filament/sent",
        {"maker_id": network.maker_id, "material": "PLA", "grams": 1},
    )
    assert no_pla.status_code == 409
    assert held(engine, Stage.ON_HAND, material="PETG") == 500
    assert held(engine, Stage.AT_MAKER, maker_id=network.other_maker_id) == 1_500

    assert post(client, maker, "/makers/me/filament", {"material": "PETG", "grams": 750}).is_success
    # A correction says why, and never takes more than the maker holds.
    for body, code in (
        ({"material": "PETG", "grams": -100}, 400),
        ({"material": "PETG", "grams": -751, "reason": "recount"}, 409),
        ({"material": "PLA", "grams": -1, "reason": "recount"}, 409),
        ({"material": "PETG", "grams": 0}, 400),
        ({"material": "PETG", "grams": 100_001}, 422),
        ({"material": "PET G", "grams": 10}, 422),
        ({"material": "PETG", "grams": -250, "reason": "a spool used at home"}, 201),
    ):
        response = post(client, maker, "/makers/me/filament", body)
        assert response.status_code == code, (body, response.text)
    assert held(engine, Stage.AT_MAKER, maker_id=network.maker_id) == 500

    # A maker declares their own filament; the coordinator may declare anyone's.
    other = f"/makers/{network.other_maker_id}/filament"
    assert post(client, maker, other, {"material": "PLA", "grams": 10}).status_code == 403
    assert post(client, coordinator, other, {"material": "PLA", "grams": 10}).status_code == 201
    assert (
        post(
            client, coordinator, "/makers/me/filament", {"material": "PLA", "grams": 1}
        ).status_code
        == 404
    )
    assert (
        post(
            client, network.centre, "/filament/sent", {"maker_id": 1, "material": "PLA", "grams": 1}
        ).status_code
        == 403
    )

    mine = get(client, maker, "/makers/me/filament")
    assert [(line["material"], line["grams"]) for line in mine] == [("PETG", 500)]
    everyone = {
        (line["maker_id"], line["material"]): line for line in get(client, coordinator, "/filament")
    }
    assert everyone[network.other_maker_id, "PETG"]["grams"] == 1_500
    assert everyone[network.other_maker_id, "PLA"]["grams"] == 10
    with Session(engine) as session:
        assert filament.negative_lots(session) == []


def test_a_maker_short_of_filament_gets_no_job_and_each_done_job_takes_its_grams(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    coordinator = network.coordinator
    # Camille declares 40 g: less than two plates. Julien receives 1 kg from the hub.
    # Inès has never declared any: her filament is her own, and is not tracked.
    post(
        client,
        coordinator,
        "/donations",
        {"donor": "Filalab", "item": "filament_g", "quantity": 1_000, "material": "PETG"},
    )
    post(
        client,
        coordinator,
        "/filament/sent",
        {"maker_id": network.other_maker_id, "material": "PETG", "grams": 1_000},
    )
    post(client, network.maker, "/makers/me/filament", {"material": "PETG", "grams": 40})
    camille = printer_of(client, network.maker, "Camille's MK3S")
    julien = printer_of(client, network.other_maker, "Julien's MK3S")
    with Session(engine) as session:
        ines = makers_printer(session, "Inès", "Inès's MK3S", (250, 210, 210))
        session.commit()

    def dispatch(idle: list[int], jobs: int) -> dict[int, Job]:
        """Queue `jobs` headband plates, let the printers report idle, and dispatch."""
        made = dispatch_round(
            engine,
            settings,
            idle=idle,
            jobs=jobs,
            estimate=lambda *_: 600.0,
            grams=lambda *_: PLATE_GRAMS,
        )
        return {printer.id or 0: job for job, printer, _ in made}

    given = dispatch([camille, julien, ines.id], jobs=3)
    # 40 g covers one plate of 25 g: Camille's printer is not left out yet.
    assert set(given) == {camille, julien, ines.id}
    assert {job.grams for job in given.values()} == {25}
    for job in given.values():
        assert post(client, coordinator, f"/jobs/{job.id}/done").status_code == 200
    assert held(engine, Stage.AT_MAKER, maker_id=network.maker_id) == 15
    assert held(engine, Stage.AT_MAKER, maker_id=network.other_maker_id) == 975
    with Session(engine) as session:
        ines_filament = session.exec(
            select(Movement).where(
                Movement.item == Item.FILAMENT_G, Movement.maker_id == ines.maker_id
            )
        ).all()
    assert ines_filament == []  # not tracked: no consumption

    # 15 g left: Camille's printer, first in line for the next plate (the lowest id, as
    # loaded as the others), is passed over for it; Julien's gets it.
    given = dispatch([camille, julien, ines.id], jobs=1)
    assert set(given) == {julien}
    # The board and Camille's page say so, in time.
    lines = get(client, network.maker, "/makers/me/filament")
    assert [
        (line["material"], line["left_grams"], line["plates_left"], line["low"]) for line in lines
    ] == [("PETG", 15, 0, True)]
    alerts = get(client, coordinator, "/board")["alerts"]
    low = [alert for alert in alerts if alert["kind"] == "filament_low"]
    assert [alert["params"]["maker_id"] for alert in low] == [network.maker_id]
    assert low[0]["params"]["grams"] == 15 and low[0]["params"]["plates"] == 0

    # Julien's job in flight counts against his stock before it is done.
    julien_line = next(
        line
        for line in get(client, coordinator, "/filament")
        if line["maker_id"] == network.other_maker_id
    )
    assert (julien_line["grams"], julien_line["in_flight_grams"], julien_line["left_grams"]) == (
        975,
        25,
        950,
    )

    # A job assigned by hand to Camille's printer (her declaration was wrong: she printed
    # it anyway) takes the 15 g there are and records the 10 g missing.
    hand = post(
        client, coordinator, "/jobs", {"part_key": "headband", "copies": 1, "printer_id": camille}
    ).json()
    with Session(engine) as session:
        stored = session.get(Job, hand["id"])
        assert stored is not None
        stored.grams = 25  # what the orchestrator stores once it has sliced the plate
        session.add(stored)
        session.commit()
    assert post(client, coordinator, f"/jobs/{hand['id']}/done").status_code == 200
    assert post(client, coordinator, f"/jobs/{hand['id']}/done").status_code in (200, 409)
    assert held(engine, Stage.AT_MAKER, maker_id=network.maker_id) == 0
    (line,) = get(client, network.maker, "/makers/me/filament")
    assert line["short_grams"] == 10
    with Session(engine) as session:
        printed = session.exec(
            select(Movement).where(
                Movement.ref == f"job:{hand['id']}", Movement.item == Item.FILAMENT_G
            )
        ).all()
        assert [(m.delta, m.note) for m in printed] == [(-15, "short by 10 g")]
        assert filament.negative_lots(session) == []
    # A new spool clears the shortfall from the alert.
    post(client, network.maker, "/makers/me/filament", {"material": "PETG", "grams": 1_000})
    (line,) = get(client, network.maker, "/makers/me/filament")
    assert (line["grams"], line["short_grams"], line["low"]) == (1_000, 0, False)
    with Session(engine) as session:
        done = session.exec(select(Job).where(col(Job.status).in_([JobStatus.DONE]))).all()
        consumed = -sum(
            m.delta for m in session.exec(select(Movement).where(Movement.reason == "printed"))
        )
    # Done: Camille 2 (one short), Julien 1 (his second is in flight), Inès 1 (untracked).
    assert consumed == 25 + 25 + 15
    assert len(done) == 4


@pytest.mark.slow
def test_the_orchestrator_passes_over_a_maker_without_filament_and_takes_the_slicers_grams(
    engine: Engine, settings: Settings, network: Network, mosquitto: Mosquitto
) -> None:
    """The real production line, PrusaSlicer and simulated printers on a real broker: a
    visor order goes to Julien's printer, whose filament the hub sent, and not to Camille's,
    whose 5 g cover no plate; each plate takes the slicer's grams from Julien's."""
    with serving(engine, settings, mosquitto) as url:
        hub = httpx.Client(base_url=f"{url}{API}", headers=bearer(network.coordinator), timeout=30)
        for item, quantity, material in (
            ("film_sheet", 6, None),
            ("elastic", 6, None),
            ("filament_g", 1_000, "PETG"),
        ):
            body = {"donor": "Club 3D", "item": item, "quantity": quantity, "material": material}
            hub.post("/donations", json=body).raise_for_status()
        credentials = {}
        for token in (network.maker, network.other_maker):
            created = hub.post("/printers", json=MK3, headers=bearer(token))
            created.raise_for_status()
            credentials[str(created.json()["id"])] = created.json()["token"]
        camille, julien = (int(printer_id) for printer_id in credentials)
        hub.post(
            "/makers/me/filament",
            json={"material": "PETG", "grams": 5},
            headers=bearer(network.maker),
        ).raise_for_status()
        hub.post(
            "/filament/sent",
            json={"maker_id": network.other_maker_id, "material": "PETG", "grams": 1_000},
        ).raise_for_status()

        def jobs() -> list[Job]:
            with Session(engine) as session:
                return list(session.exec(select(Job)))

        with printing(engine, settings, mosquitto, credentials, name="filament"):
            order(url, network.centre, "visor", 6)
            wait_for(lambda: at_maker(engine, "headband") >= 6, 180, "6 printed headbands")
            wait_for(lambda: all(j.status == JobStatus.DONE for j in jobs()), 30, "beds cleared")
            alerts = hub.get("/board").json()["alerts"]

    assert {job.printer_id for job in jobs()} == {julien}
    assert camille not in {job.printer_id for job in jobs()}
    plates = [job.grams for job in jobs()]
    assert all(grams and grams > 5 for grams in plates), plates  # the slicer's figure
    assert held(engine, Stage.AT_MAKER, maker_id=network.other_maker_id) == 1_000 - sum(
        grams or 0 for grams in plates
    )
    assert held(engine, Stage.AT_MAKER, maker_id=network.maker_id) == 5
    low = {alert["params"]["maker_id"] for alert in alerts if alert["kind"] == "filament_low"}
    assert network.maker_id in low
    with Session(engine) as session:
        assert filament.negative_lots(session) == []
