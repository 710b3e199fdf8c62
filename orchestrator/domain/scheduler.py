"""The scheduler: which free printer gets which queued job. Pure.

Rules, in order:
- only compatible printers: the plate fits the bed, one of the part's materials is loaded,
  the nozzle matches, and the job ends before the printer's availability window closes;
- jobs go in queue order (needed-by date, then the planner's priority), one per printer;
- each job goes to the printer that would finish it first, from its slicer estimate times
  the printer's own learned speed factor;
- among printers that would finish within `fairness_margin` of the best, one with the
  part's preferred material loaded, then the maker with the least work in hand gets it,
  so that work spreads across volunteers; a printer with another allowed material takes
  the job when none with the preferred one would finish about as early (a PLA printer
  left idle prints a headband allowed in PLA);
- a printer left free because its window closes too soon for any whole plate takes a
  smaller plate of the first job it can, as many copies as end in time (`fill_windows`);
  the rest of that job stays queued, so part counts stay exact.

Printers are grouped by profile, and a profile's printers are kept sorted by speed, so a
job looks at a handful of candidates per profile rather than at the whole fleet.
"""

from __future__ import annotations

import math
from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache


@dataclass(frozen=True)
class Profile:
    """What decides whether a plate can be printed: bed, nozzle and loaded material."""

    bed_x_mm: float
    bed_y_mm: float
    bed_z_mm: float
    nozzle_mm: float
    material: str


@dataclass(frozen=True)
class FreePrinter:
    printer_id: int
    maker_id: int
    profile: Profile
    speed_factor: float = 1.0  # actual / estimated time, learned from its history
    window_left_s: float = math.inf  # seconds until its availability window closes


@dataclass(frozen=True)
class QueuedJob:
    job_id: int
    part_key: str
    copies: int
    materials: tuple[str, ...]  # it may be printed in, the preferred first
    nozzle_mm: float | None
    needed_by: date | None
    priority: int
    avoid_printers: frozenset[int] = frozenset()

    @property
    def rank(self) -> tuple[date, int, int]:
        return (self.needed_by or date.max, self.priority, self.job_id)


@dataclass(frozen=True)
class Assignment:
    job_id: int
    printer_id: int
    maker_id: int
    estimated_seconds: float  # the slicer's estimate for this printer's profile
    expected_seconds: float  # times the printer's speed factor
    copies: int | None = None  # fewer copies than the job's, to end within the window

    @classmethod
    def on(
        cls, printer: FreePrinter, job_id: int, seconds: float, copies: int | None = None
    ) -> Assignment:
        """The job on this printer, for the slicer's `seconds` times its speed factor."""
        return cls(
            job_id,
            printer.printer_id,
            printer.maker_id,
            seconds,
            seconds * printer.speed_factor,
            copies,
        )


# (part key, copies, profile) -> seconds, or None when the plate does not fit the profile.
Estimate = Callable[[str, int, Profile], float | None]
# (part key, profile) -> how many copies of the part a plate of that profile holds.
Capacity = Callable[[str, Profile], int]


def plate_estimates(estimate: Estimate, capacity: Capacity) -> tuple[Estimate, Estimate]:
    """The two estimates `dispatch_round` asks for: of a whole plate (None when the job's
    copies do not all fit the bed), and of the part of it that fits."""

    def whole_plate(part_key: str, copies: int, profile: Profile) -> float | None:
        if capacity(part_key, profile) < copies:
            return None
        return estimate(part_key, copies, profile)

    def part_of_plate(part_key: str, copies: int, profile: Profile) -> float | None:
        fits = min(capacity(part_key, profile), copies)
        return estimate(part_key, fits, profile) if fits else None

    return whole_plate, part_of_plate


@dataclass
class ProfilePool:
    """Free printers of one profile, fastest first."""

    profile: Profile
    printers: list[tuple[float, int, FreePrinter]] = field(default_factory=list)
    # No printer left here can fit a plate this long (or longer) in its window. The pool
    # only shrinks during a call, so this stays true and saves rescanning stuck printers.
    too_long_s: float = math.inf

    def add(self, printer: FreePrinter) -> None:
        insort(self.printers, (printer.speed_factor, printer.printer_id, printer))


def material_rank(job: QueuedJob, profile: Profile) -> int | None:
    """0 when the printer has the job's preferred material loaded, 1 for the next, and
    None when the job may not be printed in it."""
    return _rank_of(job.materials, profile.material)


@cache  # a handful of (materials, loaded) pairs, asked millions of times by the forecast
def _rank_of(materials: tuple[str, ...], loaded: str) -> int | None:
    wanted = loaded.upper()
    for rank, material in enumerate(materials):
        if material.upper() == wanted:
            return rank
    return None


def compatible(job: QueuedJob, profile: Profile) -> bool:
    if material_rank(job, profile) is None:
        return False
    return job.nozzle_mm is None or math.isclose(job.nozzle_mm, profile.nozzle_mm)


def assign_jobs(
    jobs: Sequence[QueuedJob],
    printers: Sequence[FreePrinter],
    estimate: Estimate,
    maker_load: dict[int, int] | None = None,
    fairness_margin: float = 0.10,
    look_ahead: int = 32,
) -> list[Assignment]:
    pools: dict[Profile, ProfilePool] = {}
    for printer in printers:
        pools.setdefault(printer.profile, ProfilePool(printer.profile)).add(printer)
    load: dict[int, int] = defaultdict(int, maker_load or {})
    assignments: list[Assignment] = []
    for job in sorted(jobs, key=lambda j: j.rank):
        if not pools:
            break
        best = best_slot(job, pools, estimate, load, fairness_margin, look_ahead)
        if best is None:
            continue
        pool, index, seconds = best
        _speed, _id, printer = pool.printers.pop(index)
        if not pool.printers:
            del pools[pool.profile]
        load[printer.maker_id] += 1
        assignments.append(Assignment.on(printer, job.job_id, seconds))
    return assignments


def best_slot(
    job: QueuedJob,
    pools: dict[Profile, ProfilePool],
    estimate: Estimate,
    load: dict[int, int],
    fairness_margin: float,
    look_ahead: int,
) -> tuple[ProfilePool, int, float] | None:
    """The (pool, index, estimate) the job should take, or None if no printer can."""
    candidates: list[tuple[float, int, int, ProfilePool, int, float]] = []
    for pool in pools.values():
        if not compatible(job, pool.profile):
            continue
        rank = material_rank(job, pool.profile) or 0
        seconds = estimate(job.part_key, job.copies, pool.profile)
        if seconds is None or seconds >= pool.too_long_s:
            continue
        seen = 0
        avoided = False
        for index, (_speed, _id, printer) in enumerate(pool.printers):
            if printer.printer_id in job.avoid_printers:
                avoided = True
                continue
            finish = seconds * printer.speed_factor
            if finish > printer.window_left_s:
                continue
            candidates.append((finish, rank, load[printer.maker_id], pool, index, seconds))
            seen += 1
            if seen >= look_ahead:
                break
        if seen == 0 and not avoided:
            pool.too_long_s = seconds
    if not candidates:
        return None
    earliest = min(c[0] for c in candidates)
    near_best = [c for c in candidates if c[0] <= earliest * (1 + fairness_margin)]
    # Among printers that finish about as early: the preferred material, then the maker
    # with the least work in hand.
    _finish, _rank, _load, pool, index, seconds = min(near_best, key=lambda c: (c[1], c[2], c[0]))
    return pool, index, seconds


def dispatch_round(
    jobs: Sequence[QueuedJob],
    printers: Sequence[FreePrinter],
    whole_plate: Estimate,
    part_of_plate: Estimate,
    maker_load: dict[int, int] | None = None,
) -> list[Assignment]:
    """One round of the dispatcher, for the free `printers`: whole plates first
    (`whole_plate` is None where a job's plate does not fit a profile's bed); then a
    printer with a smaller bed, still free, takes as many copies as it holds
    (`part_of_plate`); then a printer whose window closes too soon for any whole plate
    takes a smaller plate (`fill_windows`). The caller splits a job given fewer copies
    than it has. The dispatcher and the forecast both play rounds with it."""
    load = dict(maker_load or {})
    decisions = assign_jobs(jobs, printers, whole_plate, load)
    left, still_free = unserved(jobs, printers, decisions)
    if left and still_free:
        for decision in decisions:
            load[decision.maker_id] = load.get(decision.maker_id, 0) + 1
        decisions += assign_jobs(left, still_free, part_of_plate, load)
        left, still_free = unserved(jobs, printers, decisions)
        if left and still_free:
            decisions += fill_windows(left, still_free, part_of_plate)
    return decisions


def unserved(
    jobs: Sequence[QueuedJob], printers: Sequence[FreePrinter], decisions: Sequence[Assignment]
) -> tuple[list[QueuedJob], list[FreePrinter]]:
    """The jobs and the printers no decision took."""
    taken = {decision.job_id for decision in decisions}
    busy = {decision.printer_id for decision in decisions}
    return (
        [job for job in jobs if job.job_id not in taken],
        [printer for printer in printers if printer.printer_id not in busy],
    )


def fill_windows(
    jobs: Sequence[QueuedJob], printers: Sequence[FreePrinter], estimate: Estimate
) -> list[Assignment]:
    """For printers whose window is too short for any whole plate: the first job, in
    queue order, of which a smaller plate (fewer copies) ends within the window, with
    as many copies as do. Each job goes to one printer at most."""
    ranked = sorted(jobs, key=lambda job: job.rank)
    taken: set[int] = set()
    assignments = []
    for printer in sorted(printers, key=lambda p: p.printer_id):
        if math.isinf(printer.window_left_s):
            continue
        tried: set[tuple[str, int]] = set()  # a job like one tried already fits no better
        for job in ranked:
            if (
                job.job_id in taken
                or job.copies < 2
                or (job.part_key, job.copies) in tried
                or printer.printer_id in job.avoid_printers
                or not compatible(job, printer.profile)
            ):
                continue
            tried.add((job.part_key, job.copies))
            plate = largest_plate_within(job, printer, estimate)
            if plate is None:
                continue
            copies, seconds = plate
            taken.add(job.job_id)
            assignments.append(Assignment.on(printer, job.job_id, seconds, copies))
            break
    return assignments


def largest_plate_within(
    job: QueuedJob, printer: FreePrinter, estimate: Estimate
) -> tuple[int, float] | None:
    """(copies, seconds) of the largest plate of fewer copies than the job's that ends
    within the printer's window; None if not even one copy does."""
    for copies in range(job.copies - 1, 0, -1):
        seconds = estimate(job.part_key, copies, printer.profile)
        if seconds is not None and seconds * printer.speed_factor <= printer.window_left_s:
            return copies, seconds
    return None


def learned_speed_factor(ratios: Sequence[float], default: float = 1.0) -> float:
    """A printer's speed: the median of its actual/estimated times, kept within reason so
    that one stalled print does not bench it."""
    usable = sorted(r for r in ratios if r > 0 and math.isfinite(r))
    if not usable:
        return default
    middle = len(usable) // 2
    median = usable[middle] if len(usable) % 2 else (usable[middle - 1] + usable[middle]) / 2
    return min(max(median, 0.25), 4.0)
