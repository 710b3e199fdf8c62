"""Defect reports: a health centre reports on a batch it received; the coordinator reads
every report with the batch's trace. (The anonymous report from a label's page is in
`routes.public`.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from orchestrator.api.deps import Coordinator, SessionDep, role_in
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import DefectReportCreate, DefectReportPublic
from orchestrator.database.tables import ROW_ID_MAX, Account
from orchestrator.domain.vocabulary import Role
from orchestrator.services import defects

router = api_router(tags=["defects"])

HealthCentre = Annotated[Account, Depends(role_in(Role.HEALTH_CENTRE))]


@router.post("/defects", response_model=DefectReportPublic, status_code=201)
def report_defect(
    report_in: DefectReportCreate, session: SessionDep, centre: HealthCentre
) -> DefectReportPublic:
    """A health centre reports what is wrong with a batch it was delivered."""
    report = defects.report_from_centre(session=session, centre=centre, report_in=report_in)
    public = defects.report_public(session=session, report=report)
    session.commit()
    return public


@router.get("/defects", response_model=list[DefectReportPublic])
def list_defects(
    session: SessionDep,
    _coordinator: Coordinator,
    batch_id: int | None = Query(default=None, ge=1, le=ROW_ID_MAX),
) -> list[DefectReportPublic]:
    """Every report, newest first (at most 500), each with its batch's trace: the jobs,
    printers and makers its parts came from, and the orders it went to."""
    return defects.list_reports(session=session, batch_id=batch_id)
