"""A health centre places an order through the form (which empties once the order is
placed), confirms a likely duplicate, follows its orders, sees each delivery with what it
brought, numbered among its own, and confirms its receipt."""

from __future__ import annotations

from dataclasses import replace

from streamlit.testing.v1 import AppTest

from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, Service, frame_with, no_exception, texts


def fill_order(app: AppTest, quantity: int, note: str = "") -> AppTest:
    app.selectbox(key="order_product-fr").set_value("visor")
    app.number_input(key="order_quantity").set_value(quantity)
    app.selectbox(key="order_urgency-fr").set_value("critical")
    app.text_area(key="order_address").input("43 rue de l'Isle, 80100 Abbeville")
    app.text_input(key="order_note").input(note)
    return app


def test_a_centre_orders_confirms_a_duplicate_and_confirms_receipt(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    service.delivered_hooks(replace(network, centre=network.other_centre), 2)
    _batch, delivery_id = service.delivered_hooks(network, 4)
    app = open_app(network.centre)
    no_exception(app)
    assert app.title[0].value == "Commandes — CH Abbeville"
    assert frame_with(app, "Livraison prévue")["Statut"].tolist() == ["Livrée"]

    fill_order(app, 30).button(key="order_submit").click().run()

    no_exception(app)
    assert "Commande n°" in texts(app.success)
    assert "30 visières de protection" in texts(app.success)
    orders = frame_with(app, "Livraison prévue")
    assert orders["Quantité"].tolist() == [30, 4]
    assert orders["Urgence"].tolist()[0] == "Critique"
    # The form is empty again: pressing once more sends nothing.
    assert app.number_input(key="order_quantity").value is None
    assert app.selectbox(key="order_product-fr").value is None
    app.button(key="order_submit").click().run()
    assert "Remplissez d'abord : Produit, Quantité" in texts(app.warning)
    # The confirmation stays on the runs that follow: one cut short by a refresh must not
    # leave the centre wondering whether the order went through.
    assert "30 visières de protection" in texts(app.success)
    assert len(service.get(network.centre, "/orders")) == 2

    fill_order(app, 30, "Pour le service de pneumologie").button(key="order_submit").click().run()
    assert "Cette commande ressemble à une commande déjà passée" in texts(app.warning)
    assert app.number_input(key="order_quantity").value == 30  # kept while undecided
    assert len(service.get(network.centre, "/orders")) == 2
    app.button(key="confirm_duplicate").click().run()

    no_exception(app)
    assert "Commande n°" in texts(app.success)
    assert not app.warning
    assert [o["quantity"] for o in service.get(network.centre, "/orders")] == [4, 30, 30]

    # Its first delivery, though the second the hub made: numbered among the centre's own.
    assert "Livraison n° 1 — 4 crochets AMICROCHE" in texts(app.markdown)
    assert "1 livraison attend votre confirmation de réception." in texts(app.markdown)
    receipt = app.button(key=f"receipt_{delivery_id}")
    assert receipt.label == "Confirmer la réception de la livraison n° 1"
    receipt.click().run()

    no_exception(app)
    assert "Réception de la livraison n° 1 confirmée" in texts(app.success)
    (delivery,) = service.get(network.centre, "/deliveries")
    assert delivery["received_at"] is not None
    assert f"receipt_{delivery_id}" not in [button.key for button in app.button]
    received = frame_with(app, "Reçue le")
    assert received["N°"].tolist() == [1]
    assert received["Produit"].tolist() == ["AMICROCHE (crochet d'hygiène)"]


def test_a_centre_sees_the_batches_it_received_and_reports_a_defect(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    service.delivered_hooks(network, 3)
    (delivery,) = service.get(network.centre, "/deliveries")
    ((batch_id, quantity),) = [(b["batch_id"], b["quantity"]) for b in delivery["batches"]]
    app = open_app(network.centre)
    no_exception(app)
    details = texts(app.caption)
    assert f"lots : n° {batch_id} ({quantity})" in details
    assert f"commande n° {delivery['order_id']}" in details
    assert "Heures indiquées en heure de Paris" in details

    app.button(key="defect_submit").click().run()
    assert "Remplissez d'abord : Lot, Qu'est-ce qui ne va pas ?" in texts(app.warning)

    app.selectbox(key="defect_batch").set_value(batch_id)
    app.text_area(key="defect_text").input("Le crochet casse à la pose")
    app.button(key="defect_submit").click().run()

    no_exception(app)
    assert f"sur le lot n° {batch_id} transmis au fab-lab" in texts(app.success)
    assert app.text_area(key="defect_text").value == ""
    (report,) = service.get(network.coordinator, "/defects")
    assert (report["batch_id"], report["centre_name"]) == (batch_id, "CH Abbeville")
    assert report["text"] == "Le crochet casse à la pose"
