"""Mosquitto with the password and ACL files from broker_auth: printers stay in their lane."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from printers.protocol.broker_auth import (
    mosquitto_password_hash,
    render_acl_file,
    render_password_file,
)
from printers.protocol.topics import commands_topic, events_topic, status_topic
from tests.realparts import Mosquitto, MqttRecorder, wait_for

pytestmark = pytest.mark.slow

TOKENS = {"1": "token-of-printer-1", "2": "token-of-printer-2"}
SERVICE_PASSWORD = "service-password"
NOT_AUTHORISED = 135  # MQTT 5 reason code 0x87


@pytest.fixture
def secured_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    workdir = tmp_path / "secured"
    workdir.mkdir()
    passwords = workdir / "passwords"
    acl = workdir / "acl"
    entries = [("service", mosquitto_password_hash(SERVICE_PASSWORD))]
    entries += [(f"printer-{pid}", mosquitto_password_hash(token)) for pid, token in TOKENS.items()]
    passwords.write_text(render_password_file(entries))
    acl.write_text(render_acl_file(TOKENS, "service", "makerline"))
    broker = Mosquitto(workdir, password_file=passwords, acl_file=acl)
    broker.start()
    yield broker
    broker.stop()


def test_a_printer_cannot_write_another_printers_topics_nor_read_its_commands(
    secured_broker: Mosquitto, recorders: Callable[..., MqttRecorder]
) -> None:
    service = recorders(
        secured_broker.port, ["makerline/#"], username="service", password=SERVICE_PASSWORD
    )
    printer_1 = recorders(
        secured_broker.port,
        [commands_topic("1"), commands_topic("2")],
        username="printer-1",
        password=TOKENS["1"],
        protocol=mqtt.MQTTv5,
    )
    printer_2 = recorders(
        secured_broker.port, [commands_topic("2")], username="printer-2", password=TOKENS["2"]
    )

    forged = [
        printer_1.publish(status_topic("2"), b'{"v":1,"state":"idle"}'),
        printer_1.publish(events_topic("2"), b'{"v":1,"event_id":"x","kind":"PrintDone","ts":1}'),
    ]
    own = printer_1.publish(status_topic("1"), b'{"v":1,"state":"idle"}')
    service.publish(commands_topic("2"), b'{"v":1,"command_id":"c","kind":"cancel"}')
    service.publish(commands_topic("1"), b'{"v":1,"command_id":"d","kind":"cancel"}')

    wait_for(lambda: service.on(status_topic("1")), 10, "printer 1's own status")
    wait_for(lambda: printer_2.on(commands_topic("2")), 10, "printer 2's command")
    wait_for(lambda: printer_1.on(commands_topic("1")), 10, "printer 1's command")
    wait_for(lambda: all(mid in printer_1.publish_results for mid in forged), 10, "PUBACKs")
    time.sleep(0.5)

    assert [printer_1.publish_results[mid].value for mid in forged] == [NOT_AUTHORISED] * 2
    assert not printer_1.publish_results[own].is_failure
    assert service.on(status_topic("2")) == [] and service.on(events_topic("2")) == []
    assert printer_1.on(commands_topic("2")) == []


def test_wrong_password_is_refused(secured_broker: Mosquitto) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, "intruder")
    client.username_pw_set("printer-1", "wrong")
    results: list[object] = []
    client.on_connect = lambda c, u, f, reason_code, p: results.append(reason_code)
    client.connect("127.0.0.1", secured_broker.port)
    client.loop_start()
    try:
        wait_for(lambda: results, 10, "CONNACK")
    finally:
        client.loop_stop()
    assert results[0].is_failure  # type: ignore[attr-defined]


def test_a_printer_cannot_command_nor_speak_for_the_service_nor_read_others(
    secured_broker: Mosquitto, recorders: Callable[..., MqttRecorder]
) -> None:
    """Printer 1 tries to send commands (to itself and to printer 2), to speak for the
    service, and to read everything under the prefix: it gets only its own commands."""
    service = recorders(
        secured_broker.port, ["makerline/#"], username="service", password=SERVICE_PASSWORD
    )
    printer_1 = recorders(
        secured_broker.port,
        ["makerline/#"],
        username="printer-1",
        password=TOKENS["1"],
        protocol=mqtt.MQTTv5,
    )
    printer_2 = recorders(
        secured_broker.port, [commands_topic("2")], username="printer-2", password=TOKENS["2"]
    )
    forged = [
        printer_1.publish(commands_topic("2"), b'{"v":1,"command_id":"x","kind":"cancel"}'),
        printer_1.publish(commands_topic("1"), b'{"v":1,"command_id":"y","kind":"cancel"}'),
        printer_1.publish("makerline/service/status", b'{"v":1,"state":"offline"}'),
        printer_1.publish("makerline/service/kick", b"{}"),
    ]
    printer_2.publish(status_topic("2"), b'{"v":1,"state":"idle","seq":1}')
    printer_2.publish(events_topic("2"), b'{"v":1,"event_id":"e","kind":"BedCleared","ts":1}')
    service.publish(commands_topic("1"), b'{"v":1,"command_id":"z","kind":"cancel"}')

    wait_for(lambda: printer_1.on(commands_topic("1")), 10, "printer 1's own command")
    wait_for(lambda: service.on(events_topic("2")), 10, "printer 2's event at the service")
    wait_for(lambda: all(mid in printer_1.publish_results for mid in forged), 10, "PUBACKs")
    time.sleep(0.5)

    assert [printer_1.publish_results[mid].value for mid in forged] == [NOT_AUTHORISED] * 4
    assert {m.topic for m in printer_1.messages} == {commands_topic("1")}
    assert [m.json()["command_id"] for m in printer_1.on(commands_topic("1"))] == ["z"]
    assert printer_2.on(commands_topic("2")) == []
    assert service.on("makerline/service/kick") == []
