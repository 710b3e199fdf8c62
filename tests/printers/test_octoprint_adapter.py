"""The OctoPrint adapter against a real OctoPrint 1.11.8 with its virtual printer."""

from __future__ import annotations

import pytest

from printers.octoprint import (
    OctoPrintAdapter,
    OctoPrintUnauthorised,
    OctoPrintUnreachable,
    OctoPrintWrongState,
    PrinterActivity,
)
from tests.realparts import OctoPrintServer, free_port, tiny_gcode, wait_for

pytestmark = pytest.mark.slow


def test_wrong_key_is_unauthorised(idle_octoprint: OctoPrintServer) -> None:
    adapter = OctoPrintAdapter(idle_octoprint.url, "not-the-key")

    with pytest.raises(OctoPrintUnauthorised):
        adapter.snapshot()


def test_dead_port_is_unreachable_and_construction_is_retried() -> None:
    adapter = OctoPrintAdapter(f"http://127.0.0.1:{free_port()}", "key", timeout=1)

    with pytest.raises(OctoPrintUnreachable):
        adapter.snapshot()
    with pytest.raises(OctoPrintUnreachable):
        adapter.version()


def test_cancel_while_idle_is_wrong_state(idle_octoprint: OctoPrintServer) -> None:
    adapter = OctoPrintAdapter(idle_octoprint.url, idle_octoprint.api_key)

    with pytest.raises(OctoPrintWrongState):
        adapter.cancel()


def test_start_print_uploads_selects_prints_and_records_success(
    idle_octoprint: OctoPrintServer,
) -> None:
    adapter = OctoPrintAdapter(idle_octoprint.url, idle_octoprint.api_key)
    assert adapter.version() == "1.11.8"
    assert adapter.snapshot().activity == PrinterActivity.READY
    # A just-started virtual printer reports its first temperatures after a moment.
    wait_for(lambda: adapter.snapshot().temperatures, 15, "temperatures")

    adapter.start_print("adapter-test.gcode", tiny_gcode(1))
    printing = adapter.snapshot()
    wait_for(lambda: adapter.snapshot().activity == PrinterActivity.READY, 30, "print end")

    assert printing.activity == PrinterActivity.PRINTING
    assert printing.file_name == "adapter-test.gcode"
    assert "tool0" in printing.temperatures
    assert adapter.last_print_success("adapter-test.gcode") is True
    assert adapter.last_print("never-uploaded.gcode") is None
