"""Issue 13, point 10a: OctoPrint API keys are encrypted at rest.

Against the running service: a key a maker registers is stored sealed under a key derived
from the service's secret, and opened only when the orchestrator calls OctoPrint (a real
OctoPrint answers it). A key the service can no longer open (its secret changed, or a row
written in plain text) gives the maker a clear reason, not a crash, and never reaches
OctoPrint; `makerline migrate` seals the plain-text rows left from before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from orchestrator.core.config import Settings
from orchestrator.core.sealing import SEALED_PREFIX, open_sealed
from orchestrator.database.tables import Printer
from orchestrator.production_line import ProductionLine
from tests.realparts import REPO, OctoPrintServer, wait_for
from tests.security.test_outbound_calls import (
    RecordingServer,
    recording_servers,
    settings,
    start_and_fail,
)
from tests.test_plugin_printers import register, status_of

# The OctoPrint servers of these tests are on loopback, as a fab-lab's LAN would be.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("settings", ["127.0.0.0/8"], indirect=True),
]
# Fixtures are found by their name in the module: these are imported for pytest.
__all__ = ["recording_servers", "settings"]
KEY_UNREADABLE = (
    "OctoPrint did not start the job: the OctoPrint API key can no longer be read: enter it again"
)


def stored_key(engine: Engine, printer_id: int) -> str | None:
    with Session(engine) as session:
        printer = session.get(Printer, printer_id)
        assert printer is not None
        return printer.octoprint_api_key


def test_a_key_is_stored_sealed_and_opened_only_to_call_octoprint(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    idle_octoprint: OctoPrintServer,
) -> None:
    printer_id, _ = register(
        maker_api,
        "octoPrint/sealed",
        octoprint_url=idle_octoprint.url,
        octoprint_api_key=idle_octoprint.api_key,
    )

    stored = stored_key(engine, printer_id) or ""
    assert stored.startswith(SEALED_PREFIX) and idle_octoprint.api_key not in stored
    assert open_sealed(settings.secret, stored) == idle_octoprint.api_key
    # Nothing heard from the plugin: the orchestrator asked OctoPrint, with the opened key.
    wait_for(
        lambda: (status_of(maker_api, printer_id) or {}).get("state") == "idle",
        15,
        "OctoPrint to answer the orchestrator's probe",
    )
    resealed = maker_api.patch(f"/printers/{printer_id}", json={"octoprint_api_key": "NEW-KEY-2"})
    assert resealed.status_code == 200 and "NEW-KEY-2" not in resealed.text
    assert open_sealed(settings.secret, stored_key(engine, printer_id) or "") == "NEW-KEY-2"


def test_a_key_sealed_under_another_secret_gives_a_clear_reason_and_calls_nothing(
    engine: Engine,
    settings: Settings,
    live_server: str,
    maker_api: httpx.Client,
    recording_servers: Callable[..., RecordingServer],
) -> None:
    octoprint = recording_servers(status=200, body="{}")
    printer_id, _ = register(
        maker_api,
        "octoPrint/rekeyed",
        octoprint_url=octoprint.url(),
        octoprint_api_key="KEY-0123456789",
    )
    changed = settings.model_copy(update={"secret": "another-secret-0123456789abcdef"})
    running = ProductionLine(settings=changed, engine=engine, name="rekeyed", sweep_seconds=0.5)
    running.start()
    try:
        reason = start_and_fail(engine, changed, running, printer_id)
    finally:
        running.stop()

    assert reason == KEY_UNREADABLE
    assert KEY_UNREADABLE in maker_api.get(f"/printers/{printer_id}/events").text
    assert octoprint.heard == []


def test_migrate_seals_a_key_left_in_plain_text_which_is_never_sent_before(
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    maker_api: httpx.Client,
    recording_servers: Callable[..., RecordingServer],
) -> None:
    octoprint = recording_servers(status=200, body="{}")
    printer_id, _ = register(
        maker_api, "octoPrint/legacy", octoprint_url=octoprint.url(), octoprint_api_key="x"
    )
    with Session(engine) as session:  # as a row written before keys were sealed
        session.exec(
            update(Printer)
            .where(Printer.id == printer_id)  # type: ignore[arg-type]
            .values(octoprint_api_key="LEGACY-PLAIN-KEY")
        )
        session.commit()

    assert start_and_fail(engine, settings, orchestrator, printer_id) == KEY_UNREADABLE
    assert octoprint.heard == []
    environment = os.environ | {
        "MAKERLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MAKERLINE_SECRET": settings.secret,
        "MAKERLINE_DATA_DIR": str(settings.data_dir),
        "MAKERLINE_COORDINATOR_TOKEN": "",
    }
    migrated = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "migrate"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert migrated.returncode == 0, migrated.stderr
    stored = stored_key(engine, printer_id) or ""
    assert stored.startswith(SEALED_PREFIX) and "LEGACY-PLAIN-KEY" not in stored
    assert open_sealed(settings.secret, stored) == "LEGACY-PLAIN-KEY"
