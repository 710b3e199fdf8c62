"""A health centre places an order through the form, confirms a likely duplicate, follows
its orders and confirms receipt of a delivery."""

from __future__ import annotations

from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, Service, frame_with, no_exception, texts


def deliver_hooks(service: Service, network: Network, quantity: int) -> int:
    """Print, collect, check, assemble, disinfect, pack and deliver hooks to the centre."""
    coordinator = network.coordinator
    printer_id = service.printer(network.maker)
    order_id = service.order(network.centre, "amicroche", quantity)
    service.printed(coordinator, printer_id, "amicroche", quantity)
    service.post(
        coordinator,
        "/collections",
        {"maker_id": network.maker_id, "item": "amicroche", "quantity": quantity},
    )
    service.post(coordinator, "/qc", {"item": "amicroche", "passed": quantity})
    batch = service.post(
        coordinator, "/batches", {"product_key": "amicroche", "quantity": quantity}
    )
    service.post(coordinator, f"/batches/{batch['id']}/disinfection", {"method": "alcohol_70"})
    service.post(coordinator, "/packings", {"order_id": order_id, "quantity": quantity})
    delivery_id: int = service.post(
        coordinator, "/deliveries", {"order_id": order_id, "quantity": quantity}
    )["id"]
    return delivery_id


def test_a_centre_orders_confirms_a_duplicate_and_confirms_receipt(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    delivery_id = deliver_hooks(service, network, 4)
    app = open_app(network.centre)
    no_exception(app)
    assert app.title[0].value == "Commandes de CH Abbeville"
    assert frame_with(app, "Livraison prévue")["Statut"].tolist() == ["Livrée"]

    app.selectbox(key="order_product-fr").set_value("visor")
    app.number_input(key="order_quantity").set_value(30)
    app.selectbox(key="order_urgency-fr").set_value("critical")
    app.text_area(key="order_address").input("43 rue de l'Isle, 80100 Abbeville")
    app.button(key="order_submit").click().run()

    no_exception(app)
    assert "Commande n°" in texts(app.success)
    orders = frame_with(app, "Livraison prévue")
    assert orders["Quantité"].tolist() == [30, 4]
    assert orders["Urgence"].tolist()[0] == "Critique"

    app.text_input(key="order_note").input("Pour le service de pneumologie")
    app.button(key="order_submit").click().run()
    assert "Cette commande ressemble à une commande déjà passée" in texts(app.warning)
    assert "duplicate" in texts(app.warning)
    assert len(service.get(network.centre, "/orders")) == 2
    app.button(key="confirm_duplicate").click().run()

    no_exception(app)
    assert "Commande n°" in texts(app.success)
    assert not app.warning
    assert [o["quantity"] for o in service.get(network.centre, "/orders")] == [4, 30, 30]

    app.button(key=f"receipt_{delivery_id}").click().run()

    no_exception(app)
    assert f"Réception de la livraison n° {delivery_id} confirmée" in texts(app.success)
    (delivery,) = service.get(network.centre, "/deliveries")
    assert delivery["received_at"] is not None
    assert f"receipt_{delivery_id}" not in [button.key for button in app.button]
