"""Where people are told things and how, on SQLite and PostgreSQL: their contact (bounded,
the chat webhook sealed and masked), their channel per kind of message, who may read what
(the person and the coordinator only), the coordinator's outbox, and the one-click
unsubscribe link of every e-mail (RFC 8058)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from orchestrator.database.tables import Contact, OutboxMessage
from orchestrator.domain.vocabulary import MessageKind, OutboxStatus
from orchestrator.services.notifications import notify
from tests.conftest import Network, bearer
from tests.test_production_flow import get

API = "/api/v1"
WEBHOOK = "https://discord.com/api/webhooks/1234567890/s3cr3t-webhook-token"
MAKER_KINDS = [
    "bed_to_clear",
    "bed_still_waiting",
    "printer_offline",
    "job_failed",
    "parts_to_collect",
]


def put(client: TestClient, token: str, path: str, body: object):
    return client.put(f"{API}{path}", json=body, headers=bearer(token))


def account_id_of(client: TestClient, token: str) -> int:
    account_id: int = get(client, token, "/me").json()["id"]
    return account_id


def channels(client: TestClient, token: str) -> dict[str, str]:
    return {c["kind"]: c["channel"] for c in get(client, token, "/me/notifications").json()}


def queue(engine: Engine, account_id: int, kind: MessageKind, key: str) -> int:
    """A message queued as a trigger queues it, through `notify`."""
    with Session(engine) as session:
        message = notify(
            session,
            account_id=account_id,
            kind=kind,
            params={"printer": "Prusa MK3S"},
            link="/maker",
            dedup_key=key,
        )
        assert message is not None
        session.commit()
        assert message.id is not None
        return message.id


def unsubscribe_token(engine: Engine, account_id: int) -> str:
    with Session(engine) as session:
        contact = session.get(Contact, account_id)
        assert contact is not None
        return contact.unsubscribe_token


def test_a_person_keeps_their_addresses_and_the_webhook_stays_sealed(
    client: TestClient, network: Network, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    defaults = get(client, network.maker, "/me/contact").json()
    assert defaults["email"] is None and defaults["chat_url_masked"] is None
    assert (defaults["language"], defaults["bed_reminder_minutes"]) == ("fr", 60)
    assert defaults["night_messages"] is False and defaults["updated_at"] is None

    caplog.set_level(logging.DEBUG)
    saved = put(
        client,
        network.maker,
        "/me/contact",
        {
            "email": " camille@example.org ",
            "phone": "06 12 34 56 78",
            "chat_url": WEBHOOK,
            "language": "en",
            "bed_reminder_minutes": 30,
            "night_messages": True,
        },
    )
    assert saved.status_code == 200, saved.text
    contact = saved.json()
    assert contact["email"] == "camille@example.org"
    assert contact["phone"] == "+33612345678"  # the French way, made international
    assert contact["chat_url_masked"] == "https://discord.com/…"
    assert "s3cr3t" not in saved.text and "1234567890" not in saved.text
    assert (contact["language"], contact["bed_reminder_minutes"]) == ("en", 30)
    assert contact["night_messages"] is True
    assert get(client, network.maker, "/me/contact").json() == contact
    for personal in ("camille@example.org", "+33612345678", "s3cr3t"):
        assert personal not in caplog.text

    with engine.connect() as connection:
        stored = connection.execute(text("SELECT chat_url_sealed FROM contact")).scalar_one()
    assert stored.startswith("v1:") and "s3cr3t" not in stored and "discord" not in stored

    # A field left out is kept; null clears an address, or the reminder.
    changed = put(
        client, network.maker, "/me/contact", {"phone": None, "bed_reminder_minutes": None}
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["phone"] is None and after["bed_reminder_minutes"] is None
    assert after["email"] == "camille@example.org"
    assert after["chat_url_masked"] == "https://discord.com/…"
    assert after["language"] == "en" and after["night_messages"] is True
    cleared = put(client, network.maker, "/me/contact", {"chat_url": ""}).json()
    assert cleared["chat_url_masked"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"email": "camille.example.org"},
        {"email": "marie@"},
        {"email": "a@b"},
        {"email": "ca mille@example.org"},
        {"email": "x" * 64 + "@" + "d" * 185 + ".org"},  # 255 characters
        {"phone": "12345"},
        {"phone": "+33 6 12 34 56 78 90 12"},  # longer than 20
        {"phone": "06 12 34 56 7A"},
        {"chat_url": "http://discord.com/api/webhooks/1/x"},  # not https
        {"chat_url": "https://user:pw@discord.com/api/webhooks/1/x"},
        {"chat_url": "https://127.0.0.1/hook"},  # loopback: the outbound policy
        {"chat_url": "https://10.1.2.3/hook"},  # private
        {"chat_url": "https://[::ffff:192.168.1.2]/hook"},
        {"chat_url": "https://example.org/" + "x" * 1000},
        {"language": "de"},
        {"bed_reminder_minutes": 4},
        {"bed_reminder_minutes": 1441},
        {"night_messages": "maybe"},
        {"mail": "camille@example.org"},  # a field that does not exist
    ],
)
def test_a_contact_is_bounded_and_a_refusal_never_repeats_it(
    client: TestClient, network: Network, body: dict
) -> None:
    answer = put(client, network.maker, "/me/contact", body)
    assert answer.status_code == 422, answer.text
    for value in body.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in answer.text
    assert get(client, network.maker, "/me/contact").json()["updated_at"] is None


def test_the_reminder_accepts_its_bounds(client: TestClient, network: Network) -> None:
    for minutes in (5, 1440):
        answer = put(client, network.maker, "/me/contact", {"bed_reminder_minutes": minutes})
        assert answer.status_code == 200 and answer.json()["bed_reminder_minutes"] == minutes
    phone = put(client, network.maker, "/me/contact", {"phone": "0044 20 7946 0958"}).json()
    assert phone["phone"] == "+442079460958"


def test_only_the_person_and_the_coordinator_read_a_contact(
    client: TestClient, network: Network
) -> None:
    put(
        client,
        network.maker,
        "/me/contact",
        {"email": "camille@example.org", "phone": "+33612345678"},
    )
    camille = account_id_of(client, network.maker)

    seen = get(client, network.coordinator, f"/accounts/{camille}/contact")
    assert seen.status_code == 200
    assert (seen.json()["email"], seen.json()["phone"]) == ("camille@example.org", "+33612345678")
    for stranger in (network.other_maker, network.centre):
        refused = get(client, stranger, f"/accounts/{camille}/contact")
        assert refused.status_code == 403 and "camille" not in refused.text
    assert get(client, network.other_maker, "/me/contact").json()["email"] is None
    assert get(client, network.coordinator, "/accounts/999999/contact").status_code == 404
    assert client.get(f"{API}/me/contact").status_code == 401


def test_each_role_chooses_a_channel_per_kind_of_its_own(
    client: TestClient, network: Network, engine: Engine
) -> None:
    choices = get(client, network.maker, "/me/notifications").json()
    assert [c["kind"] for c in choices] == MAKER_KINDS
    assert {(c["channel"], c["default_channel"], c["chosen"]) for c in choices} == {
        ("email", "email", False)
    }
    assert list(channels(client, network.centre)) == [
        "order_confirmed",
        "forecast_changed",
        "out_for_delivery",
        "confirm_receipt",
    ]
    assert list(channels(client, network.coordinator)) == [
        "supply_running_out",
        "job_flagged",
        "silent_printer",
        "daily_digest",
    ]

    answer = put(
        client,
        network.maker,
        "/me/notifications",
        {"channels": {"bed_to_clear": "sms", "parts_to_collect": "none"}},
    )
    assert answer.status_code == 200, answer.text
    chosen = {c["kind"]: (c["channel"], c["chosen"]) for c in answer.json()}
    assert chosen["bed_to_clear"] == ("sms", True)
    assert chosen["parts_to_collect"] == ("none", True)
    assert chosen["job_failed"] == ("email", False)
    put(client, network.maker, "/me/notifications", {"channels": {"bed_to_clear": "chat"}})
    assert channels(client, network.maker)["bed_to_clear"] == "chat"
    assert channels(client, network.other_maker)["bed_to_clear"] == "email"

    for wrong in (
        {"channels": {"order_confirmed": "sms"}},  # a centre's kind
        {"channels": {"bed_to_clear": "pigeon"}},
        {"channels": {"coffee_ready": "email"}},
        {"kinds": {"bed_to_clear": "sms"}},
    ):
        refused = put(client, network.maker, "/me/notifications", wrong)
        assert refused.status_code == 422, (wrong, refused.text)
    assert channels(client, network.maker)["bed_to_clear"] == "chat"

    # The choice is the one a queued message takes.
    camille = account_id_of(client, network.maker)
    queue(engine, camille, MessageKind.BED_TO_CLEAR, "bed:1")
    queue(engine, camille, MessageKind.PARTS_TO_COLLECT, "parts:1")
    with Session(engine) as session:
        rows = {m.kind: (m.channel, m.status) for m in session.exec(select(OutboxMessage))}
    assert rows[MessageKind.BED_TO_CLEAR] == ("chat", OutboxStatus.PENDING)
    assert rows[MessageKind.PARTS_TO_COLLECT] == ("none", OutboxStatus.SKIPPED)


def test_the_coordinator_follows_the_outbox_and_nobody_else_does(
    client: TestClient, network: Network, engine: Engine
) -> None:
    put(client, network.maker, "/me/contact", {"email": "camille@example.org", "chat_url": WEBHOOK})
    put(client, network.maker, "/me/notifications", {"channels": {"job_failed": "chat"}})
    camille = account_id_of(client, network.maker)
    first = queue(engine, camille, MessageKind.BED_TO_CLEAR, "bed:7")
    second = queue(engine, camille, MessageKind.JOB_FAILED, "failed:7")
    third = queue(engine, network.centre_id, MessageKind.ORDER_CONFIRMED, "order:3")

    page = get(client, network.coordinator, "/notifications")
    assert page.status_code == 200, page.text
    outbox = page.json()
    assert outbox["total"] == 3
    assert [row["id"] for row in outbox["rows"]] == [third, second, first]  # newest first
    by_id = {row["id"]: row for row in outbox["rows"]}
    assert by_id[first]["account_name"] == "Camille"
    assert (by_id[first]["channel"], by_id[first]["address"]) == ("email", "camille@example.org")
    assert (by_id[second]["channel"], by_id[second]["address"]) == ("chat", "https://discord.com/…")
    assert "s3cr3t" not in page.text
    assert by_id[third]["account_name"] == "CH Abbeville" and by_id[third]["address"] is None
    assert {row["status"] for row in outbox["rows"]} == {"pending"}
    assert by_id[first]["attempts"] == 0 and by_id[first]["sent_at"] is None
    assert by_id[first]["link"] == "/maker"

    only_failed = get(client, network.coordinator, "/notifications", params={"kind": "job_failed"})
    assert [row["id"] for row in only_failed.json()["rows"]] == [second]
    with Session(engine) as session:
        message = session.get(OutboxMessage, first)
        assert message is not None
        message.status = OutboxStatus.FAILED
        message.attempts = 5
        message.last_error = "the SMTP server refused the connection"
        session.add(message)
        session.commit()
    failed = get(client, network.coordinator, "/notifications", params={"status": "failed"}).json()
    assert failed["total"] == 1
    assert failed["rows"][0]["last_error"] == "the SMTP server refused the connection"
    assert failed["rows"][0]["attempts"] == 5
    paged = get(client, network.coordinator, "/notifications", params={"limit": 1, "offset": 1})
    assert [row["id"] for row in paged.json()["rows"]] == [second]
    assert paged.json()["total"] == 3

    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"status": "lost"}):
        assert get(client, network.coordinator, "/notifications", params=params).status_code == 422
    for stranger in (network.centre, network.maker):
        refused = get(client, stranger, "/notifications")
        assert refused.status_code == 403 and "camille" not in refused.text


def test_one_click_unsubscribes_from_email_and_keeps_the_other_channels(
    client: TestClient, network: Network, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    put(client, network.maker, "/me/contact", {"email": "camille@example.org", "chat_url": WEBHOOK})
    put(
        client,
        network.maker,
        "/me/notifications",
        {"channels": {"job_failed": "chat", "printer_offline": "sms"}},
    )
    camille = account_id_of(client, network.maker)
    waiting_mail = queue(engine, camille, MessageKind.BED_TO_CLEAR, "bed:9")
    waiting_chat = queue(engine, camille, MessageKind.JOB_FAILED, "failed:9")
    token = unsubscribe_token(engine, camille)
    caplog.set_level(logging.DEBUG)

    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert "Se désabonner" in page.text and 'name="List-Unsubscribe"' in page.text
    assert "<script" not in page.text
    assert "Camille" not in page.text and "camille@example.org" not in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert "Unsubscribe me" in client.get(f"/unsubscribe/{token}?lang=en").text
    assert channels(client, network.maker)["bed_to_clear"] == "email"  # a GET changes nothing

    assert client.post(f"/unsubscribe/{token}").status_code == 400
    assert client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "Yes"}).status_code == 400
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'id="done"' in done.text
    assert "vous ne recevrez plus" in done.text
    assert channels(client, network.maker) == {
        "bed_to_clear": "none",
        "bed_still_waiting": "none",
        "printer_offline": "sms",
        "job_failed": "chat",
        "parts_to_collect": "none",
    }
    assert channels(client, network.other_maker)["bed_to_clear"] == "email"
    with Session(engine) as session:
        mail = session.get(OutboxMessage, waiting_mail)
        chat = session.get(OutboxMessage, waiting_chat)
        assert mail is not None and chat is not None
        assert (mail.status, mail.last_error) == (OutboxStatus.SKIPPED, "unsubscribed from e-mail")
        assert chat.status == OutboxStatus.PENDING
    assert "camille@example.org" not in caplog.text

    # A mail client's one-click POST comes as multipart/form-data; again is harmless.
    again = client.post(
        f"/unsubscribe/{token}?lang=en", files={"List-Unsubscribe": (None, "One-Click")}
    )
    assert again.status_code == 200 and "already unsubscribed" in again.text
    unknown = client.post(
        "/unsubscribe/AAAAAAAAAAAAAAAAAAAAAA", data={"List-Unsubscribe": "One-Click"}
    )
    assert unknown.status_code == 404
    assert client.get("/unsubscribe/not-a-token!").status_code == 422


def test_the_unsubscribe_doors_are_rate_limited_per_address(
    client: TestClient, network: Network, engine: Engine
) -> None:
    put(client, network.maker, "/me/contact", {"email": "camille@example.org"})
    token = unsubscribe_token(engine, account_id_of(client, network.maker))
    answers = [client.get(f"/unsubscribe/{token}").status_code for _ in range(61)]
    assert answers[:60] == [200] * 60 and answers[60] == 429
    refused = client.get(f"/unsubscribe/{token}")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    posts = [
        client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code
        for _ in range(31)
    ]
    assert posts[:30] == [200] * 30 and posts[30] == 429
