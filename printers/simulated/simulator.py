"""Simulated printers that speak the agent's MQTT protocol, many to one process.

Each simulated printer has its own MQTT connection, credentials, last will and commands
subscription, exactly like an agent, so the service cannot tell them apart. They run on
one asyncio loop: paho's non-threaded client with its socket callbacks (no thread per
printer), and one task that drives every client's keepalive.

`--speed` divides print durations; a print's duration is read from the G-code's
`; estimated printing time (normal mode)` comment, else `--print-seconds`. Prints fail
with `--failure-probability`; connections drop without a goodbye (so the broker sends the
will) with `--dropout-probability` per printer per minute. Beds clear themselves after
`--auto-clear-seconds`, so a demo keeps moving, unless that is negative.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import logging
import random
import resource
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from printers.octoprint.rest import OctoPrintSnapshot, PrinterActivity
from printers.octoprint.tracking import PrintMemory, start_refusal
from printers.protocol.broker import broker_address
from printers.protocol.broker_auth import printer_broker_password, printer_username
from printers.protocol.job_files import estimated_print_seconds, sha256_hex
from printers.protocol.payloads import (
    CommandKind,
    CommandPayload,
    EventKind,
    EventPayload,
    PayloadError,
    PrinterState,
    StatusPayload,
    Temperature,
    encode_payload,
    parse_payload,
)
from printers.protocol.topics import DEFAULT_PREFIX, commands_topic, events_topic, status_topic

log = logging.getLogger(__name__)

REMEMBERED_COMMANDS = 200
DOWNLOAD_CONCURRENCY = 32
FILE_DESCRIPTORS_PER_PRINTER = 1
SPARE_FILE_DESCRIPTORS = 256
# What OctoPrint would say a printer in each of our states is doing (`start_refusal` reads it).
SNAPSHOT_ACTIVITY = {
    PrinterState.IDLE: PrinterActivity.READY,
    PrinterState.AWAITING_CLEAR: PrinterActivity.READY,
    PrinterState.PRINTING: PrinterActivity.PRINTING,
    PrinterState.PAUSED: PrinterActivity.PAUSED,
    PrinterState.OFFLINE: PrinterActivity.DISCONNECTED,
}


@dataclass(frozen=True)
class SimulationSettings:
    printers: int
    broker_url: str = "mqtt://127.0.0.1:1883"
    first_id: int = 1
    credentials: dict[str, str] = field(default_factory=dict)
    topic_prefix: str = DEFAULT_PREFIX
    speed: float = 1.0
    failure_probability: float = 0.0
    dropout_probability_per_minute: float = 0.0
    print_seconds: float = 600.0
    download_gcode: bool = True
    status_interval_seconds: float = 5.0
    auto_clear_seconds: float | None = 10.0
    # A person clears the bed at no set moment: up to this much more, drawn per print.
    auto_clear_spread_seconds: float = 0.0
    keepalive_seconds: int = 30
    mqtt_protocol: str = "3.1.1"
    connects_per_second: float = 1000.0
    duration_seconds: float | None = None
    seed: int | None = None

    def printer_ids(self) -> list[str]:
        return [str(self.first_id + index) for index in range(self.printers)]


@dataclass
class SimulationCounters:
    connected: int = 0
    commands: int = 0
    started: int = 0
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    cleared: int = 0
    dropouts: int = 0


def raise_file_limit(needed: int) -> int:
    """Raise RLIMIT_NOFILE's soft limit towards `needed` (capped by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft < needed:
        log.warning("only %d file descriptors allowed; %d wanted", soft, needed)
    return soft


class SimulatedPrinter:
    """One printer: its MQTT client, its state, and the print it is running."""

    def __init__(self, simulation: Simulation, printer_id: str, token: str | None) -> None:
        self.simulation = simulation
        self.printer_id = printer_id
        self.token = token
        settings = simulation.settings
        self.status_topic = status_topic(printer_id, settings.topic_prefix)
        self.events_topic = events_topic(printer_id, settings.topic_prefix)
        self.commands_topic = commands_topic(printer_id, settings.topic_prefix)
        self.state = PrinterState.IDLE
        self.job_id: str | None = None
        self.last_job_id: str | None = None
        self.progress: float | None = None
        self.paused = asyncio.Event()
        self.print_task: asyncio.Task[None] | None = None
        self.clear_task: asyncio.Task[None] | None = None
        self.cancel_requested = False
        self.done_commands: collections.deque[str] = collections.deque(maxlen=REMEMBERED_COMMANDS)
        self.connected = False
        self.dropped_until = 0.0
        self.reconnect_delay = 1.0
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        settings = self.simulation.settings
        protocol = mqtt.MQTTv5 if settings.mqtt_protocol == "5" else mqtt.MQTTv311
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"sim-{printer_username(self.printer_id)}-{uuid.uuid4().hex[:6]}",
            protocol=protocol,
        )
        broker = self.simulation.broker
        if self.token is not None:
            # The login an agent makes: its broker password is derived from its token.
            password = printer_broker_password(self.token)
            client.username_pw_set(printer_username(self.printer_id), password)
        elif broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set()
        client.will_set(
            self.status_topic,
            encode_payload(StatusPayload(state=PrinterState.OFFLINE)),
            qos=1,
            retain=True,
        )
        client.max_queued_messages_set(0)
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_socket_register_write
        client.on_socket_unregister_write = self._on_socket_unregister_write
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    # --- paho on asyncio: the socket callbacks hand the socket to the event loop ---

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.simulation.loop.add_reader(sock, client.loop_read)

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.simulation.loop.remove_reader(sock)
        self.simulation.loop.remove_writer(sock)

    def _on_socket_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.simulation.loop.add_writer(sock, client.loop_write)

    def _on_socket_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.simulation.loop.remove_writer(sock)

    def connect(self) -> bool:
        broker = self.simulation.broker
        try:
            self.client.connect(
                broker.host, broker.port, keepalive=self.simulation.settings.keepalive_seconds
            )
        except OSError as error:
            log.debug("printer %s cannot connect: %s", self.printer_id, error)
            self._schedule_reconnect()
            return False
        return True

    def _schedule_reconnect(self) -> None:
        if self.simulation.stopping:
            return
        delay = max(self.reconnect_delay, self.dropped_until - time.monotonic())
        self.reconnect_delay = min(self.reconnect_delay * 2, 30.0)
        self.simulation.loop.call_later(delay * random.uniform(0.8, 1.2), self._reconnect)

    def _reconnect(self) -> None:
        if self.simulation.stopping or self.connected:
            return
        try:
            self.client.reconnect()
        except OSError as error:
            log.debug("printer %s cannot reconnect: %s", self.printer_id, error)
            self._schedule_reconnect()

    def drop_connection(self) -> None:
        """Vanish without a DISCONNECT, as a crashed agent would: the broker sends the will."""
        sock = self.client.socket()
        if not self.connected or sock is None:
            return
        self.simulation.counters.dropouts += 1
        self.dropped_until = time.monotonic() + random.uniform(2.0, 10.0)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]

    # --- MQTT callbacks: each wrapped so a bad message never stops the loop ---

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            log.warning("broker refused printer %s: %s", self.printer_id, reason_code)
            return
        self.connected = True
        self.reconnect_delay = 1.0
        self.simulation.counters.connected += 1
        client.subscribe(self.commands_topic, qos=1)
        self.publish_status()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if self.connected:
            self.simulation.counters.connected -= 1
        self.connected = False
        self._schedule_reconnect()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            command = parse_payload(CommandPayload, bytes(message.payload))
        except PayloadError as error:
            log.warning("dropped a bad command on %s: %s", message.topic, error)
            return
        except Exception:
            log.exception("dropped a command on %s that could not be read", message.topic)
            return
        self.simulation.spawn(self.carry_out(command))

    # --- protocol ---

    def publish_status(self) -> StatusPayload:
        status = StatusPayload(
            state=self.state,
            job_id=self.job_id or (self.last_job_id if self.state == "awaiting_clear" else None),
            progress=self.progress if self.job_id else None,
            temperatures=self._temperatures(),
            seq=self.simulation.next_seq(),
            ts=time.time(),
        )
        self.client.publish(self.status_topic, encode_payload(status), qos=1, retain=True)
        return status

    def _temperatures(self) -> dict[str, Temperature]:
        hot = self.state in (PrinterState.PRINTING, PrinterState.PAUSED)
        return {
            "tool0": Temperature(actual=230.0 if hot else 24.0, target=230.0 if hot else 0.0),
            "bed": Temperature(actual=85.0 if hot else 24.0, target=85.0 if hot else 0.0),
        }

    def emit(self, kind: EventKind, job_id: str | None, reason: str | None = None) -> EventPayload:
        event = EventPayload(
            event_id=uuid.uuid4().hex, kind=kind, job_id=job_id, reason=reason, ts=time.time()
        )
        # paho keeps unacknowledged QoS 1 messages and re-sends them after a dropout.
        self.client.publish(self.events_topic, encode_payload(event), qos=1)
        return event

    async def carry_out(self, command: CommandPayload) -> None:
        if command.command_id in self.done_commands:
            return
        self.done_commands.append(command.command_id)
        self.simulation.counters.commands += 1
        match command.kind:
            case CommandKind.START_JOB:
                await self._start_job(command)
            case CommandKind.CANCEL:
                if self.print_task is not None and command.job_id in (None, self.job_id):
                    self.cancel_requested = True
                    self.print_task.cancel()
            case CommandKind.PAUSE:
                if self.state == PrinterState.PRINTING:
                    self.paused.set()
                    self.state = PrinterState.PAUSED
                    self.publish_status()
            case CommandKind.RESUME:
                if self.state == PrinterState.PAUSED:
                    self.paused.clear()
                    self.state = PrinterState.PRINTING
                    self.publish_status()
            case CommandKind.CLEAR_BED:
                self.clear_bed()

    def memory(self) -> PrintMemory:
        """What an agent would remember in this printer's place."""
        return PrintMemory(
            job_id=self.job_id,
            awaiting_clear=self.state == PrinterState.AWAITING_CLEAR,
            last_job_id=self.last_job_id,
        )

    def snapshot(self) -> OctoPrintSnapshot:
        """What OctoPrint would show of this printer."""
        activity = SNAPSHOT_ACTIVITY.get(self.state, PrinterActivity.BUSY)
        return OctoPrintSnapshot(activity=activity, state_text=activity.value)

    async def _start_job(self, command: CommandPayload) -> None:
        assert command.job_id and command.gcode_url and command.sha256
        if command.job_id in (self.job_id, self.last_job_id):
            return
        refusal = start_refusal(self.memory(), self.snapshot(), command.job_id)
        if refusal is not None:
            self.emit(EventKind.PRINT_FAILED, command.job_id, f"start_job refused: {refusal}")
            return
        self.state = PrinterState.PRINTING  # reserved while downloading
        self.job_id = command.job_id
        try:
            seconds = await self.simulation.print_seconds(
                command.gcode_url, command.sha256, self.token
            )
        except ValueError as error:
            self.state, self.job_id = PrinterState.IDLE, None
            self.emit(EventKind.PRINT_FAILED, command.job_id, f"start_job refused: {error}")
            return
        self.progress = 0.0
        self.cancel_requested = False
        self.simulation.counters.started += 1
        self.emit(EventKind.PRINT_STARTED, command.job_id)
        self.publish_status()
        self.print_task = self.simulation.spawn(self._print(command.job_id, seconds))

    async def _print(self, job_id: str, seconds: float) -> None:
        settings = self.simulation.settings
        duration = seconds / settings.speed
        fails_at = (
            random.uniform(0.05, 0.95) if random.random() < settings.failure_probability else None
        )
        elapsed = 0.0
        ending, reason = EventKind.PRINT_DONE, None
        closed = False
        try:
            while elapsed < duration:
                step = min(settings.status_interval_seconds, duration - elapsed)
                await asyncio.sleep(step)
                if self.paused.is_set():
                    continue
                elapsed += step
                fraction = elapsed / duration if duration > 0 else 1.0
                if fails_at is not None and fraction >= fails_at:
                    ending, reason = EventKind.PRINT_FAILED, "simulated failure: print detached"
                    break
                self.progress = round(100.0 * min(fraction, 1.0), 1)
                if elapsed < duration:
                    self.publish_status()
        except asyncio.CancelledError:
            ending, reason = EventKind.PRINT_CANCELLED, "cancelled"
        except GeneratorExit:
            closed = True  # dropped with its event loop, which can run nothing more
            raise
        finally:
            if not closed:
                self._print_ended(job_id, ending, reason)

    def _print_ended(self, job_id: str, ending: EventKind, reason: str | None) -> None:
        counters = self.simulation.counters
        if ending == EventKind.PRINT_DONE:
            counters.done += 1
        elif ending == EventKind.PRINT_CANCELLED:
            counters.cancelled += 1
        else:
            counters.failed += 1
        self.print_task = None
        self.paused.clear()
        self.state = PrinterState.AWAITING_CLEAR
        self.last_job_id, self.job_id, self.progress = job_id, None, None
        self.emit(ending, job_id, reason)
        self.publish_status()
        settings = self.simulation.settings
        if settings.auto_clear_seconds is not None:
            delay = settings.auto_clear_seconds + random.uniform(
                0.0, settings.auto_clear_spread_seconds
            )
            self.clear_task = self.simulation.spawn(self._clear_later(delay))

    async def _clear_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.clear_bed()

    def clear_bed(self) -> None:
        if self.state != PrinterState.AWAITING_CLEAR:
            return
        self.simulation.counters.cleared += 1
        self.emit(EventKind.BED_CLEARED, self.last_job_id)
        self.state = PrinterState.IDLE
        self.last_job_id = None
        self.publish_status()


class Simulation:
    def __init__(self, settings: SimulationSettings) -> None:
        self.settings = settings
        self.broker = broker_address(settings.broker_url)
        self.loop = asyncio.get_running_loop()
        self.counters = SimulationCounters()
        self.stopping = False
        self._seq = int(time.time() * 1000)  # keeps growing across simulator restarts
        self._tasks: set[asyncio.Task[Any]] = set()
        self._durations: dict[str, float] = {}
        self._downloads = asyncio.Semaphore(DOWNLOAD_CONCURRENCY)
        self._http = httpx.AsyncClient(timeout=30.0)
        self.printers = [
            SimulatedPrinter(self, printer_id, settings.credentials.get(printer_id))
            for printer_id in settings.printer_ids()
        ]

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = self.loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulated printer task failed", exc_info=task.exception())

    async def print_seconds(self, url: str, sha256: str, token: str | None) -> float:
        """The job's duration, from its G-code (downloaded once per sha256) or the default."""
        if not self.settings.download_gcode:
            return self.settings.print_seconds
        if sha256 in self._durations:
            return self._durations[sha256]
        bearer = token or self.broker.password or ""
        async with self._downloads:
            try:
                response = await self._http.get(url, headers={"Authorization": f"Bearer {bearer}"})
            except httpx.HTTPError as error:
                raise ValueError(f"could not download the G-code: {error}") from error
        if response.status_code != 200:
            raise ValueError(f"could not download the G-code: HTTP {response.status_code}")
        if sha256_hex(response.content) != sha256:
            raise ValueError("the downloaded G-code does not match its sha256")
        seconds = estimated_print_seconds(response.content) or self.settings.print_seconds
        self._durations[sha256] = seconds
        return seconds

    async def run(self) -> None:
        misc = self.spawn(self._keepalive_loop())
        dropouts = self.spawn(self._dropout_loop())
        pace = 1.0 / self.settings.connects_per_second
        started = time.monotonic()
        for printer in self.printers:
            printer.connect()
            await asyncio.sleep(pace)
        log.info("%d printers connecting in %.1f s", len(self.printers), time.monotonic() - started)
        try:
            if self.settings.duration_seconds is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(self.settings.duration_seconds)
        finally:
            await self.close(misc, dropouts)

    async def close(self, *tasks: asyncio.Task[Any]) -> None:
        self.stopping = True
        for task in tasks:
            task.cancel()
        for printer in self.printers:
            if printer.connected:
                # Announce offline in order, then say goodbye (no will needed).
                printer.state = PrinterState.OFFLINE
                printer.publish_status()
                printer.client.disconnect()
        await asyncio.sleep(0.2)
        await self._http.aclose()

    async def _keepalive_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for printer in self.printers:
                # Sends PINGREQs and notices a broker that stopped answering.
                printer.client.loop_misc()

    async def _dropout_loop(self) -> None:
        chance_per_second = self.settings.dropout_probability_per_minute / 60.0
        if chance_per_second <= 0:
            return
        while True:
            await asyncio.sleep(1.0)
            for printer in self.printers:
                if random.random() < chance_per_second:
                    printer.drop_connection()


async def run_simulation(settings: SimulationSettings) -> int:
    if settings.seed is not None:
        random.seed(settings.seed)
    raise_file_limit(settings.printers * FILE_DESCRIPTORS_PER_PRINTER + SPARE_FILE_DESCRIPTORS)
    simulation = Simulation(settings)
    with contextlib.suppress(asyncio.CancelledError):
        await simulation.run()
    log.info("simulation ended: %s", simulation.counters)
    return 0


def add_simulator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--printers", type=int, required=True, help="how many printers")
    parser.add_argument("--broker-url", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--first-id", type=int, default=1, help="id of the first printer")
    parser.add_argument(
        "--credentials",
        type=Path,
        help="JSON file {printer_id: token}; each printer then logs in as printer-{id} "
        "with the broker password derived from its token, as its agent would",
    )
    parser.add_argument("--topic-prefix", default=DEFAULT_PREFIX)
    parser.add_argument("--speed", type=float, default=1.0, help="print time divisor")
    parser.add_argument("--failure-probability", type=float, default=0.0)
    parser.add_argument(
        "--dropout-probability",
        type=float,
        default=0.0,
        help="chance per printer per minute of losing its connection",
    )
    parser.add_argument(
        "--print-seconds",
        type=float,
        default=600.0,
        help="print duration when the G-code has no estimate",
    )
    parser.add_argument(
        "--no-download", action="store_true", help="do not fetch G-code; use --print-seconds"
    )
    parser.add_argument("--status-interval", type=float, default=5.0)
    parser.add_argument(
        "--auto-clear-seconds",
        type=float,
        default=10.0,
        help="clear the bed this long after a print ends; negative: never",
    )
    parser.add_argument("--mqtt-protocol", choices=["3.1.1", "5"], default="3.1.1")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--log-level", default="INFO")


def simulation_settings_from_arguments(args: argparse.Namespace) -> SimulationSettings:
    credentials: dict[str, str] = {}
    if args.credentials is not None:
        credentials = {
            str(key): str(value) for key, value in json.loads(args.credentials.read_text()).items()
        }
    return SimulationSettings(
        printers=args.printers,
        broker_url=args.broker_url,
        first_id=args.first_id,
        credentials=credentials,
        topic_prefix=args.topic_prefix,
        speed=args.speed,
        failure_probability=args.failure_probability,
        dropout_probability_per_minute=args.dropout_probability,
        print_seconds=args.print_seconds,
        download_gcode=not args.no_download,
        status_interval_seconds=args.status_interval,
        auto_clear_seconds=None if args.auto_clear_seconds < 0 else args.auto_clear_seconds,
        mqtt_protocol=args.mqtt_protocol,
        duration_seconds=args.duration,
        seed=args.seed,
    )
