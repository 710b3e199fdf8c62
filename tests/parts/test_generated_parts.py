"""The committed reference parts are sound meshes and are exactly what the generator makes."""

from pathlib import Path

import numpy as np
import pytest
from stl import mesh

from orchestrator.parts.analysis import analyse, copies_per_plate, fits_bed
from orchestrator.parts.designs import HEADBAND, band_triangles
from orchestrator.parts.generate import REFERENCE_PARTS, generate

PART_FILES = [part.file_name for part in REFERENCE_PARTS]


@pytest.mark.parametrize("file_name", PART_FILES)
def test_part_is_a_closed_outward_mesh_without_flat_faces(models_dir: Path, file_name: str):
    part = mesh.Mesh.from_file(str(models_dir / file_name))

    volume, _, _ = part.get_mass_properties()
    areas = np.linalg.norm(np.cross(part.v1 - part.v0, part.v2 - part.v0), axis=1) / 2

    assert part.is_closed(exact=True)
    assert volume > 0
    assert areas.min() > 0.01


@pytest.mark.parametrize("file_name", PART_FILES)
def test_part_fits_a_250_by_210_bed(models_dir: Path, file_name: str):
    analysis = analyse(models_dir / file_name)

    assert fits_bed(analysis, 250, 210, 210)
    assert copies_per_plate(analysis.size_mm[0], analysis.size_mm[1], 250, 210) >= 1


def test_committed_files_equal_a_fresh_generation(models_dir: Path, tmp_path: Path):
    written = generate(tmp_path)

    for path in written:
        assert path.read_bytes() == (models_dir / path.name).read_bytes(), path.name


def test_headband_has_rc3_proportions(models_dir: Path):
    analysis = analyse(models_dir / "headband.stl")

    x, _, z = analysis.size_mm
    assert 175 <= x <= 180
    assert z == pytest.approx(20)
    assert 15 <= analysis.grams_by_material["PETG"] <= 25


def test_film_pegs_sit_at_the_punched_holes():
    triangles = band_triangles(HEADBAND)
    radius = HEADBAND.outer_radius_mm
    # The band is symmetric about x and its front middle is its lowest y.
    centre = np.array(
        [(triangles[..., 0].max() + triangles[..., 0].min()) / 2, triangles[..., 1].min() + radius]
    )
    corners = triangles.reshape(-1, 3)[:, :2] - centre
    peg_corners = corners[np.hypot(corners[:, 0], corners[:, 1]) > radius + 1]
    # Arc length along the outer face (where the film lies) from the front middle.
    peg_positions = np.arctan2(peg_corners[:, 0], -peg_corners[:, 1]) * radius

    for hole in (-120, -40, 40, 120):
        near = np.abs(peg_positions - hole)
        assert near.min() <= HEADBAND.peg_width_mm / 2 + 0.5, hole
