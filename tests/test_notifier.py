"""The sender against real parts: an SMTP server (aiosmtpd) and a local HTTP server that
records what webhooks and a RaspiSMS-shaped gateway receive. On SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.api.schemas import AccountCreate, PrinterCreate
from orchestrator.core.config import Settings, load_settings
from orchestrator.core.sealing import seal
from orchestrator.database.tables import (
    Contact,
    Maker,
    NotificationPreference,
    OutboxMessage,
    Printer,
    utcnow,
)
from orchestrator.domain.vocabulary import Channel, MessageKind, OutboxStatus, Role
from orchestrator.notifier import Notifier
from orchestrator.services import accounts, fleet
from orchestrator.services.notifications import notify
from tests.ports import free_port

PARIS = ZoneInfo("Europe/Paris")
SMS_KEY = "raspisms-test-key"


# --- the real parts ---------------------------------------------------------------------


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@dataclass
class Recorder:
    """A local HTTP server that records every POST and answers `status`."""

    status: int = 200
    calls: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    record = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            record.calls.append((self.path, dict(self.headers.items()), body))
            answer = json.dumps({"error": 0 if record.status == 200 else 8}).encode()
            self.send_response(record.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


def notifier_settings(tmp_path: Path, smtp_port: int, sms_port: int, **more: Any) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        mqtt_url="mqtt://127.0.0.1:9",
        web_url="https://board.example",
        public_url="https://api.example",
        mail_url=f"mailto://127.0.0.1:{smtp_port}?from=makerline@fablab.example",
        sms_url=f"raspisms://{SMS_KEY}@127.0.0.1:{sms_port}/raspisms",
        allowed_private_networks="127.0.0.1/32",
        **{"notify_group_seconds": 0, **more},
    )


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def person(
    session: Session,
    name: str,
    role: Role = Role.MAKER,
    *,
    hours: str | None = "00:00-24:00",
    **contact: Any,
) -> int:
    """An account with a contact; a maker gets one printer with these hours."""
    created = accounts.create_account(
        session=session, account_in=AccountCreate(name=name, role=role)
    )
    if role == Role.MAKER and hours is not None:
        maker = session.get(Maker, created.maker_id)
        assert maker is not None
        registered = fleet.register_printer(
            session=session,
            maker=maker,
            printer_in=PrinterCreate(
                name=f"{name}'s MK3", bed_x_mm=250, bed_y_mm=210, bed_z_mm=200
            ),
            settings=load_settings(),
        )
        printer = session.get(Printer, registered.id)
        assert printer is not None
        printer.availability_hours = hours
        session.add(printer)
    session.add(Contact(account_id=created.id, **contact))
    session.flush()
    return created.id


def rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


# --- e-mail -----------------------------------------------------------------------------


def test_the_mail_arrives_with_its_subject_link_and_unsubscribe_headers(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    box, smtp_port = mailbox
    settings = notifier_settings(tmp_path, smtp_port, recorder.port)
    with Session(engine) as session:
        camille = person(session, "Camille", email="camille@example.org", language="fr")
        notify(
            session,
            account_id=camille,
            kind=MessageKind.BED_TO_CLEAR,
            params={"printer": "Prusa de Camille", "quantity": 4, "item": "headband"},
            link="/maker",
            dedup_key="job:1:done",
        )
        token = session.get(Contact, camille).unsubscribe_token  # type: ignore[union-attr]
        session.commit()

    outcomes = Notifier(settings, engine, name="a").send_due_once()

    assert outcomes["sent"] == 1
    assert len(box.messages) == 1
    mail = box.messages[0]
    assert mail["Subject"] == "Plateau à libérer : Prusa de Camille a fini"
    assert mail["To"] == "camille@example.org"
    unsubscribe = f"https://api.example/unsubscribe/{token}"
    assert mail["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Prusa de Camille a fini (4 serre-têtes)." in body
    assert "https://board.example/maker" in body
    assert unsubscribe in body
    [row] = rows(engine)
    assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1
    # Sent once: the next pass finds nothing.
    assert not Notifier(settings, engine, name="b").send_due_once()
    assert len(box.messages) == 1


# --- SMS and chat -----------------------------------------------------------------------


def test_sms_goes_to_raspisms_and_chat_to_the_webhook(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    settings = notifier_settings(tmp_path, mailbox[1], recorder.port)
    with Session(engine) as session:
        centre = person(
            session,
            "CH Abbeville",
            Role.HEALTH_CENTRE,
            phone="+33600000001",
            chat_url_sealed=seal(settings.secret, recorder.url("/hooks/centre")),
            night_messages=True,
        )
        session.add(
            NotificationPreference(
                account_id=centre, kind=MessageKind.OUT_FOR_DELIVERY, channel=Channel.SMS
            )
        )
        session.add(
            NotificationPreference(
                account_id=centre, kind=MessageKind.ORDER_CONFIRMED, channel=Channel.CHAT
            )
        )
        for kind in (MessageKind.OUT_FOR_DELIVERY, MessageKind.ORDER_CONFIRMED):
            notify(
                session,
                account_id=centre,
                kind=kind,
                params={"order": "C-12", "quantity": 40, "item": "visor"},
                link="/centre",
            )
        session.commit()

    outcomes = Notifier(settings, engine, name="a").send_due_once()

    assert outcomes["sent"] == 2
    calls = {path: (headers, body) for path, headers, body in recorder.calls}
    sms_headers, sms_body = calls["/raspisms/api/scheduled/"]
    assert sms_headers["X-Api-Key"] == SMS_KEY
    form = parse_qs(sms_body.decode())
    assert form["numbers"] == ["+33600000001"]
    assert form["text"] == [
        "Votre commande est en route\n"
        "Votre commande C-12 (40 visières) est emballée et en route\n"
        "https://board.example/centre"
    ]
    _chat_headers, chat_body = calls["/hooks/centre"]
    text = json.loads(chat_body)["text"]
    assert text.startswith("Commande confirmée\n\nVotre commande C-12 (40 visières) est confirmée.")
    assert "https://board.example/centre" in text
    assert "unsubscribe" not in text
    assert {row.status for row in rows(engine)} == {OutboxStatus.SENT}


def test_a_failing_webhook_is_retried_with_backoff_then_failed(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    settings = notifier_settings(
        tmp_path, mailbox[1], recorder.port, notify_max_attempts=3, notify_retry_seconds=10
    )
    recorder.status = 500
    with Session(engine) as session:
        camille = person(
            session, "Camille", chat_url_sealed=seal(settings.secret, recorder.url("/hook"))
        )
        session.add(
            NotificationPreference(
                account_id=camille, kind=MessageKind.JOB_FAILED, channel=Channel.CHAT
            )
        )
        notify(session, account_id=camille, kind=MessageKind.JOB_FAILED, params={}, link="/maker")
        session.commit()
    clock = Clock(utcnow())
    notifier = Notifier(settings, engine, name="a", clock=clock)

    assert notifier.send_due_once()["retry"] == 1
    [row] = rows(engine)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at == clock.now + timedelta(seconds=10)

    clock.now += timedelta(seconds=9)
    assert not notifier.send_due_once()  # not yet: the backoff holds
    clock.now += timedelta(seconds=2)
    assert notifier.send_due_once()["retry"] == 1
    [row] = rows(engine)
    assert row.next_attempt_at == clock.now + timedelta(seconds=20)  # twice as long

    clock.now += timedelta(seconds=21)
    assert notifier.send_due_once()["failed"] == 1
    [row] = rows(engine)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert row.last_error == "the chat webhook refused the message (HTTP 500)"
    assert len(recorder.calls) == 3
    clock.now += timedelta(hours=1)
    assert not notifier.send_due_once()


def test_a_mail_server_that_is_down_leaves_an_error_without_any_address(
    engine: Engine, tmp_path: Path, recorder: Recorder
) -> None:
    settings = notifier_settings(tmp_path, free_port(), recorder.port, notify_max_attempts=1)
    with Session(engine) as session:
        camille = person(session, "Camille", email="camille@example.org")
        notify(session, account_id=camille, kind=MessageKind.JOB_FAILED, params={}, link="/maker")
        session.commit()

    assert Notifier(settings, engine, name="a").send_due_once()["failed"] == 1
    [row] = rows(engine)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "the mail server could not be reached or refused the message"


# --- grouping, quiet hours --------------------------------------------------------------


def test_five_beds_to_clear_within_a_minute_go_out_as_one_mail(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    box, smtp_port = mailbox
    settings = notifier_settings(tmp_path, smtp_port, recorder.port, notify_group_seconds=60)
    with Session(engine) as session:
        camille = person(session, "Camille", email="camille@example.org")
        for n in range(5):
            notify(
                session,
                account_id=camille,
                kind=MessageKind.BED_TO_CLEAR,
                params={"printer": f"Ender {n}", "quantity": 40, "item": "visor"},
                link="/maker",
                dedup_key=f"job:{n}:done",
            )
        session.commit()
    clock = Clock(utcnow())
    notifier = Notifier(settings, engine, name="a", clock=clock)

    assert not notifier.send_due_once()  # the first waits a minute for its repeats
    clock.now += timedelta(seconds=61)
    outcomes = notifier.send_due_once()

    assert outcomes == {"sent": 1, "grouped": 4}
    [mail] = box.messages
    assert mail["Subject"] == "5 imprimantes ont fini : plateaux à libérer"
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.count("- Ender") == 5 and "- Ender 4 a fini (40 visières)" in body
    first, *others = rows(engine)
    assert first.status == OutboxStatus.SENT
    assert {(row.status, row.grouped_into) for row in others} == {(OutboxStatus.GROUPED, first.id)}


def test_a_message_at_23h_waits_for_the_makers_hours(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    box, smtp_port = mailbox
    settings = notifier_settings(tmp_path, smtp_port, recorder.port)
    tomorrow = (utcnow().astimezone(PARIS) + timedelta(days=1)).date()
    at_23h = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 23, tzinfo=PARIS)
    opens = (at_23h + timedelta(days=1)).replace(hour=8)
    with Session(engine) as session:
        camille = person(session, "Camille", hours="08:00-20:00", email="camille@example.org")
        notify(
            session,
            account_id=camille,
            kind=MessageKind.PRINTER_OFFLINE,
            params={"printer": "Ender"},
            link="/maker",
            now=at_23h,
            timezone="Europe/Paris",
        )
        session.commit()
    [row] = rows(engine)
    assert row.not_before == opens

    clock = Clock(at_23h)
    notifier = Notifier(settings, engine, name="a", clock=clock)
    assert not notifier.send_due_once()
    clock.now = opens - timedelta(minutes=1)
    assert not notifier.send_due_once()
    assert not box.messages
    clock.now = opens
    assert notifier.send_due_once()["sent"] == 1
    assert box.messages[0]["Subject"] == "Ender ne répond plus"


def test_the_sender_checks_the_hours_again(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    """A message queued in the hours but not sent before they closed waits for the next."""
    box, smtp_port = mailbox
    settings = notifier_settings(tmp_path, smtp_port, recorder.port)
    with Session(engine) as session:
        centre = person(session, "EHPAD", Role.HEALTH_CENTRE, email="ehpad@example.org")
        notify(
            session,
            account_id=centre,
            kind=MessageKind.CONFIRM_RECEIPT,
            params={},
            link="/centre",
            now=datetime(2020, 4, 20, 12, tzinfo=PARIS),
        )
        session.commit()
    late = utcnow().astimezone(PARIS).replace(hour=22) + timedelta(days=1)
    outcomes = Notifier(settings, engine, name="a", clock=Clock(late)).send_due_once()
    assert outcomes == {"held": 1}
    [row] = rows(engine)
    assert row.status == OutboxStatus.PENDING
    assert row.not_before.astimezone(PARIS).hour == 8
    assert not box.messages


# --- once, across senders ---------------------------------------------------------------


def test_two_senders_racing_send_each_message_once(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    box, smtp_port = mailbox
    settings = notifier_settings(tmp_path, smtp_port, recorder.port)
    with Session(engine) as session:
        for n in range(12):
            account = person(session, f"Maker {n}", email=f"maker{n}@example.org")
            for kind in (MessageKind.BED_TO_CLEAR, MessageKind.JOB_FAILED):
                notify(session, account_id=account, kind=kind, params={}, link="/maker")
        session.commit()
    senders = [Notifier(settings, engine, name=name) for name in ("replica-1", "replica-2")]
    barrier = threading.Barrier(2)
    totals: dict[str, int] = {}

    def run(notifier: Notifier) -> None:
        barrier.wait()
        sent = 0
        for _ in range(50):
            outcomes = notifier.send_due_once()
            if not outcomes:
                break
            sent += outcomes["sent"]
        totals[notifier.name] = sent

    threads = [threading.Thread(target=run, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(totals.values()) == 24
    received = sorted((str(mail["To"]), str(mail["Subject"])) for mail in box.messages)
    assert len(received) == 24 and len(set(received)) == 24
    assert {row.status for row in rows(engine)} == {OutboxStatus.SENT}


def test_a_lapsed_claim_is_sent_by_another_sender(
    engine: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int], recorder: Recorder
) -> None:
    """A sender that died after claiming: its claim lapses, and another sends the message."""
    box, smtp_port = mailbox
    settings = notifier_settings(tmp_path, smtp_port, recorder.port)
    with Session(engine) as session:
        camille = person(session, "Camille", email="camille@example.org")
        notify(session, account_id=camille, kind=MessageKind.JOB_FAILED, params={}, link="/maker")
        session.commit()
    clock = Clock(utcnow())
    crashed = Notifier(settings, engine, name="crashed", clock=clock, lease_seconds=60)
    from collections import Counter

    assert crashed._claim_next(Counter()) is not None  # claimed, then the process died
    survivor = Notifier(settings, engine, name="survivor", clock=clock)
    assert not survivor.send_due_once()  # the claim holds
    clock.now += timedelta(seconds=61)
    assert survivor.send_due_once()["sent"] == 1
    assert len(box.messages) == 1
