"""The printer agent: runs beside one OctoPrint and links it to the service over MQTT.

It connects outbound (volunteers sit behind home routers), with a retained last will
`offline` on its status topic and a retained birth status on every connect. A new
printer's login reaches the broker a moment after it is registered (the service rewrites
the password file and the broker reloads it), so a refused login is waited for, with
backoff, and is only worth a warning when it lasts. It polls
OctoPrint's REST API about once a second, publishes status when something changes (and
at most every `status_interval_seconds` while printing), and turns what it sees into
events. Events go to an on-disk outbox first and leave it only when the broker has
acknowledged them, so neither a broker restart nor a killed agent loses one.

Commands are carried out once per `command_id`. After a print ends the printer waits for
the maker to confirm the bed is clear (`makerline agent clear`, over the control socket,
or the service's `clear_bed`); no job starts before that.

The printer's token goes to the service's API only: a start_job whose G-code link is not
that job's G-code on `api_url` is refused before any request is made, and counted (`makerline
agent status` tells how many), and the download follows no redirect.

Threads: paho's network thread and the control socket's thread only put items on one
inbox queue; everything else (OctoPrint, the store, decisions) happens on the thread that
calls `run()`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import paho.mqtt.client as mqtt
import requests
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from printers.agent.config import AgentSettings, GcodeLinkRefused
from printers.agent.control import ControlReply, ControlServer
from printers.agent.store import AgentStore
from printers.octoprint.rest import (
    OctoPrintAdapter,
    OctoPrintError,
    OctoPrintSnapshot,
    OctoPrintUnauthorised,
    OctoPrintUnreachable,
    OctoPrintWrongState,
)
from printers.octoprint.tracking import (
    PrintMemory,
    after_ending,
    after_start,
    observe,
    print_ending,
    print_may_have_ended,
    reported_job_id,
    reported_state,
    start_refusal,
)
from printers.protocol.job_files import gcode_filename, sha256_hex
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
from printers.protocol.topics import commands_topic, events_topic, status_topic

log = logging.getLogger(__name__)

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600
CONTROL_REPLY_TIMEOUT_SECONDS = 30.0
RECONNECT_MIN_SECONDS = 1
RECONNECT_MAX_SECONDS = 30
# How long a refused login is taken for the broker not having reloaded its password file
# yet (about a second, measured with deploy/mosquitto/run.sh) before it is worth a warning.
LOGIN_PATIENCE_SECONDS = 60.0
# CONNACK reasons that mean "not this login", under MQTT 3.1.1 and 5.
LOGIN_REFUSALS = frozenset({"Not authorized", "Bad user name or password"})


class GcodeDownloadError(RuntimeError):
    """The service's G-code could not be fetched; the message says why."""


# --- inbox items: what other threads hand to the agent's own thread ---


@dataclass(frozen=True)
class _Connected:
    pass


@dataclass(frozen=True)
class _Refused:
    reason: str


@dataclass(frozen=True)
class _Disconnected:
    reason: str


@dataclass(frozen=True)
class _Acknowledged:
    mid: int
    refused: str | None


@dataclass(frozen=True)
class _Command:
    command: CommandPayload


@dataclass(frozen=True)
class _ControlRequest:
    verb: str
    reply: queue.Queue[ControlReply]


_InboxItem = _Connected | _Refused | _Disconnected | _Acknowledged | _Command | _ControlRequest


def download_gcode(url: str, token: str, *, max_bytes: int, timeout: float) -> bytes:
    """Fetch a job's G-code with the printer's bearer token, refusing oversized files.

    `url` must already be known to be the service's (`AgentSettings.gcode_download_url`);
    a redirect is not followed, so the token cannot be carried anywhere else."""
    try:
        with requests.get(
            url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=(timeout, timeout * 6),
            stream=True,
            allow_redirects=False,
        ) as response:
            if response.is_redirect:
                raise GcodeDownloadError(
                    f"the service answered HTTP {response.status_code}, a redirect, "
                    "which is not followed"
                )
            if response.status_code != 200:
                raise GcodeDownloadError(f"the service answered HTTP {response.status_code}")
            chunks = []
            size = 0
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise GcodeDownloadError(f"the file exceeds {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException as error:
        log.warning("G-code download failed: %s", error)
        raise GcodeDownloadError("the service could not be reached") from error


class Agent:
    def __init__(
        self, settings: AgentSettings, *, octoprint: OctoPrintAdapter | None = None
    ) -> None:
        self.settings = settings
        self._octoprint = octoprint or OctoPrintAdapter(
            settings.octoprint_url,
            settings.octoprint_api_key,
            timeout=settings.http_timeout_seconds,
        )
        self._inbox: queue.Queue[_InboxItem] = queue.Queue()
        self._stopping = threading.Event()
        self._status_topic = status_topic(settings.printer_id, settings.topic_prefix)
        self._events_topic = events_topic(settings.printer_id, settings.topic_prefix)
        self._commands_topic = commands_topic(settings.printer_id, settings.topic_prefix)
        self._client = self._make_client()
        self._control = ControlServer(settings.control_socket_path, self._ask_from_control)
        self._bad_commands = 0  # counted by the network thread, told by `agent status`
        self._refused_links = 0  # G-code links off the service's API, told by `agent status`
        # Main-thread state.
        self._store: AgentStore | None = None
        self._memory = PrintMemory()
        self._snapshot: OctoPrintSnapshot | None = None
        self._octoprint_problem: str | None = None
        self._connected = False
        self._refused_since: float | None = None  # the broker refuses our login since then
        self._refusal_warned = False
        self._pending_events: dict[int, str] = {}
        self._last_status_key: tuple[Any, ...] | None = None
        self._last_status_detail: tuple[Any, ...] | None = None
        self._last_status_at = 0.0

    # --- lifecycle ---

    def run(self) -> None:
        """Work until `stop()` is called; returns after announcing `offline`."""
        self._store = AgentStore(self.settings.state_db_path)
        self._memory = self._store.load_memory()
        self._control.start()
        broker = self.settings.broker
        log.info(
            "agent for printer %s: broker %s:%s, OctoPrint %s",
            self.settings.printer_id,
            broker.host,
            broker.port,
            self.settings.octoprint_url,
        )
        self._connect()
        next_poll = 0.0
        try:
            while not self._stopping.is_set():
                wait = max(0.0, next_poll - time.monotonic())
                try:
                    item = self._inbox.get(timeout=min(wait, 0.5))
                except queue.Empty:
                    item = None
                if item is not None:
                    self._handle_safely(item)
                if time.monotonic() >= next_poll:
                    self._poll_safely()
                    next_poll = time.monotonic() + self.settings.poll_interval_seconds
        finally:
            self._shut_down()

    def stop(self) -> None:
        self._stopping.set()

    def _connect(self) -> None:
        broker = self.settings.broker
        if self.settings.mqtt_protocol == "5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
            self._client.connect_async(
                broker.host,
                broker.port,
                keepalive=self.settings.keepalive_seconds,
                clean_start=False,
                properties=properties,
            )
        else:
            self._client.connect_async(
                broker.host, broker.port, keepalive=self.settings.keepalive_seconds
            )
        self._client.loop_start()

    def _shut_down(self) -> None:
        if self._connected:
            info = self._publish_status(force=True, state=PrinterState.OFFLINE)
            if info is not None:
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(timeout=3)
        self._client.disconnect()
        self._client.loop_stop()
        self._control.stop()
        if self._store is not None:
            self._store.close()

    # --- MQTT (paho's thread: only hands over to the inbox) ---

    def _make_client(self) -> mqtt.Client:
        broker = self.settings.broker
        client_id = f"printer-{self.settings.printer_id}"
        if self.settings.mqtt_protocol == "5":
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
            )
        else:
            # A persistent session: commands sent while the agent is away wait for it.
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=client_id,
                protocol=mqtt.MQTTv311,
                clean_session=False,
            )
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set()
        client.will_set(
            self._status_topic,
            encode_payload(StatusPayload(state=PrinterState.OFFLINE)),
            qos=1,
            retain=True,
        )
        client.reconnect_delay_set(RECONNECT_MIN_SECONDS, RECONNECT_MAX_SECONDS)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        try:
            if reason_code.is_failure:
                self._inbox.put(_Refused(str(reason_code)))  # paho retries with backoff
                return
            # Subscriptions are replayed on every connect, whatever the session kept.
            client.subscribe(self._commands_topic, qos=1)
            self._inbox.put(_Connected())
        except Exception:
            log.exception("on_connect failed")

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        self._inbox.put(_Disconnected(str(reason_code)))

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        refused = str(reason_code) if reason_code.is_failure else None
        self._inbox.put(_Acknowledged(mid, refused))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            command = parse_payload(CommandPayload, bytes(message.payload))
        except PayloadError as error:
            self._bad_commands += 1
            log.warning("dropped a bad command on %s: %s", message.topic, error)
            return
        except Exception:
            self._bad_commands += 1
            log.exception("dropped a command on %s that could not be read", message.topic)
            return
        self._inbox.put(_Command(command))

    # --- control socket (its own thread: waits for the agent's thread) ---

    def _ask_from_control(self, verb: str) -> ControlReply:
        reply: queue.Queue[ControlReply] = queue.Queue(maxsize=1)
        self._inbox.put(_ControlRequest(verb, reply))
        try:
            return reply.get(timeout=CONTROL_REPLY_TIMEOUT_SECONDS)
        except queue.Empty:
            return ControlReply(False, "the agent is busy (downloading or uploading?); try again")

    # --- the agent's own thread ---

    def _handle_safely(self, item: _InboxItem) -> None:
        try:
            self._handle(item)
        except Exception:
            log.exception("failed to handle %r", item)

    def _handle(self, item: _InboxItem) -> None:
        match item:
            case _Connected():
                self._connected = True
                self._refused_since, self._refusal_warned = None, False
                log.info("connected to the broker")
                self._publish_status(force=True)
                self._flush_outbox()
            case _Refused(reason):
                self._login_refused(reason)
            case _Disconnected(reason):
                if self._connected:
                    log.warning("lost the broker (%s); paho reconnects with backoff", reason)
                self._connected = False
            case _Acknowledged(mid, refused):
                self._acknowledged(mid, refused)
            case _Command(command):
                self._carry_out(command)
            case _ControlRequest(verb, reply):
                reply.put(self._control_request(verb))

    def _poll_safely(self) -> None:
        try:
            self._poll()
        except Exception:
            log.exception("polling OctoPrint failed")

    def _poll(self) -> None:
        self._snapshot = self._take_snapshot()
        now = time.time()
        memory = self._memory
        if self._snapshot is not None:
            memory = observe(memory, self._snapshot, now)
        if print_may_have_ended(memory, self._snapshot):
            assert memory.job_file is not None
            try:
                last_print = self._octoprint.last_print(memory.job_file)
            except OctoPrintError as error:
                log.warning("cannot read the result of %s: %s", memory.job_file, error.for_log())
                self._remember(memory)
                return
            ending = print_ending(memory, self._snapshot, last_print, now)
            if ending is not None:
                self._emit(ending.kind, memory.job_id, ending.reason)
                memory = after_ending(memory)
        self._remember(memory)
        self._publish_status()

    def _take_snapshot(self) -> OctoPrintSnapshot | None:
        try:
            snapshot = self._octoprint.snapshot()
        except OctoPrintUnauthorised as error:
            self._note_octoprint_problem(f"unauthorised: {error.for_log()}")
            return None
        except OctoPrintError as error:
            self._note_octoprint_problem(error.for_log())
            return None
        if self._octoprint_problem is not None:
            log.info("OctoPrint answers again")
            self._octoprint_problem = None
        return snapshot

    def _note_octoprint_problem(self, problem: str) -> None:
        if problem != self._octoprint_problem:
            log.warning("OctoPrint: %s", problem)
        self._octoprint_problem = problem

    def _remember(self, memory: PrintMemory) -> None:
        if memory != self._memory:
            assert self._store is not None
            self._store.save_memory(memory)
            self._memory = memory

    def _login_refused(self, reason: str) -> None:
        if reason not in LOGIN_REFUSALS:
            log.error("the broker refused the connection: %s", reason)
            return
        now = time.monotonic()
        if self._refused_since is None:
            self._refused_since = now
            log.info("waiting for the broker to accept this printer")
        elif now - self._refused_since >= LOGIN_PATIENCE_SECONDS and not self._refusal_warned:
            self._refusal_warned = True
            log.warning(
                "the broker still refuses this printer's login (%s): check printer_id and "
                "printer_token in %s",
                reason,
                self.settings.source,
            )

    # --- status ---

    def _current_state(self) -> PrinterState:
        if self._octoprint_problem is not None and self._octoprint_problem.startswith("unauth"):
            return PrinterState.ERROR
        return reported_state(self._memory, self._snapshot)

    def current_status(self) -> StatusPayload:
        state = self._current_state()
        snapshot = self._snapshot
        active = state in (PrinterState.PRINTING, PrinterState.PAUSED)
        temperatures = {}
        if snapshot is not None:
            temperatures = {
                name: Temperature(actual=reading.actual, target=reading.target)
                for name, reading in list(snapshot.temperatures.items())[:16]
            }
        return StatusPayload(
            state=state,
            job_id=reported_job_id(self._memory, snapshot),
            progress=snapshot.progress if active and snapshot is not None else None,
            temperatures=temperatures,
        )

    def _publish_status(
        self, *, force: bool = False, state: PrinterState | None = None
    ) -> mqtt.MQTTMessageInfo | None:
        if not self._connected:
            return None  # the birth status on the next connect says where we are
        status = self.current_status()
        if state is not None:
            status = status.model_copy(update={"state": state})
        key = (status.state, status.job_id)
        detail = (status.progress, status.temperatures)
        now = time.monotonic()
        changed = key != self._last_status_key
        printing = status.state in (PrinterState.PRINTING, PrinterState.PAUSED)
        due = (
            printing
            and detail != self._last_status_detail
            and now - self._last_status_at >= self.settings.status_interval_seconds
        )
        if not (force or changed or due):
            return None
        assert self._store is not None
        status = status.model_copy(update={"seq": self._store.next_seq(), "ts": time.time()})
        info = self._client.publish(self._status_topic, encode_payload(status), qos=1, retain=True)
        if changed:
            log.info("status %s job=%s seq=%s", status.state, status.job_id, status.seq)
        self._last_status_key, self._last_status_detail, self._last_status_at = key, detail, now
        return info

    # --- events and the outbox ---

    def _emit(self, kind: EventKind, job_id: str | None, reason: str | None = None) -> None:
        assert self._store is not None
        event = EventPayload(
            event_id=uuid.uuid4().hex, kind=kind, job_id=job_id, reason=reason, ts=time.time()
        )
        payload = encode_payload(event)
        self._store.add_to_outbox(event.event_id, self._events_topic, payload)
        log.info("event %s job=%s %s", kind, job_id, reason or "")
        self._publish_event(event.event_id, self._events_topic, payload)

    def _publish_event(self, event_id: str, topic: str, payload: bytes) -> None:
        # paho keeps QoS 1 messages published while disconnected and sends them on
        # reconnect; we keep the mid to delete the outbox row when the PUBACK arrives.
        info = self._client.publish(topic, payload, qos=1)
        self._pending_events[info.mid] = event_id

    def _flush_outbox(self) -> None:
        assert self._store is not None
        in_flight = set(self._pending_events.values())
        for event_id, topic, payload in self._store.outbox():
            if event_id not in in_flight:
                self._publish_event(event_id, topic, payload)

    def _acknowledged(self, mid: int, refused: str | None) -> None:
        event_id = self._pending_events.pop(mid, None)
        if event_id is None:
            return  # a status, not an event
        if refused is not None:
            # Kept in the outbox: sent again on the next connect.
            log.error("the broker refused event %s: %s", event_id, refused)
            return
        assert self._store is not None
        self._store.remove_from_outbox(event_id)

    # --- commands ---

    def _carry_out(self, command: CommandPayload) -> None:
        assert self._store is not None
        if self._store.command_done(command.command_id):
            log.info("command %s already carried out; ignored", command.command_id)
            return
        log.info("command %s: %s job=%s", command.command_id, command.kind, command.job_id)
        try:
            match command.kind:
                case CommandKind.START_JOB:
                    self._start_job(command)
                case CommandKind.CANCEL:
                    self._cancel(command)
                case CommandKind.PAUSE | CommandKind.RESUME:
                    self._pause_or_resume(command)
                case CommandKind.CLEAR_BED:
                    log.info("clear_bed from the service: %s", self._clear_bed().message)
        finally:
            self._store.mark_command_done(command.command_id)
        self._poll_safely()

    def _start_job(self, command: CommandPayload) -> None:
        assert command.job_id and command.gcode_url and command.sha256
        job_id = command.job_id
        if job_id in (self._memory.job_id, self._memory.last_job_id):
            log.info("job %s is already on this printer; start_job ignored", job_id)
            return
        try:
            source = self.settings.gcode_download_url(command.gcode_url, job_id)
        except GcodeLinkRefused as error:
            self._refused_links += 1
            log.warning("start_job %s names G-code at %r: %s", job_id, command.gcode_url, error)
            self._refuse(job_id, str(error))
            return
        self._snapshot = self._take_snapshot()
        refusal = start_refusal(self._memory, self._snapshot, job_id)
        if refusal is not None:
            self._refuse(job_id, refusal)
            return
        try:
            gcode = download_gcode(
                source,
                self.settings.printer_token,
                max_bytes=self.settings.gcode_max_bytes,
                timeout=self.settings.http_timeout_seconds,
            )
        except GcodeDownloadError as error:
            self._refuse(job_id, f"could not download the G-code: {error}")
            return
        if sha256_hex(gcode) != command.sha256:
            self._refuse(job_id, "the downloaded G-code does not match its sha256")
            return
        filename = gcode_filename(job_id)
        started_at = time.time()
        try:
            self._octoprint.start_print(filename, gcode)
        except OctoPrintError as error:
            log.warning("OctoPrint refused job %s: %s", job_id, error.for_log())
            self._refuse(job_id, f"OctoPrint refused the job: {error}")
            return
        self._remember(after_start(self._memory, job_id, filename, started_at))
        self._emit(EventKind.PRINT_STARTED, job_id)

    def _refuse(self, job_id: str, reason: str) -> None:
        # Nothing reached the bed, so the printer's state is unchanged (no bed clear needed).
        self._emit(EventKind.PRINT_FAILED, job_id, f"start_job refused: {reason}")

    def _cancel(self, command: CommandPayload) -> None:
        if self._memory.job_id is None or command.job_id not in (None, self._memory.job_id):
            log.info("cancel for job %s: no such job on this printer; ignored", command.job_id)
            return
        self._remember(replace(self._memory, cancelled=True))
        try:
            self._octoprint.cancel()
        except OctoPrintWrongState as error:
            log.info("cancel: %s (the print has ended already?)", error.for_log())
        except OctoPrintUnreachable as error:
            log.warning("cancel: %s", error.for_log())

    def _pause_or_resume(self, command: CommandPayload) -> None:
        if self._memory.job_id is None or command.job_id not in (None, self._memory.job_id):
            log.info("%s for job %s: not on this printer; ignored", command.kind, command.job_id)
            return
        try:
            if command.kind == CommandKind.PAUSE:
                self._octoprint.pause()
            else:
                self._octoprint.resume()
        except OctoPrintError as error:
            log.warning("%s: %s", command.kind, error.for_log())

    # --- bed clear ---

    def _control_request(self, verb: str) -> ControlReply:
        if verb == "clear":
            return self._clear_bed()
        status = self.current_status()
        return ControlReply(
            True,
            f"printer {self.settings.printer_id}: {status.state.value}"
            + (f", job {status.job_id}" if status.job_id else "")
            + ("" if self._connected else f", {self._broker_problem()}")
            + (f", bad commands dropped: {self._bad_commands}" if self._bad_commands else "")
            + (f", G-code links refused: {self._refused_links}" if self._refused_links else ""),
        )

    def _broker_problem(self) -> str:
        if self._refused_since is not None:
            return "waiting for the broker to accept this printer's login"
        return "not connected to the broker (it reconnects by itself)"

    def _clear_bed(self) -> ControlReply:
        memory = self._memory
        if memory.job_id is not None:
            return ControlReply(
                False, f"job {memory.job_id} is still on the printer; clear the bed once it ends"
            )
        if not memory.awaiting_clear:
            return ControlReply(True, "the bed was already marked clear; nothing to do")
        self._emit(EventKind.BED_CLEARED, memory.last_job_id)
        self._remember(PrintMemory())
        self._publish_status()
        return ControlReply(True, "bed cleared: the printer can take the next job")
