"""An MQTT broker inside makerline, so that `makerline demo` needs nothing installed.

It is amqtt (a pure-Python broker): MQTT 3.1.1, QoS 1, retained messages and last wills,
which is all the printer link uses, at 2,000-4,000 messages a second, enough for a few
hundred printers. It listens on loopback only and lets anyone connect: it is for trying
makerline on one machine. A fab-lab going live runs Mosquitto with the password and ACL
files `makerline broker-files` writes (see docker-compose.yml).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from amqtt.broker import Broker

log = logging.getLogger(__name__)


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
    broker = Broker(broker_config(host, port))
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
