"""The filament materials makers print with, and their densities."""

from typing import Literal

Material = Literal["PLA", "PETG", "ABS", "ASA", "TPU"]

# Typical datasheet densities; grams are estimates, so two decimals are plenty.
MATERIAL_DENSITY_G_CM3: dict[Material, float] = {
    "PLA": 1.24,
    "PETG": 1.27,
    "ABS": 1.04,
    "ASA": 1.07,
    "TPU": 1.21,
}
