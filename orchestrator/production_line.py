"""The production line (`makerline orchestrate`): the process that keeps every printer busy
with the right work.

It reacts to events, not to a clock: a printer reporting BedCleared, a job failing, a
printer coming online or a change made through the API (announced on the `kick` topic)
wakes the worker, which plans and dispatches within milliseconds. A periodic sweep only
handles timeouts: printers offline past their grace period, and start commands that were
never acknowledged.

A printer that runs the OctoPrint-MQTT plugin has no agent to read `start_job`: its jobs
are uploaded and started over OctoPrint's REST API by the bridge's `PluginPrinters`, in
worker threads, so a slow or absent OctoPrint never holds the dispatcher up.

PrusaSlicer runs in worker threads too (`Plates`). One printer profile or one part that
cannot be sliced is skipped for a while and recorded for the board; every other printer
keeps getting work.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from types import FrameType

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.engine import one_at_a_time
from orchestrator.database.tables import Job, Part, Printer, SlicingFailure, id_of
from orchestrator.domain.lifecycle import after_failure
from orchestrator.domain.scheduler import Profile
from orchestrator.domain.vocabulary import ConnectionKind, JobStatus
from orchestrator.link.bridge import Bridge
from orchestrator.link.commands import kick_topic
from orchestrator.link.connection import Counters, ServiceConnection
from orchestrator.link.plugin_printers import RestStart
from orchestrator.parts.slicing import SliceResult, SlicingProblem
from orchestrator.services import parts
from orchestrator.services.dispatch import (
    assign,
    lose_jobs_of_offline_printers,
    lose_prints_forgotten,
    mark_sent,
    start_command,
    unacknowledged,
)
from orchestrator.services.jobs import apply_transition
from orchestrator.services.planning import PLANNING_LOCK, profile_of, replan
from printers.protocol.payloads import EventKind
from printers.protocol.topics import commands_topic

log = logging.getLogger(__name__)

REPLANNING_EVENTS = frozenset({EventKind.PRINT_FAILED.value, EventKind.PRINT_CANCELLED.value})
SLICER_THREADS = 2

PlateKey = tuple[int, Profile, int]  # part id, printer profile, copies
PairKey = tuple[int, Profile]  # part id, printer profile


class Plates:
    """The plates this orchestrator has sliced, is slicing, or could not slice.

    PrusaSlicer runs in worker threads, never in the dispatcher: a plate not sliced yet is
    skipped for now (its printers get other work or wait), and the dispatcher is woken
    when it is ready. A part that cannot be sliced for a printer profile is skipped until
    its retry time and recorded, so that the board and the part's plates show it. Only the
    dispatcher thread calls its methods.
    """

    def __init__(self, settings: Settings, on_ready: Callable[[], None]) -> None:
        self.settings = settings
        self.on_ready = on_ready
        self.pool = ThreadPoolExecutor(SLICER_THREADS, thread_name_prefix="slicer")
        self.sliced: dict[PlateKey, SliceResult] = {}
        self.slicing: dict[PlateKey, Future[SliceResult]] = {}
        self.failing: dict[PairKey, SlicingFailure] = {}
        # Changes to the stored failures not written yet.
        self.unsaved: dict[PairKey, SlicingFailure] = {}
        self.recovered: set[PairKey] = set()

    def load(self, engine: Engine) -> None:
        """Start from the failures on record: a restart does not retry them all at once."""
        with Session(engine) as session:
            self.failing = parts.slicing_failures(session=session)

    def plate(
        self, part: Part, printer: Printer, copies: int, now: datetime
    ) -> SliceResult | SlicingFailure | None:
        """The plate sliced for the printer's profile; or why it cannot be, until its retry
        time; or None while PrusaSlicer works on it."""
        key = (id_of(part), profile_of(printer), copies)
        running = self.slicing.get(key)
        if running is not None:
            if not running.done():
                return None
            self.take(key, self.slicing.pop(key), now)
        sliced = self.sliced.get(key)
        if sliced is not None:
            return sliced
        failure = self.failing.get(key[:2])
        if failure is not None and now < failure.retry_at:
            return failure
        try:
            profile = parts.profile_for(printer)
        except parts.CannotSlice as refused:
            return self.failed(key, refused, now)
        detached = Part(**part.model_dump())  # the dispatcher's session stays its own
        running = self.pool.submit(
            parts.slice_part, settings=self.settings, part=detached, profile=profile, copies=copies
        )
        running.add_done_callback(lambda _done: self.on_ready())
        self.slicing[key] = running
        return None

    def collect(self, now: datetime) -> None:
        """Take in every slice finished since, asked for again or not."""
        for key in [key for key, running in self.slicing.items() if running.done()]:
            self.take(key, self.slicing.pop(key), now)

    def take(self, key: PlateKey, done: Future[SliceResult], now: datetime) -> None:
        try:
            self.sliced[key] = done.result()
        except parts.CannotSlice as problem:
            self.failed(key, problem, now)
        except Exception:  # a bug or a full disk: this plate fails, the others carry on
            log.exception("slicing part %d for %s failed unexpectedly", key[0], key[1])
            unexpected = parts.CannotSlice(SlicingProblem.UNEXPECTED, "an unexpected error")
            self.failed(key, unexpected, now)
        else:
            pair = key[:2]
            if self.failing.pop(pair, None) is not None:
                self.unsaved.pop(pair, None)
                self.recovered.add(pair)

    def failed(self, key: PlateKey, problem: parts.CannotSlice, now: datetime) -> SlicingFailure:
        part_id, profile, _copies = key
        failure = parts.failed_again(
            self.failing.get((part_id, profile)),
            part_id=part_id,
            profile=profile,
            problem=problem.problem,
            now=now,
        )
        self.failing[part_id, profile] = self.unsaved[part_id, profile] = failure
        self.recovered.discard((part_id, profile))
        log.warning(
            "part %d cannot be sliced for printers of %s: %s (%s); next try at %s. %s",
            part_id,
            profile,
            problem.message,
            problem.problem,
            failure.retry_at.isoformat(timespec="seconds"),
            problem.log_detail,
        )
        return failure

    def save(self, engine: Engine) -> int:
        """Write the failures and recoveries seen since the last call; returns the failures."""
        if not self.unsaved and not self.recovered:
            return 0
        with Session(engine) as session:
            parts.save_slicing_failures(session=session, failures=self.unsaved.values())
            parts.clear_slicing_failures(session=session, plates=self.recovered)
            session.commit()
        written = len(self.unsaved)
        self.unsaved.clear()
        self.recovered.clear()
        return written

    def stop(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class ProductionLine:
    """Plans, dispatches and sweeps: one worker thread, woken by the bridge and the API."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        name: str | None = None,
        share_group: str | None = None,
        sweep_seconds: float = 5.0,
        replan_seconds: float = 1.0,
    ) -> None:
        self.settings = settings
        self.engine = engine
        # A stable name: restarted under it, the process resumes its broker session.
        self.name = name or "orchestrator"
        self.sweep_seconds = sweep_seconds
        self.replan_seconds = replan_seconds
        self.counters = Counters()
        self.connection = ServiceConnection(
            settings.mqtt_url, settings.mqtt_topic_prefix, f"makerline-{self.name}", self.counters
        )
        self.bridge = Bridge(
            engine=engine,
            settings=settings,
            connection=self.connection,
            process=self.name,
            share_group=share_group,
            on_event=self._on_event,
            on_state_change=self._on_state_change,
        )
        self.wake = threading.Event()
        self.replan_wanted = threading.Event()
        self.stopping = threading.Event()
        self.plates = Plates(settings, on_ready=self.wake.set)
        self.worker = threading.Thread(target=self._work, name="dispatcher", daemon=True)

    # --- lifecycle ---

    def start(self) -> None:
        self.connection.subscribe(kick_topic(self.settings.mqtt_topic_prefix), self._on_kick)
        self.bridge.start()
        if not self.connection.start():
            log.warning("the broker is not reachable yet; retrying in the background")
        # Retained statuses arrive right after subscribing: give them a moment, so that
        # reconciliation compares the database with what the printers say.
        time.sleep(1.0)
        self.bridge.flush_once()
        self.plates.load(self.engine)
        self.replan_wanted.set()
        self.wake.set()
        self.worker.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.worker.join(timeout=30)
        self.plates.stop()
        self.bridge.stop()
        self.connection.stop()

    def run_until_signalled(self) -> None:
        done = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            done.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        log.info("%s running; Ctrl-C stops it", self.name)
        done.wait()
        self.stop()

    # --- triggers (paho's thread: only wake the worker) ---

    def _on_event(self, _printer_id: int, kind: str) -> None:
        # Only a failure can change what must be printed (a job flagged after its last
        # attempt is no longer in flight); every event may free a printer.
        if kind in REPLANNING_EVENTS:
            self.replan_wanted.set()
        self.wake.set()

    def _on_state_change(self, _printer_id: int, _state: str) -> None:
        self.wake.set()

    def _on_kick(self, _topic: str, _payload: bytes) -> None:
        self.bridge.plugin_printers.changed.set()  # a printer may have been (un)registered
        self.replan_wanted.set()
        self.wake.set()

    # --- the worker ---

    def _work(self) -> None:
        """Dispatch first, so that a waiting printer never waits for a plan; plan at most
        every `replan_seconds`, however many changes arrive."""
        next_sweep = next_plan = time.monotonic()
        while not self.stopping.is_set():
            wake_at = next_sweep
            if self.replan_wanted.is_set():
                wake_at = min(wake_at, next_plan)
            self.wake.wait(timeout=max(wake_at - time.monotonic(), 0))
            self.wake.clear()
            if self.stopping.is_set():
                break
            try:
                self.dispatch_once()
                if self.replan_wanted.is_set() and time.monotonic() >= next_plan:
                    self.replan_wanted.clear()
                    next_plan = time.monotonic() + self.replan_seconds
                    if self.plan_once():
                        self.dispatch_once()
                if time.monotonic() >= next_sweep:
                    self.sweep_once()
                    next_sweep = time.monotonic() + self.sweep_seconds
            except Exception:
                self.counters.add("worker_errors")
                log.exception("planning or dispatching failed; retrying at the next wake-up")
                time.sleep(1.0)

    def plan_once(self) -> int:
        with (
            one_at_a_time(self.engine, PLANNING_LOCK),
            Session(self.engine, expire_on_commit=False) as session,
        ):
            created, withdrawn = replan(session, self.settings)
            session.commit()
        if created or withdrawn:
            log.info("planned %d new jobs, withdrew %d", created, withdrawn)
        return created

    def estimate(self, part: Part, printer: Printer, copies: int, now: datetime) -> float | None:
        """The slicer's time for the plate on the printer, or None: not sliced yet, or it
        cannot be (the scheduler then leaves the pair aside)."""
        plate = self.plates.plate(part, printer, copies, now)
        return plate.seconds if isinstance(plate, SliceResult) else None

    def grams(self, part: Part, printer: Printer, copies: int, now: datetime) -> float | None:
        """The slicer's filament for the plate on the printer, or None while it is not
        sliced (the dispatcher then has the catalogue's estimate)."""
        plate = self.plates.plate(part, printer, copies, now)
        return plate.grams if isinstance(plate, SliceResult) else None

    def save_plates(self) -> None:
        failed = self.plates.save(self.engine)
        if failed:
            self.counters.add("slicing_failures", failed)

    def dispatch_once(self) -> int:
        moment = datetime.now(UTC)
        self.plates.collect(moment)
        self.save_plates()
        statuses = self.bridge.statuses
        if not statuses.any_idle() and not statuses.empty():
            # No printer can take a job (`free_printers` would find none): spare the
            # database. Woken by every batch of events, the worker would otherwise queue
            # for SQLite's write lock behind the bridge all day in a busy farm.
            return 0
        live = statuses.snapshot()
        with Session(self.engine, expire_on_commit=False) as session:
            made = assign(
                session,
                self.settings,
                live,
                moment,
                lambda part, printer, copies: self.estimate(part, printer, copies, moment),
                lambda part, printer, copies: self.grams(part, printer, copies, moment),
            )
            for job, printer, _decision in made:
                key = (job.part_id, profile_of(printer), job.copies)
                job.gcode_sha256 = self.plates.sliced[key].sha256
                job.grams = round(self.plates.sliced[key].grams)
                session.add(job)
            session.commit()
        self.save_plates()
        return self.send(job for job, _printer, _decision in made)

    def send(self, jobs: Iterable[Job]) -> int:
        jobs = [ready for job in jobs if (ready := self.with_gcode(job)) is not None]
        if not jobs:
            return 0
        over_rest = self.plugin_printer_ids({job.printer_id or 0 for job in jobs})
        sent, starts = [], []
        for job in jobs:
            assert job.id is not None and job.printer_id is not None
            sent.append(job.id)
            if job.printer_id in over_rest:
                starts.append(RestStart(job.id, job.printer_id, job.command_id))
                continue
            payload = start_command(self.settings, job).model_dump_json().encode()
            topic = commands_topic(job.printer_id, self.settings.mqtt_topic_prefix)
            self.connection.publish(topic, payload)
        with Session(self.engine) as session:
            mark_sent(session, sent, datetime.now(UTC))
            session.commit()
        # After the commit: a start refused at once is a PrintFailed for a job already
        # `sent`, which the lifecycle re-queues.
        for start in starts:
            self.bridge.plugin_printers.start_job(start)
        self.counters.add("start_jobs_sent", len(sent))
        if starts:
            self.counters.add("start_jobs_over_rest", len(starts))
        return len(sent)

    def with_gcode(self, job: Job) -> Job | None:
        """A job assigned by hand (`POST /jobs` with a printer) has no G-code or command id
        yet: its plate is sliced for its printer first. None while PrusaSlicer works (the
        sweep sends it then), or when the plate cannot be sliced for that printer: the job
        then goes back to the queue, for another printer."""
        if job.gcode_sha256 is not None and job.command_id is not None:
            return job
        moment = datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as session:
            stored = session.get(Job, job.id)
            printer = session.get(Printer, job.printer_id)
            part = session.get(Part, job.part_id)
            assert stored is not None and printer is not None and part is not None
            if stored.status != JobStatus.ASSIGNED:
                return None  # cancelled meanwhile
            sliced = self.plates.plate(part, printer, stored.copies, moment)
            if isinstance(sliced, SlicingFailure):
                reason = (
                    f"it cannot be sliced for printer {printer.id} ({sliced.problem}); "
                    "back in the queue for another printer"
                )
                change = after_failure(stored.attempts, self.settings.max_job_attempts, reason)
                apply_transition(session, stored, change, moment)
                session.commit()
                self.replan_wanted.set()
                self.wake.set()
            if not isinstance(sliced, SliceResult):
                return None
            stored.gcode_sha256 = sliced.sha256
            stored.grams = round(sliced.grams)
            stored.estimated_seconds = stored.estimated_seconds or sliced.seconds
            stored.command_id = stored.command_id or f"start-{stored.id}-{stored.attempts}"
            session.add(stored)
            session.commit()
            return stored

    def plugin_printer_ids(self, printer_ids: set[int]) -> set[int]:
        with Session(self.engine) as session:
            found = session.exec(
                select(Printer.id).where(
                    col(Printer.id).in_(printer_ids),
                    Printer.connection_kind == ConnectionKind.OCTOPRINT_MQTT,
                )
            )
            return {printer_id for printer_id in found if printer_id is not None}

    def sweep_once(self) -> None:
        moment = datetime.now(UTC)
        live = self.bridge.statuses.snapshot()
        with Session(self.engine, expire_on_commit=False) as session:
            lost_jobs = lose_jobs_of_offline_printers(session, self.settings, moment)
            forgotten = lose_prints_forgotten(session, self.settings, live, moment)
            resend = unacknowledged(session, self.settings, live, moment)
            session.commit()
        if lost_jobs:
            log.warning("re-queued %d jobs of printers offline too long", len(lost_jobs))
        if forgotten:
            log.warning("re-queued %d jobs whose printer came back idle", len(forgotten))
        if lost_jobs or forgotten:
            self.replan_wanted.set()
        if resend:
            self.counters.add("start_jobs_resent", len(resend))
        self.send(resend)
