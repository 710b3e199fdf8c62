"""Health, sign-up, the caller's own account, and accounts made by the coordinator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlmodel import SQLModel

from orchestrator.api.deps import Coordinator, CurrentAccount, SessionDep, SettingsDep
from orchestrator.api.errors import ERROR_RESPONSES
from orchestrator.services import accounts, printer_link
from orchestrator.tables import (
    AccountCreate,
    AccountPublic,
    AccountWithToken,
    MakerPublic,
    Role,
    SignupRequest,
)

router = APIRouter(tags=["accounts"], responses=ERROR_RESPONSES)


class Health(SQLModel):
    status: str
    version: str


@router.get("/health", response_model=Health)
def health() -> Health:
    from importlib.metadata import version

    return Health(status="ok", version=version("makerline"))


@router.post("/signup", response_model=AccountWithToken, status_code=201)
def sign_up(request: SignupRequest, session: SessionDep, settings: SettingsDep) -> AccountWithToken:
    """A maker (or an invited health centre) signs up; the token is shown once."""
    created = accounts.sign_up(session=session, request=request, settings=settings)
    session.commit()
    return created


@router.get("/me", response_model=AccountPublic)
def me(account: CurrentAccount) -> AccountPublic:
    return AccountPublic.model_validate(account)


@router.post("/accounts", response_model=AccountWithToken, status_code=201)
def create_account(
    account_in: AccountCreate, session: SessionDep, _coordinator: Coordinator
) -> AccountWithToken:
    """The coordinator creates an account of any role, such as a health centre's."""
    created = accounts.create_account(session=session, account_in=account_in)
    session.commit()
    return created


@router.get("/accounts", response_model=list[AccountPublic])
def list_accounts(
    session: SessionDep, _coordinator: Coordinator, role: Role | None = None
) -> list[AccountPublic]:
    return [
        AccountPublic.model_validate(a) for a in accounts.list_accounts(session=session, role=role)
    ]


@router.get("/makers", response_model=list[MakerPublic])
def list_makers(session: SessionDep, _coordinator: Coordinator) -> list[MakerPublic]:
    return [MakerPublic.model_validate(m) for m in accounts.list_makers(session=session)]


@router.get("/metrics")
def metrics(session: SessionDep, _coordinator: Coordinator) -> dict[str, Any]:
    """Counters of the service's processes: messages received, malformed, duplicates..."""
    return printer_link.counters_total(session)
