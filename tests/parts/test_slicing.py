"""Slicing with the real PrusaSlicer: plausible figures, copies on the plate, the cache,
and the word each failure is given (`SlicingProblem`)."""

import hashlib
import os
import shutil
import stat
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orchestrator.parts.slicing import (
    PrinterProfile,
    SliceResult,
    SlicerMissing,
    SlicingFailed,
    SlicingProblem,
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


def test_two_slicers_racing_for_one_plate_both_answer_with_the_one_kept(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile, monkeypatch: pytest.MonkeyPatch
):
    """Two replicas slicing the same plate at once: PrusaSlicer dates its G-code, so the two
    differ, and the one that loses the race must answer with the winner's, the one on disk
    (else its printers download G-code that does not match the sha256 they were sent)."""
    slicer = install_slicer_stamping_runs(tmp_path)
    monkeypatch.setenv("PATH", f"{slicer.parent}{os.pathsep}{os.environ['PATH']}")
    start = threading.Barrier(2)

    def slice_when_both_are_ready() -> SliceResult:
        start.wait()
        return slice_plate(models_dir / "amicroche.stl", mk3_petg, 1, tmp_path / "cache")

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: slice_when_both_are_ready(), range(2)))

    assert results[0].sha256 == results[1].sha256
    for result in results:
        assert hashlib.sha256(result.gcode_path.read_bytes()).hexdigest() == result.sha256


def test_too_many_copies_for_the_bed_fail_with_the_slicers_words(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile
):
    with pytest.raises(SlicingFailed) as failed:
        slice_plate(models_dir / "headband.stl", mk3_petg, copies=2, cache_dir=tmp_path)

    assert "could not fit on the bed" in failed.value.stderr_tail
    assert failed.value.problem == SlicingProblem.SLICER_FAILED
    assert "could not fit" not in failed.value.message  # PrusaSlicer's words stay in the log


def test_a_slice_past_its_time_is_a_timeout(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile
):
    with pytest.raises(SlicingFailed) as failed:
        slice_plate(models_dir / "headband.stl", mk3_petg, 1, tmp_path, timeout_s=0.05)

    assert failed.value.problem == SlicingProblem.SLICER_TIMEOUT
    assert "did not finish within 0.05 s" in failed.value.message


def test_a_missing_or_changed_stl_is_the_parts_problem(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile
):
    stl = tmp_path / "amicroche.stl"
    shutil.copyfile(models_dir / "amicroche.stl", stl)
    with stl.open("r+b") as damaged:  # a disk error in the middle of the file
        damaged.seek(200)
        damaged.write(b"\xff" * 64)
    uploaded = hashlib.sha256((models_dir / "amicroche.stl").read_bytes()).hexdigest()

    with pytest.raises(SlicingFailed) as changed:
        slice_plate(stl, mk3_petg, 1, tmp_path / "cache", expected_sha256=uploaded)
    with pytest.raises(SlicingFailed) as missing:
        slice_plate(tmp_path / "gone.stl", mk3_petg, 1, tmp_path / "cache")

    assert changed.value.problem == SlicingProblem.STL_CHANGED
    assert missing.value.problem == SlicingProblem.STL_MISSING
    assert str(tmp_path) not in missing.value.message


def test_a_corrupt_stl_is_refused_by_prusaslicer(tmp_path: Path, mk3_petg: PrinterProfile):
    garbage = tmp_path / "garbage.stl"
    garbage.write_bytes(b"solid nothing\n" + os.urandom(4000))

    with pytest.raises(SlicingFailed) as failed:
        slice_plate(garbage, mk3_petg, 1, tmp_path / "cache")

    assert failed.value.problem == SlicingProblem.SLICER_FAILED


def test_a_crash_of_prusaslicer_is_said_in_our_words(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile, monkeypatch: pytest.MonkeyPatch
):
    slicer = install_crashing_slicer(tmp_path, when="nozzle_diameter = 0.4")
    monkeypatch.setenv("PATH", f"{slicer.parent}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(SlicingFailed) as failed:
        slice_plate(models_dir / "amicroche.stl", mk3_petg, 1, tmp_path / "cache")

    assert failed.value.problem == SlicingProblem.SLICER_FAILED
    assert failed.value.message == "PrusaSlicer crashed (signal 11)."
    assert crashes_of(slicer) == 1


def test_a_time_the_slicer_writes_differently_is_an_unreadable_estimate(
    tmp_path: Path, models_dir: Path, mk3_petg: PrinterProfile, monkeypatch: pytest.MonkeyPatch
):
    """A future PrusaSlicer that words its time otherwise must fail this plate, not the
    dispatcher with a ValueError."""
    slicer = install_slicer_rewriting_times(tmp_path, "about an hour")
    monkeypatch.setenv("PATH", f"{slicer.parent}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(SlicingFailed) as failed:
        slice_plate(models_dir / "amicroche.stl", mk3_petg, 1, tmp_path / "cache")

    assert failed.value.problem == SlicingProblem.ESTIMATE_UNREADABLE


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


def install_crashing_slicer(directory: Path, when: str) -> Path:
    """A `prusa-slicer` that crashes (SIGSEGV) on a profile holding the line `when`, and
    runs the real one otherwise: no real profile makes PrusaSlicer 2.5 crash on demand."""
    real = "/usr/bin/prusa-slicer"
    script = directory / "crashing-bin" / "prusa-slicer"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, signal, sys\n"
        "profile = sys.argv[sys.argv.index('--load') + 1]\n"
        f"if {when!r} in open(profile).read().splitlines():\n"
        f"    with open({str(directory / 'crashes')!r}, 'a') as crashes:\n"
        "        crashes.write('crash\\n')\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
        f"os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def crashes_of(script: Path) -> int:
    crashes = script.parent.parent / "crashes"
    return len(crashes.read_text().splitlines()) if crashes.exists() else 0


def install_slicer_rewriting_times(directory: Path, words: str) -> Path:
    """A `prusa-slicer` whose G-code gives its printing time in `words`."""
    real = "/usr/bin/prusa-slicer"
    script = directory / "rewriting-bin" / "prusa-slicer"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import re, subprocess, sys\n"
        f"done = subprocess.run([{real!r}, *sys.argv[1:]])\n"
        "output = sys.argv[sys.argv.index('--output') + 1]\n"
        "gcode = open(output).read()\n"
        "gcode = re.sub(r'(estimated printing time \\(normal mode\\) = ).*', "
        f"lambda m: m.group(1) + {words!r}, gcode)\n"
        "open(output, 'w').write(gcode)\n"
        "sys.exit(done.returncode)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def install_slicer_stamping_runs(directory: Path) -> Path:
    """A `prusa-slicer` whose every run ends its G-code with a line of its own, as the real
    one's date line differs from one second to the next."""
    real = "/usr/bin/prusa-slicer"
    script = directory / "stamping-bin" / "prusa-slicer"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, subprocess, sys, time\n"
        f"done = subprocess.run([{real!r}, *sys.argv[1:]])\n"
        "output = sys.argv[sys.argv.index('--output') + 1]\n"
        "with open(output, 'a') as gcode:\n"
        "    gcode.write(f'; run {os.getpid()} {time.time_ns()}\\n')\n"
        "sys.exit(done.returncode)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script
