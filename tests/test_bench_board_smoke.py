"""Smoke test of bench/board_render.py: a tiny run (20 printers, 100 jobs, one round)
finishes and prints its table with a ratio.

It seeds a database, starts `makerline serve` in a child process and renders the board
with Streamlit's AppTest, so it takes about ten seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "bench" / "board_render.py"


def test_board_render_tiny_run_prints_a_ratio() -> None:
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--printers", "20", "--jobs", "100", "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("printers"))
    assert lines[head].split()[-1] == "ratio"
    row = lines[head + 2].split()  # after the dashes
    assert row[:2] == ["20", "100"]
    board_ms, api_ms, baseline_ms, ratio = (float(value) for value in row[2:])
    assert 0 < api_ms < board_ms and baseline_ms > 0
    assert ratio == pytest.approx(board_ms / baseline_ms, rel=0.05)
    assert any(line.startswith("payload: board") for line in lines)
