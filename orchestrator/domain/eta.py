"""Forecast delivery dates by playing the dispatcher forward. Pure.

The queue is handed out as the dispatcher would (`scheduler.dispatch_round`, with the
same claim of the queue's head), on the printers online as they are: each one's weekly
hours, unattended prints or not, pauses, learned speed factor, bed and material. A plate
takes the slicer's estimate times the printer's speed factor; an unattended printer's bed
is cleared when its hours open again. An order's printing ends with its last plate; the
hub then needs `hub_delay` to collect, check, assemble, disinfect and deliver.

Orders keep coming, and the queue runs by needed-by date: an order due in a week is
overtaken by the urgent ones of the next days. So the play expects, over the next day, the
jobs of the orders that came over the last one again (`expected_demand`), each due a day
later than its model; only those due before the last queued job can hold the queue up.

The range comes from playing the same queue at an early and a late pace: the spread of
actual against expected print times seen on the printers (`Pace`). An order the supplies
on hand cannot assemble has no date: it waits for a donation, and says which supplies,
and how many, it waits for. So does an order whose plates no printer online can take.
"""

from __future__ import annotations

import heapq
import math
import statistics
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from orchestrator.domain import weekly_hours
from orchestrator.domain.planner import Shortage
from orchestrator.domain.scheduler import (
    Capacity,
    Estimate,
    FreePrinter,
    QueuedJob,
    dispatch_round,
    learned_speed_factor,
    plate_estimates,
)
from orchestrator.domain.weekly_hours import WeeklyHours

DAY = 24 * 3600.0
HORIZON = timedelta(days=60)  # a forecast further out than this is no forecast
MAX_ROUNDS = 50_000  # rounds of the dispatcher played, at most (each hands out a plate or more)
CLAIM_FLOOR = 100  # as the dispatcher claims: max(4 x free printers, this) jobs of each part
# The demand expected: the last period's orders again over the next one. A day follows the
# orders as they come (a burst of urgent orders, a quiet weekend) and forgets them soon.
DEMAND_PERIOD = timedelta(days=1)


class NoEta(StrEnum):
    """Why an open order has no forecast."""

    AWAITING_SUPPLIES = "awaiting_supplies"  # a supply on hand lacks: see its shortages
    AWAITING_PARTS = "awaiting_parts"  # jobs for its parts not planned yet
    NO_PRINTER_ONLINE = "no_printer_online"  # no printer online can take its plates


@dataclass(frozen=True)
class FleetPrinter:
    """A printer online, as the forecast plays it."""

    printer: FreePrinter  # its profile, maker and learned speed factor
    hours: WeeklyHours
    unattended: bool = False
    busy_for_s: float = 0.0  # its plate under way (expected seconds left): 0 when free
    pauses: tuple[tuple[float, float], ...] = ()  # (from, until) seconds from now; inf: open


@dataclass(frozen=True)
class OnPrinter:
    """A job already given to a printer: it ends in `seconds_left` (expected)."""

    job_id: int
    order_id: int | None
    seconds_left: float


@dataclass(frozen=True)
class Pace:
    """Actual over expected print time at the early and the late end of the range."""

    early: float = 1.0
    late: float = 1.0


@dataclass(frozen=True)
class Forecast:
    eta: datetime | None
    late: bool
    reason: NoEta | None = None
    held_back: tuple[Shortage, ...] = ()  # the supplies it waits for
    earliest: datetime | None = None  # the range: at the early pace
    latest: datetime | None = None  # and at the late one


def pace_from(ratios: Mapping[int, Sequence[float]], least: int = 10) -> Pace:
    """The range's pace: the 10th and 90th percentiles of each printer's actual/estimated
    times over its own speed factor (its median), pooled; no range under `least` plates."""
    spread = [
        ratio / factor
        for values in ratios.values()
        if len(values) >= 3 and (factor := learned_speed_factor(values)) > 0
        for ratio in values
        if ratio > 0 and math.isfinite(ratio)
    ]
    if len(spread) < least:
        return Pace()
    cuts = statistics.quantiles(spread, n=10)
    return Pace(early=min(cuts[0], 1.0), late=max(cuts[-1], 1.0))


class OpenTimes:
    """A printer's open stretches over the horizon, in seconds from now."""

    def __init__(self, hours: WeeklyHours, now: datetime, zone: ZoneInfo) -> None:
        if hours.always:
            self.starts, self.ends = [-math.inf], [math.inf]
            return
        days = HORIZON.days + 2
        stretches = weekly_hours.open_stretches(hours, now, zone, days_ahead=days)
        self.starts = [(start - now).total_seconds() for start, _end in stretches]
        self.ends = [(end - now).total_seconds() for _start, end in stretches]

    def left(self, t: float) -> float | None:
        """Seconds until the stretch open at `t` closes; None when closed."""
        index = bisect_right(self.starts, t) - 1
        if index >= 0 and t < self.ends[index]:
            return self.ends[index] - t
        return None

    def next_longer(self, t: float, length: float) -> float:
        """The opening, after `t`, of the first stretch longer than `length` (inf if
        none): a printer that could use `length` seconds and took nothing can take
        nothing new before then, unless the queue changes."""
        for index in range(bisect_right(self.starts, t), len(self.starts)):
            if self.ends[index] - self.starts[index] > length:
                return self.starts[index]
        return math.inf

    def next_opening(self, t: float) -> float | None:
        """`t` when open, else the next opening; None when none within the horizon."""
        if self.left(t) is not None:
            return t
        index = bisect_right(self.starts, t)
        return self.starts[index] if index < len(self.starts) else None


def play(
    jobs: Sequence[QueuedJob],
    fleet: Sequence[FleetPrinter],
    estimate: Estimate,
    capacity: Capacity,
    *,
    now: datetime,
    zone: ZoneInfo,
    pace: float = 1.0,
    maker_load: Mapping[int, int] | None = None,
    arriving: Sequence[tuple[float, QueuedJob]] = (),
) -> dict[int, float]:
    """Seconds from now when each queued job's last plate ends, playing the dispatcher's
    rounds forward; a job no printer takes within the horizon is left out. `arriving`:
    jobs that join the queue later, each with its time (seconds from now); they are played
    while they may hold up the queued jobs, and the play ends with the last of those.

    As in the dispatcher, a job given fewer copies than it has leaves its rest queued as a
    new job (a new id: last among equal dates and priorities), and a maker's load counts
    each plate from its start until a day after its bed is cleared (`maker_load`: the
    load now)."""
    hours_cache: dict[WeeklyHours, OpenTimes] = {}
    opens = {
        p.printer.printer_id: hours_cache.setdefault(p.hours, OpenTimes(p.hours, now, zone))
        for p in fleet
    }
    remaining = {job.job_id: job for job in jobs}
    ranks = sorted(job.rank for job in jobs)  # the queue's order; a rank ends with the job's id
    parts = {job.part_key for job in jobs}
    queued_left = set(remaining)  # the queued jobs with copies not handed out yet
    source: dict[int, int] = {}  # a split job's rest -> the job it was split from
    next_id = max(remaining, default=0) + 1
    to_come = sorted(arriving, key=lambda each: each[0], reverse=True)  # next one last
    # A plate under way leaves its bed clear when it ends, if its maker's hours are open.
    free_at = {
        p.printer.printer_id: cleared_at(opens[p.printer.printer_id], p.busy_for_s * pace)
        for p in fleet
    }
    whole_plate, part_of_plate = plate_estimates(estimate, capacity)
    load: dict[int, int] = defaultdict(int, maker_load or {})
    unloads: list[tuple[float, int]] = []  # (when a plate stops counting, its maker)
    ends: dict[int, float] = {}
    queue_version = 0  # counts the plates handed out: the queue changes with each
    refusals: dict[int, tuple[int, float]] = {}  # printer -> (queue version, window) it refused
    horizon = HORIZON.total_seconds()
    t = 0.0
    for _round in range(MAX_ROUNDS):
        if to_come and to_come[-1][0] <= t:
            while to_come and to_come[-1][0] <= t:
                job = to_come.pop()[1]
                remaining[job.job_id] = job
                insort(ranks, job.rank)
                parts.add(job.part_key)
            queue_version += 1
        if not queued_left or t > horizon:
            break
        while unloads and unloads[0][0] <= t:
            load[heapq.heappop(unloads)[1]] -= 1
        free: dict[int, tuple[FleetPrinter, FreePrinter]] = {}
        waits: list[float] = []
        idle = False  # a printer open and free took nothing: a job to come may be for it
        for member in fleet:
            printer_id = member.printer.printer_id
            hours = opens[printer_id]
            resumes = paused_until(member.pauses, t)
            left = hours.left(t)
            # Took nothing from this very queue with a window this long: it takes nothing
            # before a longer window, unless the queue changes.
            refused = refusals.get(printer_id, (-1, 0.0))
            refused_length = refused[1] if refused[0] == queue_version else -math.inf
            window = math.inf if member.unattended and left is not None else left
            if free_at[printer_id] > t:
                waits.append(free_at[printer_id])
            elif resumes is not None:
                waits.append(resumes)
            elif window is None or window <= refused_length:
                idle = idle or window is not None
                waits.append(hours.next_longer(t, max(refused_length, 0.0)))
            else:
                free[printer_id] = (member, replace(member.printer, window_left_s=window))
        if free:
            round_version = queue_version
            head = claimed((remaining[rank[-1]] for rank in ranks), parts, len(free))
            offered = [printer for _member, printer in free.values()]
            for decision in dispatch_round(head, offered, whole_plate, part_of_plate, load):
                member, printer = free.pop(decision.printer_id)
                job = remaining.pop(decision.job_id)
                del ranks[bisect_left(ranks, job.rank)]
                origin = source.pop(job.job_id, job.job_id)
                copies = min(capacity(job.part_key, printer.profile), decision.copies or job.copies)
                end = t + decision.expected_seconds * pace
                ends[origin] = max(ends.get(origin, 0.0), end)
                free_at[decision.printer_id] = cleared_at(opens[decision.printer_id], end)
                waits.append(free_at[decision.printer_id])
                load[decision.maker_id] += 1
                # Counted while on the printer, and for a day after its bed is cleared.
                heapq.heappush(unloads, (free_at[decision.printer_id] + DAY, decision.maker_id))
                queue_version += 1
                if copies < job.copies:
                    rest = replace(job, job_id=next_id, copies=job.copies - copies)
                    source[next_id] = origin
                    next_id += 1
                    remaining[rest.job_id] = rest
                    insort(ranks, rest.rank)
                else:
                    queued_left.discard(origin)
            for printer_id, (_member, printer) in free.items():
                refusals[printer_id] = (round_version, printer.window_left_s)
                waits.append(opens[printer_id].next_longer(t, printer.window_left_s))
                idle = True
        if to_come and idle:  # otherwise the next printer to free up finds what came by then
            waits.append(to_come[-1][0])
        later = [wait for wait in waits if t < wait < math.inf]
        if not later:
            break
        t = min(later)
    handed_out = {job.job_id for job in jobs} - queued_left
    return {job_id: end for job_id, end in ends.items() if job_id in handed_out}


def expected_demand(
    recent: Iterable[tuple[float, QueuedJob]], queued: Iterable[QueuedJob]
) -> list[tuple[float, QueuedJob]]:
    """The jobs expected to join the queue, with when (seconds from now): each job of an
    order that came `ago` seconds back, within `DEMAND_PERIOD`, comes again that period
    later, due that much later, under a negative id. Only those due before the last queued
    job can hold the queue up: the others are left out."""
    latest = max((job.needed_by for job in queued if job.needed_by), default=None)
    period = DEMAND_PERIOD.total_seconds()
    expected: list[tuple[float, QueuedJob]] = []
    for ago, job in recent:
        if job.needed_by is None or latest is None or not 0 <= ago < period:
            continue
        due = job.needed_by + DEMAND_PERIOD
        if due <= latest:
            job_id = -(len(expected) + 1)
            expected.append((period - ago, replace(job, job_id=job_id, needed_by=due)))
    return expected


def paused_until(pauses: Iterable[tuple[float, float]], t: float) -> float | None:
    """When the pause holding at `t` ends (inf: until resumed), or None."""
    holding = [until for since, until in pauses if since <= t < until]
    return max(holding) if holding else None


def claimed(jobs: Iterable[QueuedJob], parts: set[str], free: int) -> list[QueuedJob]:
    """The head of the queue the dispatcher claims: the first max(4 x free, 100) jobs of
    each part, in queue order."""
    limit = max(4 * free, CLAIM_FLOOR)
    taken: dict[str, int] = defaultdict(int)
    full = 0
    head = []
    for job in jobs:
        if taken[job.part_key] < limit:
            head.append(job)
            taken[job.part_key] += 1
            full += taken[job.part_key] == limit
            if full == len(parts):
                break
    return head


def cleared_at(hours: OpenTimes, end: float) -> float:
    """When a plate ending at `end` leaves its bed clear: then, if the maker's hours are
    open (or just closed with it), else when they open again."""
    if hours.left(end) is not None or hours.left(end - 1.0) is not None:
        return end
    return hours.next_opening(end) or math.inf


def forecast(
    *,
    orders: Iterable[tuple[int, date, bool]],  # (order id, needed by, fully covered by jobs)
    queued: Sequence[tuple[QueuedJob, int | None]],  # each queued job, with its order
    on_printers: Sequence[OnPrinter],
    fleet: Sequence[FleetPrinter],
    estimate: Estimate,
    capacity: Capacity,
    now: datetime,
    zone: ZoneInfo,
    hub_delay: timedelta,
    held_back: Mapping[int, tuple[Shortage, ...]] | None = None,
    pace: Pace = Pace(),
    maker_load: Mapping[int, int] | None = None,
    recent_demand: Sequence[tuple[float, QueuedJob]] = (),
) -> dict[int, Forecast]:
    """Each order's forecast; `recent_demand`: the jobs of the orders of the last
    `DEMAND_PERIOD`, each with how long ago its order came (`expected_demand`)."""
    jobs = [job for job, _order in queued]
    arriving = expected_demand(recent_demand, jobs)
    order_of = {job.job_id: order_id for job, order_id in queued}
    order_of.update({job.job_id: job.order_id for job in on_printers})

    def order_ends(speed: float) -> tuple[dict[int, float], set[int]]:
        """Each order's last plate's end at this pace, and the orders with a plate that
        no printer takes."""
        ends = play(
            jobs,
            fleet,
            estimate,
            capacity,
            now=now,
            zone=zone,
            pace=speed,
            maker_load=maker_load,
            arriving=arriving,
        )
        ends.update({job.job_id: job.seconds_left * speed for job in on_printers})
        last: dict[int, float] = {}
        for job_id, end in ends.items():
            order_id = order_of.get(job_id)
            if order_id is not None:
                last[order_id] = max(last.get(order_id, 0.0), end)
        stuck = {order_of[job.job_id] for job in jobs if job.job_id not in ends}
        return last, {order_id for order_id in stuck if order_id is not None}

    expected, stuck = order_ends(1.0)
    early, _ = order_ends(pace.early) if pace.early != 1.0 else (expected, stuck)
    late, _ = order_ends(pace.late) if pace.late != 1.0 else (expected, stuck)

    def delivered(ends: Mapping[int, float], order_id: int) -> datetime:
        return now + timedelta(seconds=ends.get(order_id, 0.0)) + hub_delay

    result = {}
    for order_id, needed_by, covered in orders:
        deadline_passed = now.date() > needed_by
        shortages = (held_back or {}).get(order_id, ())
        if shortages:
            result[order_id] = Forecast(
                None, deadline_passed, NoEta.AWAITING_SUPPLIES, held_back=shortages
            )
        elif not covered:
            result[order_id] = Forecast(None, deadline_passed, NoEta.AWAITING_PARTS)
        elif order_id in stuck:
            result[order_id] = Forecast(None, deadline_passed, NoEta.NO_PRINTER_ONLINE)
        else:
            eta = delivered(expected, order_id)
            result[order_id] = Forecast(
                eta,
                eta.date() > needed_by,
                earliest=delivered(early, order_id),
                latest=delivered(late, order_id),
            )
    return result
