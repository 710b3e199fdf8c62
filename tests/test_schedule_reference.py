"""The offline CP-SAT reference of bench/schedule_quality.py (bench/schedule_reference.py).

Its schedules are re-checked here without the model's own helpers: plates on compatible
printers for their true durations, after their orders arrive, starting only inside the
printers' hours and outside their holidays, printing only inside the hours on an attended
printer, never two at once on a printer. And on instances small enough to know the
optimum, it must find it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

pytest.importorskip("ortools")

import schedule_quality as sq  # bench/ is on pytest's pythonpath
import schedule_reference as sr

from orchestrator.domain.planner import OrderDemand
from orchestrator.domain.vocabulary import Item, Urgency
from orchestrator.domain.weekly_hours import WeeklyHours, parse

HOUR = 3600.0


def open_spans(hours: WeeklyHours, until_s: float) -> list[tuple[float, float]]:
    """The open spans from t = 0 (a Monday, UTC) to `until_s`, laid day by day from the
    parsed weekly windows and merged, independent of the code under test."""
    laid = []
    for day in range(-1, int(until_s // sq.DAY) + 1):
        for first, last in hours.days[day % 7]:
            laid.append((day * sq.DAY + first * 60.0, day * sq.DAY + last * 60.0))
    merged: list[tuple[float, float]] = []
    for start, end in sorted(laid):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def open_seconds(hours: WeeklyHours, start_s: float, end_s: float) -> float:
    """Seconds inside the hours between two real times."""
    return sum(max(0.0, min(end_s, hi) - max(start_s, lo)) for lo, hi in open_spans(hours, end_s))


def is_open(hours: WeeklyHours, t: float) -> bool:
    return any(lo <= t < hi for lo, hi in open_spans(hours, t))


def check_valid(
    farm: Sequence[sq.SimPrinter],
    orders: Sequence[sq.SimOrder],
    jobs: Sequence[sq.SimJob],
    placements: Sequence[sr.Placement],
) -> None:
    by_id = {p.printer_id: p for p in farm}
    assert sorted(pl.job.job_id for pl in placements) == sorted(j.job_id for j in jobs)
    arrival = {o.order_id: o.arrival_s for o in orders}
    per_printer: dict[int, list[sr.Placement]] = defaultdict(list)
    for pl in placements:
        printer = by_id[pl.printer_id]
        plate_s = sq.estimate(pl.job.part_key, pl.job.copies, printer.profile)
        assert plate_s is not None, "the plate fits the bed"
        assert printer.profile.material in sq.PART_MATERIALS[pl.job.part_key]
        assert pl.work_s == pytest.approx(plate_s * printer.true_speed * pl.job.noise)
        assert pl.start_s >= arrival[pl.job.order_id] - 1e-6
        assert is_open(printer.hours, pl.start_s), "starts in open hours"
        if printer.pause is not None:
            away_from, back_at = printer.pause
            assert not away_from <= pl.start_s < back_at, "starts during a holiday"
        if printer.unattended:  # runs on past the hours
            assert pl.end_s - pl.start_s == pytest.approx(pl.work_s, abs=1e-3)
        else:  # prints only inside the hours, paused outside: its open time is its work
            assert open_seconds(printer.hours, pl.start_s, pl.end_s) == pytest.approx(
                pl.work_s, abs=1e-3
            )
        per_printer[pl.printer_id].append(pl)
    for plates in per_printer.values():
        plates.sort(key=lambda pl: pl.start_s)
        for before, after in pairwise(plates):
            assert after.start_s >= before.end_s - 1e-6, "two plates at once on a printer"


def late_hours(orders: Sequence[sq.SimOrder], placements: Sequence[sr.Placement]) -> float:
    done: dict[int, float] = defaultdict(float)
    for pl in placements:
        done[pl.job.order_id] = max(done[pl.job.order_id], pl.end_s)
    deadline = {o.order_id: (o.demand.needed_by - sq.DAY0).days * sq.DAY for o in orders}
    return sum(max(0.0, done[o.order_id] - deadline[o.order_id]) for o in orders) / HOUR


def test_quick_reference_is_a_valid_schedule_no_later_than_the_policies() -> None:
    [row] = sq.run_reference_quick()
    s = sq.REFERENCE_QUICK
    rng = random.Random(row.seed)
    farm = sq.make_farm(rng, s.printers, s.arrival_days)
    orders = sq.make_orders(rng, s.orders, s.arrival_days, s.scale, s.lead_days)
    jobs = [j for order_jobs in sq.instance_jobs(orders, row.seed).values() for j in order_jobs]
    reference = row.reference

    check_valid(farm, orders, jobs, reference.placements)
    assert any(pl.end_s - pl.start_s > pl.work_s + 1 for pl in reference.placements), (
        "the instance should have a plate paused overnight"
    )
    by_id = {p.printer_id: p for p in farm}
    assert any(
        by_id[pl.printer_id].unattended and not is_open(by_id[pl.printer_id].hours, pl.end_s)
        for pl in reference.placements
    ), "the instance should have a plate running on past the hours"
    assert any(p.pause for p in farm), "the instance should have a maker on holiday"
    assert reference.result.total_lateness_h == pytest.approx(
        late_hours(orders, reference.placements)
    )
    assert reference.result.makespan_h == pytest.approx(
        max(pl.end_s for pl in reference.placements) / HOUR
    )
    assert reference.lateness_bound_h <= reference.result.total_lateness_h + 1e-6
    assert reference.status in ("OPTIMAL", "FEASIBLE")
    if reference.status == "OPTIMAL":
        slack_h = len(jobs) / HOUR  # durations are rounded up to the second in the model
        for name in ("makerline", "FIFO"):
            assert reference.result.total_lateness_h <= row.results[name].total_lateness_h + slack_h
    assert row.results["FIFO"].total_lateness_h > 0, "the instance should make FIFO late"

    # Held to makerline's rule, every plate lies inside one window: no pause.
    in_hours = row.in_hours
    check_valid(farm, orders, jobs, in_hours.placements)
    for pl in in_hours.placements:
        assert pl.end_s - pl.start_s == pytest.approx(pl.work_s, abs=1e-3)
        if not by_id[pl.printer_id].unattended:
            assert open_seconds(by_id[pl.printer_id].hours, pl.start_s, pl.end_s) == (
                pytest.approx(pl.work_s, abs=1e-3)
            )
    if reference.status == in_hours.status == "OPTIMAL":  # a stricter rule: no less late
        assert in_hours.result.total_lateness_h >= reference.result.total_lateness_h - 1e-2
    assert "CP-SAT met" in sq.reference_table([row])


def order(order_id: int, needed_days: int, arrival_s: float = 0.0) -> sq.SimOrder:
    created = datetime.combine(sq.DAY0, datetime.min.time(), UTC) + timedelta(seconds=arrival_s)
    needed_by = sq.DAY0 + timedelta(days=needed_days)
    demand = OrderDemand(order_id, Item.VISOR, sq.VISOR_BOM, 1, needed_by, Urgency.NORMAL, created)
    return sq.SimOrder(order_id, arrival_s, demand)


def job(job_id: int, of: sq.SimOrder, part_key: str, noise: float) -> sq.SimJob:
    return sq.SimJob(job_id, of.order_id, part_key, 1, of.demand.needed_by, 2, of.arrival_s, noise)


def test_two_printers_three_jobs_known_optimum() -> None:
    """A (speed 1) and B (speed 2), open all day; three plates of 14 h on A, 28 h on B,
    all there at t = 0, two needed at 24 h and one at 72 h. Only A can end one plate by
    24 h, so one of the first two is 4 h late whatever happens: total lateness 4 h. Two
    plates on A and one on B end everything at 28 h; three on A would end at 42 h."""
    mk3 = sq.PROFILES["MK3"]
    farm = [
        sq.SimPrinter(1, 1, mk3, parse("24/7"), 1.0),
        sq.SimPrinter(2, 2, mk3, parse("24/7"), 2.0),
    ]
    orders = [order(1, 1), order(2, 1), order(3, 3)]
    # reinforcement x1 on an MK3: (600 + 1500) s, x 24 = 14 h
    jobs_of = {o.order_id: [job(o.order_id, o, "reinforcement", 24.0)] for o in orders}

    reference = sr.solve_reference(farm, orders, jobs_of, time_limit_s=5.0)

    assert reference.status == "OPTIMAL"
    assert reference.result.total_lateness_h == pytest.approx(4.0)
    assert reference.result.makespan_h == pytest.approx(28.0)
    assert reference.result.deadlines_met == pytest.approx(2 / 3)
    assert sorted(pl.printer_id for pl in reference.placements) == [1, 1, 2]
    check_valid(farm, orders, [j for js in jobs_of.values() for j in js], reference.placements)


def test_a_plate_pauses_over_the_weekend_as_in_the_simulation() -> None:
    """One 20 h plate on a Mo-Fr 08:00-22:00 printer, its order there on Friday 00:00 (96 h)
    and needed by Saturday (120 h): it prints Friday 08:00-22:00, waits for Monday, and ends
    at 14:00 on Monday (182 h), 62 h late, as the simulation's `finish_time` (overrun pause)
    has it."""
    weekdays = parse("Mo-Fr 08:00-22:00")
    farm = [sq.SimPrinter(1, 1, sq.PROFILES["MK3"], weekdays, 1.0)]
    orders = [order(1, 5, arrival_s=96 * HOUR)]
    # headband x1 on an MK3: (600 + 5400) s, x 12 = 20 h
    jobs_of = {1: [job(1, orders[0], "headband", 12.0)]}

    reference = sr.solve_reference(farm, orders, jobs_of, time_limit_s=5.0)

    [plate] = reference.placements
    assert plate.start_s == pytest.approx(104 * HOUR)
    assert plate.end_s == pytest.approx(182 * HOUR)
    assert plate.end_s == pytest.approx(sq.finish_time(farm[0], 104 * HOUR, 20 * HOUR, "pause")[0])
    assert reference.result.total_lateness_h == pytest.approx(62.0)
    assert reference.status == "OPTIMAL"
    check_valid(farm, orders, [plate.job], reference.placements)


def test_a_pla_printer_takes_a_headband_when_that_meets_the_deadline() -> None:
    """Two 14 h headband plates needed by 24 h, a PETG and a PLA printer open all day.
    Headbands are PETG preferred, PLA allowed: one on each printer, nothing late; both on
    the PETG printer would end the second at 28 h."""
    farm = [
        sq.SimPrinter(1, 1, sq.PROFILES["MK3"], parse("24/7"), 1.0),
        sq.SimPrinter(2, 2, sq.PROFILES["MK3-PLA"], parse("24/7"), 1.0),
    ]
    orders = [order(1, 1), order(2, 1)]
    # headband x1 on an MK3: (600 + 5400) s, x 8.4 = 14 h
    jobs_of = {o.order_id: [job(o.order_id, o, "headband", 8.4)] for o in orders}

    reference = sr.solve_reference(farm, orders, jobs_of, time_limit_s=5.0)

    assert reference.status == "OPTIMAL"
    assert reference.result.total_lateness_h == 0.0
    assert sorted(pl.printer_id for pl in reference.placements) == [1, 2]
    check_valid(farm, orders, [j for js in jobs_of.values() for j in js], reference.placements)


def test_an_unattended_printer_runs_on_overnight_after_a_holiday() -> None:
    """An 08:00-22:00 printer allowed unattended prints, its maker away until 09:00 on day
    0; a 20 h plate needed by 48 h and a 1 h plate needed by 24 h, both there at t = 0.
    Best: the short plate 09:00-10:00, the long one from 10:00 on through the night to
    06:00 (30 h), nothing late. Long plate first: it ends at 05:00, the bed is cleared at
    08:00 and the short plate ends at 33 h, 9 h late. Attended, the long plate would
    pause at 22:00 and end at 16:00 the next day (40 h)."""
    printer = sq.SimPrinter(
        1, 1, sq.PROFILES["MK3"], parse("08:00-22:00"), 1.0, True, (0.0, 9 * HOUR)
    )
    orders = [order(1, 2), order(2, 1)]
    # headband x1 on an MK3: (600 + 5400) s, x 12 = 20 h; reinforcement: 2100 s, x 12/7 = 1 h
    jobs_of = {
        1: [job(1, orders[0], "headband", 12.0)],
        2: [job(2, orders[1], "reinforcement", 12 / 7)],
    }

    reference = sr.solve_reference([printer], orders, jobs_of, time_limit_s=5.0)

    assert reference.status == "OPTIMAL"
    assert reference.result.total_lateness_h == pytest.approx(0.0, abs=1e-3)
    short, long = reference.placements
    assert (short.job.job_id, short.start_s, long.start_s) == (2, 9 * HOUR, 10 * HOUR)
    assert long.end_s == pytest.approx(30 * HOUR, abs=1.0)
    assert sq.finish_time(printer, 10 * HOUR, 20 * HOUR, "pause") == (30 * HOUR, 32 * HOUR)
    check_valid([printer], orders, [short.job, long.job], reference.placements)
