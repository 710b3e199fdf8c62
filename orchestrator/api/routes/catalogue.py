"""The catalogue: parts and products, readable by every signed-in user."""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.api.deps import CurrentAccount, SessionDep
from orchestrator.services import catalogue
from orchestrator.tables import PartPublic, ProductPublic

router = APIRouter(tags=["catalogue"])


@router.get("/parts", response_model=list[PartPublic])
def list_parts(session: SessionDep, _account: CurrentAccount) -> list[PartPublic]:
    return [PartPublic.model_validate(p) for p in catalogue.list_parts(session=session)]


@router.get("/products", response_model=list[ProductPublic])
def list_products(session: SessionDep, _account: CurrentAccount) -> list[ProductPublic]:
    return catalogue.list_products(session=session)
