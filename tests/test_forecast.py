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
from orchestrator.database.tables import Job, Order, Part, id_of
from orchestrator.domain.eta import (
    FleetPrinter,
    Forecast,
    NoEta,
    OnPrinter,
    Pace,
    expected_demand,
    forecast,
    pace_from,
    play,
)
from orchestrator.domain.planner import Shortage
from orchestrator.domain.scheduler import FreePrinter, Profile, QueuedJob
from orchestrator.domain.vocabulary import Item, JobStatus, OrderStatus
from orchestrator.domain.weekly_hours import parse
from orchestrator.services import catalogue, forecasts
from tests.conftest import Network

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


def due(job_id: int, needed_by: date, copies: int = 1) -> QueuedJob:
    return QueuedJob(job_id, "headband", copies, ("PETG",), None, needed_by, 0)


def test_the_orders_of_the_last_day_are_expected_again_over_the_next() -> None:
    queued = [due(1, date(2020, 4, 9))]
    recent = [
        (2 * HOUR, due(7, date(2020, 4, 3))),  # urgent, came two hours ago
        (20 * HOUR, due(8, date(2020, 4, 8), copies=3)),
        (30 * HOUR, due(9, date(2020, 4, 3))),  # more than a day ago: forgotten
        (HOUR, due(10, date(2020, 4, 9))),  # would be due after the queue's last job
    ]
    expected = expected_demand(recent, queued)
    assert [(at, job.needed_by, job.copies) for at, job in expected] == [
        (22 * HOUR, date(2020, 4, 4), 1),
        (4 * HOUR, date(2020, 4, 9), 3),
    ]
    assert all(job.job_id < 0 for _at, job in expected)  # never a real job's id
    assert expected_demand(recent, []) == []


def test_urgent_orders_expected_tomorrow_push_back_an_order_due_next_week() -> None:
    """One printer, busy for 25 hours, and an order of 4 hours due next week; yesterday
    brought 10 hours of urgent work at this time: the same, expected tomorrow at 09:00,
    goes first when the printer frees, and the order ends 10 hours later."""
    week_out = [(job(1, copies=4), 10)]
    arguments: dict[str, Any] = dict(
        orders=[(10, date(2020, 4, 9), True)],
        queued=week_out,
        on_printers=[],
        fleet=[printer(1, busy_for_s=25 * HOUR)],
        estimate=an_hour_a_copy,
        capacity=lambda part, profile: 10,
        now=NOW,
        zone=UTC_ZONE,
        hub_delay=timedelta(0),
    )
    alone = forecast(**arguments)[10].eta
    urgent = [(0.0, due(5, date(2020, 4, 3), copies=10))]
    pushed = forecast(**arguments, recent_demand=urgent)[10].eta
    assert alone == NOW + timedelta(hours=25 + 4)
    assert pushed == NOW + timedelta(hours=25 + 10 + 4)


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


def test_the_demand_expected_again_is_the_jobs_of_the_last_days_orders(
    engine: Engine, network: Network
) -> None:
    """The service reads, for `expected_demand`, the jobs of the orders of the last day
    that will be printed: not those of an older order, of a cancelled order, nor a job
    that failed (its replacement counts)."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        visor = catalogue.product_by_key(session=session, key="visor")
        part = session.exec(select(Part).where(Part.key == "headband")).one()

        def order_with_jobs(
            hours_ago: float,
            status: OrderStatus = OrderStatus.OPEN,
            job_status: JobStatus = JobStatus.QUEUED,
        ) -> Order:
            order = Order(
                quantity=5,
                needed_by=date(2030, 1, 1),
                delivery_address="CH Abbeville",
                health_centre_id=network.centre_id,
                product_id=id_of(visor),
                status=status,
                created_at=now - timedelta(hours=hours_ago),
            )
            session.add(order)
            session.flush()
            session.add(Job(part_id=id_of(part), copies=5, order_id=order.id, status=job_status))
            return order

        order_with_jobs(3)
        order_with_jobs(3, job_status=JobStatus.FAILED)
        order_with_jobs(30)
        order_with_jobs(2, OrderStatus.CANCELLED)
        session.commit()
        parts = {id_of(part): part}

        demand = forecasts.recent_demand(session, parts, now)

    assert [(round(ago), job.part_key, job.copies) for ago, job in demand] == [
        (3 * 3600, "headband", 5)
    ]
