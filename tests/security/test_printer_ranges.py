"""Issue 13, point 3: a printer's bed, nozzle, material and hours are held to what a desktop
printer can have, when it is registered and when it is changed; the 422 names the field.
Against the running API (uvicorn)."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.database.tables import Printer
from tests.conftest import Network, bearer

API = "/api/v1"
MK3 = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210, "nozzle_mm": 0.4}
# One value out of range per field, each once taken as it was (`nozzle_mm=0.001` stopped
# planning and dispatch for the whole fleet).
OUT_OF_RANGE = [
    ("nozzle_mm", 0.001),
    ("nozzle_mm", 5.0),
    ("bed_x_mm", 0.5),
    ("bed_y_mm", 20_000),
    ("bed_z_mm", 5),
    ("material", "PLA; DROP"),
    ("availability_hours", "25:00-26:00"),
    ("availability_hours", "Mo-Su off"),
    ("availability_hours", None),  # a printer always has hours: leave the field out
    ("unattended_prints", None),
]
EDGES = [
    {"nozzle_mm": 0.1, "bed_x_mm": 50, "bed_y_mm": 50, "bed_z_mm": 20},
    {"nozzle_mm": 1.2, "bed_x_mm": 1000, "bed_y_mm": 1000, "bed_z_mm": 1000},
]


def fields_named(response: httpx.Response) -> list[str]:
    return [str(error["loc"][-1]) for error in response.json()["detail"]]


def test_a_printer_out_of_range_is_refused_naming_the_field(
    live_server: str, network: Network, engine: Engine
) -> None:
    with httpx.Client(base_url=f"{live_server}{API}", headers=bearer(network.maker)) as maker:
        kept = maker.post("/printers", json=MK3).json()

        refusals = {
            (field, value): (
                maker.post("/printers", json=MK3 | {field: value}),
                maker.patch(f"/printers/{kept['id']}", json={field: value}),
            )
            for field, value in OUT_OF_RANGE
        }
        edges = [maker.post("/printers", json=MK3 | edge).status_code for edge in EDGES]

    for (field, value), (created, changed) in refusals.items():
        assert (created.status_code, fields_named(created)) == (422, [field]), (field, value)
        assert (changed.status_code, fields_named(changed)) == (422, [field]), (field, value)
    assert edges == [201, 201]
    with Session(engine) as session:
        row = session.get(Printer, kept["id"])
        assert row is not None
        assert (row.nozzle_mm, row.bed_x_mm, row.material) == (0.4, 250, "PETG")
