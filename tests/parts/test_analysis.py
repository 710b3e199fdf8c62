"""STL validation: each refusal has a file that earns it, and good files give their figures."""

import struct
from pathlib import Path

import numpy as np
import pytest
from stl import mesh

from orchestrator.parts.analysis import (
    BedVolume,
    StlLimits,
    StlRejected,
    analyse,
    grams,
    is_watertight,
    store_upload,
)

# A unit-less 10 mm cube: 12 triangles wound outwards.
CUBE_CORNERS = np.array(
    [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0], [0, 0, 10], [10, 0, 10], [10, 10, 10],
     [0, 10, 10]], dtype=np.float64,
)  # fmt: skip
CUBE_FACES = [
    (0, 3, 2), (0, 2, 1), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
    (2, 3, 7), (2, 7, 6), (1, 2, 6), (1, 6, 5), (3, 0, 4), (3, 4, 7),
]  # fmt: skip


def cube_triangles() -> np.ndarray:
    return CUBE_CORNERS[np.array(CUBE_FACES)]


def write_binary(path: Path, triangles: np.ndarray) -> Path:
    data = np.zeros(len(triangles), dtype=mesh.Mesh.dtype)
    data["vectors"] = triangles
    header = b"test".ljust(80, b" ")
    path.write_bytes(header + struct.pack("<I", len(data)) + data.tobytes())
    return path


def write_ascii(path: Path, triangles: np.ndarray, name: str = "part") -> Path:
    lines = [f"solid {name}"]
    for triangle in triangles:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x!r} {y!r} {z!r}" for x, y, z in triangle.tolist()]
        lines += ["    endloop", "  endfacet"]
    lines.append(f"endsolid {name}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def rejection_code(path: Path, limits: StlLimits = StlLimits()) -> str:
    with pytest.raises(StlRejected) as refused:
        analyse(path, limits)
    assert refused.value.message.endswith(".")
    return refused.value.code


def test_cube_figures(tmp_path: Path):
    analysis = analyse(write_binary(tmp_path / "cube.stl", cube_triangles()))

    assert analysis.format == "binary"
    assert analysis.triangle_count == 12
    assert analysis.volume_mm3 == pytest.approx(1000)
    assert analysis.size_mm == (10, 10, 10)
    assert analysis.grams_by_material["PETG"] == pytest.approx(1.27)
    assert grams(1000, "PLA") == pytest.approx(1.24)


def test_ascii_and_binary_readings_agree(models_dir: Path, tmp_path: Path):
    binary = analyse(models_dir / "headband.stl")
    triangles = mesh.Mesh.from_file(str(models_dir / "headband.stl")).vectors
    ascii_ = analyse(write_ascii(tmp_path / "headband_ascii.stl", triangles))

    assert ascii_.format == "ascii"
    assert ascii_.triangle_count == binary.triangle_count
    assert ascii_.volume_mm3 == pytest.approx(binary.volume_mm3, rel=1e-9)
    assert ascii_.size_mm == pytest.approx(binary.size_mm)


def test_volume_matches_numpy_stl(models_dir: Path):
    part = mesh.Mesh.from_file(str(models_dir / "amicroche.stl"))
    volume, _, _ = part.get_mass_properties()

    assert analyse(models_dir / "amicroche.stl").volume_mm3 == pytest.approx(volume, rel=1e-6)


def test_not_an_stl(tmp_path: Path):
    path = tmp_path / "photo.stl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(40)))
    assert rejection_code(path) == "not_stl"


def test_ascii_with_a_garbage_number(tmp_path: Path):
    path = write_ascii(tmp_path / "garbage.stl", cube_triangles())
    path.write_text(path.read_text().replace("vertex 0.0 0.0 0.0", "vertex 0.0 zero 0.0", 1))
    assert rejection_code(path) == "not_stl"


def test_truncated_binary(tmp_path: Path):
    path = write_binary(tmp_path / "cut.stl", cube_triangles())
    path.write_bytes(path.read_bytes()[:-30])
    assert rejection_code(path) == "truncated"


def test_truncated_ascii(tmp_path: Path):
    path = write_ascii(tmp_path / "cut.stl", cube_triangles())
    path.write_bytes(path.read_bytes()[:200])
    assert rejection_code(path) == "truncated"


def test_empty_file_and_zero_triangles(tmp_path: Path):
    (tmp_path / "nothing.stl").write_bytes(b"")
    assert rejection_code(tmp_path / "nothing.stl") == "empty"
    assert rejection_code(write_binary(tmp_path / "none.stl", np.zeros((0, 3, 3)))) == "empty"


def test_nan_vertex(tmp_path: Path):
    triangles = cube_triangles()
    triangles[3, 1, 2] = np.nan
    assert rejection_code(write_binary(tmp_path / "nan.stl", triangles)) == "non_finite"


def test_open_mesh_with_one_face_removed(tmp_path: Path):
    assert rejection_code(write_binary(tmp_path / "open.stl", cube_triangles()[1:])) == "open_mesh"


def test_inconsistently_wound_face_is_an_open_mesh(tmp_path: Path):
    triangles = cube_triangles()
    triangles[0] = triangles[0][::-1]
    assert rejection_code(write_binary(tmp_path / "flipped.stl", triangles)) == "open_mesh"


def test_degenerate_face(tmp_path: Path):
    # A zero-area sliver along an existing edge, on top of a closed cube.
    sliver = np.array([[[0, 0, 0], [10, 0, 0], [5, 0, 0]]], dtype=np.float64)
    triangles = np.concatenate([cube_triangles(), sliver])
    assert rejection_code(write_binary(tmp_path / "flat.stl", triangles)) == "degenerate_faces"


def test_too_many_triangles(tmp_path: Path):
    path = write_binary(tmp_path / "cube.stl", cube_triangles())
    assert rejection_code(path, StlLimits(max_triangles=11)) == "too_many_triangles"
    ascii_path = write_ascii(tmp_path / "cube_ascii.stl", cube_triangles())
    assert rejection_code(ascii_path, StlLimits(max_triangles=11)) == "too_many_triangles"


def test_file_over_the_size_limit(tmp_path: Path):
    path = write_binary(tmp_path / "cube.stl", cube_triangles())
    assert rejection_code(path, StlLimits(max_bytes=600)) == "too_large"


def test_part_too_big_for_every_bed(models_dir: Path):
    small_beds = [BedVolume(120, 120, 120), BedVolume(180, 100, 180)]

    with pytest.raises(StlRejected) as refused:
        analyse(models_dir / "headband.stl", beds=small_beds)

    assert refused.value.code == "too_big_for_beds"
    assert analyse(models_dir / "headband.stl", beds=[BedVolume(250, 210, 210)])


def test_store_upload_keeps_the_file_under_its_hash(tmp_path: Path):
    chunks = [b"a" * 1000, b"b" * 1000, b"c" * 5]

    stored = store_upload(iter(chunks), tmp_path / "uploads", max_bytes=2005)

    assert stored.size == 2005
    assert stored.path == tmp_path / "uploads" / f"{stored.sha256}.stl"
    assert stored.path.read_bytes() == b"".join(chunks)


def test_store_upload_stops_at_the_cap_and_leaves_nothing(tmp_path: Path):
    consumed: list[int] = []

    def endless_upload():
        for index in range(10_000):
            consumed.append(index)
            yield b"x" * 1024

    with pytest.raises(StlRejected) as refused:
        store_upload(endless_upload(), tmp_path, max_bytes=10 * 1024)

    assert refused.value.code == "too_large"
    assert len(consumed) == 11  # it stopped reading at the first chunk past the cap
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage", ["none", "drop_face", "flip_face", "duplicate_face"])
def test_watertight_check_agrees_with_numpy_stl(models_dir: Path, damage: str):
    part = mesh.Mesh.from_file(str(models_dir / "amicroche.stl"))
    triangles = np.array(part.vectors, dtype=np.float64)
    if damage == "drop_face":
        triangles = triangles[1:]
    elif damage == "flip_face":
        triangles[5] = triangles[5][::-1]
    elif damage == "duplicate_face":
        triangles = np.concatenate([triangles, triangles[:1]])
    data = np.zeros(len(triangles), dtype=mesh.Mesh.dtype)
    data["vectors"] = triangles

    assert is_watertight(triangles) is mesh.Mesh(data).is_closed(exact=True)
    assert is_watertight(triangles) is (damage == "none")
