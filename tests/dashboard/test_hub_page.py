"""The coordinator's hub forms: a double submission counts once, a refusal keeps the
input and shows the service's reason, a part is added from an STL file, and a batch
traces back to its maker."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, Service, no_exception, texts

MODELS = Path(__file__).resolve().parents[2] / "models"


def film_on_hand(service: Service, network: Network) -> int:
    stock = service.get(network.coordinator, "/stock")
    return sum(b["quantity"] for b in stock if (b["item"], b["stage"]) == ("film_sheet", "on_hand"))


def test_a_double_submission_counts_once_and_a_refusal_keeps_the_input(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.coordinator)
    app.switch_page("app_pages/hub.py").run()
    no_exception(app)

    app.text_input(key="donation_donor").input("Papeterie de la Somme")
    app.selectbox(key="donation_item-fr").set_value("film_sheet")
    app.number_input(key="donation_quantity").set_value(1_200)
    app.button(key="donation_submit").click().run()
    app.button(key="donation_submit").click().run()  # the double click

    no_exception(app)
    assert "Don n°" in texts(app.success)
    assert "Déjà enregistré" in texts(app.info)
    assert film_on_hand(service, network) == 1_200

    app.selectbox(key="qc_item-fr").set_value("reinforcement")
    app.number_input(key="qc_passed").set_value(5)
    app.button(key="qc_submit").click().run()

    assert "L'enregistrement a échoué (409)" in texts(app.error)
    assert "Not enough reinforcement" in texts(app.error)
    assert app.number_input(key="qc_passed").value == 5

    app.file_uploader(key="part_file").upload(
        "crochet.stl", (MODELS / "amicroche.stl").read_bytes(), "model/stl"
    )
    app.text_input(key="part_key").input("amicroche-v2")
    app.text_input(key="part_name_fr").input("Crochet AMICROCHE v2")
    app.text_input(key="part_name_en").input("AMICROCHE hook v2")
    app.selectbox(key="part_bom_role-fr").set_value("amicroche")
    app.button(key="part_submit").click().run()

    no_exception(app)
    assert "Pièce « amicroche-v2 » ajoutée" in texts(app.success)
    assert service.get(network.coordinator, "/parts/amicroche-v2")["name_en"] == "AMICROCHE hook v2"


def test_a_batch_goes_from_collection_to_delivery_and_traces_back_to_its_maker(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    printer_id = service.printer(network.maker)
    service.printed(network.coordinator, printer_id, "headband", 2)
    hand_in = service.post(network.maker, "/hand-ins", {"item": "headband", "quantity": 2})
    service.donate(network.coordinator, "film_sheet", 2)
    service.donate(network.coordinator, "elastic", 2)
    order_id = service.order(network.centre, "visor", 2)
    app = open_app(network.coordinator)
    app.switch_page("app_pages/hub.py").run()

    app.selectbox(key="collection_hand_in-fr").set_value(hand_in["id"]).run()
    assert app.number_input(key="collection_quantity").value == 2
    app.button(key="collection_submit").click().run()
    app.number_input(key="qc_passed").set_value(2)
    app.button(key="qc_submit").click().run()
    app.number_input(key="batch_quantity").set_value(2)
    app.button(key="batch_submit").click().run()
    batch_id = service.get(network.coordinator, "/batches")[-1]["id"]
    app.selectbox(key="disinfection_method-fr").set_value("bleach")
    app.button(key="disinfection_submit").click().run()
    app.selectbox(key="packing_order-fr").set_value(order_id)
    app.number_input(key="packing_quantity").set_value(2)
    app.button(key="packing_submit").click().run()
    app.selectbox(key="delivery_order-fr").set_value(order_id)
    app.number_input(key="delivery_quantity").set_value(2)
    app.button(key="delivery_submit").click().run()

    no_exception(app)
    assert not app.error, texts(app.error)
    assert "Livraison n°" in texts(app.success)
    assert service.get(network.centre, f"/orders/{order_id}")["delivered"] == 2
    assert service.get(network.coordinator, "/hand-ins")[0]["collected_at"] is not None
    app.selectbox(key="trace_batch-fr").set_value(batch_id).run()
    assert "Makers : Camille" in texts(app.markdown)
    assert f"commandes : {order_id}" in texts(app.markdown)
