"""Board render time with a large network: 1,000 printers and 10,000 jobs by default.

The network is written straight into a fresh SQLite database (a few seconds), the API runs
as `makerline serve` in a child process, and the board page is rendered by Streamlit's
AppTest in this process, exactly as a browser session would run it, with the board's
HTTP cache emptied before each render so every render asks the service again.

Side by side, the baseline: what the board would cost without its summary endpoint, by
fetching the full lists a naive board needs (every printer, every status, every job,
the stock and the orders) and doing nothing with them. The board's figure is printed as a
ratio against it.

Run: python bench/board_render.py [--printers 1000] [--jobs 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlmodel import Session, select

from orchestrator.core.security import hash_token
from orchestrator.db import make_engine, migrate
from orchestrator.services import accounts, catalogue
from orchestrator.tables import (
    Account,
    AccountCreate,
    Item,
    Job,
    JobAttempt,
    JobStatus,
    Maker,
    Movement,
    Order,
    Part,
    Printer,
    PrinterStatus,
    Product,
    Role,
    Stage,
)

ROOT = Path(__file__).resolve().parents[1]
STATES = ["idle", "printing", "printing", "printing", "awaiting_clear", "offline"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
                {"name": f"Maker {m}", "role": Role.MAKER.value, "token_hash": hash_token(f"m{m}"),
                 "created_at": now}
                for m in range(makers)
            ],
        )
        account_ids = session.exec(select(Account.id).where(Account.role == Role.MAKER)).all()
        session.execute(
            insert(Maker),
            [{"account_id": a, "display_name": f"Maker {a}", "created_at": now}
             for a in account_ids],
        )
        maker_ids = session.exec(select(Maker.id)).all()
        session.execute(
            insert(Printer),
            [
                {"name": f"Printer {p}", "maker_id": maker_ids[p % len(maker_ids)],
                 "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210, "nozzle_mm": 0.4,
                 "material": "PETG", "availability_hours": "00:00-24:00",
                 "connection_kind": "agent", "token_hash": hash_token(f"p{p}"), "created_at": now}
                for p in range(printers)
            ],
        )
        printer_ids = session.exec(select(Printer.id)).all()
        session.execute(
            insert(PrinterStatus),
            [{"printer_id": p, "state": rng.choice(STATES), "progress": rng.uniform(0, 100),
              "temperatures": {}, "last_seen_at": now} for p in printer_ids],
        )
        session.execute(
            insert(Order),
            [{"quantity": 200, "needed_by": date.today() + timedelta(days=d % 20 + 1),
              "urgency": "normal", "delivery_address": "Abbeville",
              "health_centre_id": centre.id, "product_id": visor.id, "status": "open",
              "created_at": now} for d in range(50)],
        )
        order_ids = session.exec(select(Order.id)).all()
        done = int(jobs * 0.85)
        session.execute(
            insert(Job),
            [{"part_id": headband.id, "copies": 1, "order_id": order_ids[j % len(order_ids)],
              "printer_id": printer_ids[j % len(printer_ids)] if j < done else None,
              "status": (JobStatus.DONE if j < done else JobStatus.QUEUED).value,
              "attempts": 1 if j < done else 0, "needed_by": date.today() + timedelta(days=5),
              "priority": j, "estimated_seconds": 4982.0, "created_at": now, "updated_at": now,
              "done_at": now - timedelta(minutes=j % 2880) if j < done else None}
             for j in range(jobs)],
        )
        done_jobs = session.exec(
            select(Job.id, Job.printer_id, Job.done_at).where(Job.status == JobStatus.DONE)
        ).all()
        session.execute(
            insert(JobAttempt),
            [{"job_id": j, "printer_id": p, "outcome": "done", "assigned_at": at, "ended_at": at}
             for j, p, at in done_jobs],
        )
        session.execute(
            insert(Movement),
            [{"item": Item.HEADBAND.value, "stage": Stage.AT_MAKER.value, "delta": 1,
              "reason": "job_done", "ref": f"job:{j}", "job_id": j, "at": at,
              "maker_id": maker_ids[p % len(maker_ids)], "dedup_key": f"job_done:{j}"}
             for j, p, at in done_jobs],
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
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
