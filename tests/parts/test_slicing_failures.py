"""The orchestrator's plates (`orchestrator.production_line.Plates`): a part that cannot be sliced
for one printer profile fails alone, waits longer before each new try, is recorded for the
board and forgotten once sliced; PrusaSlicer never runs in the dispatcher's thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Part, Printer, SlicingFailure
from orchestrator.parts.slicing import SliceResult, SlicingProblem
from orchestrator.production_line import Plates
from orchestrator.services import catalogue, parts
from tests.parts.test_slicing import crashes_of, install_crashing_slicer
from tests.realparts import wait_for

NOW = datetime(2020, 4, 2, 9, 0, tzinfo=UTC)


def printer(printer_id: int, **fields: object) -> Printer:
    """A printer row as the orchestrator reads it; `fields` may be what no check allows."""
    row = {"bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210, "nozzle_mm": 0.4, **fields}
    return Printer(id=printer_id, name=f"P{printer_id}", maker_id=1, token_hash="x", **row)


@pytest.fixture
def plates(settings: Settings) -> Iterator[Plates]:
    made = Plates(settings, on_ready=threading.Event().set)
    yield made
    made.stop()


@pytest.fixture
def amicroche(engine: Engine) -> Part:
    with Session(engine) as session:
        return catalogue.part_by_key(session=session, key="amicroche")


def settled(
    plates: Plates, part: Part, row: Printer, now: datetime
) -> SliceResult | SlicingFailure:
    """What the dispatcher finds once PrusaSlicer, in its own thread, is done."""
    return wait_for(lambda: plates.plate(part, row, 1, now), 60, "the slicer's thread")


def stored_failures(engine: Engine) -> list[tuple[int, float, str, int]]:
    with Session(engine) as session:
        return [
            (f.part_id, f.nozzle_mm, f.problem, f.failures)
            for f in session.exec(select(SlicingFailure))
        ]


def test_a_printer_out_of_range_fails_alone_and_waits_longer_each_time(
    engine: Engine, plates: Plates, amicroche: Part
) -> None:
    broken, good = printer(1, nozzle_mm=0.001), printer(2)

    first = plates.plate(amicroche, broken, 1, NOW)
    meanwhile = plates.plate(amicroche, broken, 1, NOW + timedelta(seconds=30))
    again = plates.plate(amicroche, broken, 1, NOW + timedelta(seconds=61))
    slicing = plates.plate(amicroche, good, 1, NOW)
    sliced = settled(plates, amicroche, good, NOW)
    plates.save(engine)

    assert isinstance(first, SlicingFailure) and meanwhile is first
    assert first.problem == SlicingProblem.SETTINGS_OUT_OF_RANGE
    assert first.retry_at == NOW + timedelta(minutes=1)
    assert isinstance(again, SlicingFailure) and again.failures == 2
    assert again.retry_at == NOW + timedelta(seconds=61) + timedelta(minutes=2)
    assert slicing is None  # PrusaSlicer runs in the slicer's thread, not in this one
    assert isinstance(sliced, SliceResult) and sliced.seconds > 0
    assert stored_failures(engine) == [(amicroche.id, 0.001, "settings_out_of_range", 2)]
    # Corrected, the printer has the good printer's profile: its plate is ready at once.
    assert plates.plate(amicroche, printer(1), 1, NOW + timedelta(seconds=62)) == sliced


def test_a_restarted_orchestrator_keeps_the_waits_on_record(
    engine: Engine, plates: Plates, amicroche: Part, settings: Settings
) -> None:
    broken = printer(1, nozzle_mm=0.001)
    failed = plates.plate(amicroche, broken, 1, NOW)
    plates.save(engine)
    restarted = Plates(settings, on_ready=threading.Event().set)

    restarted.load(engine)
    found = restarted.plate(amicroche, broken, 1, NOW + timedelta(seconds=30))
    restarted.stop()

    assert isinstance(failed, SlicingFailure) and isinstance(found, SlicingFailure)
    assert (found.failures, found.retry_at) == (1, failed.retry_at)
    assert restarted.unsaved == {}  # nothing was tried again, so nothing new to write


def test_a_plate_sliced_after_failing_is_forgotten(
    engine: Engine,
    plates: Plates,
    amicroche: Part,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = os.environ["PATH"]
    slicer = install_crashing_slicer(tmp_path, when="nozzle_diameter = 0.6")
    monkeypatch.setenv("PATH", f"{slicer.parent}{os.pathsep}{path}")
    wide = printer(1, nozzle_mm=0.6)

    assert plates.plate(amicroche, wide, 1, NOW) is None
    crashed = settled(plates, amicroche, wide, NOW)
    plates.save(engine)
    stored = stored_failures(engine)
    skipped = plates.plate(amicroche, wide, 1, NOW + timedelta(seconds=59))
    monkeypatch.setenv("PATH", path)  # PrusaSlicer mended
    later = NOW + timedelta(seconds=61)
    sliced = settled(plates, amicroche, wide, later)
    plates.save(engine)

    assert isinstance(crashed, SlicingFailure) and crashed.problem == "slicer_failed"
    assert stored == [(amicroche.id, 0.6, "slicer_failed", 1)]
    assert skipped is crashed and crashes_of(slicer) == 1
    assert isinstance(sliced, SliceResult)
    assert stored_failures(engine) == []


def test_a_part_whose_file_went_missing_fails_for_every_profile(
    engine: Engine, plates: Plates, amicroche: Part, tmp_path: Path
) -> None:
    moved = Part(**{**amicroche.model_dump(), "stl_path": str(tmp_path / "gone.stl")})

    assert plates.plate(moved, printer(1), 1, NOW) is None
    failed = settled(plates, moved, printer(1), NOW)

    assert isinstance(failed, SlicingFailure) and failed.problem == "stl_missing"


def test_each_wait_doubles_up_to_an_hour() -> None:
    minutes = [parts.retry_delay(failures) / timedelta(minutes=1) for failures in range(1, 9)]

    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]
    assert parts.retry_delay(10**9) == timedelta(hours=1)
