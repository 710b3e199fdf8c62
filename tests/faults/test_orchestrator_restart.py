"""The orchestrator under faults: killed mid-run and restarted, and two replicas at once.

Both run real processes (`makerline orchestrate`, `makerline simulate`) against a real
Mosquitto and PostgreSQL, and check the ledger and the jobs' history afterwards: every job
dispatched once, its parts counted once, and production finished.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from tests.faults.conftest import Line
from tests.faults.soundness import assert_sound, done_jobs, parts_counted
from tests.realparts import wait_for

pytestmark = pytest.mark.faults


def test_sigkill_mid_run_then_restart_loses_and_repeats_nothing(line: Line) -> None:
    line.register_printers(3)
    first = line.orchestrate("first")
    line.simulate()
    line.order_visors(9)
    wait_for(lambda: line.printing() >= 2, 40, "printers printing")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    at_fault = done_jobs(line.engine)
    # Restarted under its name, it resumes its broker session: events sent while it was
    # dead wait there for it.
    line.orchestrate("first")
    line.wait_all_done(9, 60)
    assert done_jobs(line.engine) > at_fault
    assert parts_counted(line.engine) == 9
    assert sum(j.copies for j in line.jobs()) == 9
    assert all(j.attempts == 0 for j in line.jobs())  # no job started twice
    assert_sound(line.engine, line.commands())
    logs = line.logs()  # the orchestrators' and the simulated agents' output
    assert "start_job" in logs or "planned" in logs
    assert not [token for token in line.credentials.values() if token in logs]


def test_two_replicas_dispatch_each_job_exactly_once(line: Line) -> None:
    line.register_printers(8)
    line.simulate(speed=40_000.0)
    line.orchestrate("replica-a", "makerline")
    line.orchestrate("replica-b", "makerline")
    line.order_visors(40)
    line.wait_all_done(40, 90)
    starts = Counter(c["job_id"] for c in line.commands() if c["kind"] == "start_job")
    assert len(starts) == len(line.jobs()) == 40
    assert set(starts.values()) == {1}
    assert parts_counted(line.engine) == 40
    assert_sound(line.engine, line.commands())
