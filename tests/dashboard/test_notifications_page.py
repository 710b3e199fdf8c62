"""Everyone's notifications page and the coordinator's sent messages, against the live API:
a maker saves an e-mail and chooses SMS for "bed to clear", and the coordinator reads the
outbox with each message's person, channel, address and status."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.database.tables import OutboxMessage
from orchestrator.domain.vocabulary import MessageKind, OutboxStatus
from orchestrator.services.notifications import notify
from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, Service, frame_with, no_exception, texts


def test_a_maker_saves_an_email_and_chooses_sms_for_a_bed_to_clear(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.maker)
    app.switch_page("app_pages/notifications.py").run()
    no_exception(app)
    assert app.title[0].value == "Mes notifications"
    labels = [box.label for box in app.selectbox]
    assert "Plateau à libérer" in labels and "Impression échouée" in labels
    assert "Commande confirmée" not in labels  # a centre's message, not a maker's

    app.text_input(key="contact_email").input("camille@example.org")
    app.text_input(key="contact_phone").input("06 12 34 56 78")
    app.number_input(key="contact_reminder_minutes").set_value(30)
    app.button(key="contact_submit").click().run()
    no_exception(app)
    assert "Coordonnées enregistrées." in texts(app.success)
    contact = service.get(network.maker, "/me/contact")
    assert (contact["email"], contact["phone"]) == ("camille@example.org", "+33612345678")
    assert contact["bed_reminder_minutes"] == 30

    app.selectbox(key="channel_bed_to_clear-fr").set_value("sms")
    app.button(key="channels_submit").click().run()
    no_exception(app)
    assert "Choix enregistrés." in texts(app.success)
    channels = {c["kind"]: c["channel"] for c in service.get(network.maker, "/me/notifications")}
    assert channels["bed_to_clear"] == "sms"
    assert channels["job_failed"] == "email"

    # A chat chosen without a webhook is pointed out; a refused webhook says why.
    app.selectbox(key="channel_job_failed-fr").set_value("chat")
    app.button(key="channels_submit").click().run()
    assert "Discussion pour au moins un message" in texts(app.warning)
    app.text_input(key="contact_chat").input("https://127.0.0.1/hook")
    app.button(key="contact_submit").click().run()
    no_exception(app)
    assert "Coordonnées non enregistrées" in texts(app.error)
    assert service.get(network.maker, "/me/contact")["chat_url_masked"] is None
    assert app.text_input(key="contact_chat").value == "https://127.0.0.1/hook"  # to fix

    app.session_state["language"] = "en"
    app.run()
    no_exception(app)
    assert app.title[0].value == "My notifications"
    assert app.selectbox(key="channel_bed_to_clear-en").value == "sms"
    assert "Bed to clear" in [box.label for box in app.selectbox]


def test_the_coordinator_reads_the_sent_messages(
    open_app: OpenApp, service: Service, network: Network, engine: Engine
) -> None:
    service.http.put(
        "/me/contact",
        json={"email": "camille@example.org"},
        headers={"Authorization": f"Bearer {network.maker}"},
    ).raise_for_status()
    camille = service.get(network.maker, "/me")["id"]
    with Session(engine) as session:
        sent = notify(
            session,
            account_id=camille,
            kind=MessageKind.BED_TO_CLEAR,
            params={"printer": "Prusa MK3S"},
            link="/maker",
        )
        notify(
            session,
            account_id=network.centre_id,
            kind=MessageKind.OUT_FOR_DELIVERY,
            params={"order_id": 1},
            link="/centre",
        )
        assert sent is not None
        session.commit()
        message = session.get(OutboxMessage, sent.id)
        assert message is not None
        message.status = OutboxStatus.FAILED
        message.attempts = 5
        message.last_error = "the SMTP server refused the connection"
        session.commit()

    app = open_app(network.coordinator)
    app.switch_page("app_pages/messages.py").run()
    no_exception(app)
    outbox = frame_with(app, "Destinataire")
    assert list(outbox["Destinataire"]) == ["CH Abbeville", "Camille"]  # newest first
    assert list(outbox["Message"]) == ["Colis en livraison", "Plateau à libérer"]
    assert list(outbox["Statut"]) == ["En attente", "Échec"]
    assert list(outbox["Adresse"]) == ["—", "camille@example.org"]
    assert list(outbox["Essais"])[1] == "5"
    assert "refused the connection" in list(outbox["Dernière erreur"])[1]
    assert "2 messages affichés sur 2." in texts(app.caption)

    app.selectbox(key="outbox_status-fr").set_value("failed").run()
    no_exception(app)
    assert list(frame_with(app, "Destinataire")["Destinataire"]) == ["Camille"]
    assert "1 message affiché sur 1." in texts(app.caption)
    app.session_state["language"] = "en"
    app.run()
    no_exception(app)
    assert app.title[0].value == "Sent messages"
    # A new language shows fresh filters (`choice_key`): every message again.
    assert list(frame_with(app, "To")["Status"]) == ["Waiting", "Failed"]
