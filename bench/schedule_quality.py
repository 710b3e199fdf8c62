"""Schedule quality: makerline's scheduler against FIFO on a simulated volunteer farm.

A discrete-event simulation (no real clock) of a heterogeneous farm of volunteers, modelled
as the service models them: weekly hours (`weekly_hours`, the service's syntax and parser),
printers allowed unattended prints, makers away on holiday (paused), parts allowed in more
than one material; and a stream of orders with needed-by dates. Orders become print jobs
through the real planner (`orchestrator.domain.planner.plan`); at every moment where
printers are free, a policy hands out jobs:

- makerline: `assign_jobs`, each printer's speed factor learned from its finished jobs with
  `learned_speed_factor` (1.0 until it has history), queue claimed as `dispatch.assign` does
  (the first max(4 x free, 100) jobs in queue order), the window left as
  `dispatch.free_printers` gives it (infinite for a printer allowed unattended prints), then
  `fill_windows`: a printer whose window is too short for any whole plate takes a smaller
  plate, the rest of the job queued;
- FIFO: jobs in arrival order, the free compatible printer with the lowest id, no speed
  learning and no check of the window beyond "open now".

Both give a paused printer nothing, as the dispatcher does.

In the makerline run, each order's delivery is also forecast on its arrival as the service
forecasts it (`eta.play`, from what the service knows then), and measured against the run;
and forecast again told the orders really to come, which measures the model alone.

`--reference` runs a small farm instead and sets both policies against an offline optimum
(CP-SAT, `schedule_reference.py`) that knows every arrival and print time in advance.

Run: python bench/schedule_quality.py [--quick] [--overrun pause|run] [--no-fill] [--reference]
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from itertools import combinations
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from orchestrator.domain import eta
from orchestrator.domain.eta import FleetPrinter
from orchestrator.domain.planner import (
    URGENCY_RANK,
    OrderDemand,
    PlannablePart,
    PlanningState,
    plan,
)
from orchestrator.domain.scheduler import (
    FreePrinter,
    Profile,
    QueuedJob,
    assign_jobs,
    fill_windows,
    learned_speed_factor,
)
from orchestrator.domain.vocabulary import Item, Stage, Urgency
from orchestrator.domain.weekly_hours import WeeklyHours, next_opening, parse, seconds_left

if TYPE_CHECKING:
    from schedule_reference import ReferenceResult

DAY = 24 * 3600.0
DAY0 = date(2020, 4, 6)  # t = 0 is 00:00 on this day, a Monday
START = datetime.combine(DAY0, time(), UTC)
ZONE = ZoneInfo("UTC")  # the farm's clocks: no change of summer time during a run
HISTORY = 10  # finished jobs per printer that the speed factor is learned from, as dispatch does
YEAR = 365 * DAY  # open time is laid out this far: beyond any run

PROFILES = {
    "MK3": Profile(250, 210, 210, 0.4, "PETG"),
    "MINI": Profile(180, 180, 180, 0.4, "PETG"),
    "CR-10": Profile(300, 300, 400, 0.4, "PETG"),
    "MK3-PLA": Profile(250, 210, 210, 0.4, "PLA"),
}
PROFILE_NAME = {profile: name for name, profile in PROFILES.items()}
PROFILE_WEIGHTS = {"MK3": 0.35, "MINI": 0.25, "CR-10": 0.2, "MK3-PLA": 0.2}
# A maker's weekly hours, in the service's syntax, shared by all their printers.
HOURS_WEIGHTS = {
    "24/7": 0.30,  # fab-labs, workshops and schools turned print shops
    "Mo-Fr 18:00-23:00; Sa,Su 09:00-22:00": 0.35,  # at work in the week
    "Mo-Fr 08:00-22:00": 0.20,  # at home in the week, away at the weekend
    "Mo,We,Fr 18:00-23:30; Sa 10:00-18:00": 0.15,  # some evenings and Saturday
}
UNATTENDED_SHARE = 0.30  # of printers allowed to print on past the maker's hours
HOLIDAY_SHARE = 0.15  # of makers away for a while, their printers paused
HOLIDAY_DAYS = (1.0, 3.0)  # how long, uniform
HOLIDAY_START_SLACK_DAYS = 2.0  # holidays start while orders come in, or up to this after

# Allowed materials per part, preferred first: as the service's catalogue, except the hook,
# which is PLA here.
PART_MATERIALS = {
    "headband": ("PETG", "PLA"),
    "reinforcement": ("PETG", "PLA"),
    "amicroche": ("PLA",),
}
SECONDS_PER_COPY = {"headband": 5400.0, "reinforcement": 1500.0, "amicroche": 900.0}
PLATE_SETUP_S = 600.0
# The slicer's estimate differs by profile (acceleration, bowden vs direct drive).
PROFILE_SLOWNESS = {"MK3": 1.0, "MINI": 1.15, "CR-10": 1.3, "MK3-PLA": 1.0}
PLATE_CAPACITY = {
    "headband": {"MK3": 4, "MINI": 2, "CR-10": 6, "MK3-PLA": 4},
    "reinforcement": {"MK3": 6, "MINI": 4, "CR-10": 9, "MK3-PLA": 6},
    "amicroche": {"MK3": 8, "MINI": 6, "CR-10": 12, "MK3-PLA": 8},
}
PARTS = {
    Item.HEADBAND: PlannablePart("headband", Item.HEADBAND, 2),
    Item.REINFORCEMENT: PlannablePart("reinforcement", Item.REINFORCEMENT, 4),
    Item.AMICROCHE: PlannablePart("amicroche", Item.AMICROCHE, 6),
}
VISOR_BOM = ((Item.HEADBAND, 1), (Item.REINFORCEMENT, 1), (Item.FILM_SHEET, 1), (Item.ELASTIC, 1))
HOOK_BOM = ((Item.AMICROCHE, 1),)
LEAD_DAYS = {Urgency.CRITICAL: (1, 3), Urgency.HIGH: (2, 5), Urgency.NORMAL: (4, 9)}


@cache  # the forecast asks millions of times
def plate_capacity(part_key: str, profile: Profile) -> int:
    """How many copies of the part a plate of the profile holds."""
    return PLATE_CAPACITY[part_key][PROFILE_NAME[profile]]


@cache
def estimate(part_key: str, copies: int, profile: Profile) -> float | None:
    """The slicer's estimate per (part, profile), or None when the plate does not fit."""
    if copies > plate_capacity(part_key, profile):
        return None
    name = PROFILE_NAME[profile]
    return (PLATE_SETUP_S + SECONDS_PER_COPY[part_key] * copies) * PROFILE_SLOWNESS[name]


@dataclass(frozen=True)
class SimPrinter:
    printer_id: int
    maker_id: int
    profile: Profile
    hours: WeeklyHours
    true_speed: float  # hidden from the policies: actual / estimated time
    unattended: bool = False  # may print on past the hours; its bed is cleared at the next opening
    pause: tuple[float, float] | None = None  # (start, end): takes nothing new in between

    def paused(self, t: float) -> bool:
        return self.pause is not None and self.pause[0] <= t < self.pause[1]


@dataclass(frozen=True)
class SimOrder:
    order_id: int
    arrival_s: float
    demand: OrderDemand


@dataclass(frozen=True)
class SimJob:
    job_id: int
    order_id: int
    part_key: str
    copies: int
    needed_by: date
    priority: int
    arrival_s: float
    noise: float  # this plate's own luck, the same on any printer

    @property
    def materials(self) -> tuple[str, ...]:
        """The materials it may be printed in, the preferred first."""
        return PART_MATERIALS[self.part_key]

    @property
    def rank(self) -> tuple[date, int, int]:
        return (self.needed_by, self.priority, self.job_id)

    def queued(self) -> QueuedJob:
        """The job as the scheduler sees it in the queue."""
        return QueuedJob(
            self.job_id,
            self.part_key,
            self.copies,
            self.materials,
            None,
            self.needed_by,
            self.priority,
        )


def fits(job: SimJob, printer: SimPrinter) -> bool:
    """Whether the printer can take the plate: an allowed material, and the plate fits its bed."""
    return (
        printer.profile.material in job.materials
        and estimate(job.part_key, job.copies, printer.profile) is not None
    )


def true_work_s(job: SimJob, printer: SimPrinter) -> float | None:
    """The plate's actual print time on this printer, or None when the printer cannot take it:
    the slicer's estimate x the printer's true speed x the plate's own luck. The simulation
    runs plates for this long; the policies never see it, the offline reference does."""
    if not fits(job, printer):
        return None
    plate_s = estimate(job.part_key, job.copies, printer.profile)
    assert plate_s is not None
    return plate_s * printer.true_speed * job.noise


def make_farm(rng: random.Random, printers: int, order_days: float) -> list[SimPrinter]:
    """Makers with 1-4 printers and one set of weekly hours; some away on holiday, starting
    while orders come in (`order_days`) or shortly after; some printers allowed unattended
    prints."""
    farm: list[SimPrinter] = []
    maker_id = 0
    while len(farm) < printers:
        maker_id += 1
        hours = parse(rng.choices(list(HOURS_WEIGHTS), list(HOURS_WEIGHTS.values()))[0])
        pause = None
        if rng.random() < HOLIDAY_SHARE:
            start = rng.uniform(0.0, (order_days + HOLIDAY_START_SLACK_DAYS) * DAY)
            pause = (start, start + rng.uniform(*HOLIDAY_DAYS) * DAY)
        for _ in range(min(rng.randint(1, 4), printers - len(farm))):
            name = rng.choices(list(PROFILE_WEIGHTS), list(PROFILE_WEIGHTS.values()))[0]
            speed = rng.uniform(0.7, 1.6)
            unattended = rng.random() < UNATTENDED_SHARE
            farm.append(
                SimPrinter(len(farm) + 1, maker_id, PROFILES[name], hours, speed, unattended, pause)
            )
    return farm


def make_orders(
    rng: random.Random,
    orders: int,
    arrival_days: float,
    scale: float,
    lead_days: Mapping[Urgency, tuple[int, int]] = LEAD_DAYS,
) -> list[SimOrder]:
    made = []
    for order_id in range(1, orders + 1):
        arrival = rng.uniform(8 * 3600, arrival_days * DAY)
        urgency = rng.choices(list(LEAD_DAYS), [0.15, 0.3, 0.55])[0]
        low, high = lead_days[urgency]
        needed_by = DAY0 + timedelta(days=int(arrival // DAY) + rng.randint(low, high))
        bom: tuple[tuple[Item, int], ...]
        if rng.random() < 0.75:
            item, bom, quantity = Item.VISOR, VISOR_BOM, rng.randint(20, 150)
        else:
            item, bom, quantity = Item.AMICROCHE, HOOK_BOM, rng.randint(50, 300)
        created = datetime.combine(DAY0, datetime.min.time(), UTC) + timedelta(seconds=arrival)
        quantity = max(1, round(quantity * scale))
        demand = OrderDemand(order_id, item, bom, quantity, needed_by, urgency, created)
        made.append(SimOrder(order_id, arrival, demand))
    return sorted(made, key=lambda o: o.arrival_s)


def jobs_for(order: SimOrder, first_id: int, rng: random.Random) -> list[SimJob]:
    """The planner's jobs for one new order. Supplies are ample and no part is in stock, so
    the planner's answer is the order's bill of materials cut into plates; urgency goes into
    the priority (the needed-by date already comes first in the queue order)."""
    stock = {(supply, Stage.ON_HAND): 10**9 for supply in (Item.FILM_SHEET, Item.ELASTIC)}
    planned = plan(PlanningState([order.demand], stock, PARTS, []))
    urgency = URGENCY_RANK[order.demand.urgency]
    return [
        SimJob(
            first_id + n,
            order.order_id,
            new.part_key,
            new.copies,
            new.needed_by,
            urgency,
            order.arrival_s,
            rng.lognormvariate(0.0, 0.08) * (2.0 if rng.random() < 0.03 else 1.0),
        )
        for n, new in enumerate(planned.new_jobs)
    ]


def instance_jobs(orders: Sequence[SimOrder], seed: int) -> dict[int, list[SimJob]]:
    """Every order's jobs, by order id, as the simulation of `seed` makes them: one stream of
    plate luck drawn in arrival order, so every policy (and the reference) gets the same."""
    rng = random.Random(seed)
    jobs_of: dict[int, list[SimJob]] = {}
    next_job = 1
    for order in orders:
        jobs_of[order.order_id] = jobs_for(order, next_job, rng)
        next_job += len(jobs_of[order.order_id])
    return jobs_of


# --- hours: thin adapters over `weekly_hours`, t in seconds from START ---


def moment(t: float) -> datetime:
    return START + timedelta(seconds=t)


def seconds_from_start(at: datetime) -> float:
    return (at - START).total_seconds()


@lru_cache(maxsize=1 << 16)
def window_now(hours: WeeklyHours, t: float) -> float | None:
    """Seconds until the open stretch around t closes: inf when always open, None when
    closed (`weekly_hours.seconds_left`). Printers of a maker share hours, so this is
    cached."""
    return seconds_left(hours, moment(t), ZONE)


@lru_cache(maxsize=1 << 16)
def next_open(hours: WeeklyHours, t: float) -> float:
    """The next opening after t: the start of the next open stretch, after the one around t
    when open now (`weekly_hours.next_opening`). Not for hours that never close."""
    at = moment(t)
    left = seconds_left(hours, at, ZONE)
    assert left != math.inf, "always open: no next opening"
    if left is not None:
        at += timedelta(seconds=left)  # the closing, exactly: closed there
    opening = next_opening(hours, at, ZONE)
    assert opening is not None  # `parse` refuses hours that never open
    return seconds_from_start(opening)


def opens_at(hours: WeeklyHours, t: float) -> float:
    """t when open, else the next opening."""
    return t if window_now(hours, t) is not None else next_open(hours, t)


def finish_time(
    printer: SimPrinter, start: float, work: float, overrun: str
) -> tuple[float, float]:
    """(when the print ends, when the printer is free again).

    A printer allowed unattended prints, or any printer with overrun `run`: the print goes
    on past the window, but the bed is only cleared once the window is open again. `pause`
    (the other printers by default): the printer only prints inside the window; a job that
    runs past it is paused until it reopens.
    """
    hours = printer.hours
    if printer.unattended or overrun == "run":
        end = start + work
        return end, end if _cleared_at_end(hours, end) else next_open(hours, end)
    t = start
    while True:
        left = window_now(hours, t)
        if left is None or left < 1e-6:
            t = next_open(hours, t)
            continue
        if work <= left:
            return t + work, t + work
        work -= left
        t += left


def _cleared_at_end(hours: WeeklyHours, t: float) -> bool:
    # A print ending exactly when the window closes is still cleared by the maker.
    return window_now(hours, t) is not None or window_now(hours, t - 1.0) is not None


@dataclass(frozen=True)
class OpenTime:
    """A printer's open stretches from t = 0 to a horizon (from the adapters above), and the
    conversions between real time and open time (seconds counted only while open)."""

    spans: tuple[tuple[float, float], ...]  # (start, end), real seconds; (0, inf) if always
    open_before: tuple[float, ...]  # open seconds before each span
    ends: tuple[float, ...]  # each span's end

    def open_s(self, t: float) -> float:
        """Open seconds between t = 0 and t."""
        k = bisect_right(self.ends, t)  # spans ending at or before t are whole
        if k == len(self.spans):
            return self.open_before[-1] + self.spans[-1][1] - self.spans[-1][0]
        start, _end = self.spans[k]
        return self.open_before[k] + max(0.0, t - start)

    def real_s(self, open_s: float, *, ending: bool) -> float:
        """The real time at which the printer has been open for `open_s` seconds. At a span
        boundary, a plate that *ends* there ends at the closing; one that *starts* there
        starts at the next opening."""
        if ending:  # in the span with open_before < open_s <= its end
            k = max(0, bisect_left(self.open_before, open_s) - 1)
        else:  # in the span with open_before <= open_s < its end
            k = bisect_right(self.open_before, open_s) - 1
        start, end = self.spans[k]
        real = start + open_s - self.open_before[k]
        assert real <= end, "beyond the horizon"
        return real


@lru_cache(maxsize=256)
def open_time(hours: WeeklyHours, horizon_s: float) -> OpenTime:
    """The hours' `OpenTime` from t = 0 up to `horizon_s` (the last span may reach beyond)."""
    if window_now(hours, 0.0) == math.inf:
        return OpenTime(((0.0, math.inf),), (0.0,), (math.inf,))
    spans: list[tuple[float, float]] = []
    t = opens_at(hours, 0.0)
    while t < horizon_s:
        left = window_now(hours, t)
        assert left is not None
        spans.append((t, t + left))
        t = next_open(hours, t)
    open_before = [0.0]
    for start, end in spans[:-1]:
        open_before.append(open_before[-1] + end - start)
    return OpenTime(tuple(spans), tuple(open_before), tuple(end for _, end in spans))


# --- policies ---


@dataclass
class FarmState:
    history: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    active: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # per maker
    done_at: list[tuple[float, int]] = field(default_factory=list)  # (time, maker)


Policy = Callable[[float, list[SimPrinter], list[SimJob], FarmState], list[tuple[SimJob, int]]]


def speed_factor(farm: FarmState, printer_id: int) -> float:
    """The printer's speed as the service learns it: `learned_speed_factor` of its last
    `HISTORY` actual/estimated ratios."""
    return learned_speed_factor(farm.history[printer_id][-HISTORY:])


def maker_load(farm: FarmState, now: float) -> dict[int, int]:
    """Work in hand per maker, as `dispatch.maker_load`: active jobs plus those finished in
    the last 24 h."""
    load: dict[int, int] = defaultdict(int, farm.active)
    for t, maker in farm.done_at:
        if t >= now - DAY:
            load[maker] += 1
    return dict(load)


def makerline_policy(claim_cap: bool = True, fill: bool = True) -> Policy:
    """makerline's dispatch: `assign_jobs`, then (`fill`) `fill_windows` for printers still
    free because their window is too short for any whole plate; a plate of fewer copies
    comes back as the job with those copies, and the simulation queues the rest."""

    def choose(
        now: float, free: list[SimPrinter], queue: list[SimJob], farm: FarmState
    ) -> list[tuple[SimJob, int]]:
        ranked = sorted(queue, key=lambda j: j.rank)
        if claim_cap:
            # As dispatch.claim_queued: of each part the free printers' materials can take,
            # the first max(4 * free, 100) jobs in queue order.
            loaded = {p.profile.material.upper() for p in free}
            cap = max(4 * len(free), 100)
            claimed: dict[str, list[SimJob]] = defaultdict(list)
            for job in ranked:
                takes = any(m.upper() in loaded for m in job.materials)
                if takes and len(claimed[job.part_key]) < cap:
                    claimed[job.part_key].append(job)
            ranked = sorted((j for jobs in claimed.values() for j in jobs), key=lambda j: j.rank)
        printers = [
            FreePrinter(
                p.printer_id,
                p.maker_id,
                p.profile,
                speed_factor(farm, p.printer_id),
                # As dispatch.free_printers: an unattended printer may run past its window.
                math.inf if p.unattended else window_now(p.hours, now) or 0.0,
            )
            for p in free
        ]
        queued = [j.queued() for j in ranked]
        by_id = {j.job_id: j for j in ranked}
        decisions = assign_jobs(queued, printers, estimate, maker_load(farm, now))
        if fill:
            taken = {d.job_id for d in decisions}
            busy = {d.printer_id for d in decisions}
            decisions += fill_windows(
                [j for j in queued if j.job_id not in taken],
                [p for p in printers if p.printer_id not in busy],
                estimate,
            )
        return [
            (replace(by_id[d.job_id], copies=d.copies or by_id[d.job_id].copies), d.printer_id)
            for d in decisions
        ]

    return choose


def fifo_policy(
    now: float, free: list[SimPrinter], queue: list[SimJob], farm: FarmState
) -> list[tuple[SimJob, int]]:
    idle = sorted(free, key=lambda p: p.printer_id)
    taken: set[int] = set()
    exhausted: set[tuple[str, int]] = set()
    chosen = []
    for job in sorted(queue, key=lambda j: j.job_id):
        if len(taken) == len(idle):
            break
        kind = (job.part_key, job.copies)
        if kind in exhausted:
            continue
        printer = next(
            (p for p in idle if p.printer_id not in taken and fits(job, p)),
            None,
        )
        if printer is None:
            exhausted.add(kind)
            continue
        taken.add(printer.printer_id)
        chosen.append((job, printer.printer_id))
    return chosen


# --- simulation ---


@dataclass(frozen=True)
class RunResult:
    makespan_h: float  # from t = 0 to the end of the last plate
    deadlines_met: float  # share of orders whose last part was done before the needed-by date
    jobs_per_maker: tuple[int, int]  # (min, max) over makers
    jobs: int
    total_lateness_h: float = 0.0  # sum over orders of max(0, last plate's end - deadline)
    forecast: ForecastAccuracy | None = None  # of the forecasts at order time, when asked for
    # The same forecasts told the orders really to come: the error of the model alone.
    forecast_knowing_demand: ForecastAccuracy | None = None


def deadline_s(order: SimOrder) -> float:
    """An order's deadline: 00:00 of its needed-by date, in seconds from t = 0."""
    return (order.demand.needed_by - DAY0).days * DAY


def order_outcomes(orders: Sequence[SimOrder], done_s: Mapping[int, float]) -> tuple[float, float]:
    """(share of orders met, total lateness in hours), given when each order's last plate
    ended. Met means ended strictly before the deadline; lateness is max(0, end - deadline).
    The simulation counts no hub delay after the last plate, so neither does this."""
    met = sum(done_s[o.order_id] < deadline_s(o) for o in orders) / len(orders)
    late_s = sum(max(0.0, done_s[o.order_id] - deadline_s(o)) for o in orders)
    return met, late_s / 3600


@dataclass(frozen=True)
class Started:
    """A plate as the simulation ran it (`simulate(..., log=...)`), in seconds from t = 0."""

    job: SimJob
    printer_id: int
    start_s: float
    end_s: float


# --- forecasts: the service's (`eta.play`), from what it would know ---


class Plate(NamedTuple):
    """A plate under way in the simulation, in seconds from t = 0."""

    job: SimJob
    start_s: float
    estimate_s: float  # the slicer's, on this printer's profile
    end_s: float  # when it really ends (hidden from the forecast)


def expected_left_s(
    printer: SimPrinter, plate: Plate, now: float, overrun: str, speed: float
) -> float:
    """What the service expects is left of the plate under way, as `forecasts.
    job_seconds_left`: its estimate x (1 - the progress the printer reports) x the learned
    speed factor; 0 once printed (the bed waits to be cleared). The progress is the share
    of the plate's true print time done: printing only inside the hours on a printer that
    pauses plates, all the time otherwise."""
    if now >= plate.end_s:
        return 0.0
    work = true_work_s(plate.job, printer)
    assert work is not None
    if printer.unattended or overrun == "run":
        printed = now - plate.start_s
    else:
        hours = open_time(printer.hours, YEAR)
        printed = hours.open_s(now) - hours.open_s(plate.start_s)
    return plate.estimate_s * (1.0 - min(printed / work, 1.0)) * speed


def fleet_printer(
    printer: SimPrinter, plate: Plate | None, farm: FarmState, now: float, overrun: str
) -> FleetPrinter:
    """The printer as `forecasts.fleet_of` gives it to the forecast: its learned speed
    factor, hours, unattended or not, its plate under way, and its holiday as a pause
    (seconds from now) until it ends. A maker announces a holiday in advance, so a holiday
    still to come is known too."""
    speed = speed_factor(farm, printer.printer_id)
    pauses: tuple[tuple[float, float], ...] = ()
    if printer.pause is not None and printer.pause[1] > now:
        pauses = ((printer.pause[0] - now, printer.pause[1] - now),)
    return FleetPrinter(
        FreePrinter(printer.printer_id, printer.maker_id, printer.profile, speed),
        printer.hours,
        printer.unattended,
        expected_left_s(printer, plate, now, overrun, speed) if plate else 0.0,
        pauses,
    )


def forecast_completions(
    order_ids: Sequence[int],
    farm: Sequence[SimPrinter],
    queue: Sequence[SimJob],
    running: Mapping[int, Plate],
    state: FarmState,
    now: float,
    overrun: str,
    arriving: Sequence[tuple[float, QueuedJob]] = (),
) -> dict[int, float | None]:
    """Each order's forecast completion, in seconds from t = 0, as the service's forecast
    (`forecasts.delivery_forecasts`) gives it at `now`: the dispatcher played forward
    (`eta.play`) on the whole farm (every printer online) with the queue as it stands, the
    bench's estimate table and plate capacity, the makers' load, and the jobs `arriving`
    (seconds from now): the demand the service expects (`expected_demand`), or the orders
    really to come (`demand_to_come`). Its last plate's end; the bench counts no hub delay,
    so neither does this. None when a plate of the order is given to no printer within the
    forecast's horizon. The orders' jobs must all be queued."""
    fleet = [fleet_printer(p, running.get(p.printer_id), state, now, overrun) for p in farm]
    ends = eta.play(
        [job.queued() for job in queue],
        fleet,
        estimate,
        plate_capacity,
        now=moment(now),
        zone=ZONE,
        maker_load=maker_load(state, now),
        arriving=arriving,
    )
    completions: dict[int, float | None] = {}
    for order_id in order_ids:
        job_ends = [ends.get(job.job_id) for job in queue if job.order_id == order_id]
        known = [end for end in job_ends if end is not None]
        completions[order_id] = now + max(known) if known and len(known) == len(job_ends) else None
    return completions


def expected_demand(
    arrived: Sequence[SimJob], queue: Sequence[SimJob], now: float
) -> list[tuple[float, QueuedJob]]:
    """The demand the service expects at `now` (`eta.expected_demand`), from the jobs of
    the orders `arrived` so far."""
    recent = [(now - job.arrival_s, job.queued()) for job in arrived]
    return eta.expected_demand(recent, [job.queued() for job in queue])


def demand_to_come(
    jobs: Sequence[SimJob], queue: Sequence[SimJob], now: float
) -> list[tuple[float, QueuedJob]]:
    """The jobs of the orders really to come after `now`, with when (seconds from now),
    those due by the last queued job's date only, under negative ids: as
    `eta.expected_demand` gives the demand it expects. What no forecast can know, for
    measuring the forecast's model alone."""
    latest = max((job.needed_by for job in queue), default=None)
    return [
        (job.arrival_s - now, replace(job.queued(), job_id=-job.job_id))
        for job in jobs
        if job.arrival_s > now and latest is not None and job.needed_by <= latest
    ]


@dataclass(frozen=True)
class ForecastAccuracy:
    """The forecasts at order time against the run: per order forecast, (actual - forecast
    completion) / (actual completion - arrival), > 0 when the order ended later than
    forecast."""

    errors: tuple[float, ...]
    missing: int  # orders without a forecast

    @property
    def median(self) -> float:
        """The median relative error, in absolute value."""
        return statistics.median(abs(e) for e in self.errors)

    @property
    def p90(self) -> float:
        """The 90th percentile of the relative error, in absolute value."""
        sizes = sorted(abs(e) for e in self.errors)
        if len(sizes) < 2:
            return sizes[0]
        return statistics.quantiles(sizes, n=10, method="inclusive")[-1]

    @property
    def later(self) -> float:
        """The share of forecast orders that ended later than forecast."""
        return sum(e > 0 for e in self.errors) / len(self.errors)


def forecast_accuracy(
    orders: Sequence[SimOrder],
    predicted: Mapping[int, float | None],
    done_s: Mapping[int, float],
) -> ForecastAccuracy:
    """Each order's forecast completion against its actual one, relative to its time from
    arrival to completion."""
    errors = tuple(
        (done_s[o.order_id] - forecast) / (done_s[o.order_id] - o.arrival_s)
        for o in orders
        if (forecast := predicted.get(o.order_id)) is not None
    )
    return ForecastAccuracy(errors, len(orders) - len(errors))


def simulate(
    farm: Sequence[SimPrinter],
    orders: Sequence[SimOrder],
    policy: Policy,
    seed: int,
    overrun: str,
    log: list[Started] | None = None,
    forecast: bool = False,
) -> RunResult:
    """Run the policy on the farm until every plate is printed. `log`, when given, receives
    every plate as it ran (a split job's plates under their own ids and copies). `forecast`:
    at each order's arrival, once its jobs are queued, forecast its completion as the service
    would (`forecast_completions`), and measure it against the run (`RunResult.forecast`)."""
    by_id = {p.printer_id: p for p in farm}
    state = FarmState()
    events: list[tuple[float, int, str, int]] = []
    seq = 0

    def push(t: float, kind: str, ref: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, ref))

    jobs_of = instance_jobs(orders, seed)  # plate luck: the same draws for every policy
    next_job = 1 + sum(len(jobs) for jobs in jobs_of.values())
    for order in orders:
        push(order.arrival_s, "order", order.order_id)
    for p in farm:  # wake-ups: at every opening, and when a holiday ends
        if window_now(p.hours, 0.0) != math.inf:
            push(opens_at(p.hours, 0.0), "open", p.printer_id)
        if p.pause is not None:
            push(p.pause[1], "back", p.printer_id)

    queue: list[SimJob] = []
    idle = {p.printer_id for p in farm}
    running: dict[int, Plate] = {}
    predicted: dict[int, float | None] = {}  # order -> forecast completion, from t = 0
    predicted_knowing: dict[int, float | None] = {}  # the same, told the orders to come
    every_job = [job for order_jobs in jobs_of.values() for job in order_jobs]
    arrived: list[SimJob] = []  # every job of the orders come so far, as first made
    order_done: dict[int, float] = defaultdict(float)
    per_maker: dict[int, int] = {p.maker_id: 0 for p in farm}
    total_jobs = sum(len(j) for j in jobs_of.values())
    finished = 0
    makespan = 0.0
    while events and finished < total_jobs:
        now = events[0][0]
        new_orders = []
        while events and events[0][0] == now:
            _t, _seq, kind, ref = heapq.heappop(events)
            if kind == "order":
                queue.extend(jobs_of[ref])
                arrived.extend(jobs_of[ref])
                new_orders.append(ref)
            elif kind == "open":
                push(next_open(by_id[ref].hours, now), "open", ref)
            elif kind == "print_end":
                job, start, estimated, _end = running[ref]
                state.history[ref].append((now - start) / estimated)  # wall clock, as dispatch
                order_done[job.order_id] = max(order_done[job.order_id], now)
                makespan = max(makespan, now)
                finished += 1
            elif kind == "free":
                maker = by_id[ref].maker_id
                state.active[maker] -= 1
                state.done_at.append((now, maker))
                del running[ref]
                idle.add(ref)
        if forecast and new_orders:
            expected = expected_demand(arrived, queue, now)
            predicted |= forecast_completions(
                new_orders, farm, queue, running, state, now, overrun, expected
            )
            to_come = demand_to_come(every_job, queue, now)
            predicted_knowing |= forecast_completions(
                new_orders, farm, queue, running, state, now, overrun, to_come
            )
        free = [
            by_id[i]
            for i in sorted(idle)
            if window_now(by_id[i].hours, now) is not None and not by_id[i].paused(now)
        ]
        if not free or not queue:
            continue
        picked = policy(now, free, queue, state)
        taken = {job.job_id for job, _ in picked}
        queued = {j.job_id: j for j in queue}
        queue = [j for j in queue if j.job_id not in taken]
        for job, _printer_id in picked:  # a smaller plate: the rest of its job waits
            if job.copies < queued[job.job_id].copies:
                queue.append(
                    replace(job, job_id=next_job, copies=queued[job.job_id].copies - job.copies)
                )
                next_job += 1
                total_jobs += 1
        for job, printer_id in picked:
            printer = by_id[printer_id]
            plate_s = estimate(job.part_key, job.copies, printer.profile)
            work = true_work_s(job, printer)
            assert plate_s is not None and work is not None and printer_id in idle
            end, free_at = finish_time(printer, now, work, overrun)
            if log is not None:
                log.append(Started(job, printer_id, now, end))
            idle.discard(printer_id)
            running[printer_id] = Plate(job, now, plate_s, end)
            state.active[printer.maker_id] += 1
            per_maker[printer.maker_id] += 1
            push(end, "print_end", printer_id)
            push(free_at, "free", printer_id)
        if len(state.done_at) > 4096:
            state.done_at = [(t, m) for t, m in state.done_at if t >= now - DAY]
    assert finished == total_jobs, "some jobs never ran: no printer could take them"
    met, lateness_h = order_outcomes(orders, order_done)
    counts = list(per_maker.values())
    accuracy = forecast_accuracy(orders, predicted, order_done) if forecast else None
    knowing = forecast_accuracy(orders, predicted_knowing, order_done) if forecast else None
    return RunResult(
        makespan / 3600, met, (min(counts), max(counts)), total_jobs, lateness_h, accuracy, knowing
    )


def lower_bound_h(
    farm: Sequence[SimPrinter], orders: Sequence[SimOrder], seed: int, overrun: str = "pause"
) -> float:
    """max(work / capacity, longest single job), in hours from t = 0.

    Each job counts at its fastest printer. For every set of the farm's materials, the work
    of the jobs that may only be printed in those materials must fit the capacity of the
    printers loaded with them (the PLA-only hooks on the PLA printers; everything on the
    whole farm): every one of these bounds holds, so their maximum does. Capacity until T is
    the time inside the windows, or all of T for a printer that may print past its window
    (unattended, or any with overrun `run`); holidays are ignored, which only loosens the
    bound. The single job starts no earlier than its order.
    """
    jobs = [job for order_jobs in instance_jobs(orders, seed).values() for job in order_jobs]
    best = {
        job.job_id: min(w for p in farm if (w := true_work_s(job, p)) is not None) for job in jobs
    }
    bounds = [max(job.arrival_s + best[job.job_id] for job in jobs)]
    loaded = {p.profile.material for p in farm}
    for size in range(1, len(loaded) + 1):
        for chosen in map(set, combinations(sorted(loaded), size)):
            work = sum(best[j.job_id] for j in jobs if set(j.materials) & loaded <= chosen)
            printers = [p for p in farm if p.profile.material in chosen]
            if work > 0:
                bounds.append(time_to_capacity(printers, work, overrun))
    return max(bounds) / 3600


def time_to_capacity(printers: Sequence[SimPrinter], work_s: float, overrun: str) -> float:
    """The earliest T (to the minute) at which these printers could have printed `work_s`."""
    horizon = YEAR

    def capacity(until: float) -> float:
        return sum(
            until if p.unattended or overrun == "run" else open_time(p.hours, horizon).open_s(until)
            for p in printers
        )

    lo, hi = 0.0, horizon
    while hi - lo > 60:
        mid = (lo + hi) / 2
        if capacity(mid) >= work_s:
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class Scenario:
    printers: int = 60
    orders: int = 40
    arrival_days: float = 4.0
    scale: float = 1.0  # order sizes
    lead_days: Mapping[Urgency, tuple[int, int]] = field(default_factory=lambda: LEAD_DAYS)


QUICK = Scenario(printers=20, orders=14, arrival_days=3.0, scale=0.5)
# `--reference`: small enough for CP-SAT to prove or nearly prove its optimum (~90 plates).
# Orders arrive within a day and are needed one to three days out, where the full benchmark
# gives 1-9 days: with those, 12 printers meet every deadline whatever the policy, and
# lateness would compare 0 with 0.
TIGHT_LEAD_DAYS = {Urgency.CRITICAL: (1, 1), Urgency.HIGH: (1, 2), Urgency.NORMAL: (2, 3)}
REFERENCE = Scenario(
    printers=12, orders=10, arrival_days=1.0, scale=0.15, lead_days=TIGHT_LEAD_DAYS
)
REFERENCE_QUICK = Scenario(
    printers=4, orders=3, arrival_days=0.5, scale=0.1, lead_days=TIGHT_LEAD_DAYS
)


def make_instance(scenario: Scenario, seed: int) -> tuple[list[SimPrinter], list[SimOrder]]:
    """The farm and the orders of one seed."""
    rng = random.Random(seed)
    farm = make_farm(rng, scenario.printers, scenario.arrival_days)
    orders = make_orders(
        rng, scenario.orders, scenario.arrival_days, scenario.scale, scenario.lead_days
    )
    return farm, orders


def printable(farm: Sequence[SimPrinter], orders: Sequence[SimOrder], seed: int) -> bool:
    """Whether every plate of the instance fits some printer of the farm."""
    jobs = [job for order_jobs in instance_jobs(orders, seed).values() for job in order_jobs]
    return all(any(fits(job, p) for p in farm) for job in jobs)


def printable_seeds(scenario: Scenario, count: int) -> list[int]:
    """The first `count` seeds from 1 whose farm can print every plate: a small farm may
    have no PLA printer for the hooks."""
    seeds: list[int] = []
    seed = 0
    while len(seeds) < count:
        seed += 1
        if printable(*make_instance(scenario, seed), seed):
            seeds.append(seed)
    return seeds


@dataclass(frozen=True)
class SeedRow:
    seed: int
    lower_bound_h: float
    results: dict[str, RunResult]


POLICIES: dict[str, Callable[[], Policy]] = {
    "makerline": makerline_policy,
    "FIFO": lambda: fifo_policy,
}


def run(
    scenario: Scenario = Scenario(),
    seeds: Sequence[int] = (1, 2, 3),
    overrun: str = "pause",
    policies: dict[str, Callable[[], Policy]] | None = None,
) -> list[SeedRow]:
    rows = []
    for seed in seeds:
        farm, orders = make_instance(scenario, seed)
        results = {
            name: simulate(farm, orders, make(), seed, overrun, forecast=name == "makerline")
            for name, make in (policies or POLICIES).items()
        }
        rows.append(SeedRow(seed, lower_bound_h(farm, orders, seed, overrun), results))
    return rows


def run_quick() -> list[SeedRow]:
    return run(QUICK, seeds=(1, 2, 3))


@dataclass(frozen=True)
class ReferenceRow:
    seed: int
    results: dict[str, RunResult]  # makerline and FIFO, simulated
    reference: ReferenceResult  # plates may pause overnight, as in the simulation
    in_hours: ReferenceResult  # every plate inside one window, as makerline plans them


def run_reference(
    scenario: Scenario = REFERENCE,
    seeds: Sequence[int] = (1, 2, 3),
    time_limit_s: float = 20.0,
    workers: int = 2,
) -> list[ReferenceRow]:
    """makerline and FIFO simulated (`--overrun pause`), and the CP-SAT references of the
    same instance (plates paused overnight or not), warm-started from whichever of their
    schedules is best and prints whole jobs; the pause reference may also start from the
    in-hours one."""
    from schedule_reference import reference_for  # needs OR-Tools, a dev dependency

    rows = []
    for seed in seeds:
        farm, orders = make_instance(scenario, seed)
        if not printable(farm, orders, seed):
            # The simulation would wait forever for a printer (e.g. hooks and no PLA).
            raise ValueError(f"seed {seed}: some plate fits no printer of this farm")
        logs: dict[str, list[Started]] = {name: [] for name in POLICIES}
        results = {
            name: simulate(farm, orders, make(), seed, "pause", logs[name])
            for name, make in POLICIES.items()
        }
        hints = list(logs.values())
        in_hours = reference_for(farm, orders, seed, time_limit_s, workers, hints, False)
        # Held to a stricter rule, the in-hours schedule is one the other may start from.
        hints.append(
            [Started(pl.job, pl.printer_id, pl.start_s, pl.end_s) for pl in in_hours.placements]
        )
        reference = reference_for(farm, orders, seed, time_limit_s, workers, hints)
        rows.append(ReferenceRow(seed, results, reference, in_hours))
    return rows


def run_reference_quick() -> list[ReferenceRow]:
    """One seed of a 4-printer, 3-order farm (30 plates; FIFO late where the reference is
    not; a maker on holiday; in the reference, a plate paused overnight and one running on
    past the hours on an unattended printer): a few seconds, for tests."""
    return run_reference(REFERENCE_QUICK, seeds=(28,), time_limit_s=4.0)


def lateness_ratio(makerline_h: float, reference_h: float) -> float:
    """makerline's total lateness over the reference's: 1.0 when both are zero, inf when only
    the reference is on time everywhere."""
    if reference_h > 0:
        return makerline_h / reference_h
    return 1.0 if makerline_h == 0 else math.inf


def reference_table(rows: Sequence[ReferenceRow]) -> str:
    """Per seed and mean: deadlines met, total lateness and makespan of makerline, FIFO and
    both references (CP-SAT: plates may pause overnight, as in the simulation; in-hours:
    every plate inside one window); each reference's solver status (OPT = proven optimal
    total lateness) and proven bound on it; makerline's total lateness over each
    reference's (the mean row: the sum over the seeds over the sum)."""
    names = [*rows[0].results, "CP-SAT", "in-hours"]
    head = (
        f"{'seed':>5} | "
        + " | ".join(f"{n + ' met':>13} {'late h':>6} {'span h':>6}" for n in names)
        + f" | {'status':>9} {'bound h':>11} | {'makerline/ref late':>18}"
    )
    lines = [head, "-" * len(head)]

    def line(label: str, results: dict[str, RunResult], status: str, bound: str) -> str:
        cells = " | ".join(
            f"{r.deadlines_met:>13.0%} {r.total_lateness_h:>6.1f} {r.makespan_h:>6.1f}"
            for r in (results[n] for n in names)
        )
        late = results["makerline"].total_lateness_h
        ratios = "/".join(
            f"{lateness_ratio(late, results[n].total_lateness_h):.2f}"
            for n in ("CP-SAT", "in-hours")
        )
        return f"{label:>5} | {cells} | {status:>9} {bound:>11} | {ratios:>18}"

    def with_references(row: ReferenceRow) -> dict[str, RunResult]:
        return {**row.results, "CP-SAT": row.reference.result, "in-hours": row.in_hours.result}

    short = {"OPTIMAL": "OPT", "FEASIBLE": "FEAS"}
    for row in rows:
        status = "/".join(short.get(r.status, r.status) for r in (row.reference, row.in_hours))
        bound = "/".join(f"{r.lateness_bound_h:.1f}" for r in (row.reference, row.in_hours))
        lines.append(line(str(row.seed), with_references(row), status, bound))
    every = [with_references(r) for r in rows]
    mean = {
        n: RunResult(
            statistics.mean(e[n].makespan_h for e in every),
            statistics.mean(e[n].deadlines_met for e in every),
            (0, 0),
            0,
            statistics.mean(e[n].total_lateness_h for e in every),
        )
        for n in names
    }
    optimal = "/".join(
        str(sum(getattr(r, kind).status == "OPTIMAL" for r in rows))
        for kind in ("reference", "in_hours")
    )
    bound = "/".join(
        f"{statistics.mean(getattr(r, kind).lateness_bound_h for r in rows):.1f}"
        for kind in ("reference", "in_hours")
    )
    lines += ["-" * len(head), line("mean", mean, f"{optimal} OPT", bound)]
    return "\n".join(lines)


def table(rows: Sequence[SeedRow]) -> str:
    names = list(rows[0].results)
    head = f"{'seed':>5} {'LB h':>7} | " + " | ".join(
        f"{n + ' makespan h':>20} {'/LB':>5} {'met':>5} {'jobs/maker':>10}" for n in names
    )
    lines = [head, "-" * len(head)]

    def cells(results: dict[str, RunResult], lb: float) -> str:
        return " | ".join(
            f"{r.makespan_h:>20.1f} {r.makespan_h / lb:>5.2f} {r.deadlines_met:>5.0%} "
            f"{r.jobs_per_maker[0]:>4}-{r.jobs_per_maker[1]:<5}"
            for r in (results[n] for n in names)
        )

    for row in rows:
        lines.append(
            f"{row.seed:>5} {row.lower_bound_h:>7.1f} | {cells(row.results, row.lower_bound_h)}"
        )
    mean_lb = statistics.mean(r.lower_bound_h for r in rows)
    mean = {
        n: RunResult(
            statistics.mean(r.results[n].makespan_h for r in rows),
            statistics.mean(r.results[n].deadlines_met for r in rows),
            (
                round(statistics.mean(r.results[n].jobs_per_maker[0] for r in rows)),
                round(statistics.mean(r.results[n].jobs_per_maker[1] for r in rows)),
            ),
            rows[0].results[n].jobs,
        )
        for n in names
    }
    ratio = {
        n: statistics.mean(r.results[n].makespan_h / r.lower_bound_h for r in rows) for n in names
    }
    line = f"{'mean':>5} {mean_lb:>7.1f} | " + " | ".join(
        f"{mean[n].makespan_h:>20.1f} {ratio[n]:>5.2f} {mean[n].deadlines_met:>5.0%} "
        f"{mean[n].jobs_per_maker[0]:>4}-{mean[n].jobs_per_maker[1]:<5}"
        for n in names
    )
    lines += ["-" * len(head), line]
    return "\n".join(lines)


def forecast_table(rows: Sequence[SeedRow]) -> str:
    """Per seed and mean: the forecasts at order time of the makerline run against its
    actual completions (`ForecastAccuracy`): median and 90th percentile relative error, the
    share of orders done later than forecast, and the orders without a forecast; then the
    same forecasts told the orders really to come: the error of the model alone."""
    head = (
        f"{'seed':>5} | {'median err':>10} {'p90 err':>8} {'later':>6} {'no forecast':>11}"
        f" | {'knowing the orders to come: median':>34} {'p90':>6}"
    )
    lines = [head, "-" * len(head)]
    figures = []  # per seed: median, p90, later, missing; median, p90 knowing the demand
    for row in rows:
        result = row.results["makerline"]
        a, k = result.forecast, result.forecast_knowing_demand
        if a is not None and a.errors and k is not None and k.errors:
            figures.append((row.seed, (a.median, a.p90, a.later, a.missing, k.median, k.p90)))

    def line(label: str, f: Sequence[float]) -> str:
        return (
            f"{label:>5} | {f[0]:>10.1%} {f[1]:>8.1%} {f[2]:>6.0%} {f[3]:>11.0f}"
            f" | {f[4]:>34.1%} {f[5]:>6.1%}"
        )

    lines += [line(str(seed), f) for seed, f in figures]
    if figures:
        columns = list(zip(*(f for _seed, f in figures), strict=True))
        means = [statistics.mean(c) for c in columns]
        means[3] = sum(columns[3])  # orders without a forecast: all seeds'
        lines += ["-" * len(head), line("mean", means)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small farm, a few seconds")
    parser.add_argument("--overrun", choices=("pause", "run"), default="pause")
    parser.add_argument(
        "--no-fill",
        action="store_true",
        help="also run makerline without filling short windows with smaller plates",
    )
    parser.add_argument(
        "--no-claim-cap",
        action="store_true",
        help="also run makerline on the whole queue, not dispatch's first max(4 x free, 100)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="a 12-printer farm against the offline CP-SAT optimum (needs OR-Tools)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=3,
        help="with --reference: how many seeds (the first that can print every plate)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=20.0, help="with --reference: CP-SAT seconds a seed"
    )
    args = parser.parse_args()
    if args.reference:
        s = REFERENCE
        print(
            f"{s.printers} printers, {s.orders} orders arriving over {s.arrival_days:g} day, "
            f"needed 1-3 days out; overrun=pause; CP-SAT {args.time_limit:g} s a seed, 2 workers"
        )
        seeds = printable_seeds(s, args.seeds)
        print(reference_table(run_reference(s, seeds, args.time_limit)))
        return
    scenario = QUICK if args.quick else Scenario()
    policies = dict(POLICIES)
    if args.no_claim_cap:
        policies["makerline-all"] = lambda: makerline_policy(claim_cap=False)
    if args.no_fill:
        policies["makerline-nofill"] = lambda: makerline_policy(fill=False)
    rows = run(scenario, overrun=args.overrun, policies=policies)
    print(
        f"{scenario.printers} printers, {scenario.orders} orders, overrun={args.overrun}; "
        "met = orders done before their needed-by date"
    )
    print(table(rows))
    print(
        "\nForecast accuracy (makerline): the service's forecast at each order's arrival "
        "against its actual completion; err = |forecast - actual| / (actual - arrival)"
    )
    print(forecast_table(rows))


if __name__ == "__main__":
    main()
