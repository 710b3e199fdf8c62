"""The coordinator's quarantine page: a hold placed from the page holds the batch's goods,
the page shows what is held and the centres to recall, and releasing puts them back."""

from __future__ import annotations

from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, Service, frame_with, no_exception, texts


def visors_delivered_and_left(service: Service, network: Network) -> int:
    """A batch of 6 visors: 2 delivered to CH Abbeville, 4 disinfected at the hub."""
    coordinator = network.coordinator
    printer = service.printer(network.maker)
    service.printed(coordinator, printer, "headband", 6)
    service.post(
        coordinator,
        "/collections",
        {"maker_id": network.maker_id, "item": "headband", "quantity": 6},
    )
    service.post(coordinator, "/qc", {"item": "headband", "passed": 6})
    service.donate(coordinator, "film_sheet", 6)
    service.donate(coordinator, "elastic", 6)
    batch = service.post(coordinator, "/batches", {"product_key": "visor", "quantity": 6})
    service.post(coordinator, f"/batches/{batch['id']}/disinfection", {"method": "alcohol_70"})
    order_id = service.order(network.centre, "visor", 2)
    service.post(coordinator, "/packings", {"order_id": order_id, "quantity": 2})
    service.post(coordinator, "/deliveries", {"order_id": order_id, "quantity": 2})
    batch_id: int = batch["id"]
    return batch_id


def visors_at(service: Service, network: Network, stage: str) -> int:
    stock = service.get(network.coordinator, "/stock")
    return sum(b["quantity"] for b in stock if (b["item"], b["stage"]) == ("visor", stage))


def test_a_batch_is_held_shown_with_its_recall_and_released(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    batch_id = visors_delivered_and_left(service, network)
    app = open_app(network.coordinator)
    app.switch_page("app_pages/quarantine.py").run()
    no_exception(app)
    assert "Aucun blocage." in texts(app.info)

    app.selectbox(key="hold_scope-fr").set_value("batch").run()
    app.selectbox(key="hold_target_batch").set_value(batch_id)
    app.text_input(key="hold_reason").input("Visière fendue signalée")
    app.button(key="hold_submit").click().run()

    no_exception(app)
    assert "Blocage n° " in texts(app.success) and "4 en quarantaine" in texts(app.success)
    assert app.text_input(key="hold_reason").value == ""  # the form starts afresh
    assert app.selectbox(key="hold_target_batch").value is None
    assert any("4 pièces bloquées (actif)" in box.label for box in app.expander)
    assert visors_at(service, network, "quarantined") == 4
    assert visors_at(service, network, "disinfected") == 0
    held = frame_with(app, "Pris à l'étape")
    assert list(held["Pris à l'étape"]) == ["Désinfectées"]
    assert list(held["Quantité"]) == ["4"]
    recall = frame_with(app, "Centre")
    assert list(recall["Centre"]) == ["CH Abbeville"]
    assert list(recall["Lot"]) == [f"n° {batch_id}"]
    assert list(recall["Quantité"]) == ["2"]
    assert "**Rappel** : 2 pièces déjà livrées" in texts(app.markdown)

    (hold,) = service.get(network.coordinator, "/holds")
    app.button(key=f"told_{hold['id']}").click().run()
    no_exception(app)
    assert service.get(network.coordinator, f"/holds/{hold['id']}/recall")["notified_at"]

    app.button(key=f"release_{hold['id']}").click().run()
    no_exception(app)
    assert f"Blocage n° {hold['id']} libéré" in texts(app.success)
    assert visors_at(service, network, "disinfected") == 4
    assert visors_at(service, network, "quarantined") == 0


def test_a_refused_hold_says_why_and_keeps_the_input(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.coordinator)
    app.switch_page("app_pages/quarantine.py").run()
    app.selectbox(key="hold_scope-fr").set_value("job").run()
    app.number_input(key="hold_target_job").set_value(999)
    app.text_input(key="hold_reason").input("buses bouchées")
    app.button(key="hold_submit").click().run()

    no_exception(app)
    assert "La quarantaine a échoué (404)" in texts(app.error)
    assert "999" in texts(app.error)
    assert app.text_input(key="hold_reason").value == "buses bouchées"
    assert app.number_input(key="hold_target_job").value == 999
    assert service.get(network.coordinator, "/holds") == []


def test_a_printers_output_is_held_by_its_name(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    printer_id = service.printer(network.maker, "Prusa de Camille")
    service.printed(network.coordinator, printer_id, "headband", 3)
    app = open_app(network.coordinator)
    app.switch_page("app_pages/quarantine.py").run()
    app.selectbox(key="hold_scope-fr").set_value("printer").run()
    target = app.selectbox(key="hold_target_printer")
    assert target.options == ["Prusa de Camille — Camille"]
    target.set_value(printer_id)
    app.text_input(key="hold_reason").input("buses bouchées")
    app.button(key="hold_submit").click().run()

    no_exception(app)
    titles = [box.label for box in app.expander]
    assert any("imprimante « Prusa de Camille » : 3 pièces bloquées" in title for title in titles)
