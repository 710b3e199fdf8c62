"""`makerline demo`: all of makerline on one machine, in one command.

It seeds the Abbeville-like demo network (`demo_data`) in a SQLite database of its own,
then starts, each as a child process and in this order: an embedded MQTT broker (unless
`MAKERLINE_MQTT_URL` names one), the REST API, the orchestrator, the sender of messages
(`makerline notify`), the simulated printers, optionally real OctoPrint servers with their
Virtual Printer and an agent each, and the board. The sender's e-mail and SMS land on
loopback, in the demo's own mail catcher and SMS recorder (`mail_catcher`, in threads of
this process), which write them under the data folder for the person trying the demo.
Each step waits until its process answers (a port, a health check, the orchestrator's
retained `online`, the printers' statuses through the API), so that a
failure names the step and shows the end of its log. The waits measure progress, not
time: a step fails when its process stops, or when nothing moved for `STALL_SECONDS`
(its log did not grow, no more printers came online), so that a busy machine only makes
the demo slower. Then it prints the addresses and the demo tokens, and a line of
production figures now and then.

Children run in their own sessions, so the terminal's Ctrl-C reaches only this process,
which stops them in the reverse order: printers first (they say goodbye), the broker last.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import IO, NoReturn

import httpx

from orchestrator.core.config import Settings, load_settings
from orchestrator.demo.hub_volunteers import HubVolunteers
from orchestrator.demo.mail_catcher import MailCatcher, SmsRecorder
from orchestrator.demo.network import (
    CLEARS_WHEN_TOLD,
    DemoNetwork,
    DemoPrinter,
    ensure_octoprint_printers,
    seed_demo,
)
from orchestrator.domain.vocabulary import Role
from orchestrator.link.service_watch import ServiceWatch
from orchestrator.parts.slicing import SLICER_EXECUTABLE, SlicerMissing
from printers.agent.config import write_agent_config
from printers.protocol.broker import broker_address
from printers.simulated import virtual_octoprint

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
STOP_SECONDS = 10.0
# A starting step fails after this long without progress, or at the cap whatever it does.
STALL_SECONDS = 90.0
READY_CAP_SECONDS = 900.0
OCTOPRINT_API_KEY_PREFIX = "MAKERLINEDEMO"
# `CLEARS_WHEN_TOLD` clears her bed this long after the sender's grouping window.
TOLD_CLEAR_MARGIN_SECONDS = 30.0


class DemoError(RuntimeError):
    """A step could not be done; the message says which and why."""


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path = Path("data/demo")
    host: str = "127.0.0.1"
    api_port: int = 8000
    board_port: int = 8501
    broker_port: int = 1883
    octoprint: int = 0
    speed: float = 600.0
    keep: bool = False
    report_every: float = 15.0
    hub_every: float = 20.0  # 0: the hub's work is left to the person trying the demo

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def board_url(self) -> str:
        return f"http://{self.host}:{self.board_port}"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "makerline.db"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def sms_log(self) -> Path:
        return self.data_dir / "sms.log"


@dataclass
class Child:
    """One process the demo starts, and its log."""

    name: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the demo only: it stops us in order
                preexec_fn=die_with_parent,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tail(self, lines: int = 15) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)


def die_with_parent() -> None:
    """In the child, before it runs: ask Linux to send SIGTERM when the demo dies, so that
    a demo killed outright (SIGKILL) leaves no process behind."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def port_answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def http_ok(url: str, token: str | None = None) -> bool:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        return httpx.get(url, headers=headers, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class Readiness:
    """Where a starting step is: `done`, or how far it got (`progress`, compared between
    two looks; `shown` says it in words for a failure)."""

    done: bool
    progress: object = None
    shown: str = ""


def ready_when(check: Callable[[], bool]) -> Callable[[], Readiness]:
    """A step whose only sign of progress is its child's log."""
    return lambda: Readiness(check())


class Demo:
    def __init__(self, options: DemoOptions, out: IO[str] = sys.stdout) -> None:
        self.options = options
        self.out = out
        self.children: list[Child] = []
        self.logs = options.data_dir / "logs"
        self.makerline = [sys.executable, "-m", "orchestrator.cli"]
        self.mqtt_url = os.environ.get("MAKERLINE_MQTT_URL", "")
        self.env: dict[str, str] = {}
        self.network: DemoNetwork | None = None
        self.octoprint_printers: list[DemoPrinter] = []
        self.mail_catcher: MailCatcher | None = None
        self.sms_recorder: SmsRecorder | None = None

    # --- output ---

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        print(f"  {what} …", end="", file=self.out, flush=True)
        started = time.monotonic()
        try:
            yield
        except BaseException:
            self.say(" failed")
            raise
        self.say(f" ok ({time.monotonic() - started:.1f} s)")

    # --- the run ---

    def run(self) -> int:
        self.check_machine()
        try:
            self.start_all()
            self.show_access()
            self.follow_production()
        except KeyboardInterrupt:
            self.say("\nstopping the demo")
        finally:
            self.stop_all()
        return 0

    def check_machine(self) -> None:
        if shutil.which(SLICER_EXECUTABLE) is None:
            raise DemoError(SlicerMissing().message)
        options = self.options
        wanted = [("API", options.api_port), ("board", options.board_port)]
        for what, port in wanted:
            if not port_free(options.host, port):
                raise DemoError(
                    f"port {port} on {options.host} is in use, so the {what} cannot listen "
                    f"there: stop what uses it, or choose another with --{what.lower()}-port"
                )
        if self.options.octoprint:
            virtual_octoprint.octoprint_executable()  # raises OctoPrintMissing

    def start_all(self) -> None:
        options = self.options
        self.say(f"makerline demo — {options.data_dir}/")
        with self.step("database (SQLite), demo network"):
            self.prepare_database()
        with self.step(self.broker_step_label()):
            self.start_broker()
        with self.step("mail catcher and SMS recorder (loopback)"):
            self.start_post_office()
        self.env = self.child_env()
        octoprints = self.start_octoprints()
        with self.step(f"API on {options.api_url}"):
            self.start_and_wait(
                Child("api", [*self.makerline, "serve"], self.logs / "api.log"),
                ready_when(lambda: http_ok(f"{options.api_url}/api/v1/health")),
            )
        with self.step("orchestrator"):
            self.start_orchestrator()
        with self.step("sender of messages"):
            self.start_notifier()
        assert self.network is not None
        printers = self.network.printers
        with self.step(f"{len(printers)} simulated printers ({options.speed:g} times faster)"):
            self.start_printers(printers)
        if octoprints:
            with self.step(f"{len(octoprints)} OctoPrint with the Virtual Printer, and agents"):
                self.start_agents(octoprints)
        with self.step(f"board on {options.board_url}"):
            self.start_and_wait(
                Child(
                    "board",
                    [*self.makerline, "board", "--api-url", options.api_url],
                    self.logs / "board.log",
                ),
                ready_when(lambda: http_ok(f"{options.board_url}/_stcore/health")),
            )

    def prepare_database(self) -> None:
        from orchestrator.database.engine import (
            make_engine,
            migrate,
            session_scope,
        )

        options = self.options
        options.data_dir.mkdir(parents=True, exist_ok=True)
        if not options.keep:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{options.database_path}{suffix}").unlink(missing_ok=True)
            # A new network's messages only: the last run's would read as this one's.
            shutil.rmtree(options.mail_dir, ignore_errors=True)
            options.sms_log.unlink(missing_ok=True)
        settings = self.settings()
        migrate(settings.effective_database_url)
        engine = make_engine(settings.effective_database_url)
        with session_scope(engine) as session:
            self.network = seed_demo(session=session, settings=settings)
            self.octoprint_printers = ensure_octoprint_printers(
                session=session, settings=settings, count=options.octoprint
            )
            session.commit()
        engine.dispose()
        ids = [printer.id for printer in self.network.printers]
        if ids != list(range(ids[0], ids[0] + len(ids))):
            raise DemoError(
                f"the demo printers' ids are not consecutive in {options.database_path}: "
                "start afresh (without --keep)"
            )

    def settings(self) -> Settings:
        """The services' settings as the demo sets them (its own SQLite, its ports)."""
        return load_settings(**self.setting_values())

    def setting_values(self) -> dict[str, str]:
        options = self.options
        return {
            "data_dir": str(options.data_dir),
            "database_url": f"sqlite:///{options.database_path}",
            "host": options.host,
            "port": str(options.api_port),
            "board_port": str(options.board_port),
            "public_url": options.api_url,
            "mqtt_url": self.mqtt_url or f"mqtt://{options.host}:{options.broker_port}",
            "environment": "development",
            "web_url": options.board_url,  # the links in the messages open the demo's board
            **self.post_office_values(),
        }

    def post_office_values(self) -> dict[str, str]:
        """The sender's channels, once the mail catcher and the SMS recorder listen."""
        if self.mail_catcher is None or self.sms_recorder is None:
            return {}
        return {
            "mail_url": mail_url(self.mail_catcher),
            "sms_url": sms_url(self.sms_recorder),
        }

    def child_env(self) -> dict[str, str]:
        values = {f"MAKERLINE_{key.upper()}": value for key, value in self.setting_values().items()}
        return os.environ | values | {"PYTHONUNBUFFERED": "1"}

    def broker_step_label(self) -> str:
        if self.mqtt_url:
            return f"MQTT broker {broker_address(self.mqtt_url).host} (MAKERLINE_MQTT_URL)"
        return "embedded MQTT broker"

    def start_broker(self) -> None:
        options = self.options
        if self.mqtt_url:
            broker = broker_address(self.mqtt_url)
            if not port_answers(broker.host, broker.port):
                raise DemoError(f"nothing answers at {self.mqtt_url} (MAKERLINE_MQTT_URL)")
            return
        if not port_free(options.host, options.broker_port):
            # Typically a Mosquitto already running: the demo keeps to a broker of its own.
            self.options = options = replace(options, broker_port=free_port(options.host))
        command = [*self.makerline, "broker", "--host", options.host]
        command += ["--port", str(options.broker_port)]
        self.start_and_wait(
            Child("broker", command, self.logs / "broker.log"),
            ready_when(lambda: port_answers(options.host, options.broker_port)),
        )

    def start_post_office(self) -> None:
        """Where the sender's e-mail and SMS land: files under the data folder."""
        host = self.options.host
        self.mail_catcher = MailCatcher(host, free_port(host), self.options.mail_dir).start()
        self.sms_recorder = SmsRecorder(host, 0, self.options.sms_log).start()

    def start_notifier(self) -> None:
        """The sender, looking every second so that the messages show up while one
        watches; it is ready once it says it started (its settings were read)."""
        command = [*self.makerline, "notify", "--name", "demo", "--every", "1"]
        child = Child("notifier", command, self.logs / "notifier.log")
        self.start_and_wait(child, ready_when(lambda: "notifier demo started" in child.log_tail()))

    def start_orchestrator(self) -> None:
        settings = self.settings()
        watch = ServiceWatch(settings.mqtt_url, settings.mqtt_topic_prefix, since=time.time())
        try:
            self.start_and_wait(
                Child(
                    "orchestrator",
                    [*self.makerline, "orchestrate", "--name", "demo"],
                    self.logs / "orchestrator.log",
                ),
                ready_when(lambda: watch.online),
            )
        finally:
            watch.close()

    def start_printers(self, printers: list[DemoPrinter]) -> None:
        """The simulated makers clear their beds a second after a print, all but one:
        `CLEARS_WHEN_TOLD` clears hers once her "bed to clear" e-mail has had time to
        arrive (the sender waits out its grouping window first), so that the mail catcher
        shows that message, grouped when her printers finish close together."""
        credentials = self.options.data_dir / "printer-tokens.json"
        credentials.write_text(json.dumps({str(p.id): p.token for p in printers}))
        credentials.chmod(0o600)
        told, others = split_printers(printers, CLEARS_WHEN_TOLD)
        if told:
            after_told = self.settings().notify_group_seconds + TOLD_CLEAR_MARGIN_SECONDS
            slow = self.simulator(told, credentials, after_told, "printers-told")
            slow.start(self.env)
            self.children.append(slow)
        self.start_and_wait(
            self.simulator(others, credentials, 1, "printers"), partial(self.online, printers)
        )

    def simulator(
        self, printers: list[DemoPrinter], credentials: Path, clear_after: float, name: str
    ) -> Child:
        command = [*self.makerline, "simulate", "--printers", str(len(printers))]
        command += ["--first-id", str(printers[0].id), "--credentials", str(credentials)]
        command += ["--broker-url", self.settings().mqtt_url, "--speed", f"{self.options.speed:g}"]
        command += ["--auto-clear-seconds", f"{clear_after:g}", "--status-interval", "2"]
        return Child(name, command, self.logs / f"{name}.log")

    def online(self, printers: list[DemoPrinter]) -> Readiness:
        """Every printer's status has reached the service through the broker; until then,
        how many have (each one more is progress)."""
        assert self.network is not None
        token = self.network.first(Role.COORDINATOR).token
        try:
            answer = httpx.get(
                f"{self.options.api_url}/api/v1/printers/status",
                headers={"Authorization": f"Bearer {token}"},
                timeout=2,
            )
        except httpx.HTTPError:
            return Readiness(False)
        if answer.status_code != 200:
            return Readiness(False)
        online = {row["printer_id"] for row in answer.json() if row["state"] != "offline"}
        count = sum(1 for printer in printers if printer.id in online)
        shown = f"{count} of {len(printers)} printers online"
        return Readiness(count == len(printers), count, shown)

    def start_octoprints(self) -> list[tuple[DemoPrinter, Child, str, str]]:
        """Start the OctoPrint servers first: they take seconds, so they start while the
        rest does, and the agents follow once they are operational."""
        started = []
        for number, printer in enumerate(self.octoprint_printers, start=1):
            basedir = self.options.data_dir / f"octoprint-{number}"
            api_key = f"{OCTOPRINT_API_KEY_PREFIX}{number:04d}{printer.token[-16:]}".upper()
            # The admin's password is a demo secret too: OctoPrint listens on loopback.
            virtual_octoprint.prepare(basedir, api_key=api_key, password=printer.token)
            port = free_port(self.options.host)
            child = Child(
                f"octoprint-{number}",
                virtual_octoprint.serve_command(basedir, host=self.options.host, port=port),
                self.logs / f"octoprint-{number}.log",
            )
            child.start(dict(os.environ))
            self.children.append(child)
            started.append((printer, child, f"http://{self.options.host}:{port}", api_key))
        return started

    def start_agents(self, octoprints: list[tuple[DemoPrinter, Child, str, str]]) -> None:
        for printer, server, url, api_key in octoprints:
            self.wait(server, ready_when(partial(virtual_octoprint.is_ready, url, api_key)))
            config = self.options.data_dir / f"agent-{printer.id}.toml"
            write_agent_config(
                config,
                {
                    "printer_id": str(printer.id),
                    "printer_token": printer.token,
                    "api_url": self.settings().public_url,  # where its G-code links point
                    "broker_url": self.settings().mqtt_url,
                    "octoprint_url": url,
                    "octoprint_api_key": api_key,
                    "state_dir": str(self.options.data_dir / f"agent-{printer.id}"),
                },
            )
            agent = Child(
                f"agent-{printer.id}",
                [*self.makerline, "agent", "--config", str(config)],
                self.logs / f"agent-{printer.id}.log",
            )
            self.start_and_wait(agent, partial(self.online, [printer]))

    def start_and_wait(self, child: Child, ready: Callable[[], Readiness]) -> None:
        child.start(self.env or dict(os.environ))
        self.children.append(child)
        self.wait(child, ready)

    def wait(self, child: Child, ready: Callable[[], Readiness]) -> None:
        """Until the step is ready. It fails when the child stops, or when neither its log
        nor the step's own measure (`Readiness.progress`) moved for `STALL_SECONDS`; the
        cap is only a safety net against a child that logs forever without getting ready."""
        started = last_move = time.monotonic()
        seen: tuple[int, object] | None = None
        while not (state := ready()).done:
            if not child.running():
                raise DemoError(f"{child.name} stopped while starting:\n{child.log_tail()}")
            now = time.monotonic()
            if (position := (child.log_size(), state.progress)) != seen:
                seen, last_move = position, now
            if now - last_move > STALL_SECONDS:
                why = f"{state.shown}, none more" if state.shown else "its log did not grow"
                self.not_ready(child, f"{why} in {STALL_SECONDS:.0f} s")
            if now - started > READY_CAP_SECONDS:
                so_far = f" ({state.shown})" if state.shown else ""
                self.not_ready(child, f"still starting after {READY_CAP_SECONDS:.0f} s{so_far}")
            time.sleep(0.2)

    def not_ready(self, child: Child, why: str) -> NoReturn:
        raise DemoError(
            f"{child.name} was not ready: {why} (log: {child.log_path}):\n{child.log_tail()}"
        )

    # --- once running ---

    def show_access(self) -> None:
        assert self.network is not None
        options = self.options
        self.say()
        self.say(f"makerline is running. Board: {options.board_url}   API: {options.api_url}/docs")
        self.say("Sign in on the board with one of these tokens:")
        for account in self.network.accounts:
            self.say(f"  {account.role.value:<14} {account.name:<40} {account.token}")
        self.say(f"Messages : {options.mail_dir}/ (e-mails), {options.sms_log} (SMS)")
        self.say(f"Logs in {self.logs}/. Ctrl-C stops everything.")
        self.say()

    def follow_production(self) -> None:
        """Until interrupted: the hub's rounds, a line of figures now and then, and a
        check that no process has died."""
        assert self.network is not None
        token = self.network.first(Role.COORDINATOR).token
        hub = HubVolunteers(self.options.api_url, token) if self.options.hub_every else None
        next_report = next_round = time.monotonic()
        try:
            while True:
                for child in self.children:
                    if not child.running():
                        raise DemoError(f"{child.name} stopped unexpectedly:\n{child.log_tail()}")
                if hub is not None and time.monotonic() >= next_round:
                    self.hub_round(hub)
                    next_round += self.options.hub_every
                if time.monotonic() >= next_report:
                    self.say(production_line(self.options.api_url, token) + self.messages_line())
                    next_report += self.options.report_every
                time.sleep(0.5)
        finally:
            if hub is not None:
                hub.close()

    def messages_line(self) -> str:
        """How many messages have landed in the mail catcher and the SMS recorder."""
        mails = len(self.mail_catcher.received) if self.mail_catcher else 0
        texts = len(self.sms_recorder.received) if self.sms_recorder else 0
        return f" · messages {mails} e-mails, {texts} SMS"

    def hub_round(self, hub: HubVolunteers) -> None:
        try:
            hub.round()
        except httpx.HTTPError as error:
            self.say(f"{time.strftime('%H:%M:%S')}  (the hub's round stopped short: {error})")

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()
        stopped = sum(1 for child in self.children if child.process is not None)
        # Last, so that the sender, stopped above, could finish what it was sending.
        if self.sms_recorder is not None:
            self.sms_recorder.stop()
        if self.mail_catcher is not None:
            self.mail_catcher.stop()
        self.say(f"stopped {stopped} processes")


def split_printers(
    printers: list[DemoPrinter], maker: str
) -> tuple[list[DemoPrinter], list[DemoPrinter]]:
    """The maker's printers and the others, each a range of consecutive ids (what one
    simulator runs), the maker's first or last; ([], printers) when they are not."""
    theirs = [printer for printer in printers if printer.name.endswith(f"— {maker}")]
    count = len(theirs)
    if count and theirs == printers[:count]:
        return theirs, printers[count:]
    if count and theirs == printers[-count:]:
        return theirs, printers[:-count]
    return [], printers


def mail_url(catcher: MailCatcher) -> str:
    """The sender's e-mail channel (`MAKERLINE_MAIL_URL`) to the demo's mail catcher."""
    return f"mailto://{catcher.host}:{catcher.port}?from=makerline@example.org"


def sms_url(recorder: SmsRecorder) -> str:
    """The sender's SMS channel (`MAKERLINE_SMS_URL`) to the demo's RaspiSMS recorder."""
    return f"raspisms://{recorder.api_key}@{recorder.host}:{recorder.port}"


def production_line(api_url: str, token: str) -> str:
    """One line of figures from the board's summary."""
    try:
        answer = httpx.get(
            f"{api_url}/api/v1/board", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        answer.raise_for_status()
    except httpx.HTTPError as error:
        return f"{time.strftime('%H:%M:%S')}  (the board summary did not answer: {error})"
    board = answer.json()
    printers = board["printers"]
    jobs = board["jobs_by_status"]
    delivered = {line["item"]: line["delivered"] for line in board["products"]}
    return (
        f"{time.strftime('%H:%M:%S')}  printing {printers['printing']}/{printers['online']} "
        f"printers · jobs done {jobs.get('done', 0)}, queued {jobs.get('queued', 0)} · "
        f"delivered {delivered.get('visor', 0)} visors, {delivered.get('amicroche', 0)} hooks"
    )


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_demo(options: DemoOptions) -> int:
    """Run the demo until Ctrl-C (or SIGTERM, or `duration`); 1 if a step failed."""
    demo = Demo(options)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return demo.run()
    except (DemoError, virtual_octoprint.OctoPrintMissing) as error:
        print(f"makerline demo: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
