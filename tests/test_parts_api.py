"""The parts catalogue over the API: seeded reference parts, uploads and their refusals,
slicing per printer, and the G-code download an agent makes with its printer's token."""

from __future__ import annotations

import hashlib
import itertools
import math
import shutil
import struct
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, update
from sqlmodel import Session, select

from orchestrator.core.config import Settings, load_settings
from orchestrator.database.tables import Job, Part, Printer, id_of
from orchestrator.domain.scheduler import Profile
from orchestrator.parts.catalogue import load_catalogue
from orchestrator.parts.extrusion import Outline, extrude
from orchestrator.parts.generate import binary_stl_bytes
from orchestrator.parts.slicing import SlicingProblem
from orchestrator.services import catalogue, parts
from tests.conftest import Network, bearer

API = "/api/v1"
MK3 = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
NOW = datetime(2020, 4, 2, 9, 0, tzinfo=UTC)
FUZZ = hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_keys = itertools.count()


def box_triangles(x: float, y: float, z: float) -> np.ndarray:
    """A closed box, built the way the reference parts are."""
    outline = Outline(
        points=np.array([[0.0, 0.0], [x, 0.0], [x, y], [0.0, y]]),
        triangles=np.array([[0, 1, 2], [0, 2, 3]]),
    )
    return extrude(outline, z)


def cube_stl(side: float = 10.0) -> bytes:
    return binary_stl_bytes(box_triangles(side, side, side), "cube")


def ascii_stl(triangles: np.ndarray) -> bytes:
    facets = "".join(
        "facet normal 0 0 0\n outer loop\n"
        + "".join(f"  vertex {a:g} {b:g} {c:g}\n" for a, b, c in triangle)
        + " endloop\nendfacet\n"
        for triangle in triangles
    )
    return f"solid cube\n{facets}endsolid cube\n".encode()


CUBE = cube_stl()


@pytest.fixture(scope="session")
def shared_gcode_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gcode")


@pytest.fixture
def settings(tmp_path: Path, shared_gcode_dir: Path) -> Settings:
    """conftest's settings, but slicing takes seconds: every test shares one G-code store."""
    (tmp_path / "gcode").symlink_to(shared_gcode_dir, target_is_directory=True)
    return load_settings(data_dir=tmp_path, invite_code="abbeville-2020")


def upload(
    client: TestClient, token: str, content: bytes, filename: str = "part.stl", **fields: object
):
    form = {
        "key": f"cube{next(_keys)}",
        "name_fr": "Cube d'essai",
        "name_en": "Test cube",
        "material": "PETG",
        "bom_role": "headband",
        "orientation": "flat",
        **fields,
    }
    return client.post(
        f"{API}/parts",
        data=form,
        files={"file": (filename, content, "model/stl")},
        headers=bearer(token),
    )


def stored_files(settings: Settings) -> set[Path]:
    uploads = settings.uploads_dir
    return {p.resolve() for p in uploads.rglob("*") if p.is_file()} if uploads.exists() else set()


def uploaded_part_paths(engine: Engine) -> set[Path]:
    reference = {entry.key for entry in load_catalogue(catalogue.MODELS_DIR)}
    with Session(engine) as session:
        return {
            Path(part.stl_path)
            for part in session.exec(select(Part))
            if part.key not in reference and part.stl_path
        }


def part_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Part)).one()


def register_printer(client: TestClient, token: str, **fields: object) -> dict:
    response = client.post(f"{API}/printers", json={**MK3, **fields}, headers=bearer(token))
    assert response.status_code == 201, response.text
    return response.json()


def write_past_the_checks(engine: Engine, printer_id: int, **columns: object) -> None:
    """Write a printer's columns straight into the database, as a row registered before
    the ranges were enforced would hold them."""
    with Session(engine) as session:
        session.exec(update(Printer).where(Printer.id == printer_id).values(**columns))  # type: ignore[call-overload]
        session.commit()


def record_failure(
    engine: Engine, part_key: str, problem: SlicingProblem, **profile: object
) -> None:
    """A plate that could not be sliced, recorded as the orchestrator records it."""
    fields = {**MK3, "nozzle_mm": 0.4, "material": "PETG", **profile}
    fields.pop("name")
    with Session(engine) as session:
        part = catalogue.part_by_key(session=session, key=part_key)
        failure = parts.failed_again(
            None, part_id=id_of(part), profile=Profile(**fields), problem=problem, now=NOW
        )
        parts.save_slicing_failures(session=session, failures=[failure])
        session.commit()


# --- the seeded catalogue -------------------------------------------------------------


def test_the_seeded_catalogue_lists_the_three_parts_with_figures(
    client: TestClient, network: Network
) -> None:
    listed = client.get(f"{API}/parts", headers=bearer(network.centre)).json()

    entries = {entry.key: entry for entry in load_catalogue(catalogue.MODELS_DIR)}
    assert [p["key"] for p in listed] == ["headband", "reinforcement", "amicroche"]
    for part in listed:
        assert part["stl_sha256"] == entries[part["key"]].sha256
        assert part["volume_mm3"] > 0
        assert part["grams"] == pytest.approx(part["volume_mm3"] / 1000 * 1.27)
        assert part["size_z_mm"] > 0
    headband = client.get(f"{API}/parts/headband", headers=bearer(network.maker)).json()
    assert headband == listed[0]
    assert (headband["size_x_mm"], headband["size_y_mm"], headband["size_z_mm"]) == (
        pytest.approx(179.6, abs=0.1),
        pytest.approx(123.1, abs=0.1),
        pytest.approx(20.0),
    )
    assert 15 <= headband["grams"] <= 28


def test_seeding_again_changes_nothing_and_is_fast(engine: Engine) -> None:
    with Session(engine) as session:
        before = {p.key: p.model_dump(warnings=False) for p in session.exec(select(Part))}
        started = time.perf_counter()
        catalogue.seed_catalogue(session=session)
        session.commit()
        elapsed = time.perf_counter() - started
        after = {p.key: p.model_dump(warnings=False) for p in session.exec(select(Part))}

    assert after == before
    assert elapsed < 0.5


def test_an_unknown_part_is_a_404(client: TestClient, network: Network) -> None:
    response = client.get(f"{API}/parts/visor-xl", headers=bearer(network.maker))
    assert response.status_code == 404
    assert "visor-xl" in response.json()["detail"]


# --- uploads --------------------------------------------------------------------------


def test_an_upload_names_the_other_materials_it_may_take(
    client: TestClient, network: Network
) -> None:
    others = ["PETG", "PLA", "ASA", "PETG"]  # the preferred one and a repeat are dropped
    response = upload(client, network.coordinator, CUBE, material="PLA", other_materials=others)
    assert response.status_code == 201, response.text
    assert (response.json()["material"], response.json()["other_materials"]) == ("PLA", "PETG,ASA")
    nylon = upload(client, network.coordinator, CUBE, other_materials="NYLON")
    assert nylon.status_code == 422 and "other_materials" in nylon.text


def test_a_good_upload_returns_its_figures(
    client: TestClient, network: Network, settings: Settings
) -> None:
    response = upload(client, network.coordinator, CUBE, key="cube", material="PLA")

    assert response.status_code == 201, response.text
    part = response.json()
    assert part["key"] == "cube"
    assert part["stl_sha256"] == hashlib.sha256(CUBE).hexdigest()
    assert part["volume_mm3"] == pytest.approx(1000.0)
    assert part["grams"] == pytest.approx(1.24)
    assert (part["size_x_mm"], part["size_y_mm"], part["size_z_mm"]) == (10, 10, 10)
    assert stored_files(settings) == {
        (settings.uploads_dir / f"{part['stl_sha256']}.stl").resolve()
    }
    assert client.get(f"{API}/parts/cube", headers=bearer(network.maker)).json() == part


def test_ascii_and_solid_headed_binary_uploads_are_accepted(
    client: TestClient, network: Network
) -> None:
    ascii_part = upload(client, network.coordinator, ascii_stl(box_triangles(20, 10, 5)))
    # Some CAD tools start a binary STL's header with "solid": its size says it is binary.
    solid_header = upload(client, network.coordinator, b"solid " + CUBE[6:])

    assert ascii_part.status_code == 201, ascii_part.text
    assert ascii_part.json()["volume_mm3"] == pytest.approx(1000.0)
    assert solid_header.status_code == 201, solid_header.text


def _with_nan(content: bytes) -> bytes:
    # The first vertex's x of the first triangle: after the header, count and normal.
    return content[:96] + struct.pack("<f", math.nan) + content[100:]


def _open(content: bytes) -> bytes:
    count = struct.unpack_from("<I", content, 80)[0]
    return content[:80] + struct.pack("<I", count - 1) + content[84 + 50 :]


REFUSALS = {
    "zip archive": (b"PK\x03\x04 this is a zip archive, not a part" * 4, 422, "triangles"),
    "text": (b"hello, I am a part\n", 422, "too short"),
    "empty": (b"", 422, "empty"),
    "truncated": (CUBE[:-20], 422, "cut short"),
    "truncated ASCII": (ascii_stl(box_triangles(5, 5, 5))[:-40], 422, "cut short"),
    "NaN": (_with_nan(CUBE), 422, "NaN"),
    "open mesh": (_open(CUBE), 422, ""),
    "too big for the default bed": (cube_stl(300.0), 422, "fits none"),
}


@pytest.mark.parametrize(("content", "status", "words"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_upload_leaves_nothing(
    client: TestClient,
    network: Network,
    engine: Engine,
    settings: Settings,
    content: bytes,
    status: int,
    words: str,
) -> None:
    response = upload(client, network.coordinator, content)

    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert part_count(engine) == 3
    assert stored_files(settings) == set()


def test_a_part_too_big_for_every_registered_printer_is_refused(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    register_printer(client, network.maker, name="Mini", bed_x_mm=50, bed_y_mm=50, bed_z_mm=50)
    register_printer(
        client, network.other_maker, name="Micro", bed_x_mm=50, bed_y_mm=80, bed_z_mm=100
    )

    refused = upload(client, network.coordinator, cube_stl(60.0))
    accepted = upload(client, network.coordinator, binary_stl_bytes(box_triangles(70, 30, 20), "b"))

    assert refused.status_code == 422
    assert "fits none of the registered printers" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.text  # turned a quarter, it fits the Micro
    assert part_count(engine) == 4
    assert stored_files(settings) == uploaded_part_paths(engine)


def test_an_upload_over_the_size_cap_is_a_413(
    client: TestClient,
    network: Network,
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parts, "MAX_UPLOAD_BYTES", 100_000)
    headband = (catalogue.MODELS_DIR / "headband.stl").read_bytes()

    response = upload(client, network.coordinator, headband)

    assert response.status_code == 413
    assert "100,000 bytes" in response.json()["detail"]
    assert part_count(engine) == 3
    assert stored_files(settings) == set()


def test_a_duplicate_key_is_a_409_and_keeps_the_first_part(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    first = upload(client, network.coordinator, CUBE, key="cube")

    again = upload(client, network.coordinator, CUBE, key="cube")
    reference = upload(client, network.coordinator, cube_stl(12.0), key="headband")

    assert first.status_code == 201
    assert again.status_code == reference.status_code == 409
    assert "already exists" in again.json()["detail"]
    assert part_count(engine) == 4
    # The refused copy had the same content: the first part's file is still there.
    assert stored_files(settings) == uploaded_part_paths(engine) != set()


@pytest.mark.parametrize(
    "fields",
    [
        {"key": "../../etc/passwd"},
        {"key": "Cube"},
        {"key": "x" * 61},
        {"key": ""},
        {"material": "WOOD"},
        {"bom_role": "visor"},
        {"orientation": "upside-down"},
        {"name_fr": ""},
    ],
    ids=str,
)
def test_bad_form_fields_are_a_422(
    client: TestClient, network: Network, settings: Settings, fields: dict[str, str]
) -> None:
    response = upload(client, network.coordinator, CUBE, **fields)

    assert response.status_code == 422
    assert stored_files(settings) == set()


def test_only_the_coordinator_uploads(client: TestClient, network: Network) -> None:
    assert upload(client, network.maker, CUBE).status_code == 403
    assert upload(client, network.centre, CUBE).status_code == 403
    response = client.post(f"{API}/parts", files={"file": ("a.stl", CUBE)})
    assert response.status_code == 401


HOSTILE = {
    "huge declared count": b"\0" * 80 + struct.pack("<I", 2**32 - 1) + b"\0" * 100,
    "zero triangles": b"\0" * 80 + struct.pack("<I", 0),
    "flat triangles": b"\0" * 80 + struct.pack("<I", 4) + b"\0" * 200,
    "ASCII nan": ascii_stl(box_triangles(5, 5, 5)).replace(b"vertex 0 0 0", b"vertex nan 0 0"),
    "ASCII inf": ascii_stl(box_triangles(5, 5, 5)).replace(b"vertex 5 5 5", b"vertex 1e39 5 5"),
    "ASCII two solids": ascii_stl(box_triangles(5, 5, 5)) * 2,
    "ASCII underscore numbers": ascii_stl(box_triangles(5, 5, 5)).replace(b" 5 ", b" 5_0 "),
    "null bytes": b"\0" * 4096,
    "huge coordinates": binary_stl_bytes(box_triangles(5, 5, 5) * 1e38, "big"),
    "html": b"<html><script>alert(1)</script></html>" * 10,
}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_uploads_are_refused_with_a_4xx(
    client: TestClient, network: Network, settings: Settings, content: bytes
) -> None:
    response = upload(client, network.coordinator, content, filename="../../../etc/cron.d/x")

    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]
    assert stored_files(settings) == set()


@FUZZ
@given(content=st.binary(max_size=3000))
def test_random_bytes_never_cause_a_500(
    client: TestClient, network: Network, engine: Engine, settings: Settings, content: bytes
) -> None:
    response = upload(client, network.coordinator, content)

    assert response.status_code in (201, 413, 422), response.text
    assert stored_files(settings) == uploaded_part_paths(engine)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(CUBE) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.integers(0, len(CUBE)),
    tail=st.binary(max_size=60),
)
def test_mutated_stl_never_causes_a_500(
    client: TestClient,
    network: Network,
    engine: Engine,
    settings: Settings,
    edits: list[tuple[int, int]],
    cut: int,
    tail: bytes,
) -> None:
    content = bytearray(CUBE)
    for index, value in edits:
        content[index] = value
    mutated = bytes(content[:cut]) + tail

    response = upload(client, network.coordinator, mutated)

    assert response.status_code in (201, 413, 422), response.text
    assert stored_files(settings) == uploaded_part_paths(engine)


# --- slicing and plates ---------------------------------------------------------------


@pytest.fixture
def mk3(client: TestClient, network: Network, engine: Engine) -> Printer:
    if shutil.which("prusa-slicer") is None:
        pytest.fail("Debian's prusa-slicer is not installed: run ./scripts/test, which installs it")
    created = register_printer(client, network.maker)
    with Session(engine) as session:
        printer = session.get(Printer, created["id"])
        assert printer is not None
        return printer


def test_slice_the_headband_for_an_mk3(
    client: TestClient, network: Network, engine: Engine, settings: Settings, mk3: Printer
) -> None:
    with Session(engine) as session:
        headband = catalogue.part_by_key(session=session, key="headband")
    profile = parts.profile_for(mk3)
    first = parts.slice_part(settings=settings, part=headband, profile=profile, copies=1)
    started = time.perf_counter()
    second = parts.slice_part(settings=settings, part=headband, profile=profile, copies=1)
    cached_in = time.perf_counter() - started

    assert 45 * 60 <= first.seconds <= 2.5 * 3600
    assert 15 <= first.grams <= 28
    assert second.from_cache and second.sha256 == first.sha256
    assert cached_in < 0.5
    plates = client.get(f"{API}/parts/headband/plates", headers=bearer(network.maker)).json()
    assert plates == [
        {
            "bed_x_mm": 250.0,
            "bed_y_mm": 210.0,
            "bed_z_mm": 210.0,
            "nozzle_mm": 0.4,
            "material": "PETG",
            "printer_ids": [mk3.id],
            "copies_per_plate": 1,
            "seconds": first.seconds,
            "grams": first.grams,
            "problem": None,
            "problem_since": None,
        }
    ]


def test_plates_group_printers_by_profile(client: TestClient, network: Network) -> None:
    one = register_printer(client, network.maker, name="A")
    two = register_printer(client, network.other_maker, name="B")
    mini = register_printer(client, network.maker, bed_x_mm=180, bed_y_mm=180, bed_z_mm=180)

    plates = client.get(f"{API}/parts/amicroche/plates", headers=bearer(network.centre)).json()

    assert [p["printer_ids"] for p in plates] == [[one["id"], two["id"]], [mini["id"]]]
    assert plates[0]["copies_per_plate"] > plates[1]["copies_per_plate"] >= 2


def test_plates_answer_for_every_profile_and_say_why_one_cannot_print(
    client: TestClient, network: Network, engine: Engine
) -> None:
    good = register_printer(client, network.maker, name="MK3S")
    small = register_printer(
        client, network.maker, name="Tiny", bed_x_mm=60, bed_y_mm=60, bed_z_mm=20
    )
    old = register_printer(client, network.other_maker, name="From before the ranges")
    write_past_the_checks(engine, old["id"], nozzle_mm=0.001)
    refused = register_printer(client, network.other_maker, name="Wide nozzle", nozzle_mm=0.6)
    record_failure(engine, "headband", SlicingProblem.SLICER_FAILED, nozzle_mm=0.6)

    answers = [
        client.get(f"{API}/parts/headband/plates", headers=bearer(token))
        for token in (network.centre, network.maker, network.coordinator)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    problems = {
        plate["printer_ids"][0]: (plate["problem"], plate["problem_since"])
        for plate in answers[0].json()
    }
    assert problems == {
        good["id"]: (None, None),
        small["id"]: ("bed_too_small", None),
        old["id"]: ("settings_out_of_range", None),
        refused["id"]: ("slicer_failed", "2020-04-02T09:00:00Z"),
    }


def test_a_printer_row_out_of_range_is_named_and_its_gcode_refused_with_a_409(
    client: TestClient, network: Network, engine: Engine, settings: Settings
) -> None:
    mine = register_printer(client, network.maker, name="Mine")
    job = client.post(
        f"{API}/jobs",
        json={"part_key": "headband", "copies": 1, "printer_id": mine["id"]},
        headers=bearer(network.coordinator),
    ).json()
    write_past_the_checks(engine, mine["id"], nozzle_mm=0.001, bed_x_mm=5000)
    with Session(engine) as session:
        row = session.get(Job, job["id"])
        printer = session.get(Printer, mine["id"])
        assert row is not None and printer is not None
        row.gcode_sha256 = "0" * 64  # sliced before the row was damaged; the store is empty
        session.add(row)
        session.commit()
        with pytest.raises(parts.CannotSlice) as refused:
            parts.profile_for(printer)

    response = client.get(f"{API}/jobs/{job['id']}/gcode", headers=bearer(mine["token"]))

    assert refused.value.problem == SlicingProblem.SETTINGS_OUT_OF_RANGE
    assert refused.value.message.endswith(
        "outside what a desktop printer has: bed_x_mm, nozzle_mm. Correct them in the "
        "printer's settings."
    )
    assert response.status_code == 409, response.text
    assert "outside what a desktop printer has" in response.json()["detail"]


def test_profiles_follow_the_material(mk3: Printer) -> None:
    mk3.material = "PLA"
    assert parts.profile_for(mk3).nozzle_temperature_c == 210
    mk3.material = "NYLON"
    with pytest.raises(parts.CannotSlice, match="NYLON") as refused:
        parts.profile_for(mk3)
    assert refused.value.problem == SlicingProblem.MATERIAL_UNKNOWN


# --- the G-code download --------------------------------------------------------------


def test_only_the_assigned_printer_downloads_its_gcode(
    client: TestClient, network: Network, engine: Engine, settings: Settings, mk3: Printer
) -> None:
    other = register_printer(client, network.other_maker, name="Other")
    mine = client.post(
        f"{API}/printers", json=MK3, headers=bearer(network.maker)
    ).json()  # a second printer of the maker, whose token we hold
    job = client.post(
        f"{API}/jobs",
        json={"part_key": "headband", "copies": 1, "printer_id": mine["id"]},
        headers=bearer(network.coordinator),
    ).json()
    with Session(engine) as session:
        row = session.get(Job, job["id"])
        printer = session.get(Printer, mine["id"])
        assert row is not None and printer is not None
        part = session.get(Part, row.part_id)
        assert part is not None
        row.gcode_sha256 = parts.slice_part(
            settings=settings, part=part, profile=parts.profile_for(printer), copies=row.copies
        ).sha256
        session.add(row)
        session.commit()
        expected = row.gcode_sha256
    url = f"{API}/jobs/{job['id']}/gcode"

    got = client.get(url, headers=bearer(mine["token"]))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "text/x-gcode"
    assert got.headers["x-gcode-sha256"] == expected
    assert hashlib.sha256(got.content).hexdigest() == expected
    assert b"; estimated printing time" in got.content

    assert client.get(url, headers=bearer(other["token"])).status_code == 403
    assert client.get(url, headers=bearer(network.maker)).status_code == 401
    assert client.get(url, headers=bearer(network.coordinator)).status_code == 401
    assert client.get(url).status_code == 401
    assert client.get(f"{API}/jobs/999999/gcode", headers=bearer(mine["token"])).status_code == 404

    # An emptied store is refilled from the slicer's cache.
    parts.gcode_path(settings, expected).unlink()
    again = client.get(url, headers=bearer(mine["token"]))
    assert again.status_code == 200
    assert hashlib.sha256(again.content).hexdigest() == expected


def test_no_gcode_without_a_printer_or_before_slicing(
    client: TestClient, network: Network, mk3: Printer
) -> None:
    mine = register_printer(client, network.maker, name="Mine")
    coordinator = bearer(network.coordinator)
    unassigned = client.post(
        f"{API}/jobs", json={"part_key": "headband", "copies": 1}, headers=coordinator
    ).json()
    unsliced = client.post(
        f"{API}/jobs",
        json={"part_key": "headband", "copies": 1, "printer_id": mine["id"]},
        headers=coordinator,
    ).json()

    for job in (unassigned, unsliced):
        response = client.get(f"{API}/jobs/{job['id']}/gcode", headers=bearer(mine["token"]))
        assert response.status_code == 409, response.text
