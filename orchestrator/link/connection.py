"""The service's MQTT connection: birth and last will, subscriptions replayed on every
(re)connect, QoS 1 publishing, and message handlers that can never kill the loop."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from printers.agent_config import broker_address
from printers.payloads import ServiceStatus
from printers.topics import service_status_topic

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]


def plain_filter(topic_filter: str) -> str:
    """The filter a message's topic is matched against: `$share/<group>/f` delivers f."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter


@dataclass
class Counters:
    """Running counts of what the link saw, readable from any thread."""

    values: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.values[name] = self.values.get(name, 0) + amount

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.values)


class ServiceConnection:
    """One paho client in its own network thread.

    `client_id` is stable per process so that, with a persistent session, QoS 1 events
    published while the service was down are delivered when it comes back.
    """

    def __init__(
        self,
        url: str,
        prefix: str,
        client_id: str,
        counters: Counters,
        *,
        keepalive: int = 30,
        persistent: bool = True,
        announce: bool = True,
    ) -> None:
        self.address = broker_address(url)
        self.announce = announce
        self.prefix = prefix
        self.counters = counters
        self.keepalive = keepalive
        self.handlers: list[tuple[str, Handler]] = []
        self.connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
            protocol=mqtt.MQTTv311,
        )
        if self.address.username:
            self.client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        if announce:
            self.client.will_set(
                service_status_topic(prefix), self._service_status("offline"), qos=1, retain=True
            )
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(min_delay=1, max_delay=15)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    @staticmethod
    def _service_status(state: str) -> bytes:
        return ServiceStatus(state=state, ts=time.time()).model_dump_json().encode()

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        """Route a filter's messages to `handler`; replayed on every reconnect."""
        self.handlers.append((topic_filter, handler))
        if self.connected.is_set():
            self.client.subscribe(topic_filter, qos=1)

    def unsubscribe(self, topic_filters: set[str]) -> None:
        # A new list, not an edit in place: paho's thread may be iterating the old one.
        self.handlers = [(f, h) for f, h in self.handlers if f not in topic_filters]
        if topic_filters and self.connected.is_set():
            self.client.unsubscribe(sorted(topic_filters))

    def start(self, wait_s: float = 10.0) -> bool:
        self.client.connect_async(self.address.host, self.address.port, keepalive=self.keepalive)
        self.client.loop_start()
        return self.connected.wait(wait_s)

    def stop(self) -> None:
        if self.announce and self.connected.is_set():
            info = self.client.publish(
                service_status_topic(self.prefix),
                self._service_status("offline"),
                qos=1,
                retain=True,
            )
            info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> mqtt.MQTTMessageInfo:
        self.counters.add("published")
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any
    ) -> None:
        if reason_code.is_failure:
            log.error("the broker refused the service's connection: %s", reason_code)
            return
        for topic_filter, _handler in self.handlers:
            client.subscribe(topic_filter, qos=1)
        if self.announce:
            client.publish(
                service_status_topic(self.prefix),
                self._service_status("online"),
                qos=1,
                retain=True,
            )
        self.counters.add("connects")
        self.connected.set()
        log.info("connected to the broker at %s:%s", self.address.host, self.address.port)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any
    ) -> None:
        self.connected.clear()
        log.warning("lost the broker (%s); reconnecting", reason_code)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.counters.add("received")
        for topic_filter, handler in self.handlers:
            if mqtt.topic_matches_sub(plain_filter(topic_filter), message.topic):
                try:
                    handler(message.topic, bytes(message.payload))
                except Exception:  # a bad message must never stop the network loop
                    self.counters.add("handler_errors")
                    log.exception("handling a message on %s failed; skipped", message.topic)
