"""Shared ways of running production in tests.

- `dispatch_round`: jobs queued and printers idle, written straight into the database,
  then one pass of the real dispatcher (`dispatch.assign`): for rules of who gets what;
- `serving` and `printing`: the real API (uvicorn), the production line and simulated
  printers on a real broker, with PrusaSlicer: for the same rules end to end;
- `order`: a health centre's order through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from orchestrator.api.app import create_app
from orchestrator.core.config import Settings
from orchestrator.database.tables import Job, Part, Printer, PrinterStatus
from orchestrator.domain.scheduler import Assignment
from orchestrator.production_line import ProductionLine
from orchestrator.services.dispatch import assign
from tests.conftest import bearer, running_uvicorn
from tests.realparts import Mosquitto
from tests.test_link import simulate

API = "/api/v1"

Estimate = Callable[[Part, Printer, int], float | None]


def dispatch_round(
    engine: Engine,
    settings: Settings,
    *,
    idle: list[int],
    jobs: int,
    estimate: Estimate,
    grams: Estimate | None = None,
    part_key: str = "headband",
    needed_by: date | None = None,
) -> list[tuple[Job, Printer, Assignment]]:
    """Queue `jobs` one-copy plates of `part_key`, let the `idle` printers report idle,
    and dispatch once; what was assigned."""
    with Session(engine, expire_on_commit=False) as session:
        part = session.exec(select(Part).where(Part.key == part_key)).one()
        day = needed_by or datetime.now(UTC).date()
        for _ in range(jobs):
            session.add(Job(part_id=part.id or 0, copies=1, needed_by=day))
        for printer_id in idle:
            status = session.get(PrinterStatus, printer_id) or PrinterStatus(
                printer_id=printer_id, state="idle"
            )
            status.state = "idle"
            session.add(status)
        session.commit()
        made = assign(session, settings, {}, datetime.now(UTC), estimate, grams)
        session.commit()
    return made


@contextmanager
def serving(engine: Engine, settings: Settings, mosquitto: Mosquitto) -> Iterator[str]:
    """The API on a real port, with the broker; its URL. Use `live(settings, mosquitto)`
    for the production line's settings."""
    with running_uvicorn(create_app(live(settings, mosquitto), engine), settings.port) as url:
        yield url


def live(settings: Settings, mosquitto: Mosquitto) -> Settings:
    """The test's settings with the broker, quick status flushes and no hub delay."""
    return settings.model_copy(
        update={"mqtt_url": mosquitto.url, "status_flush_seconds": 0.2, "hub_delay_hours": 0}
    )


@contextmanager
def printing(
    engine: Engine,
    settings: Settings,
    mosquitto: Mosquitto,
    credentials: dict[str, str],
    *,
    name: str,
    speed: float = 40_000.0,
) -> Iterator[None]:
    """The production line and the printers `credentials` names, simulated at `speed`
    (the headband's 1 h 23 min takes 0.12 s at 40,000x), their beds cleared at once."""
    line = ProductionLine(
        settings=live(settings, mosquitto), engine=engine, name=name, sweep_seconds=0.5
    )
    line.start()
    loop, task, thread = simulate(mosquitto, credentials, speed=speed, auto_clear_seconds=0.05)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)
        line.stop()


def order(url: str, token: str, product_key: str, quantity: int) -> None:
    """A health centre's order, needed in three days."""
    httpx.post(
        f"{url}{API}/orders",
        headers=bearer(token),
        json={
            "product_key": product_key,
            "quantity": quantity,
            "delivery_address": "CH Abbeville",
            "needed_by": (datetime.now(UTC).date() + timedelta(days=3)).isoformat(),
        },
    ).raise_for_status()
