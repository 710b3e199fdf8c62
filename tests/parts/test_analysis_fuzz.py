"""Hostile files: `analyse` gives a PartAnalysis or an StlRejected, never anything else."""

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.parts.analysis import PartAnalysis, StlLimits, StlRejected, analyse

LIMITS = StlLimits(max_bytes=1_000_000, max_triangles=10_000)
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def analyse_or_reject(path: Path) -> PartAnalysis | StlRejected:
    try:
        return analyse(path, LIMITS)
    except StlRejected as rejected:
        return rejected


@pytest.fixture(scope="module")
def headband_bytes(models_dir: Path) -> bytes:
    return (models_dir / "headband.stl").read_bytes()


@pytest.fixture(scope="module")
def small_ascii() -> bytes:
    facet = (
        "facet normal 0 0 1\n outer loop\n  vertex 0 0 0\n  vertex 1 0 0\n  vertex 0 1 0\n"
        " endloop\nendfacet\n"
    )
    return f"solid s\n{facet * 4}endsolid s\n".encode()


@FUZZ
@given(content=st.binary(max_size=2000))
def test_random_bytes(tmp_path: Path, content: bytes):
    path = tmp_path / "random.stl"
    path.write_bytes(content)
    assert isinstance(analyse_or_reject(path), PartAnalysis | StlRejected)


@FUZZ
@given(
    offset=st.integers(min_value=0, max_value=400),
    replacement=st.binary(min_size=1, max_size=16),
    cut=st.integers(min_value=0, max_value=60_000),
)
def test_mutated_binary(
    tmp_path: Path, headband_bytes: bytes, offset: int, replacement: bytes, cut: int
):
    content = bytearray(headband_bytes[: len(headband_bytes) - cut])
    content[offset : offset + len(replacement)] = replacement
    path = tmp_path / "mutated.stl"
    path.write_bytes(bytes(content))
    assert isinstance(analyse_or_reject(path), PartAnalysis | StlRejected)


@FUZZ
@given(declared=st.integers(min_value=0, max_value=2**32 - 1), body=st.binary(max_size=600))
def test_declared_triangle_counts(tmp_path: Path, declared: int, body: bytes):
    path = tmp_path / "declared.stl"
    path.write_bytes(b"solid but binary".ljust(80) + struct.pack("<I", declared) + body)
    result = analyse_or_reject(path)
    assert isinstance(result, PartAnalysis | StlRejected)
    if declared > LIMITS.max_triangles:
        assert isinstance(result, StlRejected)


@FUZZ
@given(
    words=st.lists(
        st.sampled_from(["nan", "inf", "-1e999", "1e5", "0x10", "1_0", "--1", "", "é", "0.5."])
        | st.text(max_size=6),
        min_size=1,
        max_size=8,
    ),
    at=st.integers(min_value=0, max_value=300),
)
def test_ascii_with_garbage(tmp_path: Path, small_ascii: bytes, words: list[str], at: int):
    text = small_ascii.decode()
    content = (text[:at] + " ".join(words) + text[at:]).encode("utf-8", "surrogatepass")
    path = tmp_path / "garbage.stl"
    path.write_bytes(content)
    assert isinstance(analyse_or_reject(path), PartAnalysis | StlRejected)


@pytest.mark.parametrize(
    "content",
    [
        b"solid",
        b"solid x\nendsolid x\n",
        b"solid x\nfacet normal 0 0 0\nendsolid x\n",
        b"solid x\nendsolid x\nsolid y\nendsolid y\n",
        b"\x00" * 84,
        b"\xff" * 84,
        b" " * 80 + struct.pack("<I", 2**32 - 1),
        b" " * 80 + struct.pack("<I", 1) + b"\x00" * 50,  # one triangle, all corners at 0
        b" " * 80 + struct.pack("<I", 1) + b"\xff" * 50,  # NaN everywhere
        b"solid " + b"\x00" * 200,
    ],
)
def test_hostile_corpus(tmp_path: Path, content: bytes):
    path = tmp_path / "hostile.stl"
    path.write_bytes(content)
    assert isinstance(analyse_or_reject(path), StlRejected)
