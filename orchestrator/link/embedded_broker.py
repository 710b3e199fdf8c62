"""An MQTT broker inside makerline, so that `makerline demo` needs nothing installed.

It is amqtt (a pure-Python broker): MQTT 3.1.1, QoS 1, retained messages and last wills,
which is all the printer link uses, at 2,000-4,000 messages a second, enough for a few
hundred printers. It listens on loopback only and lets anyone connect: it is for trying
makerline on one machine. A fab-lab going live runs Mosquitto with the password and ACL
files `makerline broker-files` writes (see docker-compose.yml).

Like Mosquitto's `max_packet_size`, it refuses a packet larger than `MAX_PACKET_BYTES`
from its fixed header, before reading the rest. amqtt alone reads every packet whole:
one 50 MiB publish took it from 37 to 228 MiB, and went on to each subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import NoReturn

from amqtt.adapters import ReaderAdapter, StreamWriterAdapter
from amqtt.broker import Broker

from printers.protocol.payloads import MAX_PACKET_BYTES

log = logging.getLogger(__name__)

# A payload at the service's parsing cap, plus room for the fixed header, a topic of up
# to a thousand bytes and the packet id. deploy/mosquitto/mosquitto.conf sets the same
# `max_packet_size` (tests/test_compose.py keeps the two equal).
# MQTT's remaining length takes one to four bytes, seven bits each.
REMAINING_LENGTH_BYTES = 4


class BoundedStreamReader(ReaderAdapter):
    """amqtt's reads of one connection, one packet at a time: it reads each packet's
    fixed header first, and hangs up on a packet over `max_packet_bytes` (or on a read
    that runs past the packet's end) before any of its body is read."""

    def __init__(self, reader: asyncio.StreamReader, peer: str, max_packet_bytes: int) -> None:
        self._reader = reader
        self._peer = peer
        self._max_packet_bytes = max_packet_bytes
        self._header = b""  # the current packet's fixed header, not yet handed to amqtt
        self._left = 0  # bytes of the current packet amqtt has yet to read, header included
        self._refused = False

    async def read(self, n: int = -1) -> bytes:
        if self._refused:
            raise asyncio.IncompleteReadError(b"", n)
        if n == 0:  # an empty payload: not the start of the next packet
            return b""
        if self._left == 0:
            await self._read_fixed_header()
        if not 0 <= n <= self._left:
            self._refuse(f"read {n} bytes of a packet that has {self._left} left")
        served, self._header = self._header[:n], self._header[n:]
        body = await self._reader.readexactly(n - len(served)) if n > len(served) else b""
        self._left -= n
        return served + body

    def feed_eof(self) -> None:
        self._reader.feed_eof()

    async def _read_fixed_header(self) -> None:
        header = await self._reader.readexactly(1)  # packet type and flags
        remaining, shift = 0, 0
        while True:
            byte = await self._reader.readexactly(1)
            header += byte
            remaining += (byte[0] & 0x7F) << shift
            shift += 7
            if not byte[0] & 0x80:
                break
            if len(header) > REMAINING_LENGTH_BYTES:
                self._refuse("a remaining length over four bytes")
        size = len(header) + remaining
        if size > self._max_packet_bytes:
            self._refuse(f"a packet of {size} bytes, over the limit of {self._max_packet_bytes}")
        self._header, self._left = header, size

    def _refuse(self, what: str) -> NoReturn:
        """Hang up: amqtt sees the client's end of stream, ends the session and publishes
        its last will, as Mosquitto does when it refuses a packet."""
        log.warning("embedded broker: hung up on %s, which sent %s", self._peer, what)
        self._refused = True
        raise asyncio.IncompleteReadError(b"", None)


class BoundedBroker(Broker):
    """amqtt's broker, reading each TCP connection through a `BoundedStreamReader`."""

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        bounded = BoundedStreamReader(reader, f"{host}:{port}", MAX_PACKET_BYTES)
        try:
            await self._client_connected(listener_name, bounded, StreamWriterAdapter(writer))
        finally:
            # amqtt leaves the socket open when a client never completes its CONNECT.
            writer.close()


def broker_config(host: str, port: int) -> dict[str, object]:
    """amqtt's configuration. A section given here replaces amqtt's default section whole,
    so each one is complete."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}},
        "sys_interval": 0,  # no $SYS statistics
        "auth": {"plugins": ["auth_anonymous"], "allow-anonymous": True},
        "topic-check": {"enabled": False},
    }


async def serve_broker(host: str, port: int, stop: asyncio.Event) -> None:
    broker = BoundedBroker(broker_config(host, port))
    await broker.start()
    log.info("embedded MQTT broker on mqtt://%s:%d", host, port)
    try:
        await stop.wait()
    finally:
        await broker.shutdown()


def run_broker(host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve_broker(host, port, stop)

    # amqtt logs every connection, and warns of the plugins it has no settings for.
    for noisy in ("amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
