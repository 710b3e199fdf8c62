"""Volunteers' windows, through the dispatcher on SQLite and PostgreSQL, and end to end
with the production line, PrusaSlicer and simulated printers on a real broker:
- unattended prints: a printer whose maker allows it may start a plate that ends after
  its availability window (a print started in the evening runs on through the night);
  any other printer only takes plates that end within its window;
- a window too short for the planned plate gets a smaller plate of the same job, and
  the rest stays queued: part counts stay exact;
- weekly hours: a printer takes work on its days only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, JobAttempt, Part, PrinterStatus
from orchestrator.domain.vocabulary import JobStatus
from orchestrator.domain.weekly_hours import DAY_KEYS
from orchestrator.services.dispatch import assign
from tests.conftest import Network, bearer
from tests.production_runs import order, printing, serving
from tests.realparts import Mosquitto, wait_for
from tests.test_link import at_maker

API = "/api/v1"
MK3 = {"bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
PLATE_SECONDS = 3_600.0  # an hour's plate, for the dispatcher tests


def closing_soon(settings: Settings, now: datetime, minutes_left: int) -> str:
    """Hours that opened an hour ago and close in `minutes_left`, in the fab-lab's time."""
    local = now.astimezone(ZoneInfo(settings.timezone))
    opened = local - timedelta(hours=1)
    closes = local + timedelta(minutes=minutes_left)
    return f"{opened:%H:%M}-{closes:%H:%M}"


def all_jobs_done(engine: Engine) -> bool:
    with Session(engine) as session:
        return all(job.status == JobStatus.DONE for job in session.exec(select(Job)))


def test_only_a_printer_allowed_unattended_prints_takes_a_plate_past_its_window(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    now = datetime.now(UTC)
    hours = closing_soon(settings, now, minutes_left=20)
    ids = []
    for token, name, unattended in (
        (network.maker, "Prusa du salon", False),
        (network.other_maker, "Prusa de l'atelier", True),
    ):
        body = MK3 | {"name": name, "availability_hours": hours, "unattended_prints": unattended}
        created = client.post(f"{API}/printers", json=body, headers=bearer(token))
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    attended, unattended_printer = ids

    with Session(engine, expire_on_commit=False) as session:
        headband = session.exec(select(Part).where(Part.key == "headband")).one()
        for _ in range(2):
            session.add(Job(part_id=headband.id or 0, copies=1, needed_by=now.date()))
        for printer_id in ids:
            session.add(PrinterStatus(printer_id=printer_id, state="idle"))
        session.commit()
        made = assign(session, settings, {}, now, lambda *_: PLATE_SECONDS)
        session.commit()
    assert [printer.id for _, printer, _ in made] == [unattended_printer]

    # A plate short enough for the twenty minutes left goes to the other printer too.
    with Session(engine, expire_on_commit=False) as session:
        made = assign(session, settings, {}, now, lambda *_: 600.0)
        session.commit()
    assert [printer.id for _, printer, _ in made] == [attended]


def test_an_evening_print_runs_on_through_the_night_on_an_unattended_printer_only(
    engine: Engine, settings: Settings, network: Network, mosquitto: Mosquitto
) -> None:
    """Both printers' hours close in ten minutes; a headband plate takes 1 h 23 min by
    the slicer's estimate. Only the printer allowed unattended prints takes the order."""
    hours = closing_soon(settings, datetime.now(UTC), minutes_left=10)
    with serving(engine, settings, mosquitto) as url:
        hub = httpx.Client(base_url=f"{url}{API}", headers=bearer(network.coordinator), timeout=30)
        for item in ("film_sheet", "elastic"):
            body = {"donor": "Club 3D", "item": item, "quantity": 4}
            hub.post("/donations", json=body).raise_for_status()
        credentials = {}
        for token, unattended in ((network.maker, False), (network.other_maker, True)):
            body = MK3 | {
                "name": "MK3S",
                "availability_hours": hours,
                "unattended_prints": unattended,
            }
            created = hub.post("/printers", json=body, headers=bearer(token))
            created.raise_for_status()
            credentials[str(created.json()["id"])] = created.json()["token"]
        attended, unattended_printer = (int(printer_id) for printer_id in credentials)
        with printing(engine, settings, mosquitto, credentials, name="nights"):
            order(url, network.centre, "visor", 4)
            wait_for(lambda: at_maker(engine, "headband") >= 4, 180, "4 printed headbands")
            wait_for(lambda: all_jobs_done(engine), 30, "the beds cleared")
    with Session(engine) as session:
        printed_on = set(
            session.exec(
                select(Job.printer_id).where(
                    col(Job.status) == JobStatus.DONE, col(Job.printer_id).is_not(None)
                )
            )
        )
    assert printed_on == {unattended_printer}
    assert attended not in printed_on


def test_a_window_too_short_for_the_plate_gets_a_smaller_one_and_counts_stay_exact(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    now = datetime.now(UTC)
    body = MK3 | {"name": "Prusa du salon", "availability_hours": closing_soon(settings, now, 100)}
    created = client.post(f"{API}/printers", json=body, headers=bearer(network.maker))
    assert created.status_code == 201, created.text
    printer_id = created.json()["id"]
    with Session(engine, expire_on_commit=False) as session:
        hooks = session.exec(select(Part).where(Part.key == "amicroche")).one()
        session.add(Job(part_id=hooks.id or 0, copies=4, needed_by=now.date()))
        session.add(PrinterStatus(printer_id=printer_id, state="idle"))
        session.commit()
        # Half an hour a hook, 100 minutes left: four end after the window, three within.
        (made,) = assign(session, settings, {}, now, lambda _part, _printer, n: 1_800.0 * n)
        session.commit()
        job, _printer, decision = made
        assert (job.copies, job.printer_id, decision.estimated_seconds) == (3, printer_id, 5_400)
        jobs = session.exec(select(Job).order_by(col(Job.id))).all()
    assert [(j.copies, j.status) for j in jobs] == [(3, JobStatus.ASSIGNED), (1, JobStatus.QUEUED)]


def test_an_evening_printer_prints_an_order_in_plates_that_end_within_its_window(
    engine: Engine, settings: Settings, network: Network, mosquitto: Mosquitto
) -> None:
    """Hooks plate by four; the printer's hours close in 100 minutes, less than a plate
    of four takes by the slicer's estimate. The order is printed in smaller plates, each
    ending within the window, and exactly as many hooks as ordered."""
    window_s = 100 * 60
    hours = closing_soon(settings, datetime.now(UTC), minutes_left=100)
    with serving(engine, settings, mosquitto) as url:
        maker = httpx.Client(base_url=f"{url}{API}", headers=bearer(network.maker), timeout=30)
        created = maker.post("/printers", json=MK3 | {"name": "MK3S", "availability_hours": hours})
        created.raise_for_status()
        printer_id = created.json()["id"]
        credentials = {str(printer_id): created.json()["token"]}
        with printing(engine, settings, mosquitto, credentials, name="windows"):
            order(url, network.centre, "amicroche", 4)
            wait_for(lambda: at_maker(engine, "amicroche") >= 4, 180, "4 printed hooks")
            # A plate's parts count when it ends; its job is done once the bed is cleared.
            wait_for(lambda: all_jobs_done(engine), 30, "the beds cleared")
    with Session(engine) as session:
        done = session.exec(select(Job).where(col(Job.status) == JobStatus.DONE)).all()
    assert at_maker(engine, "amicroche") == 4
    assert sum(job.copies for job in done) == 4
    assert len(done) >= 2  # the plate of four did not fit: smaller ones did
    assert all(job.printer_id == printer_id for job in done)
    with Session(engine) as session:
        estimates = session.exec(
            select(JobAttempt.estimated_seconds).where(
                col(JobAttempt.job_id).in_([job.id for job in done])
            )
        ).all()
    assert estimates and all(seconds is not None and seconds <= window_s for seconds in estimates)


FRENCH_DAYS = ("lu", "ma", "me", "je", "ve", "sa", "di")


def test_weekly_hours_give_work_on_the_printers_days_only(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    """Two makers write their week in French day names: one prints today only, the other
    every day but today. The service keeps the hours in one form, and only today's
    printer takes a job; once the other maker adds today, theirs does too."""
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(settings.timezone)).weekday()
    others = [FRENCH_DAYS[day] for day in range(7) if day != today]
    ids = []
    for token, hours, kept in (
        (network.maker, f"{FRENCH_DAYS[today]} 00:00-24:00", f"{DAY_KEYS[today]} 00:00-24:00"),
        (network.other_maker, f"{','.join(others)} 00:00-24:00", None),
    ):
        body = MK3 | {"name": "MK3S", "availability_hours": hours}
        created = client.post(f"{API}/printers", json=body, headers=bearer(token))
        assert created.status_code == 201, created.text
        if kept is not None:
            assert created.json()["availability_hours"] == kept
        ids.append(created.json()["id"])
    today_only, not_today = ids

    def jobs_given(count: int) -> list[int | None]:
        with Session(engine, expire_on_commit=False) as session:
            headband = session.exec(select(Part).where(Part.key == "headband")).one()
            for _ in range(count):
                session.add(Job(part_id=headband.id or 0, copies=1, needed_by=now.date()))
            for printer_id in ids:
                if session.get(PrinterStatus, printer_id) is None:
                    session.add(PrinterStatus(printer_id=printer_id, state="idle"))
            session.commit()
            made = assign(session, settings, {}, now, lambda *_: PLATE_SECONDS)
            session.commit()
        return [printer.id for _, printer, _ in made]

    assert jobs_given(2) == [today_only]

    every_day = client.patch(
        f"{API}/printers/{not_today}",
        json={"availability_hours": "lu-di 00:00-24:00"},
        headers=bearer(network.other_maker),
    )
    assert every_day.status_code == 200, every_day.text
    assert every_day.json()["availability_hours"] == "00:00-24:00"
    assert jobs_given(0) == [not_today]


def test_unreadable_weekly_hours_are_refused_with_what_is_wrong(
    client: TestClient, network: Network
) -> None:
    for hours, says in (
        ("Mo-Fr 18:00-23:00; Xy 09:00-12:00", "unknown day 'Xy'"),
        ("lu-ve 18h-23h", "where a window such as '18:00-23:00' was expected"),
        ("Mo-Su off", "never opens"),
        ("Mo 10:00-11:00; " * 20, "at most 200 characters"),
    ):
        body = MK3 | {"name": "MK3S", "availability_hours": hours}
        answer = client.post(f"{API}/printers", json=body, headers=bearer(network.maker))
        assert answer.status_code == 422, hours
        assert "availability_hours" in answer.text and says in answer.text, answer.text
