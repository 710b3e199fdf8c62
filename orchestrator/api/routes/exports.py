"""CSV exports for the treasurer (coordinator only): deliveries with their batches,
donations, and each maker's contribution over a period (`?since=&until=`, whole days,
at most a year). Every export is safe to open in a spreadsheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import PlainTextResponse

from orchestrator.api.deps import Coordinator, SessionDep
from orchestrator.api.routing import api_router
from orchestrator.services import exports

router = api_router(tags=["exports"])


class CsvResponse(PlainTextResponse):
    """So that the OpenAPI says `text/csv`, the type the answer carries."""

    media_type = "text/csv"


def asked_period(
    since: date | None = Query(default=None, description="First day, included."),
    until: date | None = Query(default=None, description="Last day, included."),
) -> exports.Period:
    return exports.period(since, until)


PeriodDep = Annotated[exports.Period, Depends(asked_period)]


def csv_file(text: str, name: str, within: exports.Period) -> CsvResponse:
    filename = f"{name}_{within.slug}.csv"
    return CsvResponse(text, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/exports/deliveries.csv", response_class=CsvResponse)
def export_deliveries(
    session: SessionDep, _coordinator: Coordinator, within: PeriodDep
) -> CsvResponse:
    """Deliveries of the period, each with its batches ("batch:quantity ...")."""
    text = exports.deliveries_csv(session=session, within=within)
    return csv_file(text, "deliveries", within)


@router.get("/exports/donations.csv", response_class=CsvResponse)
def export_donations(
    session: SessionDep, _coordinator: Coordinator, within: PeriodDep
) -> CsvResponse:
    """Donations received in the period: donor, item, quantity (filament in grams)."""
    return csv_file(exports.donations_csv(session=session, within=within), "donations", within)


@router.get("/exports/contributions.csv", response_class=CsvResponse)
def export_contributions(
    session: SessionDep, _coordinator: Coordinator, within: PeriodDep
) -> CsvResponse:
    """Each maker's jobs done, parts by item and grams of filament in the period."""
    text = exports.contributions_csv(session=session, within=within)
    return csv_file(text, "contributions", within)
