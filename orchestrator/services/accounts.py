"""Accounts, sign-up and who a bearer token belongs to."""

from __future__ import annotations

import hmac

from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.core.security import hash_token, new_token
from orchestrator.errors import Forbidden, NotFound, Unauthenticated
from orchestrator.tables import (
    Account,
    AccountCreate,
    AccountWithToken,
    Maker,
    Role,
    SignupRequest,
)


def create_account(
    *,
    session: Session,
    account_in: AccountCreate,
    token: str | None = None,
    city: str | None = None,
) -> AccountWithToken:
    """Create an account (and its maker profile for a maker). The token is shown only here."""
    token = token or new_token()
    account = Account(**account_in.model_dump(), token_hash=hash_token(token))
    session.add(account)
    session.flush()
    maker_id = None
    if account.role == Role.MAKER:
        assert account.id is not None
        maker = Maker(account_id=account.id, display_name=account.name, city=city)
        session.add(maker)
        session.flush()
        maker_id = maker.id
    return AccountWithToken.model_validate(account, update={"token": token, "maker_id": maker_id})


def sign_up(*, session: Session, request: SignupRequest, settings: Settings) -> AccountWithToken:
    if request.role == Role.COORDINATOR:
        raise Forbidden("Coordinator accounts are created by a coordinator, not by sign-up.")
    invited = bool(settings.invite_code) and hmac.compare_digest(
        (request.invite_code or "").encode(), settings.invite_code.encode()
    )
    if request.role == Role.HEALTH_CENTRE and not invited:
        raise Forbidden(
            "Health centres sign up with the invite code the fab-lab gave them; "
            "ask the coordinator for it."
        )
    if settings.signup_mode == "invite" and not invited:
        raise Forbidden("Sign-up needs the coordinator's invite code, and this one is not right.")
    account_in = AccountCreate(**request.model_dump(include=set(AccountCreate.model_fields)))
    return create_account(session=session, account_in=account_in, city=request.city)


def account_for_token(*, session: Session, token: str) -> Account:
    account = session.exec(select(Account).where(Account.token_hash == hash_token(token))).first()
    if account is None:
        raise Unauthenticated("This token is not valid. Ask the coordinator for a new one.")
    return account


def maker_of(*, session: Session, account: Account) -> Maker:
    maker = session.exec(select(Maker).where(Maker.account_id == account.id)).first()
    if maker is None:
        raise NotFound("This account has no maker profile.")
    return maker


def get_maker(*, session: Session, maker_id: int) -> Maker:
    maker = session.get(Maker, maker_id)
    if maker is None:
        raise NotFound(f"Maker {maker_id} does not exist.")
    return maker


def list_accounts(*, session: Session, role: Role | None = None) -> list[Account]:
    query = select(Account).order_by(Account.id)  # type: ignore[arg-type]
    if role is not None:
        query = query.where(Account.role == role)
    return list(session.exec(query))


def list_makers(*, session: Session) -> list[Maker]:
    return list(session.exec(select(Maker).order_by(Maker.id)))  # type: ignore[arg-type]


def ensure_coordinator(*, session: Session, name: str, token: str) -> None:
    """Create the first coordinator from a configured token, once."""
    if session.exec(select(Account).where(Account.token_hash == hash_token(token))).first():
        return
    create_account(
        session=session, account_in=AccountCreate(name=name, role=Role.COORDINATOR), token=token
    )
