"""Slicing a plate of copies of a part with the PrusaSlicer command line, and its cache.

A `PrinterProfile` renders to the few PrusaSlicer 2.5 settings that differ between the
makers' printers; everything else keeps PrusaSlicer's defaults. A plate is sliced once per
(STL sha256, rendered profile, copies): the cache lives in a directory, one folder per key,
so it survives restarts and can be shared by service replicas on one disk. A plate that
cannot be sliced raises an error that says why in one word (`SlicingProblem`) and in a
sentence of ours; PrusaSlicer's own output is kept apart, for the operator's log.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.parts.materials import MATERIAL_DENSITY_G_CM3, Material

SLICER_EXECUTABLE = "prusa-slicer"
DEFAULT_TIMEOUT_S = 300.0
_STDERR_TAIL_CHARS = 2000
_GCODE_FILE = "plate.gcode"
_RESULT_FILE = "result.json"

_PRINT_TIME = re.compile(rb"^; estimated printing time \(normal mode\) = (.+)$", re.MULTILINE)
_FILAMENT_GRAMS = re.compile(rb"^; filament used \[g\] = ([0-9.]+)", re.MULTILINE)
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_SECONDS_PER_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_COPY_LABEL = re.compile(rb"^; printing object .* copy (\d+)\s*$", re.MULTILINE)


class SlicingProblem(StrEnum):
    """Why a part cannot be sliced for a printer, in one word the board translates."""

    SETTINGS_OUT_OF_RANGE = "settings_out_of_range"  # a bed or nozzle no printer has
    MATERIAL_UNKNOWN = "material_unknown"  # a filament makerline has no settings for
    BED_TOO_SMALL = "bed_too_small"
    STL_MISSING = "stl_missing"
    STL_CHANGED = "stl_changed"  # the file on disk is no longer the one uploaded
    SLICER_MISSING = "slicer_missing"
    SLICER_FAILED = "slicer_failed"  # PrusaSlicer refused the plate or crashed
    SLICER_TIMEOUT = "slicer_timeout"
    ESTIMATE_UNREADABLE = "estimate_unreadable"  # no time or weight in the G-code
    WRONG_COPIES = "wrong_copies"  # the G-code does not hold the copies asked for
    UNEXPECTED = "unexpected"


# Problems of the part itself: no printer can print it until the part is fixed.
PART_PROBLEMS = frozenset({SlicingProblem.STL_MISSING, SlicingProblem.STL_CHANGED})


class SlicerMissing(Exception):
    """PrusaSlicer is not installed where the service runs."""

    problem = SlicingProblem.SLICER_MISSING

    def __init__(self) -> None:
        self.message = (
            f"The {SLICER_EXECUTABLE!r} command was not found on PATH. Install Debian's "
            "PrusaSlicer with `apt-get install -y prusa-slicer`, then try again."
        )
        super().__init__(self.message)


class SlicingFailed(Exception):
    """The plate could not be sliced: `problem` says why in a word, `message` in a sentence
    of ours, and `stderr_tail` is PrusaSlicer's own output, for the operator's log only."""

    def __init__(
        self,
        message: str,
        stderr_tail: str = "",
        problem: SlicingProblem = SlicingProblem.SLICER_FAILED,
    ) -> None:
        self.message = message
        self.stderr_tail = stderr_tail
        self.problem = problem
        super().__init__(f"{message}\n{stderr_tail}" if stderr_tail else message)


class PrinterProfile(BaseModel):
    """What the slicer needs to know about one printer and the filament loaded in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bed_x_mm: float = Field(gt=0, le=2000)
    bed_y_mm: float = Field(gt=0, le=2000)
    bed_z_mm: float = Field(gt=0, le=2000)
    nozzle_mm: float = Field(gt=0, le=2)
    material: Material
    nozzle_temperature_c: int = Field(ge=150, le=320)
    bed_temperature_c: int = Field(ge=0, le=130)
    layer_height_mm: float = Field(gt=0, le=1)
    name: str | None = None

    def to_ini(self) -> str:
        """The PrusaSlicer 2.5 config lines for this profile (keys from `--help-fff`)."""
        settings: dict[str, str] = {
            "bed_shape": (
                f"0x0,{self.bed_x_mm:g}x0,{self.bed_x_mm:g}x{self.bed_y_mm:g},0x{self.bed_y_mm:g}"
            ),
            "max_print_height": f"{self.bed_z_mm:g}",
            "nozzle_diameter": f"{self.nozzle_mm:g}",
            "filament_type": self.material,
            # Without a density PrusaSlicer reports 0 g.
            "filament_density": f"{MATERIAL_DENSITY_G_CM3[self.material]:g}",
            "filament_diameter": "1.75",
            "temperature": str(self.nozzle_temperature_c),
            "first_layer_temperature": str(self.nozzle_temperature_c),
            "bed_temperature": str(self.bed_temperature_c),
            "first_layer_bed_temperature": str(self.bed_temperature_c),
            "layer_height": f"{self.layer_height_mm:g}",
            "first_layer_height": f"{self.layer_height_mm:g}",
            "gcode_flavor": "marlin2",
            # Labels each copy in the G-code, for counting copies and for OctoPrint's
            # Cancel Object plugin.
            "gcode_label_objects": "1",
        }
        header = f"# makerline printer profile {self.name or ''}".rstrip()
        return "\n".join([header, *(f"{key} = {value}" for key, value in settings.items())]) + "\n"


@dataclass(frozen=True)
class SliceResult:
    """A sliced plate: its G-code and what PrusaSlicer estimated for it."""

    gcode_path: Path
    sha256: str
    seconds: int
    grams: float
    copies: int
    from_cache: bool = False


def slice_plate(
    stl_path: Path,
    profile: PrinterProfile,
    copies: int,
    cache_dir: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    expected_sha256: str | None = None,
) -> SliceResult:
    """Slice `copies` copies of the part, arranged by PrusaSlicer, or return the cached plate.

    Raises SlicerMissing when PrusaSlicer is not installed, SlicingFailed when the STL
    cannot be read or is not the `expected_sha256` one, when PrusaSlicer refuses the plate
    (for instance, too many copies for the bed), crashes or runs past `timeout_s`, or when
    its G-code is not usable.
    """
    if copies < 1:
        raise ValueError("a plate has at least one copy")
    # PrusaSlicer runs in its own working folder: a relative data folder (the default
    # `data`) would point elsewhere from there.
    stl_path, cache_dir = stl_path.resolve(), cache_dir.resolve()
    try:
        stl_sha256 = hashlib.sha256(stl_path.read_bytes()).hexdigest()
    except OSError as error:
        raise SlicingFailed(
            "The part's STL file cannot be read on this server.",
            str(error),
            SlicingProblem.STL_MISSING,
        ) from error
    if expected_sha256 is not None and stl_sha256 != expected_sha256:
        raise SlicingFailed(
            "The part's STL file on this server is not the one uploaded (its content changed).",
            problem=SlicingProblem.STL_CHANGED,
        )
    ini = profile.to_ini()
    key = hashlib.sha256(
        json.dumps({"stl": stl_sha256, "profile": ini, "copies": copies}).encode()
    ).hexdigest()
    entry = cache_dir / key
    cached = _read_cached(entry)
    if cached is not None:
        return cached

    slicer = shutil.which(SLICER_EXECUTABLE)
    if slicer is None:
        raise SlicerMissing()
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".slicing-"))
    try:
        (work / "profile.ini").write_text(ini, encoding="ascii")
        gcode_path = work / _GCODE_FILE
        _run_slicer(slicer, work, stl_path, copies, gcode_path, timeout_s)
        gcode = gcode_path.read_bytes()
        seconds, grams = _read_estimates(gcode)
        labelled = {int(n) for n in _COPY_LABEL.findall(gcode)}
        if labelled != set(range(copies)):
            raise SlicingFailed(
                f"PrusaSlicer was asked for {copies} copies but the G-code holds "
                f"{len(labelled)}; check the profile.",
                problem=SlicingProblem.WRONG_COPIES,
            )
        gcode_sha256 = hashlib.sha256(gcode).hexdigest()
        result = {"sha256": gcode_sha256, "seconds": seconds, "grams": grams, "copies": copies}
        (work / _RESULT_FILE).write_text(json.dumps(result), encoding="utf-8")
        try:
            # Renaming a whole folder publishes the G-code and its figures together.
            work.rename(entry)
        except OSError:
            # Another process published the same plate first: theirs is as good as ours, and
            # it is theirs that is on disk (PrusaSlicer dates its G-code, so the two differ).
            published = _read_cached(entry)
            if published is None:
                raise
            return published
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return SliceResult(
        gcode_path=entry / _GCODE_FILE,
        sha256=gcode_sha256,
        seconds=seconds,
        grams=grams,
        copies=copies,
    )


def parse_duration(text: str) -> int:
    """Seconds in a PrusaSlicer duration such as '1d 2h 3m 4s' or '45s'."""
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        raise ValueError(f"not a PrusaSlicer duration: {text!r}")
    return sum(int(amount) * _SECONDS_PER_UNIT[unit] for amount, unit in parts)


def _run_slicer(
    slicer: str, work: Path, stl_path: Path, copies: int, gcode_path: Path, timeout_s: float
) -> None:
    command = [
        slicer,
        "--loglevel", "1",
        "--load", str(work / "profile.ini"),
        # --duplicate arranges the copies on the bed (centred, duplicate_distance apart)
        # and fails with "Objects could not fit on the bed" when they do not fit.
        "--duplicate", str(copies),
        "--export-gcode",
        "--output", str(gcode_path),
        str(stl_path.resolve()),
    ]  # fmt: skip
    # No display: PrusaSlicer is built with GUI support and must not look for one.
    environment = {name: value for name, value in os.environ.items() if name != "DISPLAY"}
    try:
        completed = subprocess.run(
            command,
            cwd=work,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise SlicingFailed(
            f"PrusaSlicer did not finish within {timeout_s:g} s; the part may be too complex.",
            _tail(error.stderr),
            SlicingProblem.SLICER_TIMEOUT,
        ) from error
    if completed.returncode < 0:
        raise SlicingFailed(
            f"PrusaSlicer crashed (signal {-completed.returncode}).",
            _tail(completed.stderr) or _tail(completed.stdout),
        )
    if completed.returncode != 0 or not gcode_path.is_file():
        raise SlicingFailed(
            f"PrusaSlicer failed (exit status {completed.returncode}).",
            _tail(completed.stderr) or _tail(completed.stdout),
        )


def _read_estimates(gcode: bytes) -> tuple[int, float]:
    time_match = _PRINT_TIME.search(gcode)
    grams_match = _FILAMENT_GRAMS.search(gcode)
    unreadable = SlicingFailed(
        "The G-code has no readable print time or filament weight; check the slicer version.",
        problem=SlicingProblem.ESTIMATE_UNREADABLE,
    )
    if time_match is None or grams_match is None:
        raise unreadable
    try:
        seconds = parse_duration(time_match.group(1).decode("ascii").strip())
        grams = float(grams_match.group(1))
    except (UnicodeDecodeError, ValueError) as error:
        raise unreadable from error
    return seconds, grams


def _read_cached(entry: Path) -> SliceResult | None:
    try:
        stored = json.loads((entry / _RESULT_FILE).read_text(encoding="utf-8"))
        gcode_path = entry / _GCODE_FILE
        if not gcode_path.is_file():
            return None
        return SliceResult(
            gcode_path=gcode_path,
            sha256=str(stored["sha256"]),
            seconds=int(stored["seconds"]),
            grams=float(stored["grams"]),
            copies=int(stored["copies"]),
            from_cache=True,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _tail(output: bytes | str | None) -> str:
    if output is None:
        return ""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    return text.strip()[-_STDERR_TAIL_CHARS:]
