"""The tests' OctoPrint-MQTT plugin (`tests.realparts.OctoPrintMqttPlugin`) against what
the real plugin 0.8.16 published on OctoPrint 1.11.8 in the lab
(`recorded/octoprint-mqtt-0.8.16-print.jsonl`: a connection, a whole print with its
Finishing window, a graceful stop), both through a real Mosquitto and read as published
(MQTT 5, retain as published): the same topics in the same order, the same QoS and retain
flags, the same payload fields.

The real plugin cannot run in CI (it pins paho-mqtt<2 and is fetched from GitHub), so this
is what keeps the emulation honest.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from tests.realparts import Mosquitto, OctoPrintMqttPlugin, wait_for

pytestmark = pytest.mark.slow

RECORDED = Path(__file__).parent / "recorded" / "octoprint-mqtt-0.8.16-print.jsonl"
BASE = "octoPrint/camille-mk3/"
# Published at moments OctoPrint's timers and threads choose: compared by shape, not place.
UNORDERED = ("temperature/", "event/MetadataAnalysisFinished")


class AsPublished:
    """Records every message under a filter with the QoS and retain flag its publisher
    gave it (MQTT 5 "retain as published": a broker otherwise clears the flag)."""

    def __init__(self, port: int, topic_filter: str) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            topic_filter, options=SubscribeOptions(qos=2, retainAsPublished=True)
        )
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(10), "could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append(
                {
                    "topic": message.topic,
                    "qos": message.qos,
                    "retain": bool(message.retain),
                    "payload": message.payload.decode(),
                }
            )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def as_published(mosquitto: Mosquitto) -> Iterator[Callable[[str], AsPublished]]:
    made: list[AsPublished] = []

    def make(topic_filter: str) -> AsPublished:
        made.append(AsPublished(mosquitto.port, topic_filter))
        return made[-1]

    yield make
    for recorder in made:
        recorder.close()


def shape(message: dict[str, Any]) -> tuple[Any, ...]:
    """What must match: topic, QoS, retain, the payload's fields, and the words in it."""
    try:
        body = json.loads(message["payload"])
    except ValueError:
        return (message["topic"], message["qos"], message["retain"], message["payload"])
    if not isinstance(body, dict):
        return (message["topic"], message["qos"], message["retain"], type(body).__name__)
    words = tuple(body.get(key) for key in ("state_id", "reason", "type", "label", "location"))
    return (message["topic"], message["qos"], message["retain"], tuple(sorted(body)), words)


def ordered(messages: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [shape(m) for m in messages if not any(part in m["topic"] for part in UNORDERED)]


def unordered(messages: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {shape(m) for m in messages if any(part in m["topic"] for part in UNORDERED)}


def test_the_emulated_plugin_publishes_what_the_real_one_did(
    mosquitto: Mosquitto,
    as_published: Callable[[str], AsPublished],
    octoprint_mqtt_plugins: Callable[..., OctoPrintMqttPlugin],
) -> None:
    real = [json.loads(line) for line in RECORDED.read_text().splitlines()]
    real = [row for row in real if "topic" in row]
    seen = as_published(f"{BASE}#")
    plugin = octoprint_mqtt_plugins(mosquitto.port, BASE)
    name, size = "lab-short.gcode", 273

    # The lab's story: OctoPrint starts (the serial link after the plugin's connection), a
    # file is uploaded with select and print, prints two layers, finishes, and OctoPrint
    # is stopped.
    plugin.connect()
    plugin.serial_connected()
    plugin.file_uploaded(name, select=True, print_=True)
    plugin.print_started(name, size, uploaded_with_print=True)
    plugin.temperature("bed", None, 60.0)
    plugin.layer(0.4)
    plugin.print_done(name, size, 1.1156)
    plugin.event(
        "MetadataAnalysisFinished",
        name=name,
        path=name,
        origin="local",
        result={"printingArea": {}},
    )
    plugin.temperature("tool0", 32.11, 0.0)
    plugin.temperature("bed", 32.07, 0.0)
    plugin.operational()
    plugin.progress(name, 100)
    plugin.temperature("tool0", 22.68, 0.0)
    plugin.temperature("tool0", 22.7, 0.0)  # moved by less than 0.1: not sent
    plugin.shutdown(stray=False)
    wills = lambda: [m["payload"] for m in seen.messages if m["topic"] == f"{BASE}mqtt"]  # noqa: E731
    wait_for(lambda: wills()[-1:] == ["disconnected"] * 2 or len(wills()) == 3, 10, "the will")

    assert ordered(seen.messages) == ordered(real)
    assert unordered(seen.messages) <= unordered(real)
    assert len(seen.messages) == len(real) - 3  # the real one cooled on: 3 more temperatures
    assert [m["payload"] for m in seen.messages if m["topic"] == f"{BASE}mqtt"] == [
        "connected",
        "disconnected",
        "disconnected",  # the broker's will: the plugin never sends DISCONNECT
    ]
