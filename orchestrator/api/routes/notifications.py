"""Where each person is told things and how, and the outbox the coordinator follows.

Everyone signed in reads and changes their own contact (e-mail, phone, chat webhook,
language, reminder delay, night messages) and their channel per kind of message. Only the
coordinator reads another person's contact, or the outbox with its addresses: these are
personal data, and a maker or a centre gets 403 before anything is read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from orchestrator.api.deps import Coordinator, CurrentAccount, RowId, SessionDep, SettingsDep
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import (
    ContactPublic,
    ContactUpdate,
    NotificationChoice,
    NotificationChoicesUpdate,
    OutboxPage,
)
from orchestrator.domain.vocabulary import MessageKind, OutboxStatus
from orchestrator.services import contacts

router = api_router(tags=["notifications"])

OUTBOX_PAGE_MAX = 200
OUTBOX_OFFSET_MAX = 1_000_000


@router.get("/me/contact", response_model=ContactPublic)
def my_contact(
    account: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> ContactPublic:
    """Your addresses and settings; the chat webhook only masked. Defaults until you save."""
    assert account.id is not None
    return contacts.read_contact(session=session, settings=settings, account_id=account.id)


@router.put("/me/contact", response_model=ContactPublic)
def change_my_contact(
    changes: ContactUpdate, account: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> ContactPublic:
    """Change your addresses and settings: a field left out is kept, null clears it."""
    assert account.id is not None
    answer = contacts.update_contact(
        session=session, settings=settings, account_id=account.id, changes=changes
    )
    session.commit()
    return answer


@router.get("/me/notifications", response_model=list[NotificationChoice])
def my_notifications(account: CurrentAccount, session: SessionDep) -> list[NotificationChoice]:
    """Your channel for each kind of message your role gets, defaults included."""
    return contacts.read_choices(session=session, account=account)


@router.put("/me/notifications", response_model=list[NotificationChoice])
def change_my_notifications(
    changes: NotificationChoicesUpdate, account: CurrentAccount, session: SessionDep
) -> list[NotificationChoice]:
    """Choose a channel (email, sms, chat or none) per kind of message; others are kept."""
    answer = contacts.update_choices(session=session, account=account, changes=changes)
    session.commit()
    return answer


@router.get("/accounts/{account_id}/contact", response_model=ContactPublic)
def account_contact(
    account_id: RowId, session: SessionDep, settings: SettingsDep, _coordinator: Coordinator
) -> ContactPublic:
    """A person's addresses, for the coordinator (the chat webhook masked all the same)."""
    return contacts.read_contact(session=session, settings=settings, account_id=account_id)


@router.get("/notifications", response_model=OutboxPage)
def outbox(
    session: SessionDep,
    settings: SettingsDep,
    _coordinator: Coordinator,
    status: OutboxStatus | None = None,
    kind: MessageKind | None = None,
    limit: Annotated[int, Query(ge=1, le=OUTBOX_PAGE_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=OUTBOX_OFFSET_MAX)] = 0,
) -> OutboxPage:
    """The messages queued and sent, newest first: to whom, how, and how it went."""
    return contacts.list_outbox(
        session=session, settings=settings, status=status, kind=kind, limit=limit, offset=offset
    )
