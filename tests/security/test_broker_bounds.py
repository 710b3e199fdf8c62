"""The embedded broker (`makerline broker`, amqtt) is bounded like production's Mosquitto:
a publish larger than the service would parse is refused at its fixed header, the broker
never holds it, and everyone else is served on.

Found: a printer's login published 200 MiB on its own events topic; the broker took it
whole and passed it on. Measured here before the bound, with one subscriber: a 50 MiB
publish took amqtt from 37 to 228 MiB at its peak and left it at 87 MiB."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from printers.protocol.payloads import MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES
from printers.protocol.topics import events_topic
from tests.ports import free_port
from tests.realparts import VENV_BIN, MqttRecorder, port_open, wait_for

EVENTS = events_topic(7)


def peak_rss_mib(pid: int) -> float:
    """The most resident memory a process has had since it started (VmHWM, Linux): a
    spike that was freed again still shows."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


@pytest.fixture
def embedded_broker() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "makerline"), "broker", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: port_open(port) or process.poll() is not None, 30, "the embedded broker")
    assert process.poll() is None
    yield port, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def publish_once(port: int, payload: bytes) -> str:
    """'accepted' (PUBACK), or 'hung up' when the broker drops the connection first."""
    outcome: list[str] = []
    done = threading.Event()

    def settle(result: str) -> None:
        outcome.append(result)
        done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.on_publish = lambda *_: settle("accepted")
    client.on_disconnect = lambda *_: settle("hung up")
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(EVENTS, payload, qos=1)
    assert done.wait(30), "the broker never answered"
    client.disconnect()
    client.loop_stop()
    return outcome[0]


def test_an_oversized_publish_is_refused_unread_and_others_are_served_on(
    embedded_broker: tuple[int, subprocess.Popen[bytes]],
    recorders: Callable[..., MqttRecorder],
) -> None:
    port, process = embedded_broker
    service = recorders(port, [EVENTS])  # subscribed all along, as the orchestrator is
    before = peak_rss_mib(process.pid)

    huge = 50 * 2**20
    assert publish_once(port, b"c" * huge) == "hung up"
    assert publish_once(port, b"b" * MAX_PACKET_BYTES) == "hung up"  # a packet just over
    assert publish_once(port, b"a" * MAX_PAYLOAD_BYTES) == "accepted"  # the cap itself passes
    service.publish(EVENTS, b"still here")

    wait_for(lambda: len(service.on(EVENTS)) == 2, 10, "the subscriber to get both")
    assert [len(message.payload) for message in service.on(EVENTS)] == [MAX_PAYLOAD_BYTES, 10]
    growth = peak_rss_mib(process.pid) - before
    assert growth < 20, f"the broker's memory peaked {growth:.0f} MiB above its start"
    process.terminate()
    log = process.communicate(timeout=10)[0].decode()
    # The whole packet: fixed header (5 bytes at this size), topic, packet id, payload.
    assert f"which sent a packet of {5 + 2 + len(EVENTS) + 2 + huge} bytes" in log
