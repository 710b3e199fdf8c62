"""Shared fixtures for the parts tests: the committed models and one sliced headband."""

import shutil
from pathlib import Path

import pytest

from orchestrator.parts.slicing import PrinterProfile, SliceResult, slice_plate

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"

# A Prusa MK3-like printer with PETG loaded.
MK3_PETG = PrinterProfile(
    bed_x_mm=250,
    bed_y_mm=210,
    bed_z_mm=210,
    nozzle_mm=0.4,
    material="PETG",
    nozzle_temperature_c=240,
    bed_temperature_c=85,
    layer_height_mm=0.2,
    name="MK3-like",
)


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return MODELS_DIR


@pytest.fixture(scope="session")
def mk3_petg() -> PrinterProfile:
    return MK3_PETG


@pytest.fixture(scope="session")
def slice_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("slice-cache")


@pytest.fixture(scope="session")
def sliced_headband(slice_cache: Path) -> SliceResult:
    if shutil.which("prusa-slicer") is None:
        pytest.fail("Debian's prusa-slicer is not installed: run ./scripts/test, which installs it")
    return slice_plate(MODELS_DIR / "headband.stl", MK3_PETG, copies=1, cache_dir=slice_cache)
