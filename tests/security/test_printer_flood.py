"""Issue 13, "the same pattern elsewhere": a printer's login that floods its events topic
cannot fill the database, and the other printers' events still land.

(Point 8 bounds each message's size; this bounds their rate.)
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import PrinterEvent
from orchestrator.link.bridge import EVENTS_PER_PRINTER
from orchestrator.production_line import ProductionLine
from printers.protocol.topics import events_topic
from tests.conftest import Network, bearer
from tests.realparts import Mosquitto, MqttRecorder, wait_for
from tests.test_link import event, register_printers

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(settings: Settings, mosquitto: Mosquitto) -> Settings:
    return settings.model_copy(update={"mqtt_url": mosquitto.url})


def stored_events(engine: Engine, printer_id: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(PrinterEvent)
            .where(PrinterEvent.printer_id == int(printer_id))
        ).one()


def test_a_flooding_printer_is_cut_off_and_the_others_go_on(
    live_server: str,
    network: Network,
    engine: Engine,
    orchestrator: ProductionLine,
    mosquitto: Mosquitto,
    recorders: Callable[..., MqttRecorder],
) -> None:
    flooder, neighbour = register_printers(live_server, network.maker, 2)
    allowed = min(rate.amount for rate in EVENTS_PER_PRINTER)
    client = recorders(mosquitto.port, [])
    for _ in range(allowed + 200):
        client.publish(events_topic(flooder), event("BedCleared"))
    client.publish(events_topic(neighbour), event("BedCleared", event_id="neighbour-1"))

    wait_for(lambda: stored_events(engine, neighbour) == 1, 30, "the neighbour's event")
    coordinator = httpx.Client(base_url=live_server, headers=bearer(network.coordinator))
    wait_for(
        lambda: (
            coordinator.get("/api/v1/metrics").json()["totals"].get("rate_limited_events", 0) >= 200
        ),
        30,
        "the flood to be counted",
    )
    time.sleep(1)
    assert stored_events(engine, flooder) == allowed
