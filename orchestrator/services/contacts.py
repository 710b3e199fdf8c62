"""A person's contact (where they are told things) and their channel per kind of message.

These are personal data: the person and the coordinator read them, nobody else, and
nothing here logs them. The chat webhook is a secret of its own (whoever has it may post
in the group), so it is sealed with the service's secret and only ever shown masked: its
scheme and host. A webhook whose host is an address the service may not call (loopback,
private...) is refused when it is saved, as a plugin printer's OctoPrint address is.

The one-click unsubscribe link of every e-mail names a contact's `unsubscribe_token`:
opening it turns every kind of message the person gets by e-mail to none, and keeps SMS
and chat as they were.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from orchestrator.api.schemas import (
    ContactPublic,
    ContactUpdate,
    NotificationChoice,
    NotificationChoicesUpdate,
    OutboxPage,
    OutboxRow,
)
from orchestrator.core.config import Settings
from orchestrator.core.outbound_policy import literal_address_refused
from orchestrator.core.sealing import UnreadableSecret, open_sealed, seal_if_given
from orchestrator.database.tables import (
    Account,
    Contact,
    NotificationPreference,
    OutboxMessage,
    utcnow,
)
from orchestrator.domain.errors import NotFound, Unprocessable
from orchestrator.domain.vocabulary import (
    MESSAGE_ROLE,
    Channel,
    MessageKind,
    OutboxStatus,
    Role,
)
from orchestrator.services.notifications import DEFAULT_CHANNEL

UNSUBSCRIBED = "unsubscribed from e-mail"


def kinds_for(role: Role) -> list[MessageKind]:
    """The kinds of message a role receives, in the vocabulary's order."""
    return [kind for kind in MessageKind if MESSAGE_ROLE[kind] == role]


def ensure_contact(session: Session, account_id: int) -> Contact:
    """The account's contact, made with the defaults (and an unsubscribe token) if it has
    none yet. It is added to the session; the caller commits."""
    contact = session.get(Contact, account_id)
    if contact is None:
        contact = Contact(account_id=account_id)
        session.add(contact)
        session.flush()
    return contact


def masked_chat_url(settings: Settings, sealed: str | None) -> str | None:
    """The webhook's scheme and host, "https://discord.com/…": enough to recognise it,
    not enough to post with it. A value this service cannot open says so."""
    if not sealed:
        return None
    try:
        url = open_sealed(settings.secret, sealed)
    except UnreadableSecret:
        return "(?)"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…"


def contact_public(settings: Settings, account_id: int, contact: Contact | None) -> ContactPublic:
    shown = contact or Contact(account_id=account_id)
    return ContactPublic(
        account_id=account_id,
        email=shown.email,
        phone=shown.phone,
        chat_url_masked=masked_chat_url(settings, shown.chat_url_sealed),
        language=shown.language,
        bed_reminder_minutes=shown.bed_reminder_minutes,
        night_messages=shown.night_messages,
        updated_at=contact.updated_at if contact is not None else None,
    )


def read_contact(*, session: Session, settings: Settings, account_id: int) -> ContactPublic:
    """The contact as it is, or the defaults when the person has saved none (reading
    writes nothing)."""
    if session.get(Account, account_id) is None:
        raise NotFound(
            f"Account {account_id} does not exist.", code="account_not_found", account=account_id
        )
    return contact_public(settings, account_id, session.get(Contact, account_id))


def update_contact(
    *, session: Session, settings: Settings, account_id: int, changes: ContactUpdate
) -> ContactPublic:
    """Apply what the person sent: a field left out is kept, null clears an address or the
    reminder; the language and night messages are only ever set."""
    given = changes.model_fields_set
    if changes.chat_url and literal_address_refused(
        changes.chat_url, settings.private_networks_allowed
    ):
        raise Unprocessable(
            "chat_url is a loopback, private or link-local address, which the service may "
            "not call. Give the webhook address your chat service gave you.",
            code="chat_url_not_public",
        )
    contact = ensure_contact(session, account_id)
    if "email" in given:
        contact.email = changes.email
    if "phone" in given:
        contact.phone = changes.phone
    if "chat_url" in given:
        contact.chat_url_sealed = seal_if_given(settings.secret, changes.chat_url)
    if changes.language is not None:
        contact.language = changes.language
    if "bed_reminder_minutes" in given:
        contact.bed_reminder_minutes = changes.bed_reminder_minutes
    if changes.night_messages is not None:
        contact.night_messages = changes.night_messages
    contact.updated_at = utcnow()
    session.add(contact)
    session.flush()
    return contact_public(settings, account_id, contact)


def read_choices(*, session: Session, account: Account) -> list[NotificationChoice]:
    """The channel of every kind of message the account's role gets, defaults included."""
    assert account.id is not None
    chosen = {
        preference.kind: Channel(preference.channel)
        for preference in session.exec(
            select(NotificationPreference).where(NotificationPreference.account_id == account.id)
        )
    }
    return [
        NotificationChoice(
            kind=kind,
            channel=chosen.get(kind, DEFAULT_CHANNEL),
            default_channel=DEFAULT_CHANNEL,
            chosen=kind in chosen,
        )
        for kind in kinds_for(account.role)
    ]


def update_choices(
    *, session: Session, account: Account, changes: NotificationChoicesUpdate
) -> list[NotificationChoice]:
    """Set a channel per kind; a kind another role gets is refused (422), so that nobody
    keeps choices that never apply."""
    assert account.id is not None
    foreign = sorted(kind.value for kind in changes.channels if MESSAGE_ROLE[kind] != account.role)
    if foreign:
        raise Unprocessable(
            f"These kinds of message are not sent to your role ({account.role}): "
            + ", ".join(foreign),
            code="message_kinds_not_for_role",
            role=account.role,
            message_kinds=foreign,
        )
    for kind, channel in changes.channels.items():
        preference = session.get(NotificationPreference, (account.id, kind))
        if preference is None:
            preference = NotificationPreference(account_id=account.id, kind=kind, channel=channel)
        preference.channel = channel
        session.add(preference)
    session.flush()
    return read_choices(session=session, account=account)


def contact_by_unsubscribe_token(session: Session, token: str) -> Contact:
    contact = session.exec(select(Contact).where(Contact.unsubscribe_token == token)).first()
    if contact is None:
        raise NotFound("This unsubscribe link matches no one.", code="unsubscribe_link_unknown")
    return contact


def unsubscribe_from_email(*, session: Session, contact: Contact) -> int:
    """Every kind of message the person gets by e-mail (by choice or by default) turns to
    none; SMS and chat stay. Messages still waiting to go by e-mail are skipped. Returns
    how many kinds changed: 0 when the link is opened again."""
    account = session.get(Account, contact.account_id)
    assert account is not None
    changed = 0
    for choice in read_choices(session=session, account=account):
        if choice.channel != Channel.EMAIL:
            continue
        preference = session.get(NotificationPreference, (contact.account_id, choice.kind))
        if preference is None:
            preference = NotificationPreference(
                account_id=contact.account_id, kind=choice.kind, channel=Channel.NONE
            )
        preference.channel = Channel.NONE
        session.add(preference)
        changed += 1
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.account_id) == contact.account_id,
            col(OutboxMessage.channel) == Channel.EMAIL,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.SKIPPED, last_error=UNSUBSCRIBED)
    )
    session.flush()
    return changed


def outbox_address(
    settings: Settings, message: OutboxMessage, contact: Contact | None
) -> str | None:
    """Where a message goes, for the coordinator's eyes only: the chat webhook masked."""
    if contact is None:
        return None
    if message.channel == Channel.EMAIL:
        return contact.email
    if message.channel == Channel.SMS:
        return contact.phone
    if message.channel == Channel.CHAT:
        return masked_chat_url(settings, contact.chat_url_sealed)
    return None


def list_outbox(
    *,
    session: Session,
    settings: Settings,
    status: OutboxStatus | None,
    kind: MessageKind | None,
    limit: int,
    offset: int,
) -> OutboxPage:
    """The outbox, newest first, with each person's name and address (for the coordinator)."""
    filters = []
    if status is not None:
        filters.append(col(OutboxMessage.status) == status)
    if kind is not None:
        filters.append(col(OutboxMessage.kind) == kind)
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(*filters)).one()
    rows = session.exec(
        select(OutboxMessage, Account, Contact)
        .join(Account, col(Account.id) == col(OutboxMessage.account_id))
        .join(Contact, col(Contact.account_id) == col(OutboxMessage.account_id), isouter=True)
        .where(*filters)
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return OutboxPage(
        total=total,
        rows=[
            OutboxRow(
                id=message.id or 0,
                account_id=message.account_id,
                account_name=account.name,
                kind=message.kind,
                channel=message.channel,
                address=outbox_address(settings, message, contact),
                status=message.status,
                attempts=message.attempts,
                not_before=message.not_before,
                created_at=message.created_at,
                sent_at=message.sent_at,
                grouped_into=message.grouped_into,
                last_error=message.last_error,
                link=message.link,
            )
            for message, account, contact in rows
        ],
    )
