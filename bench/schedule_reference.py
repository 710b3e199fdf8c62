"""Offline reference for schedule_quality.py: the best schedule CP-SAT finds with hindsight.

The instance is the simulation's own: the same farm (profile, true speed factor, daily hours
of each printer), the same orders (arrival, needed-by) and the same jobs (`instance_jobs`:
the planner's plates with the plate luck the simulation draws for the seed). Unlike the
online policies, the model knows everything in advance: when every order will arrive and
how long every plate really takes on every printer (`true_work_s`: estimate x true speed x
luck), where makerline has to learn speeds from finished plates and FIFO ignores them.

Model (times in whole seconds; plate durations rounded up to the second):
- each job is one optional interval per printer that can take it (`fits`: material and bed,
  as the simulation decides), exactly one of them present;
- intervals live on each printer's *open-time axis*: seconds counted only while the printer
  is inside its daily hours (`window_seconds`). One NoOverlap per printer on that axis. A
  plate that reaches the end of the window is paused and resumes when the window reopens,
  which is exactly the simulation's default `--overrun pause`: there, too, a printer only
  prints and only starts plates inside its window. (Closed hours as fixed intervals in real
  time would force every plate into one window: the 5-hour evening printers could then take
  no headband plate at all, which the simulation lets them do, so the reference would be
  held to a stricter rule than the policies it is compared with.);
- a job starts no earlier than its order's arrival (on the open axis: the open time elapsed
  at arrival);
- real end of a plate ending at open time o on a printer open [a, a + W) daily:
  a + o + d x (24 h - W) with d = ceil(o / W) - 1 the number of closed spells it spans,
  linearised as W x (d + 1) >= o (the objective pushes d, hence the end, down to its true
  value wherever it matters; reported figures are recomputed from the starts anyway);
- an order completes when its last plate ends (the simulation counts no hub delay after
  it, so neither does this); lateness = max(0, completion - 00:00 of the needed-by date).

Objective, lexicographic in two solves: first minimise total lateness; then, with total
lateness held at the value found, minimise makespan (from t = 0), starting from the first
solution. Two solves rather than one weighted sum because lateness (seconds, up to ~10^6)
times a weight above any makespan (~10^6) gives coefficients of ~10^12, which weakens the
solver's bounds; the lateness solve gets 3/4 of the time limit. Status and best bound
reported are those of the lateness solve: OPTIMAL means no schedule of these plates has
less total lateness.

`pause_overnight=False` gives a second reference held to makerline's own rule instead: a
plate starts and ends inside one window (W x d <= start as well), as `assign_jobs` only
hands out plates expected to end within the window; plates longer than a printer's window
cannot go there. The pause reference is the one the simulation's rules allow; the gap
between the two is what respecting the makers' hours costs, even with hindsight.

Where it differs from the simulation, in ways that can let an online policy beat it:
- it cannot split a plate: makerline's `fill_windows` may print part of a job as a smaller
  plate (with its own set-up time) and queue the rest; the reference prints each job as
  the planner cut it;
- only `--overrun pause` is modelled (no unattended running past the window);
- durations are rounded up to the second (less than a second per plate).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model
from schedule_quality import (
    DAY,
    RunResult,
    SimJob,
    SimOrder,
    SimPrinter,
    Started,
    _hhmm,
    deadline_s,
    fits,
    instance_jobs,
    order_outcomes,
    true_work_s,
    window_now,
    window_seconds,
)

LATENESS_SHARE = 0.75  # of the time limit, for the lateness solve; the rest for makespan


@dataclass(frozen=True)
class Placement:
    """One plate of the reference schedule, in real seconds from t = 0."""

    job: SimJob
    printer_id: int
    start_s: float
    end_s: float
    work_s: float  # the plate's true print time on this printer (not counting pauses)


@dataclass(frozen=True)
class ReferenceResult:
    status: str  # of the lateness solve: OPTIMAL or FEASIBLE
    lateness_bound_h: float  # the solver's proven lower bound on total lateness
    makespan_status: str  # of the second solve (makespan at that lateness)
    placements: tuple[Placement, ...]
    result: RunResult  # the schedule's figures, by the simulation's definitions
    solve_s: float  # wall time of both solves


def daily_window(hours: str) -> tuple[int, int] | None:
    """(opening second of the day, open seconds per day), or None when always open. Only the
    same-day windows the bench uses (`window_seconds` asserts it)."""
    if window_now(hours, 0.0) == math.inf:
        return None
    start_text, end_text = hours.split("-")
    start = _hhmm(start_text)
    return start, _hhmm(end_text) - start


def _open_per_day(hours: str) -> float:
    window = daily_window(hours)
    return math.inf if window is None else window[1]


def real_time(hours: str, open_s: float, *, ending: bool) -> float:
    """The real time (seconds from t = 0) at which a printer has been open for `open_s`
    seconds: the inverse of `window_seconds`. At a window boundary, a plate that *ends*
    there ends at the closing; one that *starts* there starts at the next opening."""
    window = daily_window(hours)
    if window is None:
        return open_s
    start, width = window
    day = max(0, math.ceil(open_s / width) - 1) if ending else math.floor(open_s / width)
    return day * DAY + start + (open_s - day * width)


def solve_reference(
    farm: Sequence[SimPrinter],
    orders: Sequence[SimOrder],
    jobs_of: Mapping[int, Sequence[SimJob]],
    time_limit_s: float = 20.0,
    workers: int = 2,
    hints: Sequence[Sequence[Started]] = (),
    pause_overnight: bool = True,
) -> ReferenceResult:
    """The CP-SAT reference schedule of these jobs (see the module docstring).

    `hints`: schedules the simulation ran (`simulate(..., log=...)`); the one with the least
    total lateness among those that print exactly these jobs (no split plate) is the
    solver's first solution, so the reference is never worse than it."""
    order_of = {o.order_id: o for o in orders}
    jobs = [job for o in orders for job in jobs_of[o.order_id]]
    options = {
        j.job_id: [
            (p, w)
            for p in farm
            if (w := true_work_s(j, p)) is not None
            and (pause_overnight or w <= _open_per_day(p.hours))
        ]
        for j in jobs
    }
    for job in jobs:
        assert options[job.job_id], f"no printer can take job {job.job_id}"
    duration = {(j.job_id, p.printer_id): math.ceil(w) for j in jobs for p, w in options[j.job_id]}

    # A horizon that surely holds a schedule: every plate one after the other, after the last
    # arrival, each at its slowest printer's speed.
    serial_s = sum(
        max(duration[j.job_id, p.printer_id] for p, _ in options[j.job_id]) for j in jobs
    )
    last_arrival = max(j.arrival_s for j in jobs)
    open_horizon = {
        p.printer_id: math.ceil(window_seconds(p.hours, last_arrival)) + serial_s for p in farm
    }
    real_horizon = math.ceil(
        max(real_time(p.hours, open_horizon[p.printer_id], ending=True) for p in farm)
    )

    model = cp_model.CpModel()
    per_printer: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    chosen: dict[tuple[int, int], cp_model.IntVar] = {}
    start: dict[tuple[int, int], cp_model.IntVar] = {}
    job_end: dict[int, cp_model.IntVar] = {}
    for job in jobs:
        job_end[job.job_id] = model.new_int_var(0, real_horizon, f"end{job.job_id}")
        for printer, _ in options[job.job_id]:
            key = (job.job_id, printer.printer_id)
            size = duration[key]
            earliest = math.ceil(window_seconds(printer.hours, job.arrival_s))
            latest = open_horizon[printer.printer_id] - size
            present = chosen[key] = model.new_bool_var(f"x{key}")
            begin = start[key] = model.new_int_var(earliest, latest, f"s{key}")
            per_printer[printer.printer_id].append(
                model.new_optional_fixed_size_interval_var(begin, size, present, f"i{key}")
            )
            window = daily_window(printer.hours)
            if window is None:
                model.add(job_end[job.job_id] >= begin + size).only_enforce_if(present)
            else:
                opening, width = window
                spans = model.new_int_var(0, open_horizon[printer.printer_id] // width, f"d{key}")
                model.add(width * (spans + 1) >= begin + size)
                if not pause_overnight:  # start in the same window as the end
                    model.add(width * spans <= begin)
                real_end = opening + begin + size + (int(DAY) - width) * spans
                model.add(job_end[job.job_id] >= real_end).only_enforce_if(present)
        model.add_exactly_one(chosen[job.job_id, p.printer_id] for p, _ in options[job.job_id])
    for intervals in per_printer.values():
        model.add_no_overlap(intervals)

    lateness = []
    for order in orders:
        late = model.new_int_var(0, real_horizon, f"late{order.order_id}")
        for job in jobs_of[order.order_id]:
            model.add(late >= job_end[job.job_id] - int(deadline_s(order_of[order.order_id])))
        lateness.append(late)
    total_lateness = sum(lateness)
    makespan = model.new_int_var(0, real_horizon, "makespan")
    model.add_max_equality(makespan, list(job_end.values()))

    hint = best_whole_schedule(orders, jobs, hints)
    hinted = None if hint is None else _as_model_values(hint, farm, duration, chosen)
    if hinted is not None:
        for key, (is_on, at) in hinted.items():
            model.add_hint(chosen[key], is_on)
            model.add_hint(start[key], at)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = time_limit_s * LATENESS_SHARE
    model.minimize(total_lateness)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no schedule: {solver.status_name(status)}")
    lateness_status = solver.status_name(status)
    bound_h = solver.best_objective_bound / 3600
    best_lateness = round(solver.objective_value)
    wall = solver.wall_time
    values = {key: (solver.value(chosen[key]), solver.value(start[key])) for key in chosen}

    # Second solve: makespan, lateness held at what the first found; start from its schedule.
    model.add(total_lateness <= best_lateness)
    model.clear_hints()
    for key, (is_on, at) in values.items():
        model.add_hint(chosen[key], is_on)
        model.add_hint(start[key], at)
    model.minimize(makespan)
    solver.parameters.max_time_in_seconds = time_limit_s * (1 - LATENESS_SHARE)
    status = solver.solve(model)
    makespan_status = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = {key: (solver.value(chosen[key]), solver.value(start[key])) for key in chosen}
    wall += solver.wall_time

    by_id = {p.printer_id: p for p in farm}
    placements: list[Placement] = []
    for (job_id, printer_id), (is_on, at) in values.items():
        if not is_on:
            continue
        printer = by_id[printer_id]
        job = next(j for j in jobs if j.job_id == job_id)
        work = true_work_s(job, printer)
        assert work is not None and fits(job, printer)
        placements.append(
            Placement(
                job,
                printer_id,
                real_time(printer.hours, at, ending=False),
                real_time(printer.hours, at + work, ending=True),
                work,
            )
        )
    placements.sort(key=lambda pl: (pl.printer_id, pl.start_s))
    return ReferenceResult(
        lateness_status,
        bound_h,
        makespan_status,
        tuple(placements),
        figures(farm, orders, placements),
        wall,
    )


def best_whole_schedule(
    orders: Sequence[SimOrder], jobs: Sequence[SimJob], schedules: Sequence[Sequence[Started]]
) -> Sequence[Started] | None:
    """Of the simulated schedules that print exactly these jobs, whole, the one with the least
    total lateness (then makespan); None when there is none."""
    wanted = {(j.job_id, j.copies) for j in jobs}
    whole = [s for s in schedules if {(r.job.job_id, r.job.copies) for r in s} == wanted]
    if not whole:
        return None

    def lateness_then_makespan(schedule: Sequence[Started]) -> tuple[float, float]:
        done: dict[int, float] = defaultdict(float)
        for ran in schedule:
            done[ran.job.order_id] = max(done[ran.job.order_id], ran.end_s)
        return order_outcomes(orders, done)[1], max(done.values())

    return min(whole, key=lateness_then_makespan)


def _as_model_values(
    schedule: Sequence[Started],
    farm: Sequence[SimPrinter],
    duration: Mapping[tuple[int, int], int],
    chosen: Mapping[tuple[int, int], cp_model.IntVar],
) -> dict[tuple[int, int], tuple[int, int]] | None:
    """A simulated schedule as (present, open-axis start) per (job, printer): the same order
    on each printer, starts rounded up to the second and pushed back where rounding the
    durations up would make two plates touch. None when it puts a plate where the model
    allows none (a plate longer than the window, with `pause_overnight=False`)."""
    if any((ran.job.job_id, ran.printer_id) not in chosen for ran in schedule):
        return None
    by_id = {p.printer_id: p for p in farm}
    values = {key: (0, 0) for key in chosen}
    free_at: dict[int, int] = defaultdict(int)
    for ran in sorted(schedule, key=lambda r: (r.printer_id, r.start_s)):
        key = (ran.job.job_id, ran.printer_id)
        hours = by_id[ran.printer_id].hours
        begin = max(
            math.ceil(window_seconds(hours, ran.start_s) - 1e-6),
            math.ceil(window_seconds(hours, ran.job.arrival_s)),
            free_at[ran.printer_id],
        )
        values[key] = (1, begin)
        free_at[ran.printer_id] = begin + duration[key]
    return values


def figures(
    farm: Sequence[SimPrinter], orders: Sequence[SimOrder], placements: Sequence[Placement]
) -> RunResult:
    """A schedule's figures by the simulation's definitions (`order_outcomes`, makespan from
    t = 0 to the last plate's end, plates per maker)."""
    done: dict[int, float] = defaultdict(float)
    for pl in placements:
        done[pl.job.order_id] = max(done[pl.job.order_id], pl.end_s)
    met, lateness_h = order_outcomes(orders, done)
    maker_of = {p.printer_id: p.maker_id for p in farm}
    per_maker = {p.maker_id: 0 for p in farm}
    for pl in placements:
        per_maker[maker_of[pl.printer_id]] += 1
    counts = list(per_maker.values())
    makespan_h = max(pl.end_s for pl in placements) / 3600
    return RunResult(makespan_h, met, (min(counts), max(counts)), len(placements), lateness_h)


def reference_for(
    farm: Sequence[SimPrinter],
    orders: Sequence[SimOrder],
    seed: int,
    time_limit_s: float = 20.0,
    workers: int = 2,
    hints: Sequence[Sequence[Started]] = (),
    pause_overnight: bool = True,
) -> ReferenceResult:
    """The reference for the instance `simulate(farm, orders, ..., seed, "pause")` runs."""
    jobs_of = instance_jobs(orders, seed)
    return solve_reference(farm, orders, jobs_of, time_limit_s, workers, hints, pause_overnight)
