"""Slicing with the real PrusaSlicer: plausible figures, copies on the plate, and the cache."""

import os
import stat
import sys
from pathlib import Path

import pytest

from orchestrator.parts.slicing import (
    PrinterProfile,
    SliceResult,
    SlicerMissing,
    SlicingFailed,
    parse_duration,
    slice_plate,
)


def test_headband_time_and_weight_are_plausible(sliced_headband: SliceResult):
    # Our headband is a solid 2.5 x 20 mm band plus pegs: 17.5 cm3, 22.3 g of PETG if solid.
    # A Prusa RC3 (with cut-outs) prints in about 1-1.5 h and weighs 15-20 g; ours slices to
    # about 1 h 23 min and 22 g on an MK3-like profile at 0.2 mm. The ranges below allow for
    # other slicer defaults but catch a gross error: a scale slip (x10 or /10), a missing
    # filament density (0 g), the wrong layer height, or lost/duplicated copies.
    assert 45 * 60 <= sliced_headband.seconds <= 2.5 * 3600
    assert 15 <= sliced_headband.grams <= 28
    assert sliced_headband.copies == 1
    gcode = sliced_headband.gcode_path.read_text()
    assert "; estimated printing time (normal mode) =" in gcode
    assert "M104 S240" in gcode or "M109 S240" in gcode
    assert "M140 S85" in gcode or "M190 S85" in gcode


def test_second_identical_slice_comes_from_the_cache(
    tmp_path: Path, sliced_headband: SliceResult, mk3_petg: PrinterProfile
):
    counter = install_counting_slicer(tmp_path)
    cache_dir = sliced_headband.gcode_path.parent.parent
    models = Path(__file__).resolve().parents[2] / "models"

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{counter.parent}{os.pathsep}{os.environ['PATH']}")
        first = slice_plate(models / "amicroche.stl", mk3_petg, copies=6, cache_dir=cache_dir)
        second = slice_plate(models / "amicroche.stl", mk3_petg, copies=6, cache_dir=cache_dir)

    assert runs_of(counter) == 1
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.sha256 == first.sha256 and second.gcode_path == first.gcode_path
    labels = {
        line for line in first.gcode_path.read_text().splitlines() if "printing object" in line
    }
    assert {f"; printing object amicroche.stl id:0 copy {n}" for n in range(6)} <= labels
    # Six copies weigh six times one, give or take the skirt.
    assert 5.0 * 6 <= first.grams <= 8.0 * 6


def test_a_relative_data_folder_slices_as_an_absolute_one(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile, monkeypatch: pytest.MonkeyPatch
):
    """The service's default data folder is `data`, relative to where it runs."""
    monkeypatch.chdir(tmp_path)
    stl = Path(os.path.relpath(models_dir / "amicroche.stl"))

    sliced = slice_plate(stl, mk3_petg, copies=1, cache_dir=Path("data/gcode/plates"))

    assert sliced.gcode_path.is_absolute() and sliced.gcode_path.is_file()
    assert sliced.gcode_path.is_relative_to(tmp_path / "data" / "gcode" / "plates")
    assert sliced.seconds > 0


def test_too_many_copies_for_the_bed_fail_with_the_slicers_words(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile
):
    with pytest.raises(SlicingFailed) as failed:
        slice_plate(models_dir / "headband.stl", mk3_petg, copies=2, cache_dir=tmp_path)

    assert "could not fit on the bed" in failed.value.stderr_tail


def test_missing_slicer_says_how_to_install_it(
    tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch, mk3_petg: PrinterProfile
):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(SlicerMissing, match="apt-get install -y prusa-slicer"):
        slice_plate(models_dir / "headband.stl", mk3_petg, copies=1, cache_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h 2m 3s", 3723), ("45s", 45), ("1d 0h 1m 0s", 86460), ("12m 0s", 720)],
)
def test_parse_duration(text: str, seconds: int):
    assert parse_duration(text) == seconds


def install_counting_slicer(directory: Path) -> Path:
    """A `prusa-slicer` that counts its runs in a file, then runs the real one."""
    real = "/usr/bin/prusa-slicer"
    script = directory / "bin" / "prusa-slicer"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        f"with open({str(directory / 'runs')!r}, 'a') as runs:\n"
        "    runs.write('run\\n')\n"
        f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def runs_of(script: Path) -> int:
    runs = script.parent.parent / "runs"
    return len(runs.read_text().splitlines()) if runs.exists() else 0
