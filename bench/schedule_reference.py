"""Offline reference for schedule_quality.py: the best schedule CP-SAT finds with hindsight.

The instance is the simulation's own: the same farm (profile, true speed factor, weekly
hours, unattended prints allowed or not, holiday of each printer), the same orders (arrival,
needed-by) and the same jobs (`instance_jobs`: the planner's plates with the plate luck the
simulation draws for the seed). Unlike the online policies, the model knows everything in
advance: when every order will arrive and how long every plate really takes on every printer
(`true_work_s`: estimate x true speed x luck), where makerline has to learn speeds from
finished plates and FIFO ignores them.

Model (times in whole seconds; plate durations rounded up to the second):
- each job is one optional interval per printer that can take it (`fits`: one of the part's
  materials, and the bed, as the simulation decides: a PLA printer may take a headband),
  exactly one of them present; one NoOverlap per printer;
- an attended printer's intervals live on its *open-time axis*: seconds counted only while
  the printer is inside its hours (`OpenTime`, from the service's `weekly_hours`). A plate
  that reaches the end of the window is paused and resumes when the window reopens, which
  is exactly the simulation's default `--overrun pause`: there, too, such a printer only
  prints and only starts plates inside its window. The real end of a plate ending at open
  time o is o + (real start - open time before) of the open stretch k it ends in:
  element constraints on k with o <= open time at the end of stretch k (the objective
  pushes k, hence the end, down to its true value wherever it matters; reported figures
  are recomputed from the starts anyway);
- a printer allowed unattended prints (or always open) has its intervals in real time: a
  plate lasts its print time, may run past the window, and starts only inside the hours
  (the start variable's domain). The simulation clears its bed at the next opening after
  the plate ends; as the next plate can only start inside the hours, that rule needs no
  constraint of its own;
- a printer on holiday starts no plate during the holiday (removed from the start's
  domain, on either axis); a plate under way goes on, as in the simulation;
- a job starts no earlier than its order's arrival (on the open axis: the open time elapsed
  at arrival);
- an order completes when its last plate ends (the simulation counts no hub delay after
  it, so neither does this); lateness = max(0, completion - 00:00 of the needed-by date).

Objective, lexicographic in two solves: first minimise total lateness; then, with total
lateness held at the value found, minimise makespan (from t = 0), starting from the first
solution. Two solves rather than one weighted sum because lateness (seconds, up to ~10^6)
times a weight above any makespan (~10^6) gives coefficients of ~10^12, which weakens the
solver's bounds; the lateness solve gets 3/4 of the time limit. Status and best bound
reported are those of the lateness solve: OPTIMAL means no schedule of these plates has
less total lateness.

`pause_overnight=False` gives a second reference held to makerline's own rule instead: on
an attended printer a plate starts and ends inside one open stretch, as `assign_jobs` only
hands out plates expected to end within the window (plates longer than every stretch of a
printer cannot go there); unattended printers are as above, as makerline treats them. The
pause reference is the one the simulation's rules allow; the gap between the two is what
respecting the makers' hours costs, even with hindsight.

Where it differs from the simulation, in ways that can let an online policy beat it:
- it cannot split a plate: makerline's `fill_windows` may print part of a job as a smaller
  plate (with its own set-up time) and queue the rest; the reference prints each job as
  the planner cut it;
- only `--overrun pause` is modelled for attended printers (unattended ones run on, as in
  every mode of the simulation);
- durations are rounded up to the second (less than a second per plate), starts to whole
  seconds.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model
from schedule_quality import (
    DAY,
    OpenTime,
    RunResult,
    SimJob,
    SimOrder,
    SimPrinter,
    Started,
    deadline_s,
    fits,
    instance_jobs,
    open_time,
    order_outcomes,
    true_work_s,
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


def on_open_axis(printer: SimPrinter, hours: OpenTime) -> bool:
    """Whether the model counts the printer's time only while open: an attended printer
    that is not always open."""
    return not printer.unattended and not math.isinf(hours.spans[0][1])


def start_domain(
    printer: SimPrinter, hours: OpenTime, open_axis: bool, horizon: int
) -> cp_model.Domain:
    """Where a plate may start on the printer's axis: anywhere on the open axis, inside its
    hours in real time; not during its holiday."""
    if open_axis:
        domain = cp_model.Domain(0, horizon)
    else:
        domain = cp_model.Domain.from_intervals(
            [
                [math.ceil(start), min(horizon, math.ceil(min(end, horizon + 1)) - 1)]
                for start, end in hours.spans
                if start <= horizon
            ]
        )
    if printer.pause is not None:
        begin, end = printer.pause
        if open_axis:
            begin, end = hours.open_s(begin), hours.open_s(end)
        away = cp_model.Domain(math.ceil(begin), math.ceil(end) - 1)
        domain = domain.intersection_with(away.complement())
    return domain


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
    works = {j.job_id: [(p, w) for p in farm if (w := true_work_s(j, p)) is not None] for j in jobs}
    for job in jobs:
        assert works[job.job_id], f"no printer can take job {job.job_id}"
    duration = {(j.job_id, p.printer_id): math.ceil(w) for j in jobs for p, w in works[j.job_id]}

    # Horizons that surely hold a schedule: every plate one after the other, after the last
    # arrival and the longest holiday, each at its slowest printer's speed; on each printer's
    # open axis, and in real time once that much open time has passed.
    serial_s = sum(max(duration[j.job_id, p.printer_id] for p, _ in works[j.job_id]) for j in jobs)
    longest_pause = max((p.pause[1] - p.pause[0] for p in farm if p.pause), default=0.0)
    settled = max(j.arrival_s for j in jobs) + longest_pause
    open_times = {p.printer_id: _open_time_until(p, settled, serial_s) for p in farm}
    open_horizon: dict[int, int] = {}
    real_horizon = 0
    for printer_id, hours in open_times.items():
        open_horizon[printer_id] = math.ceil(hours.open_s(settled)) + serial_s
        real = hours.real_s(open_horizon[printer_id], ending=True)
        real_horizon = max(real_horizon, math.ceil(real))
    axis: dict[int, OpenTime | None] = {  # per printer: its open time, None for real time
        p.printer_id: open_times[p.printer_id]
        if on_open_axis(p, open_times[p.printer_id])
        else None
        for p in farm
    }
    for printer_id, on_axis in axis.items():
        if on_axis is None:
            open_horizon[printer_id] = real_horizon
    tables = {
        printer_id: _stretch_tables(on_axis, open_horizon[printer_id])
        for printer_id, on_axis in axis.items()
        if on_axis is not None
    }
    options = {
        j.job_id: [
            (p, w)
            for p, w in works[j.job_id]
            if pause_overnight or not _longer_than_every_stretch(w, axis[p.printer_id])
        ]
        for j in jobs
    }

    model = cp_model.CpModel()
    per_printer: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    chosen: dict[tuple[int, int], cp_model.IntVar] = {}
    start: dict[tuple[int, int], cp_model.IntVar] = {}
    job_end: dict[int, cp_model.IntVar] = {}
    stretch_of: dict[tuple[int, int], cp_model.IntVar] = {}  # open axis: the stretch it ends in
    for job in jobs:
        job_end[job.job_id] = model.new_int_var(0, real_horizon, f"end{job.job_id}")
        for printer, _ in options[job.job_id]:
            key = (job.job_id, printer.printer_id)
            size = duration[key]
            open_axis = axis[printer.printer_id]
            horizon = open_horizon[printer.printer_id]
            at_arrival = job.arrival_s if open_axis is None else open_axis.open_s(job.arrival_s)
            domain = start_domain(
                printer, open_times[printer.printer_id], open_axis is not None, horizon
            ).intersection_with(cp_model.Domain(math.ceil(at_arrival), horizon - size))
            present = chosen[key] = model.new_bool_var(f"x{key}")
            begin = start[key] = model.new_int_var_from_domain(domain, f"s{key}")
            per_printer[printer.printer_id].append(
                model.new_optional_fixed_size_interval_var(begin, size, present, f"i{key}")
            )
            if open_axis is None:
                model.add(job_end[job.job_id] >= begin + size).only_enforce_if(present)
                continue
            # The open stretch it ends in: real end = open end + (real - open) at its start.
            opens, closes, shifts = tables[printer.printer_id]
            stretch = stretch_of[key] = model.new_int_var(0, len(opens) - 1, f"k{key}")
            model.add(begin + size <= _element(model, stretch, closes)).only_enforce_if(present)
            if not pause_overnight:  # start in the same open stretch as the end
                model.add(begin >= _element(model, stretch, opens)).only_enforce_if(present)
            shift = _element(model, stretch, shifts)
            model.add(job_end[job.job_id] >= begin + size + shift).only_enforce_if(present)
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

    def add_hints(values: Mapping[tuple[int, int], tuple[int, int]]) -> None:
        """A whole schedule as the solver's first solution: chosen, start and, on the open
        axis, the stretch each plate ends in; no start where the plate is not."""
        model.clear_hints()
        for key, (is_on, at) in values.items():
            model.add_hint(chosen[key], is_on)
            if not is_on:
                continue
            model.add_hint(start[key], at)
            if key in stretch_of:
                closes = tables[key[1]][1]
                model.add_hint(stretch_of[key], bisect_left(closes, at + duration[key]))

    hinted = None if hint is None else _as_model_values(hint, axis, duration, chosen)
    if hinted is not None:
        add_hints(hinted)

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
    add_hints(values)
    model.minimize(makespan)
    solver.parameters.max_time_in_seconds = time_limit_s * (1 - LATENESS_SHARE)
    status = solver.solve(model)
    makespan_status = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = {key: (solver.value(chosen[key]), solver.value(start[key])) for key in chosen}
    wall += solver.wall_time

    job_of = {j.job_id: j for j in jobs}
    placements: list[Placement] = []
    for (job_id, printer_id), (is_on, at) in values.items():
        if not is_on:
            continue
        job = job_of[job_id]
        printer = next(p for p in farm if p.printer_id == printer_id)
        work = true_work_s(job, printer)
        assert work is not None and fits(job, printer)
        open_axis = axis[printer_id]
        if open_axis is None:
            real_start, real_end = float(at), at + work
        else:
            real_start = open_axis.real_s(at, ending=False)
            real_end = open_axis.real_s(at + work, ending=True)
        placements.append(Placement(job, printer_id, real_start, real_end, work))
    placements.sort(key=lambda pl: (pl.printer_id, pl.start_s))
    return ReferenceResult(
        lateness_status,
        bound_h,
        makespan_status,
        tuple(placements),
        figures(farm, orders, placements),
        wall,
    )


def _open_time_until(printer: SimPrinter, settled: float, open_s: float) -> OpenTime:
    """The printer's `OpenTime` far enough to hold `open_s` seconds of open time after
    `settled`: weeks are added until it does (one horizon per hours, so it is cached)."""
    weeks = 4
    while True:
        hours = open_time(printer.hours, weeks * 7 * DAY)
        if (
            math.isinf(hours.spans[0][1])
            or hours.open_s(math.inf) >= math.ceil(hours.open_s(settled)) + open_s
        ):
            return hours
        weeks *= 2


def _stretch_tables(hours: OpenTime, horizon: int) -> tuple[list[int], list[int], list[int]]:
    """Per open stretch that begins before `horizon` on the open axis: the open time at its
    start and at its end, and (real - open) time at its start, in whole seconds."""
    opens, closes, shifts = [], [], []
    for k in range(bisect_left(hours.open_before, horizon)):
        opens.append(_whole(hours.open_before[k]))
        closes.append(_whole(hours.open_before[k] + _length(hours, k)))
        shifts.append(_whole(hours.spans[k][0] - hours.open_before[k]))
    return opens, closes, shifts


def _element(model: cp_model.CpModel, index: cp_model.IntVar, table: list[int]) -> cp_model.IntVar:
    """A new variable equal to table[index]."""
    value = model.new_int_var_from_domain(cp_model.Domain.from_values(table), "")
    model.add_element(index, table, value)
    return value


def _length(hours: OpenTime, k: int) -> float:
    start, end = hours.spans[k]
    return end - start


def _whole(seconds: float) -> int:
    """Open stretches begin and end on whole minutes: exact as integers."""
    assert abs(seconds - round(seconds)) < 1e-6
    return round(seconds)


def _longer_than_every_stretch(work_s: float, hours: OpenTime | None) -> bool:
    """Whether a plate cannot fit in any one open stretch (never, in real time)."""
    if hours is None:
        return False
    return all(work_s > _length(hours, k) for k in range(len(hours.spans)))


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
    axis: Mapping[int, OpenTime | None],
    duration: Mapping[tuple[int, int], int],
    chosen: Mapping[tuple[int, int], cp_model.IntVar],
) -> dict[tuple[int, int], tuple[int, int]] | None:
    """A simulated schedule as (present, start on the printer's axis) per (job, printer): the
    same order on each printer, starts rounded up to the second and pushed back where
    rounding the durations up would make two plates touch. None when it puts a plate where
    the model allows none (a plate longer than the window, with `pause_overnight=False`)."""
    if any((ran.job.job_id, ran.printer_id) not in chosen for ran in schedule):
        return None
    values = {key: (0, 0) for key in chosen}
    free_at: dict[int, int] = defaultdict(int)
    for ran in sorted(schedule, key=lambda r: (r.printer_id, r.start_s)):
        key = (ran.job.job_id, ran.printer_id)
        hours = axis[ran.printer_id]
        on_axis = (lambda t: t) if hours is None else hours.open_s
        begin = max(
            math.ceil(on_axis(ran.start_s) - 1e-6),
            math.ceil(on_axis(ran.job.arrival_s)),
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
