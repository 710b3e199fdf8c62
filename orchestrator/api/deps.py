"""The API's dependencies, each named once as an `Annotated` alias."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from orchestrator.api.rate_limits import RateLimits, client_of
from orchestrator.core.config import Settings
from orchestrator.database.tables import ROW_ID_MAX, Account, Maker, Printer
from orchestrator.domain.errors import Forbidden, Unauthenticated
from orchestrator.domain.vocabulary import Role
from orchestrator.link.commands import CommandPublisher
from orchestrator.services import accounts

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


def get_rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


SessionDep = Annotated[Session, Depends(get_session)]
RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]
ClientDep = Annotated[str, Depends(client_of)]
CommandsDep = Annotated[CommandPublisher, Depends(get_commands)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def bearer_token(request: Request, _credentials: BearerDep) -> Account | Printer:
    """Whoever the token belongs to, found by `GuardedRoute` before the body was read (a
    route depending on this is a route that needs a token)."""
    caller: Account | Printer = request.state.caller
    return caller


CallerDep = Annotated[Account | Printer, Depends(bearer_token)]


def current_account(caller: CallerDep) -> Account:
    if not isinstance(caller, Account):
        raise Unauthenticated(
            "This is a printer's token; sign in with your account's token.",
            code="printer_token_for_account",
        )
    return caller


CurrentAccount = Annotated[Account, Depends(current_account)]


def current_printer(caller: CallerDep) -> Printer:
    """The printer whose agent token was sent; an account's token is refused (401)."""
    if not isinstance(caller, Printer):
        raise Unauthenticated(
            "This is an account's token; send the printer's token.",
            code="account_token_for_printer",
        )
    return caller


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
            raise Forbidden(
                f"Only {allowed} may do this; you are signed in as {account.role}.",
                code="role_not_allowed",
                roles=list(roles),
                role=account.role,
            )
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
