"""The OctoPrint adapter against a real OctoPrint 1.11.8 with its virtual printer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from printers.octoprint.rest import (
    OctoPrintAdapter,
    OctoPrintError,
    OctoPrintUnauthorised,
    OctoPrintUnreachable,
    OctoPrintWrongState,
    PrinterActivity,
)
from tests.realparts import OctoPrintServer, free_port, tiny_gcode, wait_for
from tests.security.test_outbound_calls import RecordingServer, recording_servers

pytestmark = pytest.mark.slow
# Fixtures are found by their name in the module: this one is imported for pytest.
__all__ = ["recording_servers"]


def test_wrong_key_is_unauthorised(idle_octoprint: OctoPrintServer) -> None:
    adapter = OctoPrintAdapter(idle_octoprint.url, "not-the-key")

    with pytest.raises(OctoPrintUnauthorised):
        adapter.snapshot()


def test_dead_port_is_unreachable_and_construction_is_retried() -> None:
    port = free_port()
    adapter = OctoPrintAdapter(f"http://127.0.0.1:{port}", "key", timeout=1)

    with pytest.raises(OctoPrintUnreachable):
        adapter.snapshot()
    with pytest.raises(OctoPrintUnreachable) as unreachable:
        adapter.version()
    assert str(unreachable.value) == "OctoPrint could not be reached"  # no address in it
    assert str(port) in unreachable.value.for_log()  # the address is for the log


def test_cancel_while_idle_is_wrong_state_in_our_words(idle_octoprint: OctoPrintServer) -> None:
    adapter = OctoPrintAdapter(idle_octoprint.url, idle_octoprint.api_key)

    with pytest.raises(OctoPrintWrongState) as refused:
        adapter.cancel()
    assert str(refused.value) == "OctoPrint answered 409: the printer cannot do that now"
    assert refused.value.detail  # what OctoPrint wrote, for the log only
    assert refused.value.detail not in str(refused.value)


def test_a_redirect_is_refused_so_the_key_goes_nowhere_else(
    recording_servers: Callable[..., RecordingServer],
) -> None:
    elsewhere = recording_servers(status=200, body='{"server": "1.11.8", "api": "0.1"}')
    moved = recording_servers(
        status=301, body="", headers={"Location": f"{elsewhere.url()}/api/version"}
    )
    adapter = OctoPrintAdapter(moved.url(), "KEY-0123456789")

    with pytest.raises(OctoPrintError, match="redirect"):
        adapter.version()
    assert len(moved.heard) == 1 and elsewhere.heard == []


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
