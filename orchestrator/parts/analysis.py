"""Checking an STL file before anything prints it, and the figures derived from it.

This module owns the rules an uploaded or catalogued part must meet (a real, complete STL;
finite coordinates; no flat faces; a closed, consistently wound surface; within size
limits) and the figures the planner uses: volume, grams per material, bounding box,
whether it fits a bed and how many copies fit on a plate.

numpy-stl is lenient about broken files, so the file's structure is checked here first
and every refusal is an `StlRejected` with a code and a sentence for the person who sent it.
"""

import hashlib
import io
import math
import os
import re
import struct
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from stl import Mode, mesh

from orchestrator.parts.materials import MATERIAL_DENSITY_G_CM3, Material

__all__ = [
    "MATERIAL_DENSITY_G_CM3",
    "BedVolume",
    "PartAnalysis",
    "RejectionCode",
    "StlLimits",
    "StlRejected",
    "StoredUpload",
    "analyse",
    "copies_per_plate",
    "fits_bed",
    "grams",
    "is_watertight",
    "store_upload",
]

RejectionCode = Literal[
    "not_stl",
    "truncated",
    "non_finite",
    "open_mesh",
    "degenerate_faces",
    "too_many_triangles",
    "too_large",
    "empty",
    "too_big_for_beds",
]

BINARY_HEADER_BYTES = 80
BINARY_PREAMBLE_BYTES = 84
BINARY_TRIANGLE_BYTES = 50
# Smaller than any printer can draw; only a face that has collapsed is this flat.
DEGENERATE_AREA_MM2 = 1e-9
# The 21 tokens of one ASCII facet; None marks a number.
_ASCII_FACET: tuple[bytes | None, ...] = (
    b"facet", b"normal", None, None, None, b"outer", b"loop",
    b"vertex", None, None, None, b"vertex", None, None, None, b"vertex", None, None, None,
    b"endloop", b"endfacet",
)  # fmt: skip
_NUMBER_COLUMNS = [i for i, word in enumerate(_ASCII_FACET) if word is None]
_KEYWORD_COLUMNS = [i for i, word in enumerate(_ASCII_FACET) if word is not None]
_COPY_CHUNK_BYTES = 1 << 20


class StlRejected(Exception):
    """An STL file was refused. `code` is for programs, `message` for people."""

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: RejectionCode = code
        self.message = message


@dataclass(frozen=True)
class StlLimits:
    """What the service accepts; large enough for any visor part, small enough to stay fast."""

    max_bytes: int = 50 * 1024 * 1024
    max_triangles: int = 2_000_000


@dataclass(frozen=True)
class BedVolume:
    """A printer's build volume in millimetres."""

    x_mm: float
    y_mm: float
    z_mm: float


@dataclass(frozen=True)
class StoredUpload:
    """An upload saved to disk under its content hash."""

    path: Path
    sha256: str
    size: int


class PartAnalysis(BaseModel):
    """A valid part and its figures. Grams assume a solid part (100 % infill): an upper bound."""

    model_config = ConfigDict(frozen=True)

    format: Literal["binary", "ascii"]
    sha256: str
    file_size: int
    triangle_count: int
    volume_mm3: float
    size_mm: tuple[float, float, float]
    grams_by_material: dict[Material, float]


def grams(volume_mm3: float, material: Material) -> float:
    """Mass of a solid of `volume_mm3` in `material`."""
    return volume_mm3 / 1000.0 * MATERIAL_DENSITY_G_CM3[material]


def analyse(
    path: Path, limits: StlLimits = StlLimits(), beds: Sequence[BedVolume] = ()
) -> PartAnalysis:
    """Validate the STL at `path` and compute its figures.

    When `beds` are given, a part that fits none of them is refused (`too_big_for_beds`).
    Raises StlRejected and nothing else for any content of the file.
    """
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise StlRejected(
            "too_large",
            f"The file is {size:,} bytes, over the limit of {limits.max_bytes:,} bytes. "
            "Export the part with fewer triangles.",
        )
    content = path.read_bytes()
    stl_format, triangles = _read_triangles(path, content, limits)
    _check_surface(triangles)

    corners = triangles.reshape(-1, 3)
    size_mm = tuple(float(v) for v in corners.max(axis=0) - corners.min(axis=0))
    volume = abs(_signed_volume(triangles))
    analysis = PartAnalysis(
        format=stl_format,
        sha256=hashlib.sha256(content).hexdigest(),
        file_size=size,
        triangle_count=len(triangles),
        volume_mm3=volume,
        size_mm=(size_mm[0], size_mm[1], size_mm[2]),
        grams_by_material={m: grams(volume, m) for m in MATERIAL_DENSITY_G_CM3},
    )
    if beds and not any(fits_bed(analysis, bed.x_mm, bed.y_mm, bed.z_mm) for bed in beds):
        x, y, z = analysis.size_mm
        raise StlRejected(
            "too_big_for_beds",
            f"The part measures {x:.1f} x {y:.1f} x {z:.1f} mm and fits none of the "
            "registered printers' beds. Scale it down or split it into smaller parts.",
        )
    return analysis


def fits_bed(part: PartAnalysis, bed_x: float, bed_y: float, bed_z: float) -> bool:
    """Whether the part fits the bed as it lies, or turned a quarter about Z."""
    x, y, z = part.size_mm
    if z > bed_z:
        return False
    return (x <= bed_x and y <= bed_y) or (y <= bed_x and x <= bed_y)


def copies_per_plate(
    part_x: float,
    part_y: float,
    bed_x: float,
    bed_y: float,
    spacing_mm: float = 5.0,
    margin_mm: float = 5.0,
) -> int:
    """How many copies of a part fit on a bed in a grid, all turned the same way.

    Copies are `spacing_mm` apart and stay `margin_mm` from the bed's edges (room for the
    skirt). Both quarter turns are tried; 0 when not even one copy fits.
    """
    usable_x, usable_y = bed_x - 2 * margin_mm, bed_y - 2 * margin_mm

    def grid(width: float, depth: float) -> int:
        if width <= 0 or depth <= 0 or width > usable_x or depth > usable_y:
            return 0
        across = math.floor((usable_x + spacing_mm) / (width + spacing_mm))
        along = math.floor((usable_y + spacing_mm) / (depth + spacing_mm))
        return across * along

    return max(grid(part_x, part_y), grid(part_y, part_x))


def store_upload(chunks: Iterable[bytes], dest_dir: Path, max_bytes: int) -> StoredUpload:
    """Stream `chunks` into `dest_dir/<sha256>.stl`, holding one chunk in memory at a time.

    Raises StlRejected("too_large") as soon as more than `max_bytes` arrive; the partial
    file is deleted, on that and on any other failure.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, partial_name = tempfile.mkstemp(dir=dest_dir, suffix=".partial")
    partial = Path(partial_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise StlRejected(
                        "too_large",
                        f"The upload is over the limit of {max_bytes:,} bytes. "
                        "Export the part with fewer triangles.",
                    )
                digest.update(chunk)
                out.write(chunk)
        final = dest_dir / f"{digest.hexdigest()}.stl"
        partial.replace(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredUpload(path=final, sha256=digest.hexdigest(), size=size)


def is_watertight(triangles: npt.NDArray[np.floating]) -> bool:
    """numpy-stl's `is_closed(exact=True)`, vectorised, for triangles wound as their normals.

    Every directed edge must occur once, and its reverse once: each edge joins exactly two
    faces that agree on the direction of the surface. numpy-stl builds a Python set of
    tuples for this, which takes gigabytes on a two-million-triangle upload.
    """
    if len(triangles) == 0:
        return False
    vertex_ids = _vertex_ids(triangles).reshape(-1, 3)
    starts = vertex_ids.reshape(-1)
    ends = vertex_ids[:, [1, 2, 0]].reshape(-1)
    vertex_count = int(vertex_ids.max()) + 1
    edges = np.sort(starts * vertex_count + ends)
    if (edges[1:] == edges[:-1]).any():
        return False
    # Sorted arrays and searchsorted: several times faster than np.isin at this size.
    reversed_edges = ends * vertex_count + starts
    found = np.minimum(np.searchsorted(edges, reversed_edges), len(edges) - 1)
    return bool((edges[found] == reversed_edges).all())


def _vertex_ids(triangles: npt.NDArray[np.floating]) -> npt.NDArray[np.int64]:
    """One id per distinct float32 corner position, for every corner in order."""
    # Adding 0.0 folds -0.0 into 0.0: they compare equal but differ in bits.
    corners = np.ascontiguousarray(triangles.reshape(-1, 3).astype(np.float32) + np.float32(0))
    bits = corners.view(np.uint32)
    order = np.lexsort((bits[:, 2], bits[:, 1], bits[:, 0]))
    sorted_bits = bits[order]
    first_of_kind = np.empty(len(bits), dtype=bool)
    first_of_kind[0] = True
    first_of_kind[1:] = (sorted_bits[1:] != sorted_bits[:-1]).any(axis=1)
    ids = np.empty(len(bits), dtype=np.int64)
    ids[order] = np.cumsum(first_of_kind) - 1
    return ids


def _read_triangles(
    path: Path, content: bytes, limits: StlLimits
) -> tuple[Literal["binary", "ascii"], npt.NDArray[np.float64]]:
    if not content.strip():
        raise StlRejected("empty", "The file is empty. Export the part again and re-upload it.")
    if _binary_size_matches(content):
        return "binary", _read_binary(path, content, limits)
    if content.lstrip()[:5].lower() == b"solid":
        return "ascii", _read_ascii(content, limits)
    if len(content) < BINARY_PREAMBLE_BYTES:
        raise StlRejected(
            "not_stl",
            "The file is too short to be an STL. Export the part as STL and upload that file.",
        )
    declared = _declared_count(content)
    room = (len(content) - BINARY_PREAMBLE_BYTES) / BINARY_TRIANGLE_BYTES
    if room < declared:
        raise StlRejected(
            "truncated",
            f"The file declares {declared:,} triangles but holds only {math.floor(room):,}: "
            "it was cut short. Upload the complete file.",
        )
    raise StlRejected(
        "not_stl",
        f"The file declares {declared:,} triangles but has "
        f"{len(content) - BINARY_PREAMBLE_BYTES - declared * BINARY_TRIANGLE_BYTES:,} extra "
        "bytes after them, so it is not a valid binary STL. Export the part as STL again.",
    )


def _declared_count(content: bytes) -> int:
    count: int = struct.unpack_from("<I", content, BINARY_HEADER_BYTES)[0]
    return count


def _binary_size_matches(content: bytes) -> bool:
    return len(content) >= BINARY_PREAMBLE_BYTES and len(
        content
    ) == BINARY_PREAMBLE_BYTES + BINARY_TRIANGLE_BYTES * _declared_count(content)


def _check_triangle_count(count: int, limits: StlLimits) -> None:
    if count == 0:
        raise StlRejected("empty", "The file holds no triangles. Export the part again.")
    if count > limits.max_triangles:
        raise StlRejected(
            "too_many_triangles",
            f"The part has {count:,} triangles, over the limit of {limits.max_triangles:,}. "
            "Export it with a coarser resolution.",
        )


def _read_binary(path: Path, content: bytes, limits: StlLimits) -> npt.NDArray[np.float64]:
    _check_triangle_count(_declared_count(content), limits)
    try:
        # Read the bytes already checked, not the file again.
        # Huge coordinates overflow numpy-stl's float32 normals; they are refused below.
        with np.errstate(over="ignore", invalid="ignore"):
            part_mesh = mesh.Mesh.from_file(str(path), fh=io.BytesIO(content), mode=Mode.BINARY)
    except Exception as error:  # the size check above leaves numpy-stl nothing to refuse
        raise StlRejected(
            "not_stl", "The file could not be read as a binary STL. Export the part again."
        ) from error
    return np.asarray(part_mesh.vectors, dtype=np.float64)


def _read_ascii(content: bytes, limits: StlLimits) -> npt.NDArray[np.float64]:
    """Parse an ASCII STL strictly: one solid, made only of complete facets."""
    first_line, _, body = content.lstrip().partition(b"\n")
    lowered = body.lower()
    # No facet keyword or number contains "endsolid", so its first occurrence ends the solid.
    end = lowered.find(b"endsolid")
    if end < 0:
        raise StlRejected(
            "truncated",
            "The ASCII STL has no 'endsolid' line: it was cut short. Upload the complete file.",
        )
    after_end_line = lowered[end:].partition(b"\n")[2]
    if b"endsolid" in first_line.lower() or after_end_line.strip():
        raise StlRejected(
            "not_stl",
            "The ASCII STL holds something other than one solid. Export one part per file.",
        )
    facet_tokens = lowered[:end].split()
    if len(facet_tokens) % len(_ASCII_FACET):
        raise StlRejected(
            "not_stl",
            "The ASCII STL has an incomplete or malformed facet. Export the part again.",
        )
    count = len(facet_tokens) // len(_ASCII_FACET)
    _check_triangle_count(count, limits)
    grid = np.array(facet_tokens, dtype=object).reshape(count, len(_ASCII_FACET))
    expected = np.array([w for w in _ASCII_FACET if w is not None], dtype=object)
    if not (grid[:, _KEYWORD_COLUMNS] == expected).all():
        raise StlRejected(
            "not_stl",
            "The ASCII STL has a facet that is not 'facet normal / outer loop / 3 vertex / "
            "endloop / endfacet'. Export the part again.",
        )
    numbers = grid[:, _NUMBER_COLUMNS].reshape(-1)
    if not all(_NUMBER.fullmatch(token) for token in numbers):
        raise StlRejected(
            "not_stl", "The ASCII STL has a coordinate that is not a number. Export it again."
        )
    values = np.array([float(token) for token in numbers]).reshape(count, 4, 3)
    # STL coordinates are float32: a number beyond its range becomes infinite, and is
    # refused as such, rather than overflowing somewhere later.
    with np.errstate(over="ignore"):
        return values[:, 1:, :].astype(np.float32).astype(np.float64)


# Python's float() also takes '1_0', so the grammar is spelled out. nan and inf are numbers
# here and are refused later as non-finite.
_NUMBER = re.compile(rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|nan|inf|infinity)")


def _check_surface(triangles: npt.NDArray[np.float64]) -> None:
    if not np.isfinite(triangles).all():
        raise StlRejected(
            "non_finite",
            "The part has coordinates that are not numbers (NaN or infinity). "
            "Repair the mesh in your CAD tool and export it again.",
        )
    with np.errstate(invalid="ignore", over="ignore"):  # huge coordinates: inf is fine here
        doubled = np.linalg.norm(
            np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]),
            axis=1,
        )
    flat = int((doubled / 2 <= DEGENERATE_AREA_MM2).sum())
    if flat:
        raise StlRejected(
            "degenerate_faces",
            f"The part has {flat:,} faces with no area. "
            "Repair the mesh (remove degenerate faces) and export it again.",
        )
    if not is_watertight(triangles):
        raise StlRejected(
            "open_mesh",
            "The part's surface is not closed: it has holes or faces that disagree on inside "
            "and outside. Repair the mesh (make it manifold) and export it again.",
        )


def _signed_volume(triangles: npt.NDArray[np.float64]) -> float:
    # Divergence theorem over the closed surface; positive when normals point outwards.
    v0, v1, v2 = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    return float(np.einsum("ij,ij->i", v0, np.cross(v1, v2)).sum() / 6.0)
