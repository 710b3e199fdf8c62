"""People told what needs them, end to end with real parts, on SQLite and PostgreSQL.

A job goes from the printer's `PrintDone` (a simulated printer over a real Mosquitto,
the real production line) to the maker's "bed to clear" e-mail, received by a real SMTP
server (aiosmtpd); the printer waits until the maker clears the bed, then takes the next
job. An order goes from the centre to its "out for delivery" SMS, through an endpoint
shaped like the RaspiSMS gateway the AJR centre used in 2020. The sender is the real one
(`Notifier`), pointed at both as `makerline demo` points it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Contact, Job, OutboxMessage
from orchestrator.demo.hub_volunteers import HubVolunteers
from orchestrator.demo.mail_catcher import MailCatcher, SmsRecorder
from orchestrator.demo.network import CONTACTS, contact_of, seed_demo
from orchestrator.demo.runner import mail_url, sms_url
from orchestrator.domain.vocabulary import (
    Channel,
    JobStatus,
    MessageKind,
    OutboxStatus,
)
from orchestrator.notifier import Notifier
from orchestrator.production_line import ProductionLine
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto, wait_for
from tests.test_link import at_maker, register_printers, simulate

pytestmark = pytest.mark.slow
API = "/api/v1"
WEB_URL = "https://makerline.fablab-abbeville.example.org"


@pytest.fixture
def mail() -> Iterator[MailCatcher]:
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def sms() -> Iterator[SmsRecorder]:
    recorder = SmsRecorder(api_key="ajr-gateway-key").start()
    yield recorder
    recorder.stop()


@pytest.fixture
def settings(
    settings: Settings, mosquitto: Mosquitto, mail: MailCatcher, sms: SmsRecorder
) -> Settings:
    return settings.model_copy(
        update={
            "mqtt_url": mosquitto.url,
            "status_flush_seconds": 0.2,
            "hub_delay_hours": 0,
            "web_url": WEB_URL,
            "mail_url": mail_url(mail),
            "sms_url": sms_url(sms),
            "notify_group_seconds": 0,  # grouping has tests of its own; here, at once
        }
    )


@pytest.fixture
def notifier(engine: Engine, settings: Settings) -> Iterator[Notifier]:
    """The sender, its rounds in a thread as `makerline notify` runs them."""
    sender = Notifier(settings, engine, name="e2e")
    stopping = threading.Event()

    def rounds() -> None:
        while not stopping.is_set():
            sender.send_due_once()
            stopping.wait(0.2)

    thread = threading.Thread(target=rounds, daemon=True)
    thread.start()
    yield sender
    stopping.set()
    thread.join(timeout=10)


def api(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{url}{API}", headers=bearer(token), timeout=30)


def jobs(engine: Engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job).order_by(col(Job.id))))


def outbox(engine: Engine, kind: MessageKind) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(session.exec(query.order_by(col(OutboxMessage.id))))


def place_order(url: str, token: str, quantity: int) -> int:
    with api(url, token) as centre:
        placed = centre.post(
            "/orders",
            json={
                "product_key": "visor",
                "quantity": quantity,
                "delivery_address": "12 chemin des Prés, 80100 Abbeville",
                "needed_by": (date.today() + timedelta(days=3)).isoformat(),
            },
        )
        placed.raise_for_status()
        return int(placed.json()["id"])


def donate_supplies(url: str, coordinator: str, quantity: int) -> None:
    with api(url, coordinator) as hub:
        for item in ("film_sheet", "elastic"):
            body = {"donor": "Papeterie Picarde", "item": item, "quantity": quantity}
            hub.post("/donations", json=body).raise_for_status()


def test_a_finished_print_mails_its_maker_and_the_next_job_waits_for_the_clear(
    live_server: str,
    network: Network,
    engine: Engine,
    settings: Settings,
    orchestrator: ProductionLine,
    notifier: Notifier,
    mosquitto: Mosquitto,
    mail: MailCatcher,
) -> None:
    maker = api(live_server, network.maker)
    maker.put(
        "/me/contact", json={"email": "camille.lefebvre@example.org", "bed_reminder_minutes": 30}
    ).raise_for_status()
    donate_supplies(live_server, network.coordinator, 40)
    credentials = register_printers(live_server, network.maker, 1)
    ((printer_id, _token),) = credentials.items()
    # Nobody clears the bed but the maker, when told: the printer waits until then.
    loop, task, thread = simulate(mosquitto, credentials, speed=40_000.0, auto_clear_seconds=None)
    try:
        place_order(live_server, network.centre, 20)

        def awaiting_clear() -> Job | None:
            return next((j for j in jobs(engine) if j.status == JobStatus.AWAITING_CLEAR), None)

        first = wait_for(awaiting_clear, 60, "the first job's PrintDone")
        letter = wait_for(lambda: mail.received[:1], 30, "the bed-to-clear e-mail")[0]

        assert letter["To"] == "camille.lefebvre@example.org"
        body = letter.get_content()
        assert "MK3S #0" in letter["Subject"] + body  # which printer waits
        assert f"{WEB_URL}/maker" in body
        with Session(engine) as session:
            contact = session.get(Contact, first_account(engine, MessageKind.BED_TO_CLEAR))
            assert contact is not None
            token = contact.unsubscribe_token
        assert letter["List-Unsubscribe"] == f"<{settings.public_url}/unsubscribe/{token}>"
        assert letter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        told = outbox(engine, MessageKind.BED_TO_CLEAR)
        assert [(m.channel, m.status) for m in told] == [(Channel.EMAIL, OutboxStatus.SENT)]

        # Told, and not yet cleared: the printer takes no other job meanwhile. (Its live
        # state follows its status messages, and one sent while the print ended may come
        # after the PrintDone event.)
        wait_for(
            lambda: printer_state(maker, printer_id) == "awaiting_clear",
            30,
            "the printer's live state to say its bed waits",
        )
        others = [j for j in jobs(engine) if j.id != first.id]
        assert others and all(j.status == JobStatus.QUEUED for j in others)
        reminder = outbox(engine, MessageKind.BED_STILL_WAITING)
        assert [m.status for m in reminder] == [OutboxStatus.PENDING]  # due in 30 minutes

        maker.post(f"/printers/{printer_id}/clear-bed").raise_for_status()
        wait_for(
            lambda: next(j for j in jobs(engine) if j.id == first.id).status == JobStatus.DONE,
            30,
            "the cleared job to be done",
        )
        wait_for(
            lambda: any(
                j.id != first.id and j.status != JobStatus.QUEUED and j.printer_id is not None
                for j in jobs(engine)
            ),
            60,
            "the next job sent to the cleared printer",
        )
        # The reminder has no more reason to go: withdrawn, never sent.
        reminder = outbox(engine, MessageKind.BED_STILL_WAITING)
        assert [m.status for m in reminder][:1] == [OutboxStatus.SKIPPED]
        assert all(m["To"] == "camille.lefebvre@example.org" for m in mail.received)
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)
        maker.close()


def first_account(engine: Engine, kind: MessageKind) -> int:
    return outbox(engine, kind)[0].account_id


def printer_state(client: httpx.Client, printer_id: str) -> str:
    answer = client.get(f"/printers/{printer_id}/status")
    answer.raise_for_status()
    return str(answer.json()["state"])


def test_an_order_packed_for_a_centre_is_announced_by_sms_through_raspisms(
    live_server: str,
    network: Network,
    engine: Engine,
    orchestrator: ProductionLine,
    notifier: Notifier,
    mosquitto: Mosquitto,
    sms: SmsRecorder,
    mail: MailCatcher,
) -> None:
    centre = api(live_server, network.centre)
    # The French way of writing it; the gateway gets it in international form. Night
    # messages: the test does not depend on the hour it runs at.
    centre.put(
        "/me/contact",
        json={
            "email": "accueil.jardins-somme@example.org",
            "phone": "06 39 98 01 02",
            "night_messages": True,
        },
    ).raise_for_status()
    centre.put(
        "/me/notifications", json={"channels": {"out_for_delivery": "sms"}}
    ).raise_for_status()
    donate_supplies(live_server, network.coordinator, 20)
    credentials = register_printers(live_server, network.maker, 2)
    loop, task, thread = simulate(mosquitto, credentials, speed=40_000.0, auto_clear_seconds=0.05)
    hub = HubVolunteers(live_server, network.coordinator)
    try:
        order_id = place_order(live_server, network.centre, 4)
        wait_for(lambda: at_maker(engine, "headband") >= 4, 120, "4 printed headbands")

        def delivered() -> int:
            hub.round()  # collect, check, assemble, disinfect, pack and deliver
            return int(centre.get(f"/orders/{order_id}").json()["delivered"])

        wait_for(delivered, 60, "the order delivered by the hub's volunteers", step=0.5)
        text = wait_for(lambda: sms.received[:1], 30, "the out-for-delivery SMS")[0]
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)
        hub.close()
        centre.close()

    assert text.numbers == ("+33639980102",)
    assert text.text.startswith("Votre commande est en route")  # French, the default
    assert text.text.endswith(f"{WEB_URL}/centre")
    sent = outbox(engine, MessageKind.OUT_FOR_DELIVERY)
    assert [(m.channel, m.status) for m in sent] == [(Channel.SMS, OutboxStatus.SENT)]
    # The centre's other messages kept e-mail: the order's confirmation went there.
    confirmed = [m for m in mail.received if m["To"] == "accueil.jardins-somme@example.org"]
    assert len(confirmed) == 1 and len(sms.received) == 1


def test_the_demo_network_tells_each_person_where_they_chose(
    engine: Engine, settings: Settings
) -> None:
    """The demo sends every channel: e-mail to everyone, SMS to the centres that chose it."""
    with Session(engine) as session:
        network = seed_demo(session=session, settings=settings)
        session.commit()
        contacts = {c.account_id: c for c in session.exec(select(Contact))}
        queued = list(session.exec(select(OutboxMessage)))
    assert len(contacts) == len(network.accounts)
    assert all(c.email and c.email.endswith("@example.org") for c in contacts.values())
    assert len({c.email for c in contacts.values()}) == len(contacts)
    phones = [c.phone for c in contacts.values() if c.phone]
    assert phones == [CONTACTS[name].phone for name in CONTACTS if CONTACTS[name].phone]
    assert contact_of("Léa Dumont").email == "lea.dumont@example.org"
    # The orders were placed after the choices: the nursing home's confirmations go by SMS.
    channels = {(m.kind, m.channel) for m in queued}
    assert (MessageKind.ORDER_CONFIRMED, Channel.SMS) in channels
    assert (MessageKind.ORDER_CONFIRMED, Channel.EMAIL) in channels
