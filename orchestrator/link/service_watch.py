"""Is an orchestrator running? It keeps a retained `online` on the service status topic
(its last will turns it `offline`), so a subscriber learns the answer at once. The demo
waits on it, and `makerline orchestrator-status` is compose's healthcheck."""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from printers.protocol.broker import broker_address
from printers.protocol.payloads import PayloadError, ServiceStatus, parse_payload
from printers.protocol.topics import service_status_topic


class ServiceWatch:
    """Follows the service status topic; `online` once an orchestrator says so at or
    after `since` (a Unix time: 0 accepts the status already retained)."""

    def __init__(self, mqtt_url: str, prefix: str, since: float = 0.0) -> None:
        self.since = since
        self.online = False
        self.heard = threading.Event()
        broker = broker_address(mqtt_url)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set()
        topic = service_status_topic(prefix)
        self.client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        self.client.on_message = self._on_message
        self.client.connect_async(broker.host, broker.port)
        self.client.loop_start()

    def _on_message(self, _client: Any, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            status = parse_payload(ServiceStatus, bytes(message.payload))
        except PayloadError:
            self.online = False
        else:
            self.online = status.state == "online" and (status.ts or 0) >= self.since
        self.heard.set()

    def wait_online(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.online and time.monotonic() < deadline:
            self.heard.wait(timeout=max(deadline - time.monotonic(), 0))
            self.heard.clear()
        return self.online

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
