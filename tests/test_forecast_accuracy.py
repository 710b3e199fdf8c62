"""Issue 19, point 4: the service's order forecast (`eta.play`) against the simulated farm of
bench/schedule_quality.py. At each order's arrival the bench builds the forecast from what
the service would know then (learned speed factors, hours, announced holidays, plates under
way, the queue); the order's actual completion comes from the same run."""

from __future__ import annotations

from dataclasses import replace

import pytest
import schedule_quality as sq  # bench/ is on pytest's pythonpath


@pytest.fixture(scope="module")
def quick_rows() -> list[sq.SeedRow]:
    return sq.run_quick()


def pooled(accuracies: list[sq.ForecastAccuracy | None]) -> sq.ForecastAccuracy:
    """The seeds' forecasts as one set of orders."""
    assert all(a is not None for a in accuracies)
    return sq.ForecastAccuracy(
        tuple(e for a in accuracies if a is not None for e in a.errors),
        sum(a.missing for a in accuracies if a is not None),
    )


def test_forecast_at_order_time_on_the_quick_farm(quick_rows: list[sq.SeedRow]) -> None:
    """Every order gets a forecast at its arrival, and the median error stays where it is
    today, 20 % pooled over the quick farm's orders (33 % before the forecast expected the
    last day's orders again). The issue aims at 10 %, which is not met: the bench's orders
    come in a burst of three days, so the demand expected runs on after the last order,
    and no demand is known before the first day is over; the next test shows that the rest
    of the forecast is within the aim."""
    errors = pooled([row.results["makerline"].forecast for row in quick_rows])

    orders = sq.QUICK.orders * len(quick_rows)
    assert errors.missing < orders / 2, f"{errors.missing} of {orders} orders had no forecast"
    assert errors.median <= 0.22, "\n" + sq.forecast_table(quick_rows)


def test_forecast_told_the_orders_to_come_is_within_ten_percent(
    quick_rows: list[sq.SeedRow],
) -> None:
    """The same forecasts, played with the orders really to come in place of the demand
    the service expects: what is left is the model (learned speeds against the true ones,
    plate luck, holidays), and its median error is within the issue's 10 % (5 % today).
    Together with the test above, this says where the forecast's error comes from: the
    orders no one knows of yet."""
    service = pooled([row.results["makerline"].forecast for row in quick_rows])
    knowing = pooled([row.results["makerline"].forecast_knowing_demand for row in quick_rows])

    assert knowing.missing == service.missing
    assert knowing.median <= 0.10, "\n" + sq.forecast_table(quick_rows)
    assert knowing.median < service.median / 2


def test_forecast_replays_the_bench_dispatcher_when_nothing_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With nothing the service cannot know (every order arriving at once and no more to
    come, every printer at its estimated speed, no plate luck, no holidays), the forecast
    is the run: the forecast plays the same dispatcher as the bench's makerline policy,
    with the same splits and the same makers' load."""
    monkeypatch.setattr(sq.eta, "expected_demand", lambda recent, queued: [])
    exact_jobs = sq.jobs_for
    monkeypatch.setattr(
        sq, "jobs_for", lambda *args: [replace(j, noise=1.0) for j in exact_jobs(*args)]
    )
    seed = 1
    farm, orders = sq.make_instance(sq.QUICK, seed)
    farm = [replace(p, true_speed=1.0, pause=None) for p in farm]
    orders = [replace(o, arrival_s=8 * 3600.0) for o in orders]

    result = sq.simulate(farm, orders, sq.makerline_policy(), seed, "pause", forecast=True)

    assert result.forecast is not None and result.forecast.missing == 0
    assert result.forecast.p90 <= 0.001  # to the second, give or take rounding
