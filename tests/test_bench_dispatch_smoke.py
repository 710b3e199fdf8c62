"""Smoke test of bench/dispatch_latency.py: its --quick run finishes and its figures make sense.

It starts real parts (Mosquitto, the API, the simulator and the orchestrator in child
processes) twice, so it takes about two minutes.
"""

from __future__ import annotations

import math

import pytest

from bench import dispatch_latency

pytestmark = pytest.mark.slow


def test_dispatch_latency_quick_run_is_sane() -> None:
    scenario = dispatch_latency.QUICK

    results = dispatch_latency.run(scenario)

    assert [r.mode for r in results] == ["polling", "event"]
    for result in results:
        assert len(result.latencies_ms) >= 20, result
        p50, p99, worst = (result.percentile(s) for s in (0.5, 0.99, 1.0))
        assert 0 < p50 <= p99 <= worst < 30_000
        assert result.commands_per_s > 0 and result.clears_per_s > 0
        assert result.orchestrator_cpu_s > 0
    polling = results[0]
    # A dispatcher that looks once a second answers a BedCleared within about a tick.
    assert 100 < polling.percentile(0.5) < 2_500
    printed = dispatch_latency.table(results, scenario)
    assert "p99/poll" in printed and "event" in printed
    assert not math.isnan(results[1].percentile(0.5))
