"""The sender (`makerline notify`): delivers the outbox by e-mail, SMS and chat.

Messages are queued in the transaction of the event that causes them
(`orchestrator.services.notifications`); this process sends them, one group at a time:

1. **Claim**, in a short transaction: the oldest due row (pending, past `not_before` and
   `next_attempt_at`, and queued at least `MAKERLINE_NOTIFY_GROUP_SECONDS` ago so that its
   repeats can join it), then every other due row of the same person, kind and channel.
   They become `sending`, `claimed_by` this sender until `claimed_until`. PostgreSQL reads
   them `FOR UPDATE SKIP LOCKED`, so two senders never claim the same row; SQLite's
   `BEGIN IMMEDIATE` lets one claimer in at a time. A person outside their hours (the
   sender checks again) is not claimed: the rows wait for the hours to open.
2. **Send**, outside any transaction: one message, rendered in the person's language.
3. **Mark**, in a short transaction right after the send: the first row `sent`, the
   others `grouped` into it; or, on a failure, every row back to `pending` with an
   exponential backoff, and `failed` after `MAKERLINE_NOTIFY_MAX_ATTEMPTS`.

Each message is sent once across restarts and replicas, with one honest exception: a
sender that dies between the send and the mark (a window of one database round trip)
leaves rows `sending`; when their claim lapses (`lease_seconds`) another sender sends them
again. That is at-least-once, and the window is made as small as the database allows.

Once a minute it also queues the periodic messages (`services.notify_sweeps`: parts to
collect, forecasts that moved, supplies, silent printers, the daily digest), each once
however many senders run.

A channel that fails never blocks production: this is its own process, and a failure is a
row the board shows. No address and no URL reaches a log or `last_error`: Apprise's own
log lines, which name recipients, are silenced.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

import apprise
import httpx
import requests
from apprise.plugins.email.base import NotifyEmail
from sqlalchemy import Engine, and_, or_, update
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.core.sealing import UnreadableSecret, open_sealed
from orchestrator.database.engine import is_postgres
from orchestrator.database.tables import Account, Contact, OutboxMessage, utcnow
from orchestrator.domain.messages import Text, render, short_text
from orchestrator.domain.vocabulary import Channel, MessageKind, OutboxStatus
from orchestrator.link.outbound import AddressNotAllowed, outbound_session
from orchestrator.services.notifications import chat_url_refusal, next_moment_for
from orchestrator.services.notify_sweeps import queue_periodic

log = logging.getLogger(__name__)
# Apprise logs "Sent Email to <address>": personal data stays out of our logs.
logging.getLogger("apprise").setLevel(logging.CRITICAL + 1)

GROUP_LIMIT = 50  # the most rows one message carries
SEND_TIMEOUT_SECONDS = 20
LEASE_SECONDS = 120  # well above one send's timeouts, so a live claim never lapses
PERIODIC_SECONDS = 60  # how often the periodic messages are looked for
# Chat services whose webhooks Apprise knows by their https address: it formats for each.
APPRISE_CHAT_HOSTS = (
    "discord.com",
    "discordapp.com",
    "hooks.slack.com",
    "webhooks.t2bot.io",
)


class ChannelError(Exception):
    """A send that did not go through; the message is in our words, with no address.
    `final`: retrying cannot help (no channel configured); `skip`: the person has no
    address for the channel they chose, so the message is `skipped`, not `failed`."""

    def __init__(self, message: str, *, final: bool = False, skip: bool = False) -> None:
        super().__init__(message)
        self.final = final or skip
        self.skip = skip


@dataclass(frozen=True)
class Recipient:
    """What the send needs, read in the claim's transaction."""

    language: str
    email: str | None
    phone: str | None
    chat_url_sealed: str | None
    unsubscribe_token: str | None


@dataclass(frozen=True)
class Claimed:
    ids: list[int]  # the first one is the message the others are grouped into
    kind: MessageKind
    channel: Channel
    link: str
    items: list[dict[str, Any]]
    recipient: Recipient
    attempts: dict[int, int]


# --- channels ---------------------------------------------------------------------------


class Channels:
    """The service's channels, from its settings. Each `send_*` raises `ChannelError`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send_email(self, address: str, text: Text, unsubscribe_url: str) -> None:
        """Through Apprise's mailto plugin, which takes extra headers: List-Unsubscribe
        and List-Unsubscribe-Post make a one-click unsubscribe (RFC 8058)."""
        if not self.settings.mail_url:
            raise ChannelError("no mail server is configured (MAKERLINE_MAIL_URL)", final=True)
        options = NotifyEmail.parse_url(self.settings.mail_url)
        if not options:
            raise ChannelError("the mail server's URL cannot be read", final=True)
        options["targets"] = [address]
        options["headers"] = {
            **options.get("headers", {}),
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        options.setdefault("socket_connect_timeout", SEND_TIMEOUT_SECONDS)
        mail = NotifyEmail(**options)
        if not mail.notify(
            body=text.body, title=text.subject, body_format=apprise.NotifyFormat.TEXT
        ):
            raise ChannelError("the mail server could not be reached or refused the message")

    def send_sms(self, number: str, message: str) -> None:
        """Through a RaspiSMS gateway's API: POST /api/scheduled/ with its key."""
        if not self.settings.sms_url:
            raise ChannelError("no SMS gateway is configured (MAKERLINE_SMS_URL)", final=True)
        parts = urlsplit(self.settings.sms_url)
        scheme = "https" if parts.scheme == "raspismss" else "http"
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        endpoint = f"{scheme}://{netloc}{parts.path.rstrip('/')}/api/scheduled/"
        try:
            answer = httpx.post(
                endpoint,
                headers={"X-Api-Key": unquote(parts.username or "")},
                data={"text": message, "numbers": number},
                timeout=SEND_TIMEOUT_SECONDS,
                follow_redirects=False,
            )
        except httpx.HTTPError:
            raise ChannelError("the SMS gateway could not be reached") from None
        if answer.status_code in (401, 403):
            raise ChannelError("the SMS gateway refused its API key (MAKERLINE_SMS_URL)")
        try:
            accepted = answer.is_success and answer.json().get("error") == 0
        except ValueError:
            accepted = False
        if not accepted:
            raise ChannelError(f"the SMS gateway refused the message (HTTP {answer.status_code})")

    def send_chat(self, webhook: str, text: Text) -> None:
        """Discord, Slack and Matrix (t2bot) webhooks, and Telegram bots, through Apprise,
        which formats for each; any other https webhook gets a JSON post ({"text": ...},
        what Mattermost, Rocket.Chat and Matrix hookshot read) through the service's
        outbound session, which connects only where the outbound policy allows."""
        networks = self.settings.private_networks_allowed
        refusal = chat_url_refusal(webhook, networks)
        if refusal:
            raise ChannelError(f"the chat webhook {refusal}", final=True)
        message = f"{text.subject}\n\n{text.body}"
        apprise_url = apprise_chat_url(webhook)
        if apprise_url is not None:
            service = apprise.Apprise.instantiate(apprise_url)
            if service is None:
                raise ChannelError("the chat webhook is not one Apprise can use", final=True)
            if not service.notify(body=text.body, title=text.subject):
                raise ChannelError("the chat service could not be reached or refused it")
            return
        session = outbound_session(networks, timeout=SEND_TIMEOUT_SECONDS)
        try:
            answer = session.post(webhook, json={"text": message})
        except AddressNotAllowed:
            raise ChannelError(
                "the chat webhook points to a private network the fab-lab has not allowed",
                final=True,
            ) from None
        except requests.RequestException:
            raise ChannelError("the chat webhook could not be reached") from None
        finally:
            session.close()
        if not answer.ok:
            raise ChannelError(f"the chat webhook refused the message (HTTP {answer.status_code})")


def apprise_chat_url(webhook: str) -> str | None:
    """The Apprise URL for a chat service Apprise formats for, or None for a plain
    webhook. Telegram's bot address (`https://api.telegram.org/bot<token>/sendMessage?
    chat_id=<chat>`) becomes `tgram://<token>/<chat>`."""
    parts = urlsplit(webhook)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return None
    if host in APPRISE_CHAT_HOSTS:
        return webhook
    if host == "api.telegram.org" and parts.path.startswith("/bot"):
        token = parts.path.removeprefix("/bot").split("/")[0]
        chats = [
            value
            for key, _, value in (pair.partition("=") for pair in parts.query.split("&"))
            if key == "chat_id" and value
        ]
        return f"tgram://{token}/{chats[0]}" if token and chats else None
    return None


# --- the sender -------------------------------------------------------------------------


class Notifier:
    """Claims, sends and marks the outbox's due messages (see the module's docstring).

    `clock` gives the present (tests move it); `name` tells this sender's claims apart."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        name: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease_seconds: float = LEASE_SECONDS,
        batch: int = 100,
        channels: Channels | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.name = (name or f"notifier@{socket.gethostname()}")[:100]
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.batch = batch
        self.channels = channels or Channels(settings)
        self.stopping = threading.Event()

    # The one pass tests call, and the process repeats.
    def send_due_once(self) -> Counter[str]:
        """Send every group due now (at most `batch`); counts by outcome: sent, grouped,
        retry, failed, skipped, held (waiting for the person's hours)."""
        outcomes: Counter[str] = Counter()
        for _ in range(self.batch):
            claimed = self._claim_next(outcomes)
            if claimed is None:
                break
            if claimed.ids:
                self._send(claimed, outcomes)
        return outcomes

    def queue_periodic_once(self) -> Counter[MessageKind]:
        """Queue the periodic messages due now (parts to collect, forecasts, supplies,
        silent printers, the daily digest): each once, however many senders run."""
        with Session(self.engine) as session:
            queued = queue_periodic(session, self.clock(), self.settings)
            session.commit()
        return queued

    def run_until_signalled(
        self, every_seconds: float = 5.0, heartbeat: Path | None = None
    ) -> None:
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("notifier %s started", self.name)
        next_sweep = 0.0
        while not self.stopping.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    queued = self.queue_periodic_once()
                    if queued:
                        log.info("notifier queued %s", dict(queued))
                    next_sweep = time.monotonic() + PERIODIC_SECONDS
                outcomes = self.send_due_once()
                if outcomes:
                    log.info("notifier: %s", dict(outcomes))
                if heartbeat is not None:
                    heartbeat.touch()
            except Exception:  # the database away for a moment: try again next round
                log.exception("notifier: a round failed; trying again")
            self.stopping.wait(every_seconds)
        log.info("notifier %s stopped", self.name)

    # --- claim ------------------------------------------------------------------------

    def _due(self, now: datetime) -> Any:
        """Rows ready to go: pending and due, or claimed by a sender whose claim lapsed."""
        return or_(
            and_(
                col(OutboxMessage.status) == OutboxStatus.PENDING,
                col(OutboxMessage.not_before) <= now,
                or_(
                    col(OutboxMessage.next_attempt_at).is_(None),
                    col(OutboxMessage.next_attempt_at) <= now,
                ),
            ),
            and_(
                col(OutboxMessage.status) == OutboxStatus.SENDING,
                col(OutboxMessage.claimed_until) < now,
            ),
        )

    def _claim_next(self, outcomes: Counter[str]) -> Claimed | None:
        """Claim the next group; None when nothing is due. A group held for quiet hours
        comes back with no ids (the caller goes on to the next)."""
        now = self.clock()
        settled = now - timedelta(seconds=self.settings.notify_group_seconds)
        with Session(self.engine, expire_on_commit=False) as session:
            first_query = (
                select(OutboxMessage)
                .where(self._due(now), col(OutboxMessage.created_at) <= settled)
                .order_by(col(OutboxMessage.id))
                .limit(1)
            )
            if is_postgres(session):
                first_query = first_query.with_for_update(skip_locked=True)
            first = session.exec(first_query).first()
            if first is None:
                return None
            group_query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.account_id == first.account_id,
                    OutboxMessage.kind == first.kind,
                    OutboxMessage.channel == first.channel,
                    self._due(now),
                )
                .order_by(col(OutboxMessage.id))
                .limit(GROUP_LIMIT)
            )
            if is_postgres(session):
                group_query = group_query.with_for_update(skip_locked=True)
            rows = [first, *(row for row in session.exec(group_query) if row.id != first.id)]
            ids = [row.id for row in rows if row.id is not None]

            opens = next_moment_for(
                session, first.account_id, now=now, timezone=self.settings.timezone
            )
            if opens > now:  # outside the person's hours: wait for them, unclaimed
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(ids))
                    .values(
                        status=OutboxStatus.PENDING,
                        not_before=opens,
                        claimed_by=None,
                        claimed_until=None,
                    )
                )
                session.commit()
                outcomes["held"] += len(ids)
                return Claimed([], first.kind, first.channel, "", [], _nobody(), {})

            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_by=self.name,
                    claimed_until=now + self.lease,
                )
            )
            recipient = self._recipient(session, first.account_id)
            session.commit()
        return Claimed(
            ids=ids,
            kind=MessageKind(first.kind),
            channel=Channel(first.channel),
            link=first.link,
            items=[dict(row.params) for row in rows],
            recipient=recipient,
            attempts={row.id: row.attempts for row in rows if row.id is not None},
        )

    def _recipient(self, session: Session, account_id: int) -> Recipient:
        """The person's addresses; an account's e-mail with no contact row yet gets one,
        for its unsubscribe token."""
        contact = session.get(Contact, account_id)
        account = session.get(Account, account_id)
        email = (contact.email if contact else None) or (account.email if account else None)
        if contact is None and email:
            contact = Contact(account_id=account_id)
            session.add(contact)
            session.flush()
        return Recipient(
            language=contact.language if contact else "fr",
            email=email,
            phone=contact.phone if contact else None,
            chat_url_sealed=contact.chat_url_sealed if contact else None,
            unsubscribe_token=contact.unsubscribe_token if contact else None,
        )

    # --- send and mark ----------------------------------------------------------------

    def _send(self, claimed: Claimed, outcomes: Counter[str]) -> None:
        try:
            self._deliver(claimed)
        except ChannelError as failure:
            self._mark_failed(claimed, failure, outcomes)
            return
        except Exception:  # a bug in a plugin must not stop the sender; nothing personal
            log.exception("notifier: sending a %s message failed", claimed.kind.value)
            self._mark_failed(claimed, ChannelError("an unexpected error while sending"), outcomes)
            return
        self._mark_sent(claimed, outcomes)

    def _deliver(self, claimed: Claimed) -> None:
        person = claimed.recipient
        link_url = self.settings.web_url.rstrip("/") + claimed.link
        if claimed.channel == Channel.EMAIL:
            if not person.email or not person.unsubscribe_token:
                raise ChannelError("no e-mail address in the account", skip=True)
            unsubscribe_url = (
                f"{self.settings.public_url.rstrip('/')}/unsubscribe/{person.unsubscribe_token}"
            )
            text = render(
                claimed.kind,
                claimed.items,
                person.language,
                link_url=link_url,
                unsubscribe_url=unsubscribe_url,
            )
            self.channels.send_email(person.email, text, unsubscribe_url)
        elif claimed.channel == Channel.SMS:
            if not person.phone:
                raise ChannelError("no phone number in the account", skip=True)
            message = short_text(claimed.kind, claimed.items, person.language, link_url)
            self.channels.send_sms(person.phone, message)
        elif claimed.channel == Channel.CHAT:
            if not person.chat_url_sealed:
                raise ChannelError("no chat webhook in the account", skip=True)
            try:
                webhook = open_sealed(self.settings.secret, person.chat_url_sealed)
            except UnreadableSecret:
                raise ChannelError(
                    "the chat webhook cannot be read (stored under another secret): enter it again",
                    final=True,
                ) from None
            text = render(claimed.kind, claimed.items, person.language, link_url=link_url)
            self.channels.send_chat(webhook, text)
        else:
            raise ChannelError("the person chose no channel", skip=True)

    def _mark_sent(self, claimed: Claimed, outcomes: Counter[str]) -> None:
        """Right after the send, in one short transaction (the at-least-once window)."""
        first, *others = claimed.ids
        now = self.clock()
        mine = col(OutboxMessage.claimed_by) == self.name
        with Session(self.engine) as session:
            marked = session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == first, mine)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=now,
                    attempts=claimed.attempts[first] + 1,
                    claimed_by=None,
                    claimed_until=None,
                    last_error=None,
                )
            )
            if others:
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(others), mine)
                    .values(
                        status=OutboxStatus.GROUPED,
                        grouped_into=first,
                        sent_at=now,
                        claimed_by=None,
                        claimed_until=None,
                        last_error=None,
                    )
                )
            session.commit()
        if getattr(marked, "rowcount", 1) == 0:
            log.warning("notifier: message %s was sent after its claim lapsed", first)
        outcomes["sent"] += 1
        outcomes["grouped"] += len(others)

    def _mark_failed(self, claimed: Claimed, failure: ChannelError, outcomes: Counter[str]) -> None:
        """Back to pending with a backoff (30 s, 1 min, 2 min… by default), or failed
        after the last attempt; `skipped` when the person has no address for the channel."""
        now = self.clock()
        limit = self.settings.notify_max_attempts
        reason, no_address = str(failure), failure.skip
        with Session(self.engine) as session:
            for row_id in claimed.ids:
                attempts = claimed.attempts[row_id] + 1
                values: dict[str, Any] = {
                    "attempts": attempts,
                    "claimed_by": None,
                    "claimed_until": None,
                    "last_error": reason[:500],
                }
                if failure.final or attempts >= limit:
                    values["status"] = OutboxStatus.SKIPPED if no_address else OutboxStatus.FAILED
                    outcomes["skipped" if no_address else "failed"] += 1
                else:
                    delay = self.settings.notify_retry_seconds * 2 ** (attempts - 1)
                    values["status"] = OutboxStatus.PENDING
                    values["next_attempt_at"] = now + timedelta(seconds=delay)
                    outcomes["retry"] += 1
                session.execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.id) == row_id,
                        col(OutboxMessage.claimed_by) == self.name,
                    )
                    .values(**values)
                )
            session.commit()
        log.warning("notifier: a %s message was not sent: %s", claimed.kind.value, reason)


def _nobody() -> Recipient:
    return Recipient("fr", None, None, None, None)
