"""Planning time: `plan` and `assign_jobs` at 100,000 parts over 10,000 printers.

The same work at a tenth of the size runs interleaved in the same process, so the table shows
the scaling ratio rather than raw seconds (this machine is shared and noisy). A naive
O(jobs x printers) earliest-completion scheduler on the small size gives a second ratio.
Timings are the median of the repeats; peak memory comes from a separate tracemalloc pass.

Run: python bench/planning_time.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from orchestrator.domain.planner import OrderDemand, Plan, PlannablePart, PlanningState, plan
from orchestrator.domain.scheduler import (
    Assignment,
    Estimate,
    FreePrinter,
    Profile,
    QueuedJob,
    assign_jobs,
    compatible,
)
from orchestrator.domain.vocabulary import Item, Stage, Urgency

NOW = datetime(2020, 4, 6, 9, 0, tzinfo=UTC)
PART_MATERIAL = {"headband": "PETG", "reinforcement": "PETG", "amicroche": "PLA"}
SECONDS_PER_COPY = {"headband": 5400.0, "reinforcement": 1500.0, "amicroche": 900.0}
VISOR_BOM = ((Item.HEADBAND, 1), (Item.REINFORCEMENT, 1), (Item.FILM_SHEET, 1), (Item.ELASTIC, 1))
HOOK_BOM = ((Item.AMICROCHE, 1),)


@dataclass(frozen=True)
class Size:
    orders: int
    parts: int  # printed parts to plan, over all orders
    printers: int
    profiles: int = 20


BIG = Size(orders=2_000, parts=100_000, printers=10_000)
SMALL = Size(orders=200, parts=10_000, printers=1_000)
QUICK_BIG = Size(orders=200, parts=10_000, printers=1_000)
QUICK_SMALL = Size(orders=20, parts=1_000, printers=100)


@dataclass(frozen=True)
class Workload:
    state: PlanningState
    printers: list[FreePrinter]
    estimate: Estimate
    maker_load: dict[int, int]


def make_profiles(rng: random.Random, count: int) -> list[Profile]:
    beds = [(180, 180, 180), (250, 210, 210), (220, 220, 250), (300, 300, 400), (235, 235, 250)]
    profiles: set[Profile] = set()
    while len(profiles) < count:
        x, y, z = rng.choice(beds)
        nozzle = rng.choice((0.4, 0.4, 0.4, 0.6))
        material = rng.choice(("PETG", "PETG", "PLA"))
        profiles.add(Profile(x, y, z, nozzle, material))
    return sorted(profiles, key=lambda p: (p.bed_x_mm, p.bed_y_mm, p.nozzle_mm, p.material))


def make_workload(size: Size, seed: int = 7) -> Workload:
    rng = random.Random(seed)
    # Parts per plate 1-6, drawn once per part for this run.
    parts = {
        item: PlannablePart(item.value, item, rng.randint(1, 6))
        for item in (Item.HEADBAND, Item.REINFORCEMENT, Item.AMICROCHE)
    }
    orders = []
    weights = [rng.random() for _ in range(size.orders)]
    left = size.parts
    for order_id in range(1, size.orders + 1):
        visor = rng.random() < 0.7
        per_unit = 2 if visor else 1  # printed parts in one finished good
        share = weights[order_id - 1] / sum(weights[order_id - 1 :])
        units = left // per_unit if order_id == size.orders else round(left * share / per_unit)
        units = max(units, 1)
        left -= units * per_unit
        orders.append(
            OrderDemand(
                order_id,
                Item.VISOR if visor else Item.AMICROCHE,
                VISOR_BOM if visor else HOOK_BOM,
                units,
                NOW.date() + timedelta(days=rng.randint(1, 21)),
                rng.choice(list(Urgency)),
                NOW - timedelta(minutes=order_id),
            )
        )
    # Every supply of the visor's bill is ample: the planner's cap costs its full work.
    stock = {(supply, Stage.ON_HAND): 10 * size.parts for supply in (Item.FILM_SHEET, Item.ELASTIC)}
    state = PlanningState(orders, stock, parts, [])

    profiles = make_profiles(rng, size.profiles)
    printers = []
    for printer_id in range(1, size.printers + 1):
        window = rng.choice((math.inf, math.inf, math.inf, rng.uniform(0, 14 * 3600), 1800.0))
        printers.append(
            FreePrinter(
                printer_id,
                maker_id=1 + printer_id // 3,
                profile=rng.choice(profiles),
                speed_factor=round(rng.uniform(0.7, 1.6), 3),
                window_left_s=window,
            )
        )
    maker_load = {maker: rng.randint(0, 5) for maker in range(1, size.printers // 3 + 2)}

    table: dict[tuple[str, Profile], tuple[float, int]] = {}
    for profile in profiles:
        for key, per_copy in SECONDS_PER_COPY.items():
            capacity = max(1, int(profile.bed_x_mm * profile.bed_y_mm // 9000) - 1)
            table[key, profile] = (per_copy * rng.uniform(0.9, 1.3), capacity)

    def estimate(part_key: str, copies: int, profile: Profile) -> float | None:
        per_copy, capacity = table[part_key, profile]
        return None if copies > capacity else 600.0 + per_copy * copies

    return Workload(state, printers, estimate, maker_load)


def queued_jobs(planned: Plan) -> list[QueuedJob]:
    return [
        QueuedJob(
            n, j.part_key, j.copies, (PART_MATERIAL[j.part_key],), None, j.needed_by, j.priority
        )
        for n, j in enumerate(planned.new_jobs, start=1)
    ]


def naive_assign(
    jobs: Sequence[QueuedJob],
    printers: Sequence[FreePrinter],
    estimate: Estimate,
    maker_load: dict[int, int] | None = None,
) -> list[Assignment]:
    """Reference: every job looks at every free printer; earliest completion, then the maker
    with the least load. O(jobs x printers)."""
    free = {p.printer_id: p for p in printers}
    load: dict[int, int] = defaultdict(int, maker_load or {})
    made = []
    for job in sorted(jobs, key=lambda j: j.rank):
        best: tuple[float, int, int, float] | None = None
        for printer in free.values():
            if not compatible(job, printer.profile):
                continue
            seconds = estimate(job.part_key, job.copies, printer.profile)
            if seconds is None or seconds * printer.speed_factor > printer.window_left_s:
                continue
            key = (seconds * printer.speed_factor, load[printer.maker_id], printer.printer_id)
            if best is None or key < best[:3]:
                best = (*key, seconds)
        if best is None:
            continue
        printer = free.pop(best[2])
        load[printer.maker_id] += 1
        made.append(Assignment(job.job_id, printer.printer_id, printer.maker_id, best[3], best[0]))
    return made


def timed(call: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def peak_mib(call: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    call()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


@dataclass(frozen=True)
class Row:
    label: str
    size: Size
    jobs: int
    assigned: int
    median_s: float
    ratio: float  # median over the reference row's median
    ratio_to: str
    peak_mib: float


def run(big: Size = BIG, small: Size = SMALL, repeats: int = 5, naive: bool = True) -> list[Row]:
    loads = {"big": make_workload(big), "small": make_workload(small)}
    jobs = {name: queued_jobs(plan(w.state)) for name, w in loads.items()}
    schedulers: dict[str, Callable[[], list[Assignment]]] = {}
    for name, w in loads.items():
        schedulers[name] = partial(assign_jobs, jobs[name], w.printers, w.estimate, w.maker_load)
    small_load = loads["small"]
    naive_call = partial(
        naive_assign, jobs["small"], small_load.printers, small_load.estimate, small_load.maker_load
    )
    calls: dict[str, Callable[[], object]] = {
        "plan big": partial(plan, loads["big"].state),
        "assign big": schedulers["big"],
        "plan small": partial(plan, small_load.state),
        "assign small": schedulers["small"],
    }
    if naive:
        calls["naive small"] = naive_call
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):  # interleaved, so that both sizes share the machine's moods
        for label, call in calls.items():
            samples[label].append(timed(call))
    median = {label: statistics.median(s) for label, s in samples.items()}
    assigned = {name: len(schedule()) for name, schedule in schedulers.items()}
    reference = {
        "plan big": "plan small",
        "assign big": "assign small",
        "naive small": "assign small",
    }
    rows = []
    for label, call in calls.items():
        name = label.split()[1]
        ref = reference.get(label, label)
        rows.append(
            Row(
                label,
                big if name == "big" else small,
                len(jobs[name]),
                len(naive_call()) if label == "naive small" else assigned[name],
                median[label],
                median[label] / median[ref],
                ref,
                peak_mib(call),
            )
        )
    return rows


def run_quick() -> list[Row]:
    return run(QUICK_BIG, QUICK_SMALL, repeats=3)


def table(rows: Sequence[Row]) -> str:
    head = (
        f"{'step':<13} {'parts':>8} {'printers':>8} {'jobs':>7} {'assigned':>8} "
        f"{'median s':>9} {'ratio':>7} {'vs':<13} {'peak MiB':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.label:<13} {r.size.parts:>8,} {r.size.printers:>8,} {r.jobs:>7,} "
            f"{r.assigned:>8,} {r.median_s:>9.3f} {r.ratio:>7.2f} {r.ratio_to:<13} "
            f"{r.peak_mib:>8.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the size, 3 repeats")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = run_quick() if args.quick else run(repeats=args.repeats)
    print(f"median of {3 if args.quick else args.repeats} interleaved runs; ratio = median / vs")
    print(table(rows))


if __name__ == "__main__":
    main()
