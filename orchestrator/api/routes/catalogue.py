"""The catalogue: parts and products, readable by every signed-in user; the coordinator
uploads new parts; a printer's agent downloads the G-code of its job."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Path, UploadFile
from fastapi.responses import FileResponse

from orchestrator.api.deps import (
    Coordinator,
    CurrentAccount,
    CurrentPrinter,
    RowId,
    SessionDep,
    SettingsDep,
)
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import PART_KEY_PATTERN, PartPublic, ProductPublic
from orchestrator.parts.catalogue import BomRole, Orientation
from orchestrator.parts.materials import Material
from orchestrator.services import catalogue, parts

router = api_router(tags=["catalogue"])

PartKey = Annotated[str, Path(min_length=1, max_length=60)]


@router.get("/parts", response_model=list[PartPublic])
def list_parts(session: SessionDep, _account: CurrentAccount) -> list[PartPublic]:
    return [PartPublic.model_validate(p) for p in catalogue.list_parts(session=session)]


# The form around the STL (its other fields, the multipart boundaries) is small.
UPLOAD_BODY_MAX_BYTES = parts.MAX_UPLOAD_BYTES + 64 * 1024


@router.post(
    "/parts", response_model=PartPublic, status_code=201, max_body_size=UPLOAD_BODY_MAX_BYTES
)
def upload_part(
    session: SessionDep,
    settings: SettingsDep,
    _coordinator: Coordinator,
    file: Annotated[UploadFile, File(description="The part as a binary or ASCII STL.")],
    key: Annotated[str, Form(min_length=1, max_length=60, pattern=PART_KEY_PATTERN)],
    name_fr: Annotated[str, Form(min_length=1, max_length=200)],
    name_en: Annotated[str, Form(min_length=1, max_length=200)],
    bom_role: Annotated[BomRole, Form()],
    material: Annotated[Material, Form()] = "PETG",
    other_materials: Annotated[
        list[Material] | None,
        Form(description="Other materials it may be printed in, by preference (repeat)."),
    ] = None,
    orientation: Annotated[Orientation, Form()] = "flat",
) -> PartPublic:
    """Add a printable part from an STL file. It must be a closed, finite mesh that fits
    at least one registered printer, and at most 50 MiB."""
    part_in = parts.PartUpload(
        key=key,
        name_fr=name_fr,
        name_en=name_en,
        material=material,
        other_materials=tuple(dict.fromkeys(m for m in other_materials or () if m != material)),
        bom_role=bom_role,
        orientation=orientation,
    )
    chunks = iter(lambda: file.file.read(parts.UPLOAD_CHUNK_BYTES), b"")
    part = parts.upload_part(
        session=session,
        settings=settings,
        part_in=part_in,
        chunks=chunks,
        max_bytes=parts.MAX_UPLOAD_BYTES,
    )
    created = PartPublic.model_validate(part)
    session.commit()
    return created


@router.get("/parts/{key}", response_model=PartPublic)
def read_part(key: PartKey, session: SessionDep, _account: CurrentAccount) -> PartPublic:
    return PartPublic.model_validate(catalogue.part_by_key(session=session, key=key))


@router.get("/parts/{key}/plates", response_model=list[parts.PlatePublic])
def part_plates(
    key: PartKey, session: SessionDep, settings: SettingsDep, _account: CurrentAccount
) -> list[parts.PlatePublic]:
    """For each printer profile in use (bed, nozzle, material): copies per plate, and the
    slicer's time and grams for a full plate once it has been sliced. A profile that cannot
    print the part says why in `problem` (settings out of range, bed too small, a slice
    that failed...); the other profiles are listed as usual."""
    part = catalogue.part_by_key(session=session, key=key)
    return parts.part_plates(session=session, settings=settings, part=part)


@router.get("/products", response_model=list[ProductPublic])
def list_products(session: SessionDep, _account: CurrentAccount) -> list[ProductPublic]:
    return catalogue.list_products(session=session)


@router.get(
    "/jobs/{job_id}/gcode",
    response_class=FileResponse,
    responses={200: {"content": {"text/x-gcode": {}}, "description": "The job's G-code."}},
)
def job_gcode(
    job_id: RowId, session: SessionDep, settings: SettingsDep, printer: CurrentPrinter
) -> FileResponse:
    """The G-code of a job, for the agent of the printer it is assigned to. Authenticate
    with the printer's token; `X-Gcode-Sha256` lets the agent check what it received."""
    path, sha256 = parts.gcode_for_job(
        session=session, settings=settings, printer=printer, job_id=job_id
    )
    return FileResponse(
        path,
        media_type="text/x-gcode",
        filename=f"job-{job_id}.gcode",
        headers={"Content-Type": "text/x-gcode", "X-Gcode-Sha256": sha256},
    )
