"""What makerline tells people, written to the outbox in the caller's transaction.

A message is queued where the event that causes it is written (a job awaiting its bed
clear, an order placed, goods delivered…), so that it is neither lost when that
transaction commits nor sent when it rolls back. A sender delivers the outbox later
(`orchestrator.notifier`). Each person chooses a channel per kind of message
(`NotificationPreference`); without a choice, e-mail.

Quiet hours are decided here, when the message is queued: `not_before` is the next moment
the person may be told (`orchestrator.domain.quiet_hours`): a maker during their printers'
hours, a centre or the coordinator during the day, anyone at once who asked for night
messages. The sender checks again when it sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from orchestrator.core.config import IpNetwork, get_settings
from orchestrator.core.outbound_policy import literal_address_refused
from orchestrator.database.tables import (
    Account,
    Contact,
    Maker,
    NotificationPreference,
    OutboxMessage,
    Printer,
    utcnow,
)
from orchestrator.domain.quiet_hours import DAYTIME, next_moment_to_tell
from orchestrator.domain.vocabulary import (
    MESSAGE_ROLE,
    Channel,
    MessageKind,
    OutboxStatus,
    Role,
)

DEFAULT_CHANNEL = Channel.EMAIL


def channel_for(session: Session, account_id: int, kind: MessageKind) -> Channel:
    """The channel the person chose for this kind of message, or the default."""
    chosen = session.get(NotificationPreference, (account_id, kind))
    return Channel(chosen.channel) if chosen is not None else DEFAULT_CHANNEL


def hours_of(session: Session, account_id: int) -> list[str]:
    """The daily windows a person may be told in: a maker's printers' availability hours
    (their union), everyone else's daytime."""
    account = session.get(Account, account_id)
    if account is None or account.role != Role.MAKER:
        return [DAYTIME]
    maker_id = session.exec(select(Maker.id).where(Maker.account_id == account_id)).first()
    if maker_id is None:
        return [DAYTIME]
    return list(
        session.exec(select(Printer.availability_hours).where(Printer.maker_id == maker_id))
    )


def next_moment_for(
    session: Session, account_id: int, *, now: datetime, timezone: str | None = None
) -> datetime:
    """When this person may next be told something: `now`, or the start of their hours."""
    contact = session.get(Contact, account_id)
    return next_moment_to_tell(
        now,
        hours_of(session, account_id),
        timezone or get_settings().timezone,
        night_messages=bool(contact and contact.night_messages),
    )


def notify(
    session: Session,
    *,
    account_id: int,
    kind: MessageKind,
    params: dict[str, Any],
    link: str,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
    timezone: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue a message for one person, in the session's transaction.

    `params` fill the message's text when it is sent (in the person's language), `link` is
    the web app's page it is about, and `dedup_key` names the event: the same event never
    queues twice (None is returned). A person who chose no channel gets a `skipped` row,
    so that the board shows the message was not sent, and why.

    The message waits until `not_before` (a reminder's delay) and then until the person's
    hours open; `timezone` is the fab-lab's (`MAKERLINE_TIMEZONE` when not given), `now`
    the moment of the event (the clock when not given)."""
    if (
        dedup_key is not None
        and session.exec(
            select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)
        ).first()
    ):
        return None
    channel = channel_for(session, account_id, kind)
    moment = now or utcnow()
    earliest = max(not_before, moment) if not_before else moment
    if channel != Channel.NONE:
        earliest = next_moment_for(session, account_id, now=earliest, timezone=timezone)
    message = OutboxMessage(
        account_id=account_id,
        kind=kind,
        channel=channel,
        params=params,
        link=link,
        dedup_key=dedup_key,
        status=OutboxStatus.SKIPPED if channel == Channel.NONE else OutboxStatus.PENDING,
        not_before=earliest,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # the same event, queued by another writer at the same moment
        return None
    return message


def notify_role(
    session: Session,
    *,
    kind: MessageKind,
    params: dict[str, Any],
    link: str,
    dedup_key: str | None = None,
    timezone: str | None = None,
) -> list[OutboxMessage]:
    """Queue a message for every account of the kind's role (the coordinators, say)."""
    role: Role = MESSAGE_ROLE[kind]
    accounts = session.exec(
        select(Account.id).where(Account.role == role).order_by(col(Account.id))
    )
    queued = []
    for account_id in accounts:
        if account_id is None:
            continue
        key = f"{dedup_key}:{account_id}" if dedup_key else None
        message = notify(
            session,
            account_id=account_id,
            kind=kind,
            params=params,
            link=link,
            dedup_key=key,
            timezone=timezone,
        )
        if message is not None:
            queued.append(message)
    return queued


def chat_url_refusal(url: str, networks_allowed: tuple[IpNetwork, ...] = ()) -> str | None:
    """Why a person's chat webhook cannot be used, in words for them, or None if it can.

    A webhook is an https address (Discord, Slack, Matrix, Telegram or any service that
    takes a JSON post); plain http only to an address of a network the fab-lab allowed
    (`MAKERLINE_ALLOWED_PRIVATE_NETWORKS`: its own chat server on its LAN). An address that
    is private, loopback or link-local is refused here, and a name is checked again when
    the sender connects (`orchestrator.link.outbound`)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError on a port out of range)
    except ValueError:
        return "is not a web address"
    if not parts.hostname or parts.username or parts.password:
        return "must be a webhook address such as https://discord.com/api/webhooks/…"
    if literal_address_refused(url, networks_allowed):
        return "points to a private network the fab-lab has not allowed"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _in_networks(parts.hostname, networks_allowed):
        return None
    return "must start with https://"


def _in_networks(host: str, networks: tuple[IpNetwork, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return any(address in network for network in networks)


def withdraw_messages(session: Session, dedup_keys: Iterable[str], why: str) -> int:
    """Skip the messages with these keys that are still waiting to be sent: what they
    were to ask for has happened (a bed cleared, a receipt confirmed). One sent, or being
    sent, stays as it is. Returns how many were withdrawn."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.dedup_key).in_(list(dedup_keys)),
            col(OutboxMessage.status) == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.SKIPPED, last_error=why)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
