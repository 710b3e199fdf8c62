"""The web app in a real browser: the service on SQLite, `makerline board` as a
subprocess, and Debian's headless chromium driven by Playwright (the one `browser` of the
session, in `tests/realparts.py`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize
from sqlalchemy import Engine

from tests.conftest import Network
from tests.dashboard import conftest as dashboard
from tests.dashboard.conftest import Service
from tests.ports import free_port
from tests.test_board_api import report_status

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
BOARD_START_SECONDS = 60.0

# The dashboard tests' fixtures: SQLite only (the app speaks HTTP), and the API helper.
migrated_engine = dashboard.migrated_engine
service = dashboard.service


@pytest.fixture
def production_history(service: Service, network: Network, engine: Engine) -> None:
    """A network mid-production that leaves no board tile at zero.

    Printers in five states; headbands and hooks printed, collected, checked, assembled,
    disinfected, packed and partly delivered; film donated and partly used.
    """
    coordinator = network.coordinator
    service.donate(coordinator, "film_sheet", 40)
    service.donate(coordinator, "elastic", 40)

    prusa = service.printer(network.maker, "Prusa MK3S de Camille")
    ender = service.printer(network.maker, "Ender 3 de Camille")
    service.printer(network.maker, "Mini de Camille")  # never reports: offline
    voron = service.printer(network.other_maker, "Voron de Julien")
    paused = service.printer(network.other_maker, "Prusa MINI de Julien")
    gone = service.printer(network.other_maker, "Ender 5 de Julien")
    service.printed(coordinator, prusa, "headband", 12)
    service.printed(coordinator, ender, "amicroche", 40)
    report_status(engine, prusa, "awaiting_clear", progress=100.0)
    report_status(engine, ender, "idle")
    report_status(engine, voron, "printing", progress=42.0)
    report_status(engine, paused, "paused", progress=63.0)
    report_status(engine, gone, "offline", offline_since=datetime.now(UTC))

    visors = service.order(network.centre, "visor", 10)
    hooks = service.order(network.other_centre, "amicroche", 1_500, days=21)
    for maker_id, item, quantity in (
        (network.maker_id, "headband", 10),
        (network.maker_id, "amicroche", 36),
    ):
        service.post(
            coordinator,
            "/collections",
            {"maker_id": maker_id, "item": item, "quantity": quantity},
        )
    for item, passed, rejected in (("headband", 8, 1), ("amicroche", 34, 2)):
        service.post(
            coordinator,
            "/qc",
            {"item": item, "passed": passed, "rejected": rejected, "reason": "warped"},
        )
    for product, quantity in (("visor", 5), ("amicroche", 34)):
        batch = service.post(
            coordinator, "/batches", {"product_key": product, "quantity": quantity}
        )
        service.post(coordinator, f"/batches/{batch['id']}/disinfection", {"method": "uv"})
    service.post(coordinator, "/batches", {"product_key": "visor", "quantity": 2})
    for order_id, packed, delivered in ((visors, 4, 3), (hooks, 34, 30)):
        service.post(coordinator, "/packings", {"order_id": order_id, "quantity": packed})
        service.post(coordinator, "/deliveries", {"order_id": order_id, "quantity": delivered})


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Return once Streamlit answers its health check; fail with its output otherwise."""
    deadline = time.monotonic() + BOARD_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"makerline board exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"makerline board did not answer in {BOARD_START_SECONDS:.0f} s:\n{log.read_text()}"
    )


@pytest.fixture
def board_url(live_server: str, tmp_path: Path) -> Iterator[str]:
    """`makerline board` serving the web app against the live API; stopped afterwards."""
    port = free_port()
    log = tmp_path / "board.log"
    makerline = Path(sys.executable).with_name("makerline")
    command = [str(makerline), "board", "--port", str(port), "--api-url", live_server]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, url, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no session), in French, 1400x900."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
