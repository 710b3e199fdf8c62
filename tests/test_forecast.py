"""The forecast plays the dispatcher forward (`orchestrator.domain.eta`, pure): printers'
weekly hours, pauses, unattended nights, beds and materials, the range from the spread
of print times, and why an order has no date."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Part
from orchestrator.domain.eta import (
    FleetPrinter,
    Forecast,
    NoEta,
    OnPrinter,
    Pace,
    forecast,
    pace_from,
    play,
)
from orchestrator.domain.planner import Shortage
from orchestrator.domain.scheduler import FreePrinter, Profile, QueuedJob
from orchestrator.domain.vocabulary import Item
from orchestrator.domain.weekly_hours import parse
from orchestrator.services import forecasts

NOW = datetime(2020, 4, 2, 9, 0, tzinfo=UTC)  # a Thursday, 09:00
UTC_ZONE = ZoneInfo("UTC")
MK3 = Profile(250, 210, 210, 0.4, "PETG")
PLA_MK3 = Profile(250, 210, 210, 0.4, "PLA")
HOUR = 3600.0


def job(job_id: int, copies: int = 1, part: str = "headband", materials=("PETG",)) -> QueuedJob:
    return QueuedJob(job_id, part, copies, materials, None, date(2020, 4, 9), 0)


def printer(
    printer_id: int,
    hours: str = "24/7",
    *,
    profile: Profile = MK3,
    speed: float = 1.0,
    unattended: bool = False,
    busy_for_s: float = 0.0,
    pauses: tuple[tuple[float, float], ...] = (),
) -> FleetPrinter:
    return FleetPrinter(
        FreePrinter(printer_id, printer_id, profile, speed),
        parse(hours),
        unattended,
        busy_for_s,
        pauses,
    )


def an_hour_a_copy(part: str, copies: int, profile: Profile) -> float | None:
    return HOUR * copies


def four_a_plate(part: str, profile: Profile) -> int:
    return 4


def ends(jobs, fleet, pace: float = 1.0) -> dict[int, float]:
    return play(jobs, fleet, an_hour_a_copy, four_a_plate, now=NOW, zone=UTC_ZONE, pace=pace)


def test_the_queue_is_shared_by_the_printers_online_at_their_speed() -> None:
    assert max(ends([job(i) for i in range(1, 5)], [printer(1), printer(2)]).values()) == 2 * HOUR
    slow = ends([job(1)], [printer(1, speed=1.5)])
    assert slow == {1: 1.5 * HOUR}
    # A printer busy for half an hour takes its next plate then.
    assert ends([job(1)], [printer(1, busy_for_s=1800)]) == {1: 1.5 * HOUR}
    # A night print ending at 10:00, hours closed: its bed is cleared at 18:00.
    night = printer(1, "18:00-23:00", unattended=True, busy_for_s=HOUR)
    assert ends([job(1)], [night]) == {1: 10 * HOUR}


def test_a_plate_waits_for_the_printers_hours_and_its_pause() -> None:
    # 09:00 now: an evening printer starts at 18:00.
    assert ends([job(1)], [printer(1, "18:00-23:00")]) == {1: 10 * HOUR}
    # Paused for five hours: it starts at 14:00.
    assert ends([job(1)], [printer(1, pauses=((0.0, 5 * HOUR),))]) == {1: 6 * HOUR}
    # Paused until resumed: no date.
    assert ends([job(1)], [printer(1, pauses=((0.0, math.inf),))]) == {}
    # Weekend only: Saturday 09:00 is two days on.
    assert ends([job(1)], [printer(1, "Sa,Su 09:00-22:00")]) == {1: 49 * HOUR}


def test_a_long_plate_runs_overnight_only_on_an_unattended_printer() -> None:
    long_job = [job(1, copies=4)]  # 4 hours, in a 2-hour evening window
    # Attended: two copies an evening, each plate within the window (Friday 23:00).
    assert ends(long_job, [printer(1, "21:00-23:00")]) == {1: (24 + 14) * HOUR}
    night = ends(long_job, [printer(1, "21:00-23:00", unattended=True)])
    assert night == {1: 16 * HOUR}  # 21:00 to 01:00


def test_a_short_window_takes_smaller_plates_and_every_copy_is_counted() -> None:
    # Two hours each evening for a plate of four one-hour copies: 2 + 2 copies.
    two_evenings = ends([job(1, copies=4)], [printer(1, "21:00-23:00")])
    assert two_evenings == {1: (24 + 14) * HOUR}  # Friday 23:00


def test_materials_beds_and_no_printer_that_can() -> None:
    pla_allowed = job(1, materials=("PETG", "PLA"))
    assert ends([pla_allowed], [printer(1, profile=PLA_MK3)]) == {1: HOUR}
    assert ends([job(2)], [printer(1, profile=PLA_MK3)]) == {}  # PETG only


def test_the_forecast_gives_a_date_a_range_and_reasons() -> None:
    fleet = [printer(1), printer(2, profile=PLA_MK3)]
    queued = [(job(1, copies=4), 10), (job(2), 11), (job(3, materials=("ASA",)), 12)]
    result = forecast(
        orders=[
            (10, date(2020, 4, 2), True),
            (11, date(2020, 4, 9), True),
            (12, date(2020, 4, 9), True),
            (13, date(2020, 4, 9), False),
            (14, date(2020, 4, 9), True),
            (15, date(2020, 4, 9), True),
        ],
        queued=queued,
        on_printers=[OnPrinter(99, 15, 2 * HOUR)],
        fleet=fleet,
        estimate=an_hour_a_copy,
        capacity=four_a_plate,
        now=NOW,
        zone=UTC_ZONE,
        hub_delay=timedelta(hours=24),
        held_back={14: (Shortage(Item.ELASTIC, 3),)},
        pace=Pace(early=0.9, late=1.25),
    )
    plate = result[10]
    assert plate.eta == NOW + timedelta(hours=4 + 24)
    assert plate.late  # needed today
    assert plate.earliest == NOW + timedelta(hours=0.9 * 4 + 24)
    assert plate.latest == NOW + timedelta(hours=1.25 * 4 + 24)
    assert result[11].eta is not None and not result[11].late
    assert (result[12].eta, result[12].reason) == (None, NoEta.NO_PRINTER_ONLINE)
    assert (result[13].eta, result[13].reason) == (None, NoEta.AWAITING_PARTS)
    assert (result[14].eta, result[14].reason) == (None, NoEta.AWAITING_SUPPLIES)
    assert result[14].held_back == (Shortage(Item.ELASTIC, 3),)
    assert result[15].eta == NOW + timedelta(hours=2 + 24)  # its plate under way


def test_the_range_comes_from_the_spread_of_print_times() -> None:
    assert pace_from({}) == Pace()
    steady = {1: [1.0] * 10, 2: [1.5] * 10}  # each printer as its own factor says
    assert pace_from(steady) == Pace(1.0, 1.0)
    spread = {1: [0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.3, 2.0]}
    pace = pace_from(spread)
    assert pace.early < 1.0 < pace.late


def test_forecasts_are_played_again_only_when_what_they_read_changes(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    played: list[int] = []
    play_now = forecasts.play_forecasts

    def counted(**arguments: Any) -> dict[int, Forecast]:
        played.append(1)
        return play_now(**arguments)

    monkeypatch.setattr(forecasts, "play_forecasts", counted)
    with Session(engine) as session:
        for _ in range(3):
            forecasts.delivery_forecasts(session=session, settings=settings)
        assert len(played) == 1  # the board asks every few seconds: played once
        part = session.exec(select(Part)).first()
        assert part is not None
        session.add(Job(part_id=part.id or 0, copies=1))
        session.commit()
        forecasts.delivery_forecasts(session=session, settings=settings)
        assert len(played) == 2  # the queue changed
