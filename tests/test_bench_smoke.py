"""Smoke test of the benchmarks in bench/: their --quick runs finish and make sense."""

from __future__ import annotations

from bench import planning_time, schedule_quality


def test_schedule_quality_quick_run_is_sane() -> None:
    rows = schedule_quality.run_quick()

    assert len(rows) == 3
    for row in rows:
        assert set(row.results) == {"makerline", "FIFO"}
        for result in row.results.values():
            assert result.makespan_h >= row.lower_bound_h > 0
            assert 0.0 <= result.deadlines_met <= 1.0
            assert 0 <= result.jobs_per_maker[0] <= result.jobs_per_maker[1]
    assert "makerline makespan h" in schedule_quality.table(rows)
    for row in rows:  # the service's forecast is measured on the makerline run only
        forecast = row.results["makerline"].forecast
        assert forecast is not None and row.results["FIFO"].forecast is None
        assert len(forecast.errors) + forecast.missing == schedule_quality.QUICK.orders
        assert 0.0 <= forecast.median <= forecast.p90
    assert "median err" in schedule_quality.forecast_table(rows)


def test_planning_time_quick_run_covers_the_demand() -> None:
    workload = planning_time.make_workload(planning_time.QUICK_SMALL)
    planned = planning_time.plan(workload.state)
    per_unit = {"visor": 2, "amicroche": 1}
    demand = sum(o.remaining * per_unit[o.item.value] for o in workload.state.orders)
    assert demand == planning_time.QUICK_SMALL.parts
    assert sum(job.copies for job in planned.new_jobs) == demand

    rows = planning_time.run_quick()

    by_label = {row.label: row for row in rows}
    assert set(by_label) == {"plan big", "assign big", "plan small", "assign small", "naive small"}
    for row in rows:
        assert row.jobs > 0 and 0 < row.assigned <= min(row.jobs, row.size.printers)
        assert row.median_s > 0 and row.peak_mib >= 0
    assert "assign big" in planning_time.table(rows)
