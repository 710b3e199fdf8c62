"""Dispatch latency: from a printer's BedCleared event to its next `start_job` command.

Each mode runs on a fresh stack: its own Mosquitto, a fresh database with migrations, the
API (served by uvicorn, so that the simulated printers download their G-code), N printers
registered for a few makers, a visor order large enough to keep every printer busy, the
printer simulator (a child process) and the orchestrator (another child process, so its
CPU time is its own). A separate MQTT recorder, in this process, hears every BedCleared on
`+/events` and every `start_job` on `+/commands`; both ends are timestamped on its clock.

Modes:
- event: the orchestrator as it ships, woken by the bridge on every event and state change;
- polling (baseline): the same `ProductionLine`, with its event and state-change triggers
  unplugged and `sweep_seconds=1.0`, so it plans and dispatches once a second only.

The plates are sliced before the orchestrator starts (the first slice takes ~2 s). The
printers come online over one print's length, so their cycles are spread out; that ramp and
the next `warmup` seconds are not counted.

Run: python bench/dispatch_latency.py [--printers 1000] [--quick] [--print-seconds S]
     [--seconds S] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, select

from harness import cpu_seconds, free_port, fresh_database, mosquitto, percentile, wait_until
from orchestrator.api.app import create_app
from orchestrator.api.schemas import AccountCreate, DonationCreate, OrderCreate, PrinterCreate
from orchestrator.core.config import Settings, load_settings
from orchestrator.database.engine import make_engine, migrate
from orchestrator.database.tables import Job, Part
from orchestrator.domain.vocabulary import Item, JobStatus, Role
from orchestrator.services import accounts, catalogue, fleet, orders, parts, production
from orchestrator.services.planning import REFERENCE_BED, plate_capacity, replan
from printers.simulated.simulator import SimulationSettings, raise_file_limit, run_simulation

log = logging.getLogger("dispatch_latency")

MK3 = {"bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210, "material": "PETG"}
MAX_ORDER = 100_000  # OrderCreate's limit
MODES = ("polling", "event")


@dataclass(frozen=True)
class Scenario:
    printers: int = 1000
    makers: int = 10
    seconds: float = 60.0  # counted window, after the warm-up
    warmup: float = 10.0
    grace: float = 3.0  # listening on after the window, for the last start_job commands
    # The longest plate, after the simulator's speed-up. With ~2 s prints, 1,000 printers
    # send ~1,500 events/s, far beyond what one orchestrator stores (README): 100 s keeps
    # the load at ~10 prints/s, as with 100 printers printing for 10 s.
    print_seconds: float = 100.0
    auto_clear_seconds: float = 0.1
    database_url: str | None = None  # PostgreSQL server to create throwaway databases on


QUICK = Scenario(printers=100, makers=5, seconds=15.0, warmup=5.0, print_seconds=10.0)


@dataclass
class ModeResult:
    mode: str
    latencies_ms: list[float]
    unanswered: int  # BedCleared in the window with no start_job before the end
    commands_per_s: float
    clears_per_s: float
    orchestrator_cpu_s: float
    simulator_cpu_s: float
    broker_cpu_s: float
    window_s: float
    jobs_queued_at_start: int

    def percentile(self, share: float) -> float:
        return percentile(self.latencies_ms, share)


def visors_needed(scenario: Scenario) -> int:
    """Enough visors that no printer runs out of work, even if every cycle were no longer
    than a print plus the bed clearing (a 50% margin)."""
    with_parts = plates_per_visor()
    ramp_s = max(1.0, scenario.print_seconds)  # printers come online over one print
    run_s = ramp_s + scenario.warmup + scenario.seconds + scenario.grace + 10.0
    cycles = run_s / (scenario.print_seconds * 0.5 + scenario.auto_clear_seconds)
    return math.ceil(1.5 * scenario.printers * cycles / with_parts)


def plates_per_visor() -> float:
    """Plates the planner makes per visor (headband and reinforcement plates), for sizing."""
    engine = make_engine("sqlite://")
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        catalogue.seed_catalogue(session=session)
        session.commit()
        product = catalogue.product_by_key(session=session, key="visor")
        bom = dict(catalogue.bom_of(session=session, product=product))
        plates = 0.0
        for part in catalogue.list_parts(session=session):
            count = bom.get(Item(part.bom_role), 0)
            if count and part.key != "amicroche":
                plates += count / max(1, plate_capacity(part, REFERENCE_BED))
    engine.dispose()
    return plates


def seed(url: str, settings: Settings, scenario: Scenario) -> tuple[dict[str, str], int]:
    """Makers, printers, supplies and orders; the jobs planned and their plates sliced.
    Returns the printers' tokens by id and the longest plate's slicer estimate (seconds)."""
    migrate(url)
    engine = make_engine(url)
    visors = visors_needed(scenario)
    with Session(engine, expire_on_commit=False) as session:
        catalogue.seed_catalogue(session=session)
        coordinator = accounts.create_account(
            session=session, account_in=AccountCreate(name="Fab-lab", role=Role.COORDINATOR)
        )
        centre = accounts.create_account(
            session=session, account_in=AccountCreate(name="CH", role=Role.HEALTH_CENTRE)
        )
        coordinator_account = accounts.get_account(session=session, account_id=coordinator.id)
        centre_account = accounts.get_account(session=session, account_id=centre.id)
        makers = []
        for index in range(scenario.makers):
            made = accounts.create_account(
                session=session,
                account_in=AccountCreate(name=f"Maker {index}", role=Role.MAKER),
            )
            makers.append(accounts.get_maker(session=session, maker_id=made.maker_id or 0))
        tokens = {}
        for index in range(scenario.printers):
            printer = fleet.register_printer(
                session=session,
                maker=makers[index % len(makers)],
                printer_in=PrinterCreate(name=f"MK3S #{index}", **MK3),  # type: ignore[arg-type]
                settings=settings,
            )
            tokens[str(printer.id)] = printer.token
        for item in (Item.FILM_SHEET, Item.ELASTIC):
            production.record_donation(
                session=session,
                donation_in=DonationCreate(donor="Papeterie", item=item, quantity=visors),
                actor=coordinator_account,
            )
        left = visors
        while left > 0:
            quantity = min(left, MAX_ORDER)
            orders.place_order(
                session=session,
                centre=centre_account,
                order_in=OrderCreate(
                    product_key="visor",
                    quantity=quantity,
                    needed_by=date.today() + timedelta(days=7),
                    delivery_address="CH Abbeville",
                    confirm_duplicate=True,
                ),
                settings=settings,
            )
            left -= quantity
        session.commit()
        replan(session, settings)
        session.commit()
        longest = slice_every_plate(session, settings)
    engine.dispose()
    return tokens, longest


def slice_every_plate(session: Session, settings: Settings) -> int:
    """Slice each (part, copies) the queue holds, so the G-code cache answers at once."""
    from orchestrator.database.tables import Printer

    printer = session.exec(select(Printer)).first()
    assert printer is not None
    plates = set(
        session.exec(select(Job.part_id, Job.copies).where(Job.status == JobStatus.QUEUED))
    )
    longest = 0
    for part_id, copies in sorted(plates):
        part = session.get(Part, part_id)
        assert part is not None
        sliced = parts.slice_part(
            settings=settings, part=part, profile=parts.profile_for(printer), copies=copies
        )
        longest = max(longest, int(sliced.seconds))
    return longest


def queued_jobs(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = len(list(session.exec(select(Job.id).where(Job.status == JobStatus.QUEUED))))
    engine.dispose()
    return count


@contextlib.contextmanager
def api_server(settings: Settings, url: str) -> Iterator[str]:
    engine = make_engine(url)
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=settings.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{settings.port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, 20, "the API")
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


# --- the recorder ---------------------------------------------------------------------


class Recorder:
    """One MQTT client that timestamps BedCleared events and start_job commands."""

    def __init__(self, port: int, prefix: str = "makerline") -> None:
        self.prefix = prefix
        self.seen: list[tuple[float, int, str]] = []  # (monotonic time, printer, kind)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, f"latency-recorder-{uuid.uuid4().hex[:8]}"
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *_args: self.subscribed.set()
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            self.close()
            raise TimeoutError("the recorder could not subscribe")

    def _on_connect(self, client: mqtt.Client, *_args: Any) -> None:
        client.subscribe(
            [(f"{self.prefix}/printers/+/{channel}", 1) for channel in ("events", "commands")]
        )

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        at = time.monotonic()
        try:
            _prefix, _printers, printer, channel = message.topic.split("/")
            payload = json.loads(message.payload)
            if channel == "events" and payload.get("kind") == "BedCleared":
                self.seen.append((at, int(printer), "clear"))
            elif channel == "commands" and payload.get("kind") == "start_job":
                self.seen.append((at, int(printer), "start"))
        except Exception:
            log.exception("the recorder could not read a message on %s", message.topic)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def latencies(
    seen: list[tuple[float, int, str]], start: float, end: float
) -> tuple[list[float], int, int, int]:
    """(latencies in ms of BedCleared in [start, end), unanswered, starts in the window,
    BedCleared in the window). Only the first start_job after a BedCleared counts."""
    waiting: dict[int, float] = {}
    found, starts, clears = [], 0, 0
    for at, printer, kind in sorted(seen):
        if kind == "clear":
            waiting[printer] = at
            clears += start <= at < end
            continue
        starts += start <= at < end
        cleared = waiting.pop(printer, None)
        if cleared is not None and start <= cleared < end:
            found.append((at - cleared) * 1000.0)
    unanswered = sum(1 for at in waiting.values() if start <= at < end)
    return found, unanswered, starts, clears


# --- the orchestrator (child process) -------------------------------------------------


def serve_orchestrator(
    mode: str, settings_json: str, stop: Any, ready: Any
) -> None:  # pragma: no cover - a child process
    """Run the orchestrator until `stop` is set; `polling` unplugs its event triggers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us, in order
    logging.basicConfig(level=logging.WARNING, format="orchestrator %(levelname)s %(message)s")
    from orchestrator.production_line import ProductionLine

    settings = Settings.model_validate_json(settings_json)
    engine = make_engine(settings.effective_database_url)
    if mode == "polling":
        orchestrator = ProductionLine(
            settings=settings, engine=engine, name="bench", sweep_seconds=1.0
        )
        # Nothing wakes the worker but its clock: it plans, sweeps and dispatches once a
        # second, as a polling dispatcher would.
        orchestrator.bridge.on_event = None
        orchestrator.bridge.on_state_change = None
        sweep = orchestrator.sweep_once

        def sweep_and_replan() -> None:
            sweep()
            orchestrator.replan_wanted.set()

        orchestrator.sweep_once = sweep_and_replan  # type: ignore[method-assign]
    else:
        orchestrator = ProductionLine(settings=settings, engine=engine, name="bench")
    orchestrator.start()
    ready.set()
    stop.wait()
    orchestrator.stop()
    engine.dispose()


def simulate(settings: SimulationSettings) -> None:  # pragma: no cover - a child process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    logging.basicConfig(level=logging.WARNING, format="simulator %(levelname)s %(message)s")
    asyncio.run(run_simulation(settings))


# --- one mode -------------------------------------------------------------------------


def run_mode(mode: str, scenario: Scenario, workdir: Path, gcode_dir: Path) -> ModeResult:
    workdir.mkdir(parents=True)
    with (
        mosquitto(workdir, max_queued_messages=100_000) as (port, broker),
        fresh_database(workdir, scenario.database_url) as url,
    ):
        api_port = free_port()
        settings = load_settings(
            data_dir=gcode_dir,
            database_url=url,
            mqtt_url=f"mqtt://127.0.0.1:{port}",
            port=api_port,
            public_url=f"http://127.0.0.1:{api_port}",
            hub_delay_hours=0,
            status_flush_seconds=1.0,
            max_printers_per_maker=scenario.printers,  # the bench's makers hold many
        )
        started = time.monotonic()
        tokens, longest_plate_s = seed(url, settings, scenario)
        queued = queued_jobs(url)
        log.info(
            "%s: %d printers registered, %d jobs queued in %.1f s",
            mode,
            len(tokens),
            queued,
            time.monotonic() - started,
        )
        speed = longest_plate_s / scenario.print_seconds
        # Printers come online over one print's length, so that their cycles are spread
        # out rather than all ending at once.
        ramp_s = max(1.0, scenario.print_seconds)
        simulation = SimulationSettings(
            printers=len(tokens),
            broker_url=f"mqtt://127.0.0.1:{port}",
            first_id=min(int(i) for i in tokens),
            credentials=tokens,
            speed=speed,
            auto_clear_seconds=scenario.auto_clear_seconds,
            # Clears at no set phase of the polling dispatcher's tick: with fixed print
            # times, every clear would otherwise land at the same point of the second,
            # and the polling latency would measure that phase, not the tick.
            auto_clear_spread_seconds=1.0,
            # One status a print: progress reports would only add load.
            status_interval_seconds=scenario.print_seconds,
            connects_per_second=len(tokens) / ramp_s,
            # A bound: it is stopped well before.
            duration_seconds=ramp_s + scenario.warmup + scenario.seconds + 120.0,
        )
        context = multiprocessing.get_context("spawn")
        stop, ready = context.Event(), context.Event()
        orchestrator = context.Process(
            target=serve_orchestrator,
            args=(mode, settings.model_dump_json(), stop, ready),
            name=f"orchestrator-{mode}",
        )
        simulator = context.Process(target=simulate, args=(simulation,), name=f"simulator-{mode}")
        with api_server(settings, url):
            recorder = Recorder(port)
            try:
                orchestrator.start()
                if not ready.wait(60):
                    raise TimeoutError("the orchestrator did not start within 60 s")
                simulator.start()
                began = time.monotonic()
                window_start = began + ramp_s + scenario.warmup
                window_end = window_start + scenario.seconds
                pids = (orchestrator.pid, simulator.pid, broker.pid)
                time.sleep(max(0.0, window_start - time.monotonic()))
                cpu_before = [cpu_seconds(pid) for pid in pids]
                time.sleep(max(0.0, window_end - time.monotonic()))
                cpu_after = [cpu_seconds(pid) for pid in pids]
                time.sleep(scenario.grace)
                for child in (orchestrator, simulator):
                    if not child.is_alive():
                        raise RuntimeError(f"{child.name} died (exit code {child.exitcode})")
            finally:
                stop.set()
                for child in (orchestrator, simulator):
                    if child.pid is None:
                        continue
                    child.join(timeout=40 if child is orchestrator else 0)
                    if child.is_alive():
                        child.terminate()
                        child.join(timeout=10)
                recorder.close()
    found, unanswered, starts, clears = latencies(recorder.seen, window_start, window_end)
    cpu = [after - before for before, after in zip(cpu_before, cpu_after, strict=True)]
    return ModeResult(
        mode=mode,
        latencies_ms=found,
        unanswered=unanswered,
        commands_per_s=starts / scenario.seconds,
        clears_per_s=clears / scenario.seconds,
        orchestrator_cpu_s=cpu[0],
        simulator_cpu_s=cpu[1],
        broker_cpu_s=cpu[2],
        window_s=scenario.seconds,
        jobs_queued_at_start=queued,
    )


def run(scenario: Scenario = Scenario(), modes: tuple[str, ...] = MODES) -> list[ModeResult]:
    raise_file_limit(2 * scenario.printers + 1024)  # the broker inherits it
    with tempfile.TemporaryDirectory(prefix="makerline-latency-") as temp:
        root = Path(temp)
        gcode_dir = root / "data"  # shared: a plate is sliced once for both modes
        return [run_mode(mode, scenario, root / mode, gcode_dir) for mode in modes]


def run_quick() -> list[ModeResult]:
    return run(QUICK)


def table(results: list[ModeResult], scenario: Scenario) -> str:
    base = next((r for r in results if r.mode == "polling"), results[0])
    head = (
        f"{'mode':<8} {'samples':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'p50/poll':>8} {'p99/poll':>8} {'starts/s':>8} {'clears/s':>8} {'unans.':>6} "
        f"{'orch CPU':>8} {'sim CPU':>7} {'broker':>6}"
    )
    lines = [
        f"{scenario.printers} printers, {scenario.makers} makers, "
        f"prints ~{scenario.print_seconds:g} s, bed cleared after "
        f"{scenario.auto_clear_seconds:g} s; {scenario.seconds:g} s counted after "
        f"{scenario.warmup:g} s of warm-up; CPU = share of one core over the window",
        head,
        "-" * len(head),
    ]
    for r in results:
        p50, p99 = r.percentile(0.50), r.percentile(0.99)
        lines.append(
            f"{r.mode:<8} {len(r.latencies_ms):>7} {p50:>8.1f} {r.percentile(0.90):>8.1f} "
            f"{p99:>8.1f} {r.percentile(1.0):>8.1f} {p50 / base.percentile(0.5):>8.2f} "
            f"{p99 / base.percentile(0.99):>8.2f} {r.commands_per_s:>8.1f} {r.clears_per_s:>8.1f} "
            f"{r.unanswered:>6} {r.orchestrator_cpu_s / r.window_s:>8.0%} "
            f"{r.simulator_cpu_s / r.window_s:>7.0%} {r.broker_cpu_s / r.window_s:>6.0%}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="100 printers printing for 10 s, 15 s counted"
    )
    parser.add_argument("--printers", type=int, help="simulated printers (default 1000)")
    parser.add_argument("--seconds", type=float, help="counted window per mode")
    parser.add_argument("--print-seconds", type=float, help="print duration after speed-up")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL; each mode creates and drops a throwaway database there "
        "(default: SQLite in a temporary directory)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    scenario = QUICK if args.quick else Scenario()
    if args.printers:
        scenario = replace(scenario, printers=args.printers, makers=max(2, args.printers // 100))
    if args.seconds:
        scenario = replace(scenario, seconds=args.seconds)
    if args.print_seconds:
        scenario = replace(scenario, print_seconds=args.print_seconds)
    if args.database_url:
        scenario = replace(scenario, database_url=args.database_url)
    results = run(scenario)
    print(table(results, scenario))


if __name__ == "__main__":
    main()
