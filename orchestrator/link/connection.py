"""The service's MQTT connection: birth and last will, subscriptions replayed on every
(re)connect, QoS 1 publishing, and message handlers that can never kill the loop.

Messages are acknowledged by hand (paho's `manual_ack`): a plain handler's message is
acknowledged as soon as the handler returns, as paho would; an `AcksLater` handler gets the
acknowledgement to send when it is done, so that a message can be acknowledged only after
what it carries is stored, by another thread, in a batch.
"""

from __future__ import annotations

import functools
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from printers.protocol.broker import broker_address
from printers.protocol.payloads import ServiceStatus
from printers.protocol.topics import service_status_topic

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
Ack = Callable[[], None]


@dataclass(frozen=True)
class AcksLater:
    """A handler that acknowledges its messages itself: `handle(topic, payload, ack)` must
    see that `ack` is called once the message's content is safe (from any thread). Until
    then the broker keeps the message, and sends it again if the connection drops."""

    handle: Callable[[str, bytes, Ack], None]


def plain_filter(topic_filter: str) -> str:
    """The filter a message's topic is matched against: `$share/<group>/f` delivers f."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter


@functools.lru_cache(maxsize=4096)
def filter_levels(topic_filter: str) -> tuple[str, ...]:
    return tuple(plain_filter(topic_filter).split("/"))


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT's matching of a topic against a subscription filter (`+` one level, `#` the
    rest, wildcards first never match `$` topics), as paho's `topic_matches_sub`, which
    builds a matcher tree at every call: a tenth of the network thread's time at 2,000
    messages a second."""
    wanted = filter_levels(topic_filter)
    levels = topic.split("/")
    if topic.startswith("$") and wanted[0] in ("+", "#"):
        return False
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(levels) or (level != "+" and level != levels[index]):
            return False
    return len(levels) == len(wanted)


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
        self.handlers: list[tuple[str, Handler | AcksLater]] = []
        self.connected = threading.Event()
        # Bumped when a connection ends: an acknowledgement due on a connection that is
        # gone is not sent (the broker sends the message again; storing it is idempotent).
        self.generation = 0
        self.ack_lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
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

    def subscribe(self, topic_filter: str, handler: Handler | AcksLater) -> None:
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
        with self.ack_lock:
            self.generation += 1
        self.connected.clear()
        log.warning("lost the broker (%s); reconnecting", reason_code)

    def _acknowledgement(self, message: mqtt.MQTTMessage) -> Ack:
        """The PUBACK of `message` (nothing for QoS 0), valid on this connection only: paho
        drops unsent packets when it reconnects, and a message left unacknowledged is sent
        again by the broker with a persistent session, or forgotten without one."""
        if message.qos == 0:
            return lambda: None
        generation, mid, qos = self.generation, message.mid, message.qos

        def ack() -> None:
            with self.ack_lock:
                if generation == self.generation:
                    self.client.ack(mid, qos)

        return ack

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.counters.add("received")
        ack = self._acknowledgement(message)
        deferred: list[AcksLater] = []
        for topic_filter, handler in self.handlers:
            if not topic_matches(topic_filter, message.topic):
                continue
            if isinstance(handler, AcksLater):
                deferred.append(handler)
                continue
            try:
                handler(message.topic, bytes(message.payload))
            except Exception:  # a bad message must never stop the network loop
                self.counters.add("handler_errors")
                log.exception("handling a message on %s failed; skipped", message.topic)
        if not deferred:
            ack()  # every message, even one no handler wanted, or the broker would stall
            return
        acks_left = AckCountdown(len(deferred), ack)
        for later in deferred:
            try:
                later.handle(message.topic, bytes(message.payload), acks_left.done)
            except Exception:
                self.counters.add("handler_errors")
                log.exception("handling a message on %s failed; skipped", message.topic)
                acks_left.done()


class AckCountdown:
    """Sends a message's acknowledgement once every handler that holds it is done."""

    def __init__(self, holders: int, ack: Ack) -> None:
        self.left = holders
        self.ack = ack
        self.lock = threading.Lock()

    def done(self) -> None:
        with self.lock:
            self.left -= 1
            last = self.left == 0
        if last:
            self.ack()
