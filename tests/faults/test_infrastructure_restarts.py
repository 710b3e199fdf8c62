"""The broker and the database restart in the middle of production.

Real Mosquitto, a real PostgreSQL cluster of the suite's own, real `makerline orchestrate`
and `makerline simulate` processes. After each restart the line must lose nothing, repeat
nothing, and go on printing.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import Line, PostgresCluster
from tests.faults.soundness import (
    assert_one_print_at_a_time,
    assert_sound,
    done_jobs,
    parts_counted,
)

pytestmark = pytest.mark.faults
VISORS = 9


def test_a_broker_restart_mid_production(line: Line) -> None:
    line.register_printers(3)
    line.orchestrate()
    line.simulate()
    line.order_visors(VISORS)
    line.wait(lambda: line.printing() >= 2, "printers printing", 180)

    line.mosquitto.restart()  # SIGTERM: every client is cut off; retained state persists
    at_fault = done_jobs(line.engine)

    line.wait_all_done(VISORS, 240)
    assert done_jobs(line.engine) > at_fault
    assert parts_counted(line.engine) == VISORS
    assert_sound(line.engine, line.commands(), line.printer_events())
    assert_one_print_at_a_time(line.printer_events())


@pytest.mark.parametrize("mode", ["immediate"])
def test_a_database_restart_mid_production(
    line: Line, pg_cluster: PostgresCluster, mode: str
) -> None:
    """`fast` closes every connection cleanly; `immediate` is a crash with WAL recovery.
    Events that arrive meanwhile wait, unacknowledged, until they can be stored."""
    line.register_printers(3)
    line.orchestrate()
    line.simulate()
    line.order_visors(VISORS)
    line.wait(lambda: line.printing() >= 2, "printers printing", 180)

    at_fault, events_before = done_jobs(line.engine), len(line.events())
    pg_cluster.stop(mode)
    # Long enough for prints to end and their events to meet a database that is away.
    line.wait(lambda: len(line.events()) >= events_before + 4, "events while it is down", 90)
    pg_cluster.start()

    line.wait_all_done(VISORS, 240)
    assert done_jobs(line.engine) > at_fault
    assert parts_counted(line.engine) == VISORS
    assert_sound(line.engine, line.commands(), line.printer_events())
    assert_one_print_at_a_time(line.printer_events())
