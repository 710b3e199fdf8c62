"""The planner, scheduler, lifecycle and forecasts: pure functions, tested on data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.domain.lifecycle import lost, transition
from orchestrator.domain.planner import (
    JobInFlight,
    OrderDemand,
    PlannablePart,
    PlanningState,
    Shortage,
    plan,
    supply_needs,
)
from orchestrator.domain.scheduler import (
    FreePrinter,
    Profile,
    QueuedJob,
    assign_jobs,
    fill_windows,
    learned_speed_factor,
)
from orchestrator.domain.vocabulary import Item, JobStatus, Stage, Urgency
from printers.protocol.payloads import EventKind

NOW = datetime(2020, 4, 2, 9, 0, tzinfo=UTC)
VISOR_BOM = ((Item.HEADBAND, 1), (Item.FILM_SHEET, 1), (Item.ELASTIC, 1))
REINFORCED_BOM = (*VISOR_BOM, (Item.REINFORCEMENT, 1))
PARTS = {
    Item.HEADBAND: PlannablePart("headband", Item.HEADBAND, 1),
    Item.REINFORCEMENT: PlannablePart("reinforcement", Item.REINFORCEMENT, 2),
    Item.AMICROCHE: PlannablePart("amicroche", Item.AMICROCHE, 6),
}


def order(
    order_id: int,
    quantity: int,
    days: int = 7,
    urgency: Urgency = Urgency.NORMAL,
    item: Item = Item.VISOR,
    bom: tuple = VISOR_BOM,
) -> OrderDemand:
    return OrderDemand(
        order_id, item, bom, quantity, NOW.date() + timedelta(days=days), urgency, NOW
    )


def supplies(film: int, elastic: int | None = None) -> dict[tuple[Item, Stage], int]:
    """Film and elastic on hand (as much elastic as film unless told)."""
    return {
        (Item.FILM_SHEET, Stage.ON_HAND): film,
        (Item.ELASTIC, Stage.ON_HAND): film if elastic is None else elastic,
    }


def state(orders, stock=None, jobs=(), allowance: int = 0) -> PlanningState:
    return PlanningState(orders, stock or {}, PARTS, list(jobs), allowance)


# --- planner ---


def test_demand_is_orders_minus_stock_minus_in_flight() -> None:
    stock = {
        **supplies(100),
        (Item.HEADBAND, Stage.COLLECTED): 3,
        (Item.HEADBAND, Stage.AT_MAKER): 2,
        (Item.VISOR, Stage.ASSEMBLED): 4,
    }
    in_flight = [JobInFlight(1, Item.HEADBAND, 1, JobStatus.PRINTING, 1, NOW)]
    planned = plan(state([order(1, 20)], stock, in_flight))
    # 20 visors - 4 assembled = 16 headbands; minus 5 held and 1 printing = 10 to print.
    assert sum(j.copies for j in planned.new_jobs) == 10
    assert all(j.part_key == "headband" and j.order_id == 1 for j in planned.new_jobs)


def test_headbands_are_capped_by_film_plus_allowance() -> None:
    stock = {**supplies(12, elastic=100), (Item.HEADBAND, Stage.QC_PASSED): 5}
    planned = plan(state([order(1, 50)], stock))
    assert sum(j.copies for j in planned.new_jobs) == 7
    assert planned.held_back == {1: (Shortage(Item.FILM_SHEET, 38),)}
    with_allowance = plan(state([order(1, 50)], stock, allowance=10))
    assert sum(j.copies for j in with_allowance.new_jobs) == 17
    # The allowance prints ahead; the order still lacks the same film.
    assert with_allowance.held_back == planned.held_back


def test_every_supply_of_the_bill_caps_what_is_printed() -> None:
    """Film for 50, elastic for 8: 8 visors can be assembled, so 8 headbands and 8
    reinforcements are printed, and the order says it lacks 42 elastics."""
    planned = plan(state([order(1, 50, bom=REINFORCED_BOM)], supplies(50, elastic=8)))
    printed = {part: 0 for part in ("headband", "reinforcement")}
    for job in planned.new_jobs:
        printed[job.part_key] += job.copies
    assert printed == {"headband": 8, "reinforcement": 8}
    assert planned.held_back == {1: (Shortage(Item.ELASTIC, 42),)}


def test_supplies_go_to_the_most_pressing_order_and_each_says_what_it_lacks() -> None:
    """Elastic for 5: the order due first takes it; the second lacks all of its own. An
    order that cannot use the film leaves it to the next one."""
    soon = order(1, 4, days=2)
    later = order(2, 6, days=9)
    planned = plan(state([later, soon], supplies(20, elastic=5)))
    assert planned.held_back == {2: (Shortage(Item.ELASTIC, 5),)}
    by_order = {1: 0, 2: 0}
    for job in planned.new_jobs:
        by_order[job.order_id] += job.copies
    assert by_order == {1: 4, 2: 1}
    no_elastic = plan(state([soon, later], supplies(20, elastic=0)))
    assert no_elastic.new_jobs == []
    assert no_elastic.held_back == {
        1: (Shortage(Item.ELASTIC, 4),),
        2: (Shortage(Item.ELASTIC, 6),),
    }
    assert supply_needs([soon, later], supplies(20, elastic=0)) == {
        Item.FILM_SHEET: 10,
        Item.ELASTIC: 10,
    }


def test_queued_jobs_no_supply_can_assemble_are_withdrawn() -> None:
    """The elastic ran out: the headbands queued for the order would only pile up."""
    queued = [JobInFlight(i, Item.HEADBAND, 1, JobStatus.QUEUED, 1, NOW) for i in range(1, 4)]
    printing = JobInFlight(9, Item.HEADBAND, 1, JobStatus.PRINTING, 1, NOW)
    stock = {**supplies(10, elastic=1), (Item.HEADBAND, Stage.QC_PASSED): 1}
    planned = plan(state([order(1, 10)], stock, [*queued, printing]))
    assert sorted(planned.withdraw) == [1, 2, 3]
    assert planned.new_jobs == []


def test_hooks_are_not_capped_by_film_and_fill_plates() -> None:
    hooks = order(1, 20, item=Item.AMICROCHE, bom=((Item.AMICROCHE, 1),))
    planned = plan(state([hooks]))
    assert [j.copies for j in planned.new_jobs] == [6, 6, 6, 2]


def test_earlier_and_more_urgent_orders_come_first() -> None:
    stock = supplies(3)
    late_urgent = order(1, 2, days=9, urgency=Urgency.CRITICAL)
    soon = order(2, 2, days=2)
    same_day_critical = order(3, 2, days=2, urgency=Urgency.CRITICAL)
    planned = plan(state([late_urgent, soon, same_day_critical], stock))
    # Film for 3 headbands: the critical order due in 2 days, then the other due in 2 days.
    assert [j.order_id for j in planned.new_jobs] == [3, 3, 2]
    assert planned.new_jobs[0].priority < planned.new_jobs[-1].priority


def test_a_cancelled_order_withdraws_surplus_queued_jobs() -> None:
    queued = [
        JobInFlight(i, Item.HEADBAND, 1, JobStatus.QUEUED, 1, NOW + timedelta(seconds=i))
        for i in range(1, 6)
    ]
    printing = JobInFlight(9, Item.HEADBAND, 1, JobStatus.PRINTING, 1, NOW)
    stock = supplies(100)
    planned = plan(state([order(2, 2)], stock, [*queued, printing]))
    # 6 headbands in flight for 2 needed: withdraw 4 queued, newest first; keep the printing one.
    assert planned.withdraw == [5, 4, 3, 2]
    assert planned.new_jobs == []


# --- scheduler ---

MK3 = Profile(250, 210, 210, 0.4, "PETG")
MINI = Profile(180, 180, 180, 0.4, "PETG")
PLA_MK3 = Profile(250, 210, 210, 0.4, "PLA")


def job(
    job_id: int,
    part: str = "headband",
    copies: int = 1,
    priority: int = 0,
    avoid: frozenset[int] = frozenset(),
) -> QueuedJob:
    return QueuedJob(job_id, part, copies, ("PETG",), None, NOW.date(), priority, avoid)


def fits_mk3_only(part: str, copies: int, profile: Profile) -> float | None:
    return 3600.0 * copies if profile.bed_x_mm >= 250 else None


def test_only_compatible_printers_are_used() -> None:
    printers = [FreePrinter(1, 1, MINI), FreePrinter(2, 2, PLA_MK3), FreePrinter(3, 3, MK3)]
    assert [(a.job_id, a.printer_id) for a in assign_jobs([job(1)], printers, fits_mk3_only)] == [
        (1, 3)
    ]


def test_a_part_allowed_in_pla_goes_to_a_pla_printer_when_it_helps() -> None:
    headband = QueuedJob(1, "headband", 1, ("PETG", "PLA"), None, NOW.date(), 0)
    petg_only = QueuedJob(2, "amicroche", 1, ("PETG",), None, NOW.date(), 0)
    pla_printer = FreePrinter(2, 2, PLA_MK3)
    # Only a PLA printer is free: it takes the headband, never the PETG-only hook.
    assert [
        (a.job_id, a.printer_id)
        for a in assign_jobs([petg_only, headband], [pla_printer], fits_mk3_only)
    ] == [(1, 2)]
    # Both free and as fast: the preferred material wins, even over a lighter-loaded maker.
    both = [FreePrinter(1, 1, MK3), pla_printer]
    (chosen,) = assign_jobs([headband], both, fits_mk3_only, maker_load={1: 5})
    assert chosen.printer_id == 1
    # The PETG printer would finish much later: the PLA printer helps the deadline.
    slow_petg = [FreePrinter(1, 1, MK3, speed_factor=1.5), pla_printer]
    (chosen,) = assign_jobs([headband], slow_petg, fits_mk3_only)
    assert chosen.printer_id == 2


def test_earliest_completion_uses_learned_speed() -> None:
    printers = [FreePrinter(1, 1, MK3, speed_factor=1.4), FreePrinter(2, 2, MK3, speed_factor=0.8)]
    (chosen,) = assign_jobs([job(1)], printers, fits_mk3_only)
    assert chosen.printer_id == 2
    assert chosen.expected_seconds == pytest.approx(3600 * 0.8)


def test_a_job_must_end_within_the_makers_hours() -> None:
    printers = [FreePrinter(1, 1, MK3, window_left_s=1800), FreePrinter(2, 2, MK3, speed_factor=2)]
    assert assign_jobs([job(1)], printers, fits_mk3_only)[0].printer_id == 2
    assert assign_jobs([job(1)], printers[:1], fits_mk3_only) == []


def test_one_job_per_printer_and_queue_order() -> None:
    printers = [FreePrinter(1, 1, MK3)]
    assigned = assign_jobs([job(1, priority=5), job(2, priority=1)], printers, fits_mk3_only)
    assert [(a.job_id, a.printer_id) for a in assigned] == [(2, 1)]


def test_work_is_spread_across_makers() -> None:
    # Maker 1 has three fast printers, maker 2 one nearly as fast: maker 2 gets a job.
    printers = [FreePrinter(i, 1, MK3, speed_factor=1.0) for i in (1, 2, 3)]
    printers.append(FreePrinter(4, 2, MK3, speed_factor=1.05))
    assigned = assign_jobs([job(1), job(2)], printers, fits_mk3_only)
    assert {a.maker_id for a in assigned} == {1, 2}
    busy = assign_jobs([job(1)], printers, fits_mk3_only, maker_load={1: 0, 2: 5})
    assert busy[0].maker_id == 1


def test_a_window_too_short_for_the_plate_gets_a_smaller_one() -> None:
    # Two hours and a half left: a plate of two (2 h) ends in time, one of four (4 h) not.
    evening = FreePrinter(1, 1, MK3, window_left_s=9_000)
    assert assign_jobs([job(1, copies=4)], [evening], fits_mk3_only) == []
    (smaller,) = fill_windows([job(1, copies=4)], [evening], fits_mk3_only)
    assert (smaller.job_id, smaller.copies, smaller.estimated_seconds) == (1, 2, 7_200)
    # A slower printer fits one copy only; shorter than one copy, nothing.
    slow = FreePrinter(1, 1, MK3, speed_factor=1.5, window_left_s=9_000)
    assert fill_windows([job(1, copies=4)], [slow], fits_mk3_only)[0].copies == 1
    assert (
        fill_windows([job(1, copies=4)], [FreePrinter(1, 1, MK3, window_left_s=600)], fits_mk3_only)
        == []
    )


def test_filling_windows_keeps_queue_order_and_each_job_to_one_printer() -> None:
    evenings = [FreePrinter(i, i, MK3, window_left_s=9_000) for i in (1, 2)]
    urgent, later = job(1, copies=4, priority=0), job(2, copies=3, priority=5)
    given = fill_windows([later, urgent], evenings, fits_mk3_only)
    assert [(a.printer_id, a.job_id, a.copies) for a in given] == [(1, 1, 2), (2, 2, 2)]
    # Printers open all day, or the job's material not loaded, or a failed printer: none.
    assert fill_windows([urgent], [FreePrinter(1, 1, MK3)], fits_mk3_only) == []
    assert (
        fill_windows([urgent], [FreePrinter(1, 1, PLA_MK3, window_left_s=9_000)], fits_mk3_only)
        == []
    )
    avoided = job(1, copies=4, avoid=frozenset({1}))
    assert fill_windows([avoided], evenings[:1], fits_mk3_only) == []


def test_a_failed_job_avoids_its_printer() -> None:
    printers = [FreePrinter(1, 1, MK3, speed_factor=0.5), FreePrinter(2, 2, MK3)]
    (chosen,) = assign_jobs([job(1, avoid=frozenset({1}))], printers, fits_mk3_only)
    assert chosen.printer_id == 2


def test_speed_factor_is_a_bounded_median() -> None:
    assert learned_speed_factor([]) == 1.0
    assert learned_speed_factor([1.1, 0.9, 50.0]) == pytest.approx(1.1)
    assert learned_speed_factor([9.0, 9.0]) == 4.0


# --- lifecycle ---


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (JobStatus.SENT, EventKind.PRINT_STARTED, JobStatus.PRINTING),
        (JobStatus.PRINTING, EventKind.PRINT_DONE, JobStatus.AWAITING_CLEAR),
        (JobStatus.AWAITING_CLEAR, EventKind.BED_CLEARED, JobStatus.DONE),
        (JobStatus.PRINTING, EventKind.PRINT_FAILED, JobStatus.QUEUED),
        (JobStatus.AWAITING_CLEAR, EventKind.PRINT_DONE, None),  # a duplicated done
        (JobStatus.DONE, EventKind.PRINT_STARTED, None),  # a late start
        (JobStatus.CANCELLED, EventKind.PRINT_CANCELLED, None),
    ],
)
def test_transitions(status: JobStatus, kind: EventKind, expected: JobStatus | None) -> None:
    change = transition(status, kind, attempts=0, max_attempts=3, reason=None)
    assert (change.status if change else None) == expected


def test_parts_are_counted_on_done_only() -> None:
    done = transition(
        JobStatus.PRINTING, EventKind.PRINT_DONE, attempts=0, max_attempts=3, reason=None
    )
    assert done is not None and done.count_parts


def test_the_last_failure_flags_the_job() -> None:
    change = transition(
        JobStatus.PRINTING, EventKind.PRINT_FAILED, attempts=2, max_attempts=3, reason="spaghetti"
    )
    assert change is not None
    assert (change.status, change.flagged, change.reason) == (JobStatus.FAILED, True, "spaghetti")
    assert lost(0, 3).status == JobStatus.QUEUED
    assert lost(0, 3).attempt_outcome == "lost"
