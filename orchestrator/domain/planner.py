"""The planner: from open orders and stock to the print jobs still needed. Pure.

Demand for a printed part is the open orders' bills of materials times what each order
still needs, minus the parts at every stage and the parts already in flight. Every line
of a bill that is not printed (film, elastic, packaging...) is a supply: an order is only
printed for as many units as the supplies on hand (plus an allowance) can assemble,
given to the most pressing orders first, because parts that cannot be assembled only
pile up at makers'. What an order lacks is reported as its shortages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from orchestrator.domain.vocabulary import (
    FINISHED_STAGES,
    PART_STAGES,
    PARTS_TO_COME,
    PRINTED_PARTS,
    Item,
    JobStatus,
    Stage,
    Urgency,
)

URGENCY_RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}


def is_supply(item: Item, product: Item) -> bool:
    """A line of a product's bill that the network does not print: the hub holds it."""
    return item not in PRINTED_PARTS and item != product


@dataclass(frozen=True)
class OrderDemand:
    order_id: int
    item: Item  # the finished good
    bom: tuple[tuple[Item, int], ...]
    remaining: int  # ledger.remaining_need
    needed_by: date
    urgency: Urgency
    created_at: datetime

    @property
    def rank(self) -> tuple[date, int, datetime, int]:
        return (self.needed_by, URGENCY_RANK[self.urgency], self.created_at, self.order_id)

    @property
    def supplies(self) -> tuple[tuple[Item, int], ...]:
        return tuple(
            (item, per_unit)
            for item, per_unit in self.bom
            if per_unit > 0 and is_supply(item, self.item)
        )


@dataclass(frozen=True)
class Shortage:
    """A supply an order lacks to assemble what it still needs, and how many are missing."""

    item: Item
    missing: int


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
    supply_allowance: int = 0  # of each supply, printed for beyond what is on hand


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
    part_shortfall: dict[Item, int]  # parts still to print, after the supplies' cap
    held_back: dict[int, tuple[Shortage, ...]]  # by order: the supplies it lacks on hand


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


def assemblable(
    orders: Sequence[OrderDemand],
    to_build: dict[int, int],
    stock: dict[tuple[Item, Stage], int],
    allowance: int = 0,
) -> tuple[dict[int, int], dict[int, tuple[Shortage, ...]]]:
    """How many units of what each order still needs the supplies on hand (plus
    `allowance` of each) can assemble, and the shortages of those that cannot be.

    Supplies go to the most pressing orders first (`orders` in rank order), and an order
    takes only what it can use: a visor short of elastic leaves its film to the next."""
    left: dict[Item, int] = {}
    units: dict[int, int] = {}
    shortages: dict[int, tuple[Shortage, ...]] = {}
    for order in orders:
        wanted = to_build[order.order_id]
        can = wanted
        lacking = []
        for item, per_unit in order.supplies:
            available = max(
                left.setdefault(item, stock.get((item, Stage.ON_HAND), 0) + allowance), 0
            )
            can = min(can, available // per_unit)
            if wanted * per_unit > available:
                lacking.append(Shortage(item, wanted * per_unit - available))
        for item, per_unit in order.supplies:
            left[item] -= can * per_unit
        units[order.order_id] = can
        if lacking:
            shortages[order.order_id] = tuple(lacking)
    return units, shortages


def supply_needs(
    orders: Sequence[OrderDemand], stock: dict[tuple[Item, Stage], int]
) -> dict[Item, int]:
    """Each supply the open orders still need, beyond the goods already assembled."""
    ranked = sorted((o for o in orders if o.remaining > 0), key=lambda o: o.rank)
    to_build = units_to_build(ranked, stock)
    needed: defaultdict[Item, int] = defaultdict(int)
    for order in ranked:
        for item, per_unit in order.supplies:
            needed[item] += per_unit * to_build[order.order_id]
    return dict(needed)


def plan(state: PlanningState) -> Plan:
    orders = sorted((o for o in state.orders if o.remaining > 0), key=lambda o: o.rank)
    wanted = units_to_build(orders, state.stock)
    to_build, _ = assemblable(orders, wanted, state.stock, state.supply_allowance)
    _, held_back = assemblable(orders, wanted, state.stock)
    needs = part_needs(orders, to_build, state.parts)

    in_flight: defaultdict[Item, int] = defaultdict(int)
    for job in state.jobs:
        if job.status in PARTS_TO_COME:
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

    new_jobs = []
    for priority, (order, item, missing) in enumerate(shortfall):
        part = state.parts[item]
        per_plate = max(part.copies_per_plate, 1)
        while missing > 0:
            copies = min(per_plate, missing)
            new_jobs.append(NewJob(part.key, copies, order.order_id, order.needed_by, priority))
            missing -= copies

    total_need: defaultdict[Item, int] = defaultdict(int)
    for _order, item, needed in needs:
        total_need[item] += needed
    withdraw = surplus_queued(state.jobs, supply, total_need, parts=state.parts)
    shortfall_total: dict[Item, int] = defaultdict(int)
    for _order, item, missing in shortfall:
        shortfall_total[item] += missing
    return Plan(
        new_jobs=new_jobs,
        withdraw=withdraw,
        part_shortfall=dict(shortfall_total),
        held_back=held_back,
    )


def surplus_queued(
    jobs: Iterable[JobInFlight],
    supply: dict[Item, int],
    total_need: dict[Item, int],
    parts: dict[Item, PlannablePart],
) -> list[int]:
    """Queued jobs to withdraw, newest first, while what is left still covers the need
    (which the supplies on hand already cap)."""
    withdraw = []
    for item in parts:
        surplus = supply[item] - total_need[item]
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
