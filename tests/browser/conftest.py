"""The web app in a real browser: the service on SQLite, `makerline board` as a
subprocess, and Debian's headless chromium driven by Playwright (the one `browser` of the
session, in `tests/realparts.py`).

One board serves a whole test module: it only knows the API's address, and each test's
API (a fresh database, a fresh uvicorn) listens on the module's port. Starting Streamlit
costs seconds on a busy machine; a test costs a browser context.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from sqlalchemy import Engine

from dashboard.i18n import FRENCH
from orchestrator.core.config import Settings, load_settings
from tests.conftest import Network
from tests.dashboard import conftest as dashboard
from tests.dashboard.conftest import Service
from tests.ports import free_port
from tests.test_board_api import report_status

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
BOARD_START_SECONDS = 60.0
STREAMLIT_MS = 30_000  # the first render imports pandas and altair in the board's process

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


@pytest.fixture(scope="module")
def api_port() -> int:
    """The port every API of this module listens on, so that one board serves them all."""
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, api_port: int) -> Settings:
    """The tests' settings (tests/conftest.py), on the module's API port."""
    return load_settings(
        data_dir=tmp_path,
        invite_code="abbeville-2020",
        mqtt_url="mqtt://127.0.0.1:9",
        port=api_port,
        public_url=f"http://127.0.0.1:{api_port}",
    )


@pytest.fixture(scope="module")
def board_url(api_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`makerline board` serving the web app against the module's API; stopped after the
    module's last test."""
    port = free_port()
    log = tmp_path_factory.mktemp("board") / "board.log"
    makerline = Path(sys.executable).with_name("makerline")
    api_url = f"http://127.0.0.1:{api_port}"
    command = [str(makerline), "board", "--port", str(port), "--api-url", api_url]
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
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context (no cookies, no session), in French, 1400x900, with this
    test's API listening for the module's board."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --- signing in and moving around, as a person does -------------------------------------


def french(key: str) -> str:
    """A French text up to its first parameter (the plural "other" form of a sentence
    that counts): what a page shows whatever the parameters."""
    message = FRENCH[key]
    text = message if isinstance(message, str) else message["other"]
    return text.split("{")[0].strip()


def sign_in(page: Page, board_url: str, token: str, heading: str) -> None:
    """Sign in on the web app's sign-in page with a token, and wait for the role's home."""
    page.goto(f"{board_url}/signin")
    page.locator("input[name=token]").fill(token)
    page.locator("input[name=token]").press("Enter")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=STREAMLIT_MS)


def open_page(page: Page, link: str, heading: str) -> None:
    """Follow a sidebar link (a reload would start a new, signed-out session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=STREAMLIT_MS)


# Streamlit fades what it redraws: an element that was stale comes back to full colour
# through a transition, and a check of its colours meanwhile would see it pale.
TRANSITIONS_ENDED = """() => Promise.all(document.getAnimations()
  .filter((animation) => animation.effect?.getComputedTiming().endTime !== Infinity)
  .map((animation) => animation.finished.catch(() => null)))"""


def settle(page: Page) -> None:
    """Wait until the page has drawn everything it asked for: no grey placeholder, no
    element of the page before it, the run over, and its fading back ended."""
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=STREAMLIT_MS)
    expect(page.locator("[data-stale=true]")).to_have_count(0, timeout=STREAMLIT_MS)
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=STREAMLIT_MS)
    page.evaluate(TRANSITIONS_ENDED)


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def table_with(page: Page, column: str) -> Locator:
    """The dataframe with this column; its accessible grid holds the cells' text."""
    header = page.locator("th[role=columnheader]", has_text=re.compile(f"^{column}$"))
    return page.get_by_test_id("stDataFrame").filter(has=header)


def table_row(table: Locator, first_cell: re.Pattern[str]) -> Locator:
    """The rows whose first cell matches."""
    first = table.page.locator("td[aria-colindex='1']", has_text=first_cell)
    return table.locator("tbody tr[role=row]").filter(has=first)


def row_values(table: Locator, row: Locator) -> dict[str, str]:
    """A row's cells by column header."""
    headers = table.locator("th[role=columnheader]").all_text_contents()
    return dict(zip(headers, row.locator("td").all_text_contents(), strict=True))


def screenshot(page: Page, path: Path) -> None:
    """The whole page. Streamlit scrolls inside its main pane rather than the document,
    so the window grows to the pane's height for the picture."""
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=STREAMLIT_MS)
    height = page.get_by_test_id("stMain").evaluate("main => main.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)})
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(VIEWPORT)
