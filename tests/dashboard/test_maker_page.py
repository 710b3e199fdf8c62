"""A maker registers a printer, copies its credentials, sees it, confirms a cleared bed
(which reaches the printer's command topic on a real broker) and declares a hand-in."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator.core.config import Settings, load_settings
from orchestrator.tables import PrinterStatus
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
    app.number_input(key="printer_bed_x").set_value(250.0)
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
    assert shown["Imprimante"].tolist() == [f"Prusa MK3S de Camille ({printer['id']})"]
    app.button(key="credentials_dismiss").click().run()
    assert not app.code

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
    (hand_in,) = service.get(network.maker, "/hand-ins")
    assert (hand_in["item"], hand_in["quantity"]) == ("headband", 12)
    assert frame_with(app, "Déclarée le")["Quantité"].tolist() == [12]


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
