"""The API's dependencies, each named once as an `Annotated` alias."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from orchestrator.core.config import Settings
from orchestrator.errors import Forbidden, Unauthenticated
from orchestrator.link.commands import CommandPublisher
from orchestrator.services import accounts, fleet
from orchestrator.tables import ROW_ID_MAX, Account, Maker, Printer, Role

bearer = HTTPBearer(auto_error=False, description="The token you were given at sign-up.")


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_commands(request: Request) -> CommandPublisher:
    commands: CommandPublisher = request.app.state.commands
    return commands


SessionDep = Annotated[Session, Depends(get_session)]
CommandsDep = Annotated[CommandPublisher, Depends(get_commands)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def bearer_token(credentials: BearerDep) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("Send your token in an 'Authorization: Bearer <token>' header.")
    return credentials.credentials


TokenDep = Annotated[str, Depends(bearer_token)]


def current_account(session: SessionDep, token: TokenDep) -> Account:
    return accounts.account_for_token(session=session, token=token)


CurrentAccount = Annotated[Account, Depends(current_account)]


def current_printer(session: SessionDep, token: TokenDep) -> Printer:
    """The printer whose agent token was sent; an account's token is refused (401)."""
    return fleet.printer_for_token(session=session, token=token)


CurrentPrinter = Annotated[Printer, Depends(current_printer)]

ROLE_NAMES = {
    Role.COORDINATOR: "the coordinator",
    Role.MAKER: "makers",
    Role.HEALTH_CENTRE: "health centres",
}


def role_in(*roles: Role) -> Callable[[Account], Account]:
    def check(account: CurrentAccount) -> Account:
        if account.role not in roles:
            allowed = " or ".join(ROLE_NAMES[role] for role in roles)
            raise Forbidden(f"Only {allowed} may do this; you are signed in as {account.role}.")
        return account

    return check


Coordinator = Annotated[Account, Depends(role_in(Role.COORDINATOR))]
MakerOrCoordinator = Annotated[Account, Depends(role_in(Role.MAKER, Role.COORDINATOR))]
CentreOrCoordinator = Annotated[Account, Depends(role_in(Role.HEALTH_CENTRE, Role.COORDINATOR))]


def acting_maker(session: SessionDep, account: MakerOrCoordinator) -> Maker | None:
    """The caller's maker profile, or None for the coordinator, who sees every maker."""
    if account.role == Role.COORDINATOR:
        return None
    return accounts.maker_of(session=session, account=account)


ActingMaker = Annotated[Maker | None, Depends(acting_maker)]

RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key again to retry safely: the request counts once.",
    ),
]
