"""Board render time with a large network: 1,000 printers and 10,000 jobs by default.

The network is written straight into a fresh SQLite database (a few seconds), the API runs
as `makerline serve` in a child process, and the board page is rendered by Streamlit's
AppTest in this process, exactly as a browser session would run it, with the board's
caches emptied before each render (the client's two-second cache of answers and the
board's minute-long cache of names) so every render asks the service again.

Side by side, the baseline: what the board would cost without its summary endpoint, by
fetching the full lists a naive board needs (every printer, every status, every job,
the stock and the orders), decoding them and doing nothing more. The board's figure is
printed as a ratio against it.

The board's own requests (recorded on the warm-up render) are also sent alone, so the
reader sees how much of a render is the service and how much is Streamlit. Renders, the
board's requests and the baseline take turns (ABAB…), so the machine's noise hits them
alike; each figure is the median of `--runs` rounds after one warm-up.

Run: python bench/board_render.py [--printers 1000] [--jobs 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import insert
from sqlmodel import Session, col, select

from harness import free_port, stop_process, wait_until
from orchestrator.api.schemas import AccountCreate
from orchestrator.core.security import hash_token
from orchestrator.database.engine import make_engine, migrate
from orchestrator.database.tables import (
    Account,
    Job,
    JobAttempt,
    Maker,
    Movement,
    Order,
    Part,
    Printer,
    PrinterStatus,
    Product,
)
from orchestrator.domain.vocabulary import Item, JobStatus, Role, Stage
from orchestrator.services import accounts, catalogue

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
STATES = ["idle", "printing", "printing", "printing", "awaiting_clear", "offline"]
APP = ROOT / "dashboard" / "app.py"
API_PREFIX = "/api/v1"
RENDER_TIMEOUT = 120.0
# What a board without its summary endpoint would read: the full lists, no paging.
NAIVE_BOARD = ("/printers", "/printers/status", "/jobs", "/stock", "/orders")


@dataclass(frozen=True)
class Result:
    """Medians in seconds; payloads in bytes of JSON received."""

    printers: int
    jobs: int
    runs: int
    render_s: float
    board_api_s: float
    baseline_s: float
    board_requests: int
    board_bytes: int
    baseline_requests: int
    baseline_bytes: int

    @property
    def ratio(self) -> float:
        """The board's render time against the baseline's."""
        return self.render_s / self.baseline_s


def seed_network(url: str, printers: int, jobs: int) -> str:
    """A network of `printers` printers (10 per maker) and `jobs` jobs, most of them done
    and counted in the ledger; returns the coordinator's token."""
    migrate(url)
    engine = make_engine(url)
    rng = random.Random(2020)
    now = datetime.now(UTC)
    with Session(engine) as session:
        catalogue.seed_catalogue(session=session)
        token = accounts.create_account(
            session=session, account_in=AccountCreate(name="Fab-lab", role=Role.COORDINATOR)
        ).token
        centre = accounts.create_account(
            session=session, account_in=AccountCreate(name="CH", role=Role.HEALTH_CENTRE)
        )
        session.commit()
        headband = session.exec(select(Part).where(Part.key == "headband")).one()
        visor = session.exec(select(Product).where(Product.key == "visor")).one()
        makers = max(1, printers // 10)
        session.execute(
            insert(Account),
            [
                {
                    "name": f"Maker {m}",
                    "role": Role.MAKER.value,
                    "token_hash": hash_token(f"m{m}"),
                    "created_at": now,
                }
                for m in range(makers)
            ],
        )
        account_ids = session.exec(select(Account.id).where(Account.role == Role.MAKER)).all()
        session.execute(
            insert(Maker),
            [
                {"account_id": a, "display_name": f"Maker {a}", "created_at": now}
                for a in account_ids
            ],
        )
        maker_ids = session.exec(select(Maker.id)).all()
        session.execute(
            insert(Printer),
            [
                {
                    "name": f"Printer {p}",
                    "maker_id": maker_ids[p % len(maker_ids)],
                    "bed_x_mm": 250,
                    "bed_y_mm": 210,
                    "bed_z_mm": 210,
                    "nozzle_mm": 0.4,
                    "material": "PETG",
                    "availability_hours": "00:00-24:00",
                    "connection_kind": "agent",
                    "token_hash": hash_token(f"p{p}"),
                    "created_at": now,
                }
                for p in range(printers)
            ],
        )
        printer_ids = session.exec(select(Printer.id)).all()
        session.execute(
            insert(PrinterStatus),
            [
                {
                    "printer_id": p,
                    "state": rng.choice(STATES),
                    "progress": rng.uniform(0, 100),
                    "temperatures": {},
                    "last_seen_at": now,
                }
                for p in printer_ids
            ],
        )
        session.execute(
            insert(Order),
            [
                {
                    "quantity": 200,
                    "needed_by": date.today() + timedelta(days=d % 20 + 1),
                    "urgency": "normal",
                    "delivery_address": "Abbeville",
                    "health_centre_id": centre.id,
                    "product_id": visor.id,
                    "status": "open",
                    "created_at": now,
                }
                for d in range(50)
            ],
        )
        order_ids = session.exec(select(Order.id)).all()
        done = int(jobs * 0.85)
        session.execute(
            insert(Job),
            [
                {
                    "part_id": headband.id,
                    "copies": 1,
                    "order_id": order_ids[j % len(order_ids)],
                    "printer_id": printer_ids[j % len(printer_ids)] if j < done else None,
                    "status": (JobStatus.DONE if j < done else JobStatus.QUEUED).value,
                    "attempts": 1 if j < done else 0,
                    "needed_by": date.today() + timedelta(days=5),
                    "priority": j,
                    "estimated_seconds": 4982.0,
                    "created_at": now,
                    "updated_at": now,
                    "done_at": now - timedelta(minutes=j % 2880) if j < done else None,
                }
                for j in range(jobs)
            ],
        )
        done_jobs = session.exec(
            select(Job.id, Printer.id, Printer.maker_id, Job.done_at)
            .join(Printer, col(Job.printer_id) == Printer.id)
            .where(Job.status == JobStatus.DONE)
        ).all()
        session.execute(
            insert(JobAttempt),
            [
                {"job_id": j, "printer_id": p, "outcome": "done", "assigned_at": at, "ended_at": at}
                for j, p, _maker, at in done_jobs
            ],
        )
        session.execute(
            insert(Movement),
            [
                {
                    "item": Item.HEADBAND.value,
                    "stage": Stage.AT_MAKER.value,
                    "delta": 1,
                    "reason": "job_done",
                    "ref": f"job:{j}",
                    "job_id": j,
                    "at": at,
                    "maker_id": maker,
                    "dedup_key": f"job_done:{j}",
                }
                for j, _printer, maker, at in done_jobs
            ],
        )
        session.commit()
    engine.dispose()
    return token


@contextlib.contextmanager
def running_service(url: str) -> Iterator[str]:
    port = free_port()
    env = os.environ | {
        "MAKERLINE_DATABASE_URL": url,
        "MAKERLINE_PORT": str(port),
        "MAKERLINE_MQTT_URL": "mqtt://127.0.0.1:9",  # no broker: nothing here publishes
        "MAKERLINE_DATA_DIR": str(Path(url.removeprefix("sqlite:///")).parent),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with contextlib.suppress(httpx.TransportError):
            return httpx.get(f"{base}{API_PREFIX}/health", timeout=1).status_code == 200
        return False

    try:
        wait_until(healthy, 60, f"`makerline serve` on {base}", step=0.1)
        yield base
    finally:
        stop_process(process, timeout=20)


def quiet_streamlit() -> None:
    """Streamlit's errors only: without its server, it warns of its missing runtime at
    every turn. Call this before the app's modules are imported (their caches warn too)."""
    from streamlit import config, logger

    config.set_option("logger.level", "error")  # parses the configuration, then keeps this
    logger.set_log_level("error")


def render_board(token: str, account: dict[str, Any]) -> AppTest:
    """The app as a signed-in coordinator's browser session runs it (the board is their
    home page), with every data cache emptied so every read asks the service."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard.account import ACCOUNT_KEY, TOKEN_KEY

    st.cache_data.clear()
    app = AppTest.from_file(str(APP), default_timeout=RENDER_TIMEOUT)
    app.session_state[TOKEN_KEY] = token
    app.session_state[ACCOUNT_KEY] = account
    return app.run()


def check_board(app: AppTest) -> None:
    """Stop if the render failed or did not show the board's tiles."""
    if app.exception:
        raise SystemExit(f"the board page failed: {[e.value for e in app.exception]}")
    if not app.metric:
        raise SystemExit("the board page showed no tiles")


@contextlib.contextmanager
def requests_sent(base: str) -> Iterator[list[str]]:
    """The URLs the app sends to the service meanwhile, seen by its pooled HTTP client."""
    from dashboard.client import http_client

    http = http_client(base)
    saved = http.event_hooks
    sent: list[str] = []
    http.event_hooks = {
        **saved,
        "request": [*saved["request"], lambda request: sent.append(str(request.url))],
    }
    try:
        yield sent
    finally:
        http.event_hooks = saved


def fetch(http: httpx.Client, urls: Sequence[str]) -> int:
    """GET each URL in turn and decode its JSON, as a client would; the bytes received."""
    received = 0
    for url in urls:
        response = http.get(url)
        response.raise_for_status()
        response.json()
        received += len(response.content)
    return received


def interleaved_medians(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Each action once a round, in turn (ABAB…), for `runs` rounds: median seconds of each."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def run(printers: int, jobs: int, runs: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="makerline-board-") as workdir:
        url = f"sqlite:///{Path(workdir) / 'makerline.db'}"
        token = seed_network(url, printers, jobs)
        with (
            running_service(url) as base,
            httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
        ):
            os.environ["MAKERLINE_API_URL"] = base
            account = http.get(f"{base}{API_PREFIX}/me").raise_for_status().json()
            with requests_sent(base) as board_urls:
                check_board(render_board(token, account))  # the warm-up
            baseline_urls = [f"{base}{API_PREFIX}{path}" for path in NAIVE_BOARD]
            board_bytes = fetch(http, board_urls)  # and the requests' warm-ups
            baseline_bytes = fetch(http, baseline_urls)
            medians = interleaved_medians(
                {
                    "render": lambda: render_board(token, account),
                    "board api": lambda: fetch(http, board_urls),
                    "baseline": lambda: fetch(http, baseline_urls),
                },
                runs,
            )
    return Result(
        printers=printers,
        jobs=jobs,
        runs=runs,
        render_s=medians["render"],
        board_api_s=medians["board api"],
        baseline_s=medians["baseline"],
        board_requests=len(board_urls),
        board_bytes=board_bytes,
        baseline_requests=len(baseline_urls),
        baseline_bytes=baseline_bytes,
    )


def table(r: Result) -> str:
    head = (
        f"{'printers':>8} {'jobs':>7} {'board ms':>9} {'of which API ms':>15} "
        f"{'baseline ms':>11} {'ratio':>6}"
    )
    return "\n".join(
        [
            f"median of {r.runs} interleaved runs after one warm-up; board = the page rendered "
            "by AppTest, API = its requests sent alone; baseline = the full lists a naive "
            "board fetches; ratio = board / baseline",
            head,
            "-" * len(head),
            f"{r.printers:>8} {r.jobs:>7} {r.render_s * 1000:>9.1f} "
            f"{r.board_api_s * 1000:>15.1f} {r.baseline_s * 1000:>11.1f} {r.ratio:>6.2f}",
            f"payload: board {r.board_requests} requests, {r.board_bytes / 1000:,.1f} kB; "
            f"baseline {r.baseline_requests} requests, {r.baseline_bytes / 1000:,.1f} kB "
            f"({r.board_bytes / r.baseline_bytes:.1%} of it)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--printers", type=int, default=1000, help="printers (default 1000)")
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs (default 10000)")
    parser.add_argument("--runs", type=int, default=7, help="counted rounds (default 7)")
    args = parser.parse_args()
    quiet_streamlit()
    print(table(run(args.printers, args.jobs, args.runs)))


if __name__ == "__main__":
    main()
