"""Health, sign-up, the caller's own account, and accounts made by the coordinator."""

from __future__ import annotations

from typing import Any

from orchestrator.api.deps import (
    ClientDep,
    Coordinator,
    CurrentAccount,
    RateLimitsDep,
    RowId,
    SessionDep,
    SettingsDep,
)
from orchestrator.api.rate_limits import Door
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import (
    AccountCreate,
    AccountPublic,
    AccountWithToken,
    Health,
    MakerPublic,
    SignupRequest,
)
from orchestrator.database.tables import Account
from orchestrator.domain.vocabulary import Role
from orchestrator.services import accounts, credentials, printer_link

router = api_router(tags=["accounts"])


@router.get("/health", response_model=Health)
def health() -> Health:
    from importlib.metadata import version

    return Health(status="ok", version=version("makerline"))


@router.post("/signup", response_model=AccountWithToken, status_code=201)
def sign_up(
    request: SignupRequest,
    session: SessionDep,
    settings: SettingsDep,
    limits: RateLimitsDep,
    client: ClientDep,
) -> AccountWithToken:
    """A maker (or an invited health centre) signs up; the token is shown once.

    Each address may sign up a few times an hour, and try a few wrong invite codes: after
    that, even the right code waits (429 with Retry-After)."""
    limits.check(Door.SIGNUP, client)
    invited = False
    if request.invite_code is not None:
        limits.check(Door.INVITE_CODE, client)
        invited = accounts.invite_code_matches(settings, request.invite_code)
        if not invited:
            limits.count(Door.INVITE_CODE, client)
    created = accounts.sign_up(session=session, request=request, settings=settings, invited=invited)
    session.commit()
    limits.count(Door.SIGNUP, client)
    return created


@router.get("/me", response_model=AccountPublic)
def me(account: CurrentAccount) -> AccountPublic:
    return AccountPublic.model_validate(account)


@router.post("/me/token", response_model=AccountWithToken)
def rotate_my_token(account: CurrentAccount, session: SessionDep) -> AccountWithToken:
    """A new token for your account, shown once: the one you sent stops working now."""
    return _rotated(session, account)


@router.delete("/me/token", status_code=204)
def revoke_my_token(account: CurrentAccount, session: SessionDep) -> None:
    """Your token stops working now (a leaked token, say); the coordinator gives a new one."""
    credentials.revoke_account_token(session=session, account=account)
    session.commit()


@router.post("/accounts/{account_id}/token", response_model=AccountWithToken)
def rotate_account_token(
    account_id: RowId, session: SessionDep, _coordinator: Coordinator
) -> AccountWithToken:
    """The coordinator gives an account a new token (shown once); the old one stops."""
    return _rotated(session, accounts.get_account(session=session, account_id=account_id))


@router.delete("/accounts/{account_id}/token", status_code=204)
def revoke_account_token(account_id: RowId, session: SessionDep, _coordinator: Coordinator) -> None:
    """The coordinator stops an account's token, until they rotate it."""
    account = accounts.get_account(session=session, account_id=account_id)
    credentials.revoke_account_token(session=session, account=account)
    session.commit()


def _rotated(session: SessionDep, account: Account) -> AccountWithToken:
    token = credentials.rotate_account_token(session=session, account=account)
    session.commit()
    maker = accounts.maker_profile_id(session=session, account=account)
    return AccountWithToken.model_validate(account, update={"token": token, "maker_id": maker})


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
