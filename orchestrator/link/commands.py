"""Commands from the service to printers, published at QoS 1 on each printer's topic."""

from __future__ import annotations

import os
import threading
import uuid

from orchestrator.domain.errors import DomainError
from orchestrator.link.connection import Counters, ServiceConnection
from printers.protocol.payloads import CommandKind, CommandPayload, now
from printers.protocol.topics import commands_topic


class BrokerUnavailable(DomainError):
    status_code = 503


def kick_topic(prefix: str) -> str:
    """Where the API announces a change (an order, a donation, a printer) to orchestrators."""
    return f"{prefix}/service/kick"


def new_command_id() -> str:
    return uuid.uuid4().hex


def command(kind: CommandKind, **fields: object) -> CommandPayload:
    return CommandPayload(command_id=new_command_id(), kind=kind, ts=now(), **fields)


class CommandPublisher:
    """Connects on first use, so that the API runs (and answers 503 here) without a broker."""

    def __init__(self, url: str, prefix: str, counters: Counters | None = None) -> None:
        self.url, self.prefix = url, prefix
        self.counters = counters or Counters()
        self.connection: ServiceConnection | None = None
        self.lock = threading.Lock()

    def _started(self) -> ServiceConnection:
        """The connection, started in the background on first use (never blocks)."""
        with self.lock:
            if self.connection is None:
                client_id = f"makerline-api-{os.getpid()}-{uuid.uuid4().hex[:6]}"
                self.connection = ServiceConnection(
                    self.url,
                    self.prefix,
                    client_id,
                    self.counters,
                    persistent=False,
                    announce=False,
                )
                self.connection.start(wait_s=0)
            return self.connection

    def _connected(self, wait_s: float = 5.0) -> ServiceConnection:
        connection = self._started()
        if not connection.connected.wait(wait_s):
            raise BrokerUnavailable(
                "The MQTT broker cannot be reached, so the printer was not told. "
                "Try again in a moment.",
                code="broker_unreachable",
            )
        return connection

    def send(self, printer_id: int, payload: CommandPayload, timeout_s: float = 5.0) -> None:
        connection = self._connected()
        info = connection.publish(
            commands_topic(printer_id, self.prefix), payload.model_dump_json().encode()
        )
        info.wait_for_publish(timeout=timeout_s)
        if not info.is_published():
            raise BrokerUnavailable(
                "The broker did not acknowledge the command in time.", code="broker_no_ack"
            )

    def kick(self) -> None:
        """Tell orchestrators that something changed. Best effort and never blocking: if
        the broker is away, their periodic planning catches up."""
        connection = self._started()
        if connection.connected.is_set():
            connection.publish(kick_topic(self.prefix), f'{{"ts": {now()}}}'.encode())

    def close(self) -> None:
        with self.lock:
            if self.connection is not None:
                self.connection.stop()
                self.connection = None
