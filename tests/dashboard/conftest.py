"""The app under Streamlit's AppTest, against the real API served by uvicorn.

The app speaks to the service over HTTP only, so these tests run on SQLite alone: the
same API suite already covers PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard.client import cached_get
from dashboard.formatting import parse_count
from orchestrator.database.engine import make_engine, migrate
from tests.conftest import Network

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
RUN_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def migrated_engine(sqlite_url: str) -> Iterator[Engine]:
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


class Service:
    """The live API, to seed data and to read the figures the app must show."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=f"{url}/api/v1", timeout=30)

    def get(self, token: str, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, token: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.http.post(path, json=body, params=params, headers=bearer(token))
        assert response.status_code < 300, response.text
        return response.json()

    def printer(self, token: str, name: str = "Prusa MK3S") -> int:
        body = {"name": name, "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}
        printer_id: int = self.post(token, "/printers", body)["id"]
        return printer_id

    def printed(self, coordinator: str, printer_id: int, part: str, copies: int) -> int:
        job = self.post(
            coordinator, "/jobs", {"part_key": part, "copies": copies, "printer_id": printer_id}
        )
        self.post(coordinator, f"/jobs/{job['id']}/done")
        job_id: int = job["id"]
        return job_id

    def order(self, centre: str, product: str, quantity: int, days: int = 7) -> int:
        body = {
            "product_key": product,
            "quantity": quantity,
            "needed_by": (date.today() + timedelta(days=days)).isoformat(),
            "urgency": "high",
            "delivery_address": "43 rue de l'Isle, 80100 Abbeville",
        }
        order_id: int = self.post(centre, "/orders", body)["id"]
        return order_id

    def delivered_hooks(self, network: Network, quantity: int) -> tuple[int, int]:
        """Hooks printed, collected, checked, assembled, disinfected, packed and delivered
        to the network's centre: (batch id, delivery id)."""
        coordinator = network.coordinator
        printer_id = self.printer(network.maker)
        order_id = self.order(network.centre, "amicroche", quantity)
        self.printed(coordinator, printer_id, "amicroche", quantity)
        collected = {"maker_id": network.maker_id, "item": "amicroche", "quantity": quantity}
        self.post(coordinator, "/collections", collected)
        self.post(coordinator, "/qc", {"item": "amicroche", "passed": quantity})
        batch = self.post(
            coordinator, "/batches", {"product_key": "amicroche", "quantity": quantity}
        )
        self.post(coordinator, f"/batches/{batch['id']}/disinfection", {"method": "alcohol_70"})
        self.post(coordinator, "/packings", {"order_id": order_id, "quantity": quantity})
        delivery = self.post(
            coordinator, "/deliveries", {"order_id": order_id, "quantity": quantity}
        )
        return batch["id"], delivery["id"]

    def donate(self, coordinator: str, item: str, quantity: int) -> None:
        self.post(
            coordinator, "/donations", {"donor": "Papeterie", "item": item, "quantity": quantity}
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def service(live_server: str) -> Iterator[Service]:
    api = Service(live_server)
    yield api
    api.http.close()


OpenApp = Callable[..., AppTest]


@pytest.fixture
def open_app(live_server: str, monkeypatch: pytest.MonkeyPatch) -> OpenApp:
    """Start the app for a signed-in token (or signed out), pointed at the live API."""
    monkeypatch.setenv("MAKERLINE_API_URL", live_server)

    def start(token: str | None = None) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
        if token is not None:
            app.session_state["token"] = token
        return app.run()

    return start


def let_the_cache_expire() -> None:
    """What two seconds do in a browser: the app's next reads reach the service."""
    cached_get.clear()


def metrics(app: AppTest) -> dict[str, str]:
    """The tiles shown, value by label."""
    return {metric.label: metric.value for metric in app.metric}


def count_of(app: AppTest, label: str) -> int:
    return parse_count(metrics(app)[label])


def texts(elements: Any) -> str:
    """Everything some elements say, as one text to search."""
    return "\n".join(str(element.value) for element in elements)


def frame_with(app: AppTest, column: str) -> Any:
    """The first table shown that has this column."""
    for frame in app.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a column {column!r}")


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
