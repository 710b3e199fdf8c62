"""Parts as the service handles them: uploads, plates per printer, and slicing jobs.

Owns the upload rules (streamed to disk, checked by `orchestrator.parts.analysis` against
every registered printer's bed, stored under its sha256 only when accepted), the slicer
profile of each printer, the record of plates that could not be sliced (`SlicingFailure`:
written by the orchestrator, shown by the board and the part's plates), and the G-code
store the agents download from:

    <data_dir>/gcode/plates/       slice_plate's cache, keyed by (STL, profile, copies)
    <data_dir>/gcode/by-sha256/    every plate's G-code under its own sha256, for agents
    <data_dir>/gcode/estimates/    what the slicer said of each plate sliced here
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session, col, delete, select

from orchestrator.api.schemas import PartUpload, PlatePublic, PrinterUpdate
from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Part, Printer, SlicingFailure
from orchestrator.domain.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from orchestrator.domain.scheduler import Profile
from orchestrator.domain.vocabulary import Item
from orchestrator.parts.analysis import (
    BedVolume,
    StlLimits,
    StlRejected,
    analyse,
    copies_per_plate,
    store_upload,
)
from orchestrator.parts.materials import MATERIAL_DENSITY_G_CM3, Material
from orchestrator.parts.slicing import (
    PrinterProfile,
    SliceResult,
    SlicerMissing,
    SlicingFailed,
    SlicingProblem,
    slice_plate,
)
from orchestrator.services.planning import profile_of
from orchestrator.services.printer_link import upsert

# The service's own cap on an upload (no setting yet): the analysis module's default,
# far above any visor part (the headband is 135 KiB).
MAX_UPLOAD_BYTES = StlLimits().max_bytes
UPLOAD_CHUNK_BYTES = 1 << 20
# A Prusa MK3-sized bed: what an upload must fit while no printer is registered yet.
DEFAULT_BED = BedVolume(x_mm=250, y_mm=210, z_mm=210)

# (nozzle, bed) in °C: common datasheet middles for the materials makers load.
MATERIAL_TEMPERATURES_C: dict[Material, tuple[int, int]] = {
    "PETG": (240, 85),
    "PLA": (210, 60),
    "ABS": (250, 100),
    "ASA": (260, 100),
    "TPU": (230, 50),
}
LAYER_HEIGHT_MM = 0.2
# The printer's columns that make its slicer profile (`orchestrator.domain.scheduler.Profile`).
PROFILE_FIELDS = ("bed_x_mm", "bed_y_mm", "bed_z_mm", "nozzle_mm", "material")
# A plate that could not be sliced is tried again after a minute, then two, four... up to
# an hour: most causes last until someone fixes them, and a printer whose settings change
# has a new profile, tried at once.
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)


class UploadRefused(Unprocessable):
    """The uploaded file is not a printable part; the message says why and what to do."""


class UploadTooLarge(DomainError):
    status_code = 413


class CannotSlice(Conflict):
    """A part cannot be sliced for a printer: `problem` says why in a word, the message in
    our words, and `log_detail` is PrusaSlicer's own output, for the operator's log only."""

    def __init__(self, problem: SlicingProblem, message: str, log_detail: str = "") -> None:
        super().__init__(message, code="cannot_slice", problem=problem)
        self.problem = problem
        self.log_detail = log_detail


# --- uploads --------------------------------------------------------------------------


def registered_beds(*, session: Session) -> list[BedVolume]:
    """Each distinct bed of the registered printers."""
    beds = session.exec(select(Printer.bed_x_mm, Printer.bed_y_mm, Printer.bed_z_mm).distinct())
    return [BedVolume(x_mm=x, y_mm=y, z_mm=z) for x, y, z in beds]


def upload_part(
    *,
    session: Session,
    settings: Settings,
    part_in: PartUpload,
    chunks: Iterable[bytes],
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Part:
    """Store and add an uploaded part, or refuse it leaving no file and no row.

    Raises Conflict for a key in use, UploadTooLarge over `max_bytes`, UploadRefused for
    any file that is not a complete, closed, finite STL fitting a registered printer.
    """
    if session.exec(select(Part.id).where(Part.key == part_in.key)).first() is not None:
        raise Conflict(
            f"A part with the key '{part_in.key}' already exists. Choose another key, or "
            "use the existing part.",
            code="part_key_taken",
            key=part_in.key,
        )
    uploads = settings.uploads_dir
    # Each upload lands in its own folder, so a refused file is removed without touching
    # a stored part whose file has the same content.
    incoming = uploads / ".incoming" / uuid.uuid4().hex
    try:
        stored = store_upload(chunks, incoming, max_bytes)
        analysis = analyse(
            stored.path,
            StlLimits(max_bytes=max_bytes),
            beds=registered_beds(session=session) or [DEFAULT_BED],
        )
        final = (uploads / f"{stored.sha256}.stl").resolve()
        os.replace(stored.path, final)
    except StlRejected as rejected:
        if rejected.code == "too_large":
            raise UploadTooLarge(rejected.message, code="upload_too_large") from rejected
        raise UploadRefused(
            rejected.message, code="stl_refused", stl_problem=rejected.code
        ) from rejected
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    x, y, z = analysis.size_mm
    part = Part(
        **part_in.model_dump(exclude={"other_materials"}),
        other_materials=",".join(part_in.other_materials),
        stl_path=str(final),
        stl_sha256=analysis.sha256,
        volume_mm3=analysis.volume_mm3,
        grams=analysis.grams_by_material[part_in.material],
        size_x_mm=x,
        size_y_mm=y,
        size_z_mm=z,
    )
    part.bom_role = Item(part_in.bom_role)
    session.add(part)
    # Two uploads racing for one key: the loser's IntegrityError becomes a 409; its file,
    # named by content, stays and is harmless.
    session.flush()
    return part


# --- printer profiles and slicing -----------------------------------------------------


def profile_for(printer: Printer) -> PrinterProfile:
    """The slicer profile of a printer and the filament loaded in it.

    The printer's name stays out: printers with the same bed, nozzle and material share
    their sliced plates. Raises CannotSlice for a bed or nozzle outside the ranges printers
    are registered with (a row written before they were enforced), or a material makerline
    has no settings for.
    """
    try:
        PrinterUpdate.model_validate({name: getattr(printer, name) for name in PROFILE_FIELDS})
    except ValidationError as error:
        fields = ", ".join(sorted({str(problem["loc"][0]) for problem in error.errors()}))
        raise CannotSlice(
            SlicingProblem.SETTINGS_OUT_OF_RANGE,
            f"Printer {printer.id} has settings outside what a desktop printer has: {fields}. "
            "Correct them in the printer's settings.",
        ) from None
    material = printer.material.strip().upper()
    if material not in MATERIAL_TEMPERATURES_C:
        known = ", ".join(MATERIAL_DENSITY_G_CM3)
        raise CannotSlice(
            SlicingProblem.MATERIAL_UNKNOWN,
            f"Printer {printer.id} has '{printer.material}' loaded, which makerline cannot "
            f"slice for. Set its material to one of {known}.",
        )
    nozzle_c, bed_c = MATERIAL_TEMPERATURES_C[material]
    return PrinterProfile(
        bed_x_mm=printer.bed_x_mm,
        bed_y_mm=printer.bed_y_mm,
        bed_z_mm=printer.bed_z_mm,
        nozzle_mm=printer.nozzle_mm,
        material=material,
        nozzle_temperature_c=nozzle_c,
        bed_temperature_c=bed_c,
        # 0.2 mm suits 0.3 mm nozzles and wider; a finer nozzle gets half its width.
        layer_height_mm=LAYER_HEIGHT_MM
        if printer.nozzle_mm >= 0.3
        else round(printer.nozzle_mm / 2, 2),
    )


def gcode_cache_dir(settings: Settings) -> Path:
    return settings.data_dir / "gcode"


def gcode_path(settings: Settings, sha256: str) -> Path:
    """Where the G-code whose content hashes to `sha256` is kept for the agents."""
    return gcode_cache_dir(settings) / "by-sha256" / f"{sha256}.gcode"


def part_stl(part: Part) -> Path:
    if part.stl_path is None or not Path(part.stl_path).is_file():
        raise CannotSlice(
            SlicingProblem.STL_MISSING,
            f"Part '{part.key}' has no STL file on this server. Upload it again under a new key.",
        )
    return Path(part.stl_path)


def slice_part(
    *, settings: Settings, part: Part, profile: PrinterProfile, copies: int
) -> SliceResult:
    """A plate of `copies` copies of the part, sliced or from the cache, and published for
    the agents. Raises CannotSlice when the part's file or PrusaSlicer lets us down."""
    cache = gcode_cache_dir(settings)
    try:
        result = slice_plate(
            part_stl(part), profile, copies, cache / "plates", expected_sha256=part.stl_sha256
        )
    except (SlicerMissing, SlicingFailed) as error:
        raise CannotSlice(
            error.problem,
            f"Part '{part.key}' cannot be sliced for this printer: {error.message}",
            error.stderr_tail if isinstance(error, SlicingFailed) else "",
        ) from error
    published = gcode_path(settings, result.sha256)
    if not published.is_file():
        published.parent.mkdir(parents=True, exist_ok=True)
        staged = published.with_name(f".{uuid.uuid4().hex}.partial")
        try:
            os.link(result.gcode_path, staged)
        except OSError:  # another file system, or no hard links: copy instead
            shutil.copyfile(result.gcode_path, staged)
        os.replace(staged, published)
    estimate = _estimate_file(settings, part, profile, copies)
    if not estimate.is_file():
        estimate.parent.mkdir(parents=True, exist_ok=True)
        staged = estimate.with_name(f".{uuid.uuid4().hex}.partial")
        staged.write_text(
            json.dumps({"sha256": result.sha256, "seconds": result.seconds, "grams": result.grams})
        )
        os.replace(staged, estimate)
    return result


def sliced_estimate(
    *, settings: Settings, part: Part, profile: PrinterProfile, copies: int
) -> tuple[int, float] | None:
    """(seconds, grams) of a plate already sliced here, without running the slicer."""
    try:
        stored = json.loads(_estimate_file(settings, part, profile, copies).read_text())
        return int(stored["seconds"]), float(stored["grams"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _estimate_file(settings: Settings, part: Part, profile: PrinterProfile, copies: int) -> Path:
    key = hashlib.sha256(
        json.dumps({"stl": part.stl_sha256, "profile": profile.to_ini(), "copies": copies}).encode()
    ).hexdigest()
    return gcode_cache_dir(settings) / "estimates" / f"{key}.json"


# --- plates that could not be sliced --------------------------------------------------


def retry_delay(failures: int) -> timedelta:
    """How long a plate that failed `failures` times in a row waits before its next try."""
    return min(FIRST_RETRY * 2 ** min(failures - 1, 10), LAST_RETRY)


def failed_again(
    previous: SlicingFailure | None,
    *,
    part_id: int,
    profile: Profile,
    problem: SlicingProblem,
    now: datetime,
) -> SlicingFailure:
    """The record of a plate after one more failure: it waits longer each time."""
    failures = previous.failures + 1 if previous is not None else 1
    return SlicingFailure(
        part_id=part_id,
        **asdict(profile),
        problem=problem,
        failures=failures,
        first_failed_at=previous.first_failed_at if previous is not None else now,
        last_failed_at=now,
        retry_at=now + retry_delay(failures),
    )


def profile_of_failure(failure: SlicingFailure) -> Profile:
    return Profile(**{name: getattr(failure, name) for name in PROFILE_FIELDS})


def slicing_failures(
    *, session: Session, part: Part | None = None
) -> dict[tuple[int, Profile], SlicingFailure]:
    """The plates that could not be sliced (of one part, or of all), by (part id, profile)."""
    query = select(SlicingFailure)
    if part is not None:
        query = query.where(SlicingFailure.part_id == part.id)
    return {(f.part_id, profile_of_failure(f)): f for f in session.exec(query)}


def save_slicing_failures(*, session: Session, failures: Iterable[SlicingFailure]) -> None:
    rows = [failure.model_dump(exclude={"id"}) for failure in failures]
    upsert(session, SlicingFailure, rows, ["part_id", *PROFILE_FIELDS])


def clear_slicing_failures(*, session: Session, plates: Iterable[tuple[int, Profile]]) -> None:
    """Forget the failures of plates that have been sliced since."""
    for part_id, profile in plates:
        session.exec(
            delete(SlicingFailure).where(
                col(SlicingFailure.part_id) == part_id,
                *(
                    getattr(SlicingFailure, name) == value
                    for name, value in asdict(profile).items()
                ),
            )
        )


# --- what the API shows ---------------------------------------------------------------


def part_plates(*, session: Session, settings: Settings, part: Part) -> list[PlatePublic]:
    """For each printer profile in use, how many copies of the part fit on one plate and,
    when that plate has been sliced here already, the slicer's time and grams; or why the
    profile cannot print the part."""
    groups: dict[Profile, list[Printer]] = {}
    for printer in session.exec(select(Printer).order_by(col(Printer.id))):
        groups.setdefault(profile_of(printer), []).append(printer)
    failures = slicing_failures(session=session, part=part)
    plates = []
    for profile, printers in groups.items():
        x, y, z = part.size_x_mm, part.size_y_mm, part.size_z_mm
        measured = x is not None and y is not None and z is not None
        copies = 0
        if x is not None and y is not None and z is not None and z <= profile.bed_z_mm:
            copies = copies_per_plate(x, y, profile.bed_x_mm, profile.bed_y_mm)
        plate = PlatePublic(
            **asdict(profile),
            printer_ids=[p.id for p in printers if p.id is not None],
            copies_per_plate=copies,
        )
        failure = failures.get((part.id or 0, profile))
        if failure is not None:
            plate.problem = SlicingProblem(failure.problem)
            plate.problem_since = failure.first_failed_at
        elif measured and not copies:
            plate.problem = SlicingProblem.BED_TOO_SMALL
        elif copies:
            try:
                slicer_profile = profile_for(printers[0])
            except CannotSlice as refused:
                plate.problem = refused.problem
            else:
                figures = sliced_estimate(
                    settings=settings, part=part, profile=slicer_profile, copies=copies
                )
                if figures is not None:
                    plate.seconds, plate.grams = figures
        plates.append(plate)
    return plates


def gcode_for_job(
    *, session: Session, settings: Settings, printer: Printer, job_id: int
) -> tuple[Path, str]:
    """The G-code file of a job and its sha256, for the printer the job is assigned to."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} does not exist.", code="job_not_found", job=job_id)
    if job.printer_id is None:
        raise Conflict(
            f"Job {job_id} has no printer yet; it has no G-code to download.",
            code="job_has_no_printer_for_gcode",
            job=job_id,
        )
    if job.printer_id != printer.id:
        raise Forbidden(
            f"Job {job_id} is assigned to another printer, not to this one.",
            code="job_on_other_printer",
            job=job_id,
        )
    if job.gcode_sha256 is None:
        raise Conflict(
            f"Job {job_id} has not been sliced yet. Wait for its start command, then retry.",
            code="job_not_sliced",
            job=job_id,
        )
    path, sha256 = gcode_path(settings, job.gcode_sha256), job.gcode_sha256
    if not path.is_file():
        # The store was emptied: slice again from the plates' cache, unless the printer
        # changed. PrusaSlicer runs outside any transaction: on SQLite even a read holds
        # the write lock (`db._serialise_sqlite_writers`), and every writer would wait.
        part = session.get(Part, job.part_id)
        if part is None:
            raise NotFound(
                f"Part {job.part_id} does not exist.", code="part_not_found", part=job.part_id
            )
        # Plain copies: once the transaction ends, rows would load themselves again.
        detached, copies = Part(**part.model_dump()), job.copies
        try:
            profile = profile_for(printer)
        finally:
            session.rollback()
        try:
            result = slice_part(settings=settings, part=detached, profile=profile, copies=copies)
        except CannotSlice as error:
            raise Conflict(
                f"Job {job_id}'s G-code is missing and cannot be made again here: {error.message}",
                code="gcode_cannot_be_remade",
                job=job_id,
                problem=error.problem,
            ) from error
        if result.sha256 != sha256:
            raise Conflict(
                f"Job {job_id}'s G-code no longer matches this printer's settings; the "
                "orchestrator will send the job again.",
                code="gcode_settings_changed",
                job=job_id,
            )
    return path, sha256
