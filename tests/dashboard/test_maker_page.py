"""A maker registers a printer (the form empties once it is registered), copies its
credentials, sees it and its jobs by name, confirms a cleared bed (which reaches the
printer's command topic on a real broker) and declares a hand-in."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import hub_views, pause_views
from dashboard.formatting import parse_datetime
from dashboard.i18n import choice_key
from orchestrator.core.config import Settings, load_settings
from orchestrator.database.tables import PrinterStatus
from tests.conftest import Network
from tests.dashboard.conftest import (
    OpenApp,
    Service,
    frame_with,
    let_the_cache_expire,
    no_exception,
    texts,
)
from tests.ports import free_port
from tests.realparts import Mosquitto, MqttRecorder

MK3 = {"bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


@pytest.fixture
def settings(tmp_path: Path, mosquitto: Mosquitto) -> Settings:
    """The API with a broker, so that a cleared bed reaches the printer."""
    port = free_port()
    return load_settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto.url,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
    )


def report_awaiting_clear(engine: Engine, printer_id: int) -> None:
    """What the MQTT bridge writes when the printer says its print is done."""
    with Session(engine) as session:
        session.add(PrinterStatus(printer_id=printer_id, state="awaiting_clear", progress=100))
        session.commit()


def test_a_maker_registers_a_printer_clears_its_bed_and_hands_parts_in(
    open_app: OpenApp,
    service: Service,
    network: Network,
    engine: Engine,
    mosquitto: Mosquitto,
) -> None:
    app = open_app(network.maker)
    app.text_input(key="printer_name").input("Prusa MK3S de Camille")
    app.number_input(key="printer_bed_x").set_value(250)
    app.checkbox(key="printer_always").uncheck()
    app.time_input(key="printer_from").set_value(time(8, 0))
    app.time_input(key="printer_to").set_value(time(20, 0))
    app.button(key="printer_submit").click().run()

    no_exception(app)
    (printer,) = service.get(network.maker, "/printers")
    assert printer["bed_x_mm"] == 250
    assert printer["availability_hours"] == "08:00-20:00"
    assert "Copiez ces identifiants maintenant" in texts(app.warning)
    token, username = (block.value for block in app.code)
    assert token.startswith("mkl_")
    assert username == f"printer-{printer['id']}"
    shown = frame_with(app, "Disponible")
    assert shown["Imprimante"].tolist() == ["Prusa MK3S de Camille"]
    assert shown["Disponible"].tolist() == ["de 08:00 à 20:00"]
    assert app.text_input(key="printer_name").value == ""  # ready for the next printer
    assert app.number_input(key="printer_bed_x").value == 220
    assert app.checkbox(key="printer_always").value is True
    app.button(key="credentials_dismiss").click().run()
    assert not app.code

    job_id = service.printed(network.coordinator, printer["id"], "headband", 2)
    let_the_cache_expire()
    app.run()
    jobs = frame_with(app, "Exemplaires")
    assert jobs[["Tâche", "Imprimante"]].values.tolist() == [[job_id, "Prusa MK3S de Camille"]]
    assert "Heures indiquées en heure de Paris" in texts(app.caption)

    report_awaiting_clear(engine, printer["id"])
    commands = MqttRecorder(mosquitto.port, [f"makerline/printers/{printer['id']}/commands"])
    try:
        let_the_cache_expire()
        app.run()
        assert frame_with(app, "Disponible")["État"].tolist() == ["Plateau à libérer"]
        app.button(key=f"clear_bed_{printer['id']}").click().run()
        assert "peut reprendre le travail" in texts(app.success)
        sent = commands.wait_json(
            f"makerline/printers/{printer['id']}/commands",
            lambda body: body["kind"] == "clear_bed",
            timeout=10,
            what="the clear_bed command",
        )
        assert sent["command_id"]
    finally:
        commands.client.loop_stop()
        commands.client.disconnect()

    app.selectbox(key="hand_in_item-fr").set_value("headband")
    app.number_input(key="hand_in_qty").set_value(12)
    app.button(key="hand_in_submit").click().run()

    no_exception(app)
    assert "Remise n°" in texts(app.success)
    assert "12 serre-têtes" in texts(app.success)
    (hand_in,) = service.get(network.maker, "/hand-ins")
    assert (hand_in["item"], hand_in["quantity"]) == ("headband", 12)
    assert frame_with(app, "Déclarée le")["Quantité"].tolist() == [12]
    assert app.number_input(key="hand_in_qty").value is None
    app.button(key="hand_in_submit").click().run()  # pressed again: nothing is sent
    assert "Remplissez d'abord : Article, Quantité" in texts(app.warning)
    assert len(service.get(network.maker, "/hand-ins")) == 1


def test_a_new_printer_form_reads_the_french_way_and_is_available_around_the_clock(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.maker)
    no_exception(app)
    bed = app.number_input(key="printer_bed_x")
    assert (bed.value, type(bed.value)) == (220, int)  # shown "220", not "220.00"
    nozzle = app.selectbox(key="printer_nozzle")
    assert nozzle.value == 0.4
    assert "0,4 mm" in nozzle.options and "0,25 mm" in nozzle.options
    assert app.checkbox(key="printer_always").value is True
    assert app.checkbox(key="printer_always").label == "Disponible 24 h/24"

    app.button(key="printer_submit").click().run()
    assert "Remplissez d'abord : Nom de l'imprimante" in texts(app.warning)
    assert service.get(network.maker, "/printers") == []

    app.text_input(key="printer_name").input("Ender 3 de Camille")
    app.button(key="printer_submit").click().run()
    no_exception(app)
    (printer,) = service.get(network.maker, "/printers")
    assert (printer["availability_hours"], printer["nozzle_mm"]) == ("00:00-24:00", 0.4)
    shown = frame_with(app, "Disponible")
    assert shown[["Disponible", "Buse (mm)"]].values.tolist() == [["24 h/24", "0,4"]]


def test_a_plugin_printer_is_shown_its_broker_login_and_never_its_token(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.maker)
    app.text_input(key="printer_name").input("MK3S de Camille (greffon)")
    app.selectbox(key="printer_connection-fr").set_value("octoprint-mqtt")
    app.text_input(key="printer_base_topic").input("octoPrint/camille-mk3/")
    app.button(key="printer_submit").click().run()

    no_exception(app)
    (printer,) = service.get(network.maker, "/printers")
    assert printer["connection_kind"] == "octoprint-mqtt"
    username, password = (block.value for block in app.code)
    assert username == f"printer-{printer['id']}"
    assert password.startswith("mqb_")  # derived from the token, which is not shown


def test_a_maker_declares_a_spool_corrects_it_and_is_warned_when_none_is_left(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.maker)
    no_exception(app)
    assert "Vous n'avez déclaré aucune bobine" in texts(app.info)

    app.selectbox(key="filament_material").set_value("PETG")
    app.number_input(key="filament_grams").set_value(300)
    app.button(key="filament_submit").click().run()
    no_exception(app)
    assert "Enregistré : 300 g de PETG." in texts(app.success)
    assert frame_with(app, "Reste (g)")["Reste (g)"].tolist() == ["300"]
    assert app.number_input(key="filament_grams").value == 1_000  # the form starts afresh

    # More than she holds: refused, with the service's reason, and the form kept.
    app.number_input(key="filament_grams").set_value(-400)
    app.text_input(key="filament_reason").input("recomptage")
    app.button(key="filament_submit").click().run()
    assert "il en faut 400, il y en a 300" in texts(app.error)
    assert app.number_input(key="filament_grams").value == -400

    app.number_input(key="filament_grams").set_value(-300)
    app.text_input(key="filament_reason").input("bobine finie à la maison")
    app.button(key="filament_submit").click().run()
    no_exception(app)
    (line,) = service.get(network.maker, "/makers/me/filament")
    assert (line["grams"], line["low"]) == (0, True)
    assert "Il vous reste 0 g de PETG" in texts(app.warning)


def test_an_evening_printer_may_print_on_unattended_through_the_night(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.maker)
    app.text_input(key="printer_name").input("Prusa du salon")
    app.checkbox(key="printer_always").uncheck()
    app.time_input(key="printer_from").set_value(time(18, 0))
    app.time_input(key="printer_to").set_value(time(23, 0))
    app.checkbox(key="printer_unattended").check()
    app.button(key="printer_submit").click().run()
    no_exception(app)
    (printer,) = service.get(network.maker, "/printers")
    assert (printer["availability_hours"], printer["unattended_prints"]) == ("18:00-23:00", True)
    shown = frame_with(app, "Disponible")
    assert shown["Disponible"].tolist() == ["de 18:00 à 23:00, puis sans surveillance"]


def test_a_printer_available_on_chosen_weekdays_keeps_them_as_weekly_hours(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.maker)
    assert app.multiselect(key=choice_key("printer_days")).value == list(hub_views.WEEKDAYS)
    assert "lundi" in app.multiselect(key=choice_key("printer_days")).options
    app.text_input(key="printer_name").input("Prusa du bureau")
    app.checkbox(key="printer_always").uncheck()
    app.time_input(key="printer_from").set_value(time(18, 0))
    app.time_input(key="printer_to").set_value(time(0, 0))
    app.multiselect(key=choice_key("printer_days")).set_value([0, 1, 2, 3, 4])
    app.button(key="printer_submit").click().run()

    no_exception(app)
    (printer,) = service.get(network.maker, "/printers")
    assert printer["availability_hours"] == "Mo-Fr 18:00-24:00"
    shown = frame_with(app, "Disponible")
    assert shown["Disponible"].tolist() == ["lun.\u2013ven. 18:00\u201324:00"]
    assert app.multiselect(key=choice_key("printer_days")).value == list(hub_views.WEEKDAYS)


def test_weekly_hours_typed_out_are_kept_normalised_and_bad_ones_refused_in_french(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    app = open_app(network.maker)
    weekly = app.text_input(key="printer_weekly")
    assert weekly.label == "Ou des heures par semaine"
    assert "lu-ve 18:00-23:00; sa,di 09:00-22:00" in (weekly.help or "")
    app.text_input(key="printer_name").input("Ender du grenier")
    weekly.input("lu-ve 18h-23h")
    app.button(key="printer_submit").click().run()

    no_exception(app)
    assert service.get(network.maker, "/printers") == []
    assert "Heures de disponibilité : ne se lisent pas comme des heures" in texts(app.error)
    assert app.text_input(key="printer_weekly").value == "lu-ve 18h-23h"  # kept, to fix
    assert app.text_input(key="printer_name").value == "Ender du grenier"

    app.text_input(key="printer_weekly").input("lu-ve 18:00-23:00; sa,di 09:00-12:00,14:00-22:00")
    app.button(key="printer_submit").click().run()
    no_exception(app)
    (printer,) = service.get(network.maker, "/printers")
    assert printer["availability_hours"] == "Mo-Fr 18:00-23:00; Sa,Su 09:00-12:00,14:00-22:00"
    assert frame_with(app, "Disponible")["Disponible"].tolist() == [
        "lun.\u2013ven. 18:00\u201323:00 ; sam., dim. 09:00\u201312:00, 14:00\u201322:00"
    ]
    assert app.text_input(key="printer_weekly").value == ""


def test_a_maker_changes_the_hours_of_a_registered_printer(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    service.post(network.maker, "/printers", MK3 | {"name": "Prusa du salon"})
    garage = service.post(network.maker, "/printers", MK3 | {"name": "Prusa du garage"})
    app = open_app(network.maker)
    no_exception(app)
    assert "Heures de mes imprimantes" in [header.value for header in app.subheader]

    app.selectbox(key="hours_printer").set_value(garage["id"])
    app.checkbox(key="hours_always").uncheck()
    app.time_input(key="hours_from").set_value(time(18, 0))
    app.time_input(key="hours_to").set_value(time(23, 0))
    app.multiselect(key=choice_key("hours_days")).set_value([0, 1, 2, 3, 4])
    app.checkbox(key="hours_unattended").check()
    app.button(key="hours_submit").click().run()

    no_exception(app)
    changed = service.get(network.maker, f"/printers/{garage['id']}")
    assert (changed["availability_hours"], changed["unattended_prints"]) == (
        "Mo-Fr 18:00-23:00",
        True,
    )
    evenings = "lun.\u2013ven. 18:00\u201323:00, puis sans surveillance"
    assert f"Heures de Prusa du garage enregistrées : {evenings}." in texts(app.success)
    shown = frame_with(app, "Disponible")
    assert dict(zip(shown["Imprimante"], shown["Disponible"], strict=True)) == {
        "Prusa du salon": "24 h/24",
        "Prusa du garage": evenings,
    }
    assert app.checkbox(key="hours_always").value is True  # the form starts afresh

    # Weekly hours typed out win over the boxes; a bad text is refused and kept.
    app.selectbox(key="hours_printer").set_value(garage["id"])
    app.text_input(key="hours_weekly").input("sa,di 25:00-26:00")
    app.button(key="hours_submit").click().run()
    assert "ne se lisent pas comme des heures" in texts(app.error)
    assert app.text_input(key="hours_weekly").value == "sa,di 25:00-26:00"
    app.text_input(key="hours_weekly").input("sa,di 09:00-22:00")
    app.button(key="hours_submit").click().run()
    no_exception(app)
    changed = service.get(network.maker, f"/printers/{garage['id']}")
    assert (changed["availability_hours"], changed["unattended_prints"]) == (
        "Sa,Su 09:00-22:00",
        False,
    )


def test_availability_and_quantities_read_as_sentences() -> None:
    assert hub_views.availability_text("00:00-24:00", "fr") == "24 h/24"
    assert hub_views.availability_text("08:00-08:00", "fr") == "24 h/24"
    assert hub_views.availability_text("20:00-08:00", "fr") == "de 20:00 à 08:00"
    assert hub_views.availability_window(time(20, 0), time(8, 0), always=True) == "00:00-24:00"
    assert hub_views.goods("visor", 40, "fr") == "40 visières de protection"
    assert hub_views.goods("visor", 1, "fr") == "1 visière de protection"
    assert hub_views.goods("amicroche", 1700, "fr") == "1\u202f700 crochets AMICROCHE"
    assert hub_views.goods("new-product", 3, "fr", {"new-product": "Masque"}) == "3 masque"
    assert hub_views.nozzle_label(0.25, "fr") == "0,25 mm"


def test_weekly_hours_are_built_from_the_form_and_read_in_either_language() -> None:
    evening, late = time(18, 0), time(23, 0)
    window = hub_views.availability_window
    assert window(evening, late) == "18:00-23:00"  # every day: no day named
    assert window(evening, late, days=[]) == "18:00-23:00"
    assert window(evening, time(0, 0), days=[4, 0, 2]) == "Mo,We,Fr 18:00-24:00"
    assert window(evening, late, always=True, days=[5, 6]) == "00:00-24:00"
    typed = " lu-ve 18:00-23:00; sa,di 09:00-22:00 "
    assert window(evening, late, always=True, weekly=typed) == typed.strip()  # typed wins

    weekly = "Mo-Fr 18:00-23:00; Sa,Su 09:00-12:00,14:00-22:00"
    text = hub_views.availability_text
    assert text(weekly, "fr") == (
        "lun.\u2013ven. 18:00\u201323:00 ; sam., dim. 09:00\u201312:00, 14:00\u201322:00"
    )
    assert text("Mo-Fr 18:00-23:00; Sa,Su 09:00-22:00", "en") == (
        "Mon\u2013Fri 18:00\u201323:00; Sat, Sun 09:00\u201322:00"
    )
    assert text("Fr 22:00-02:00", "fr", unattended=True) == (
        "ven. 22:00\u201302:00, puis sans surveillance"
    )
    assert text("Mo,We,Fr 18:00-24:00", "en") == "Mon, Wed, Fri 18:00\u201324:00"
    assert text("09:00-12:00,14:00-22:00", "fr") == "de 09:00 à 12:00, de 14:00 à 22:00"
    assert text("00:00-24:00", "en", unattended=True) == "Around the clock"
    assert text("18:00-23:00", "en", unattended=True) == "from 18:00 to 23:00, then unattended"
    assert text("whenever", "fr") == "whenever"  # unreadable: shown as it is


def test_a_maker_pauses_a_printer_now_plans_a_holiday_and_resumes(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    printer = service.post(network.maker, "/printers", MK3 | {"name": "Prusa du garage"})
    app = open_app(network.maker)
    no_exception(app)
    assert "Aucune pause en cours ni prévue." in texts(app.info)

    # The nozzle needs changing: this printer, from now, until she resumes.
    app.selectbox(key=choice_key("pause_target")).set_value(printer["id"])
    app.text_input(key="pause_reason").input("buse à changer")
    app.button(key="pause_submit").click().run()
    no_exception(app)
    assert "Pause enregistrée : Prusa du garage." in texts(app.success)
    shown = frame_with(app, "En pause")
    assert shown[["En pause", "Jusqu'au", "Raison", "État"]].values.tolist() == [
        ["Prusa du garage", "jusqu'à la reprise", "buse à changer", "en cours"]
    ]
    (pause,) = service.get(network.maker, "/pauses")
    assert (pause["printer_id"], pause["ends_at"], pause["active"]) == (printer["id"], None, True)

    # A holiday for all her printers, from the 10th to the 20th of next month.
    first = date.today().replace(day=1) + timedelta(days=40)
    app.date_input(key="pause_first_day").set_value(first)
    app.date_input(key="pause_last_day").set_value(first + timedelta(days=10))
    app.button(key="pause_submit").click().run()
    no_exception(app)
    assert "Pause enregistrée : Toutes mes imprimantes." in texts(app.success)
    holiday = next(p for p in service.get(network.maker, "/pauses") if p["printer_id"] is None)
    assert holiday["active"] is False
    paris = ZoneInfo("Europe/Paris")
    assert parse_datetime(holiday["starts_at"]).astimezone(paris).date() == first
    assert parse_datetime(holiday["ends_at"]).astimezone(paris).date() == first + timedelta(days=11)

    # She resumes the printer: the pause ends, the holiday stays.
    app.button(key=f"end_pause_{pause['id']}").click().run()
    no_exception(app)
    assert "Pause terminée : Prusa du garage." in texts(app.success)
    assert [p["id"] for p in service.get(network.maker, "/pauses")] == [holiday["id"]]


def test_pause_days_become_the_moments_the_service_keeps() -> None:
    paris = ZoneInfo("Europe/Paris")
    today = date(2026, 12, 1)
    assert pause_views.pause_moments(None, None, today, paris) == (None, None)
    assert pause_views.pause_moments(today, today, today, paris) == (
        None,  # today: from now
        "2026-12-02T00:00:00+01:00",  # the day after the last, at midnight
    )
    # Across the change to summer time, each midnight keeps its own offset.
    assert pause_views.pause_moments(date(2027, 3, 27), date(2027, 3, 28), today, paris) == (
        "2027-03-27T00:00:00+01:00",
        "2027-03-29T00:00:00+02:00",
    )
    assert pause_views.pause_target(pause_views.ALL_PRINTERS) == {}
    assert pause_views.pause_target(7) == {"printer_id": 7}
    assert pause_views.pause_target(pause_views.MakerTarget(3)) == {"maker_id": 3}


def test_pause_targets_name_each_printer_and_each_makers_printers_once() -> None:
    makers = [{"id": 1, "display_name": "Camille"}, {"id": 2, "display_name": "Julien"}]
    printers = [
        {"id": 5, "maker_id": 2, "name": "Ender 3"},
        {"id": 6, "maker_id": 1, "name": "Prusa"},
        {"id": 7, "maker_id": 1, "name": "Prusa"},
    ]
    assert list(pause_views.coordinator_targets(makers, printers, "fr").values()) == [
        "Toutes les imprimantes de Camille",
        "Prusa (Camille) · n° 6",  # two of the same name, told apart
        "Prusa (Camille) · n° 7",
        "Toutes les imprimantes de Julien",
        "Ender 3 (Julien)",
    ]
    mine = pause_views.maker_targets(printers[:1], "en")
    assert mine == {pause_views.ALL_PRINTERS: "All my printers", 5: "Ender 3"}
    # A maker sees only their own pauses: one of all their printers is "all my printers".
    theirs = {"printer_id": None, "maker_id": 2}
    assert pause_views.paused_what(theirs, mine, "en") == "All my printers"
