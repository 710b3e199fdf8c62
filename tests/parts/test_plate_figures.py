"""Fits-bed and copies-per-plate, on numbers checked by hand."""

import pytest

from orchestrator.parts.analysis import PartAnalysis, copies_per_plate, fits_bed


def part_of_size(x: float, y: float, z: float) -> PartAnalysis:
    return PartAnalysis(
        format="binary",
        sha256="0" * 64,
        file_size=84,
        triangle_count=12,
        volume_mm3=x * y * z,
        size_mm=(x, y, z),
        grams_by_material={},
    )


@pytest.mark.parametrize(
    ("size", "bed", "fits"),
    [
        ((180, 123, 20), (250, 210, 210), True),
        ((220, 240, 10), (250, 210, 210), False),  # too deep either way round
        ((230, 200, 10), (210, 250, 210), True),  # only after a quarter turn
        ((100, 100, 211), (250, 210, 210), False),  # too tall
        ((250, 210, 210), (250, 210, 210), True),  # exactly the bed
    ],
)
def test_fits_bed(size: tuple[float, float, float], bed: tuple[float, float, float], fits: bool):
    assert fits_bed(part_of_size(*size), *bed) is fits


@pytest.mark.parametrize(
    ("part", "bed", "expected"),
    [
        # 240 x 200 usable: (240+5)//(100+5)=2 across, (200+5)//(50+5)=3 along = 6;
        # turned: (245//55)=4 x (205//105)=1 = 4. Best: 6.
        ((100, 50), (250, 210), 6),
        # The headband: 180 x 123 -> 1; turned 123 x 180 -> (245//128)=1 x (205//185)=1.
        ((179.6, 123.1), (250, 210), 1),
        # The AMICROCHE: (245//116.5)=2 x (205//53)=3 = 6; turned (245//53)=4 x (205//116.5)=1.
        ((111.5, 48), (250, 210), 6),
        # 30 x 30: (245//35)=7 x (205//35)=5 = 35.
        ((30, 30), (250, 210), 35),
        ((300, 10), (250, 210), 0),
        ((0, 10), (250, 210), 0),
    ],
)
def test_copies_per_plate(part: tuple[float, float], bed: tuple[float, float], expected: int):
    assert copies_per_plate(*part, *bed) == expected


def test_copies_per_plate_respects_spacing_and_margin():
    # No margin, no spacing: a 50 x 50 bed holds exactly four 25 x 25 parts.
    assert copies_per_plate(25, 25, 50, 50, spacing_mm=0, margin_mm=0) == 4
    # 1 mm spacing pushes the second column off the bed.
    assert copies_per_plate(25, 25, 50, 50, spacing_mm=1, margin_mm=0) == 1
