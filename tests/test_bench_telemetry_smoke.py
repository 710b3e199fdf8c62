"""Smoke test of bench/telemetry.py: its --quick run (50 printers, 8 s counted) finishes,
stores every event and prints a table that makes sense.

It starts real parts (Mosquitto, `makerline serve` and `makerline orchestrate`, the
simulator and a baseline subscriber in child processes), so it takes about half a minute.
"""

from __future__ import annotations

import math

import pytest

from bench import telemetry

pytestmark = pytest.mark.slow


def test_telemetry_quick_run_is_sane() -> None:
    scenario = telemetry.QUICK

    (result,) = telemetry.run([scenario])

    assert result.printers == scenario.printers
    assert result.events_sent == scenario.printers * scenario.events_per_printer
    assert result.events_lost == 0
    assert result.events_stored == result.events_sent
    assert result.events_checked_in_api > 0 and result.events_missing_in_api == 0
    # 50 printers every 5 s: 10 statuses a second, all of them stored and visible.
    assert 5 <= result.offered_statuses_per_s <= 15
    assert 0.7 <= result.ratio <= 1.3
    assert result.lag_ms and result.lag_missed == 0
    p50, p99 = telemetry.percentile(result.lag_ms, 0.5), telemetry.percentile(result.lag_ms, 0.99)
    # Visible after the next status flush (every second), well within a status interval.
    assert 0 < p50 <= p99 < 5_000
    assert not math.isnan(telemetry.percentile(result.baseline_lag_ms, 0.5))
    assert result.events_per_commit >= 1.0
    assert result.cpu["orchestrate"] > 0 and result.rss_mib["orchestrate"] > 0
    printed = telemetry.table([result], scenario)
    assert "stored/s" in printed and "lost" in printed and f"{scenario.printers:>8}" in printed
