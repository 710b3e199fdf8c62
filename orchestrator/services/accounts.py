"""Accounts, sign-up and who a bearer token belongs to."""

from __future__ import annotations

import hmac

from sqlmodel import Session, select

from orchestrator.api.schemas import AccountCreate, AccountWithToken, SignupRequest
from orchestrator.core.config import Settings
from orchestrator.core.security import hash_token, new_token
from orchestrator.database.tables import Account, Maker
from orchestrator.domain.errors import Forbidden, NotFound
from orchestrator.domain.vocabulary import Role


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


def invite_code_matches(settings: Settings, code: str | None) -> bool:
    return bool(settings.invite_code) and hmac.compare_digest(
        (code or "").encode(), settings.invite_code.encode()
    )


def sign_up(
    *, session: Session, request: SignupRequest, settings: Settings, invited: bool
) -> AccountWithToken:
    """Sign a maker up (open, or with the invite code), or a health centre (always with it)."""
    if request.role == Role.COORDINATOR:
        raise Forbidden(
            "Coordinator accounts are created by a coordinator, not by sign-up.",
            code="coordinator_signup_refused",
        )
    if request.role == Role.HEALTH_CENTRE and not invited:
        raise Forbidden(
            "Health centres sign up with the invite code the fab-lab gave them; "
            "ask the coordinator for it.",
            code="centre_needs_invite",
        )
    if settings.signup_mode == "invite" and not invited:
        raise Forbidden(
            "Sign-up needs the coordinator's invite code, and this one is not right.",
            code="invite_code_wrong",
        )
    account_in = AccountCreate(**request.model_dump(include=set(AccountCreate.model_fields)))
    return create_account(session=session, account_in=account_in, city=request.city)


def maker_of(*, session: Session, account: Account) -> Maker:
    maker = session.exec(select(Maker).where(Maker.account_id == account.id)).first()
    if maker is None:
        raise NotFound("This account has no maker profile.", code="no_maker_profile")
    return maker


def maker_profile_id(*, session: Session, account: Account) -> int | None:
    return session.exec(select(Maker.id).where(Maker.account_id == account.id)).first()


def get_maker(*, session: Session, maker_id: int) -> Maker:
    maker = session.get(Maker, maker_id)
    if maker is None:
        raise NotFound(f"Maker {maker_id} does not exist.", code="maker_not_found", maker=maker_id)
    return maker


def list_accounts(*, session: Session, role: Role | None = None) -> list[Account]:
    query = select(Account).order_by(Account.id)  # type: ignore[arg-type]
    if role is not None:
        query = query.where(Account.role == role)
    return list(session.exec(query))


def list_makers(*, session: Session) -> list[Maker]:
    return list(session.exec(select(Maker).order_by(Maker.id)))  # type: ignore[arg-type]


def get_account(*, session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(
            f"Account {account_id} does not exist.", code="account_not_found", account=account_id
        )
    return account


def ensure_coordinator(*, session: Session, name: str, token: str) -> None:
    """Create the first coordinator from a configured token, once: when there is no
    coordinator yet. A coordinator who rotates or revokes that token later is not given
    it back at the next start."""
    if session.exec(select(Account.id).where(Account.role == Role.COORDINATOR)).first():
        return
    create_account(
        session=session, account_in=AccountCreate(name=name, role=Role.COORDINATOR), token=token
    )
