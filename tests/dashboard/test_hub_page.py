"""The coordinator's hub forms: a form empties once recorded, so pressing again sends
nothing; a refusal keeps the input and shows the service's reason; a part is added from
an STL file; a batch traces back to its maker and printer, by name; and the coordinator
pauses any maker's printers, now or for dates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dashboard.formatting import parse_datetime
from dashboard.i18n import choice_key
from dashboard.look import look_css
from dashboard.pause_views import MakerTarget
from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, Service, frame_with, no_exception, texts

MODELS = Path(__file__).resolve().parents[2] / "models"


def film_on_hand(service: Service, network: Network) -> int:
    stock = service.get(network.coordinator, "/stock")
    return sum(b["quantity"] for b in stock if (b["item"], b["stage"]) == ("film_sheet", "on_hand"))


def test_a_recorded_form_empties_and_a_refusal_keeps_the_input(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.coordinator)
    app.switch_page("app_pages/hub.py").run()
    no_exception(app)

    app.text_input(key="donation_donor").input("Papeterie de la Somme")
    app.selectbox(key="donation_item-fr").set_value("film_sheet")
    app.number_input(key="donation_quantity").set_value(1_200)
    app.button(key="donation_submit").click().run()

    no_exception(app)
    assert "Don n°" in texts(app.success)
    assert "1\u202f200 feuilles de film" in texts(app.success)
    assert app.number_input(key="donation_quantity").value is None
    assert app.text_input(key="donation_donor").value == ""
    app.button(key="donation_submit").click().run()  # pressed again: nothing is sent
    assert "Remplissez d'abord : Donateur, Article, Quantité" in texts(app.warning)
    assert film_on_hand(service, network) == 1_200

    app.selectbox(key="qc_item-fr").set_value("reinforcement")
    app.number_input(key="qc_passed").set_value(5)
    app.button(key="qc_submit").click().run()

    assert "L'enregistrement a échoué (409)" in texts(app.error)
    assert "Pas assez de « Renforts »" in texts(app.error)
    assert app.number_input(key="qc_passed").value == 5
    assert app.selectbox(key="qc_item-fr").value == "reinforcement"

    app.file_uploader(key="part_file-0").upload(
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
    assert app.text_input(key="part_key").value == ""
    assert not app.file_uploader(key="part_file-1").value  # a new, empty uploader


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
    assert "Enregistré : 2 mouvements de stock." in texts(app.success)
    app.selectbox(key="qc_item-fr").set_value("headband")
    app.number_input(key="qc_passed").set_value(2)
    app.button(key="qc_submit").click().run()
    app.selectbox(key="batch_product-fr").set_value("visor")
    app.number_input(key="batch_quantity").set_value(2)
    app.button(key="batch_submit").click().run()
    assert "assemblé : 2 visières de protection" in texts(app.success)
    batch_id = service.get(network.coordinator, "/batches")[-1]["id"]
    app.selectbox(key="disinfection_batch-fr").set_value(batch_id)
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
    assert (
        f"Livraison enregistrée : 2 visières de protection pour la commande n° {order_id} "
        "(CH Abbeville : livraison n° 1)."
    ) in texts(app.success)
    assert service.get(network.centre, f"/orders/{order_id}")["delivered"] == 2
    assert service.get(network.coordinator, "/hand-ins")[0]["collected_at"] is not None
    app.selectbox(key="trace_batch-fr").set_value(batch_id).run()
    assert "Makers : Camille" in texts(app.markdown)
    assert f"commandes : {order_id}" in texts(app.markdown)
    trace = frame_with(app, "Imprimante")
    assert trace[["Maker", "Imprimante"]].values.tolist() == [["Camille", "Prusa MK3S"]]


def test_the_hub_sends_a_spool_it_holds_and_sees_every_makers_filament(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    service.post(
        network.coordinator,
        "/donations",
        {"donor": "Filalab", "item": "filament_g", "quantity": 900, "material": "PETG"},
    )
    app = open_app(network.coordinator)
    app.switch_page("app_pages/hub.py").run()
    no_exception(app)
    assert "Aucun maker ne suit encore son filament" in texts(app.info)

    app.selectbox(key="filament_sent_maker").set_value(network.maker_id)
    app.selectbox(key="filament_sent_material").set_value("PETG")
    app.number_input(key="filament_sent_grams").set_value(950)
    app.button(key="filament_sent_submit").click().run()
    assert "il en faut 950, il y en a 900" in texts(app.error)  # the hub holds 900 g

    app.number_input(key="filament_sent_grams").set_value(400)
    app.button(key="filament_sent_submit").click().run()
    no_exception(app)
    assert "Envoyé : 400 g de PETG à Camille." in texts(app.success)
    shown = frame_with(app, "Reste (g)")
    assert shown[["Maker", "Matière", "Reste (g)"]].values.tolist() == [["Camille", "PETG", "400"]]
    (line,) = service.get(network.coordinator, "/filament")
    assert (line["maker_id"], line["grams"]) == (network.maker_id, 400)


def test_the_coordinator_pauses_a_makers_printer_then_another_makers_for_a_holiday(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    garage = service.printer(network.maker, "Prusa du garage")
    service.printer(network.other_maker, "Ender 3")
    app = open_app(network.coordinator)
    app.switch_page("app_pages/hub.py").run()
    no_exception(app)
    assert "Aucune pause en cours ni prévue." in texts(app.info)
    target = app.selectbox(key=choice_key("hub_pause_target"))
    assert target.options == [
        "Toutes les imprimantes de Camille",
        "Prusa du garage (Camille)",
        "Toutes les imprimantes de Julien",
        "Ender 3 (Julien)",
    ]
    app.button(key="hub_pause_submit").click().run()  # nothing chosen: nothing is sent
    assert "Remplissez d'abord : Imprimante ou maker" in texts(app.warning)

    # Camille's printer waits for a new nozzle, from now until resumed.
    app.selectbox(key=choice_key("hub_pause_target")).set_value(garage)
    app.text_input(key="hub_pause_reason").input("buse à changer")
    app.button(key="hub_pause_submit").click().run()
    no_exception(app)
    assert "Pause enregistrée : Prusa du garage (Camille)." in texts(app.success)

    # Julien goes on holiday: all his printers, from the first to the last day picked.
    first = date.today().replace(day=1) + timedelta(days=40)
    app.selectbox(key=choice_key("hub_pause_target")).set_value(MakerTarget(network.other_maker_id))
    app.date_input(key="hub_pause_first_day").set_value(first)
    app.date_input(key="hub_pause_last_day").set_value(first + timedelta(days=10))
    app.text_input(key="hub_pause_reason").input("vacances")
    app.button(key="hub_pause_submit").click().run()
    no_exception(app)
    assert "Pause enregistrée : Toutes les imprimantes de Julien." in texts(app.success)

    now, holiday = service.get(network.coordinator, "/pauses")
    assert (now["printer_id"], now["maker_id"], now["ends_at"]) == (garage, None, None)
    assert (now["reason"], now["active"]) == ("buse à changer", True)
    assert (holiday["printer_id"], holiday["maker_id"]) == (None, network.other_maker_id)
    assert (holiday["reason"], holiday["active"]) == ("vacances", False)
    paris = ZoneInfo("Europe/Paris")
    assert parse_datetime(holiday["starts_at"]).astimezone(paris).date() == first
    assert parse_datetime(holiday["ends_at"]).astimezone(paris).date() == first + timedelta(days=11)
    shown = frame_with(app, "En pause")
    assert shown[["En pause", "Raison", "État"]].values.tolist() == [
        ["Prusa du garage (Camille)", "buse à changer", "en cours"],
        ["Toutes les imprimantes de Julien", "vacances", "à venir"],
    ]
    assert shown["Jusqu'au"].tolist()[0] == "jusqu'à la reprise"

    # The nozzle is changed: the coordinator resumes the printer; the holiday stays.
    app.button(key=f"end_hub_pause_{now['id']}").click().run()
    no_exception(app)
    assert "Pause terminée : Prusa du garage (Camille)." in texts(app.success)
    assert [p["id"] for p in service.get(network.coordinator, "/pauses")] == [holiday["id"]]
    assert frame_with(app, "En pause")["En pause"].tolist() == ["Toutes les imprimantes de Julien"]


def test_streamlits_own_english_words_are_hidden_and_the_uploader_speaks_french() -> None:
    css = look_css("fr")
    assert '[data-testid="InputInstructions"] { display: none; }' in css
    assert '[data-testid="stFileUploaderDropzone"] button { display: none; }' in css
    assert 'content: "Déposez le fichier ici, ou Parcourir";' in css
    assert 'content: "Drop the file here, or Browse";' in look_css("en")
