"""The planner: from open orders and stock to the print jobs still needed. Pure.

Demand for a printed part is the open orders' bills of materials times what each order
still needs, minus the parts at every stage and the parts already in flight. Headbands
(and reinforcements, which only go on visors) are capped by the film sheets on hand plus
an allowance: printing what cannot be assembled only piles up at makers'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from orchestrator.tables import Item, JobStatus, Stage, Urgency

URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}
PART_STAGES = (Stage.AT_MAKER, Stage.COLLECTED, Stage.QC_PASSED)
FINISHED_STAGES = (Stage.ASSEMBLED, Stage.DISINFECTED)
FILM_BOUND_PARTS = (Item.HEADBAND, Item.REINFORCEMENT)
IN_FLIGHT = frozenset({JobStatus.QUEUED, JobStatus.ASSIGNED, JobStatus.SENT, JobStatus.PRINTING})


@dataclass(frozen=True)
class OrderDemand:
    order_id: int
    item: Item  # the finished good
    bom: tuple[tuple[Item, int], ...]
    remaining: int  # ordered, minus packed and delivered for this order
    needed_by: date
    urgency: Urgency
    created_at: datetime

    @property
    def rank(self) -> tuple[date, int, datetime, int]:
        return (self.needed_by, URGENCY_RANK[self.urgency], self.created_at, self.order_id)


@dataclass(frozen=True)
class PlannablePart:
    key: str
    item: Item
    copies_per_plate: int


@dataclass(frozen=True)
class JobInFlight:
    job_id: int
    item: Item
    copies: int
    status: JobStatus
    order_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class PlanningState:
    orders: Sequence[OrderDemand]
    stock: dict[tuple[Item, Stage], int]
    parts: dict[Item, PlannablePart]
    jobs: Sequence[JobInFlight]
    film_allowance: int = 0


@dataclass(frozen=True)
class NewJob:
    part_key: str
    copies: int
    order_id: int
    needed_by: date
    priority: int  # position in the queue: lower runs first


@dataclass(frozen=True)
class Plan:
    new_jobs: list[NewJob]
    withdraw: list[int]  # queued jobs no order needs any more
    part_shortfall: dict[Item, int]  # parts still to print, after the film cap


def units_to_build(
    orders: Sequence[OrderDemand], stock: dict[tuple[Item, Stage], int]
) -> dict[int, int]:
    """What each order still needs assembled, after the finished goods in stock are
    given to the most pressing orders first."""
    finished: defaultdict[Item, int] = defaultdict(int)
    for (item, stage), quantity in stock.items():
        if stage in FINISHED_STAGES:
            finished[item] += quantity
    to_build = {}
    for order in orders:
        taken = min(order.remaining, max(finished[order.item], 0))
        finished[order.item] -= taken
        to_build[order.order_id] = order.remaining - taken
    return to_build


def part_needs(
    orders: Sequence[OrderDemand], to_build: dict[int, int], parts: dict[Item, PlannablePart]
) -> list[tuple[OrderDemand, Item, int]]:
    return [
        (order, item, per_unit * to_build[order.order_id])
        for order in orders
        for item, per_unit in order.bom
        if item in parts and to_build[order.order_id] > 0
    ]


def plan(state: PlanningState) -> Plan:
    orders = sorted((o for o in state.orders if o.remaining > 0), key=lambda o: o.rank)
    to_build = units_to_build(orders, state.stock)
    needs = part_needs(orders, to_build, state.parts)

    in_flight: defaultdict[Item, int] = defaultdict(int)
    for job in state.jobs:
        if job.status in IN_FLIGHT:
            in_flight[job.item] += job.copies
    held: defaultdict[Item, int] = defaultdict(int)
    for (item, stage), quantity in state.stock.items():
        if stage in PART_STAGES:
            held[item] += quantity
    supply = {item: held[item] + in_flight[item] for item in state.parts}

    # Give existing and in-flight parts to the most pressing orders; the rest is to print.
    shortfall: list[tuple[OrderDemand, Item, int]] = []
    left = dict(supply)
    for order, item, needed in needs:
        covered = min(needed, max(left[item], 0))
        left[item] -= covered
        if needed > covered:
            shortfall.append((order, item, needed - covered))

    film = state.stock.get((Item.FILM_SHEET, Stage.ON_HAND), 0) + state.film_allowance
    room = {item: max(film - supply[item], 0) for item in FILM_BOUND_PARTS if item in supply}
    capped: list[tuple[OrderDemand, Item, int]] = []
    for order, item, missing in shortfall:
        if item in room:
            missing = min(missing, room[item])
            room[item] -= missing
        if missing > 0:
            capped.append((order, item, missing))

    new_jobs = []
    for priority, (order, item, missing) in enumerate(capped):
        part = state.parts[item]
        per_plate = max(part.copies_per_plate, 1)
        while missing > 0:
            copies = min(per_plate, missing)
            new_jobs.append(NewJob(part.key, copies, order.order_id, order.needed_by, priority))
            missing -= copies

    total_need: defaultdict[Item, int] = defaultdict(int)
    for _order, item, needed in needs:
        total_need[item] += needed
    withdraw = surplus_queued(state.jobs, supply, total_need, room_cap=film, parts=state.parts)
    shortfall_total: dict[Item, int] = defaultdict(int)
    for _order, item, missing in capped:
        shortfall_total[item] += missing
    return Plan(new_jobs=new_jobs, withdraw=withdraw, part_shortfall=dict(shortfall_total))


def surplus_queued(
    jobs: Iterable[JobInFlight],
    supply: dict[Item, int],
    total_need: dict[Item, int],
    room_cap: int,
    parts: dict[Item, PlannablePart],
) -> list[int]:
    """Queued jobs to withdraw, newest first, while what is left still covers the need
    (and, for film-bound parts, the film)."""
    withdraw = []
    for item in parts:
        ceiling = total_need[item]
        if item in FILM_BOUND_PARTS:
            ceiling = min(ceiling, room_cap)
        surplus = supply[item] - ceiling
        queued = sorted(
            (j for j in jobs if j.item == item and j.status == JobStatus.QUEUED),
            key=lambda j: (j.created_at, j.job_id),
            reverse=True,
        )
        for job in queued:
            if surplus <= 0:
                break
            if job.copies <= surplus:
                withdraw.append(job.job_id)
                surplus -= job.copies
    return withdraw
