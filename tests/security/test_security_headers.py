"""Issue 13, point 10: the API, /docs and the board send security headers, and /docs
still works offline under its content security policy, in a real browser.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, Request

# The web app speaks HTTP only: SQLite is enough behind it, as in the browser tests, and
# one board serves the module's APIs, all on the module's port.
from tests.browser.conftest import (  # noqa: F401  (fixtures)
    STREAMLIT_MS,
    api_port,
    migrated_engine,
    settings,
    sign_in,
)
from tests.conftest import Network

pytestmark = pytest.mark.browser


def assert_guarded(headers: httpx.Headers) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"


def test_api_answers_carry_the_headers(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as http:
        for path in ("/api/v1/health", "/api/v1/me", "/openapi.json", "/docs"):
            assert_guarded(http.get(path).headers)
        json_policy = http.get("/api/v1/health").headers["content-security-policy"]
    assert json_policy.startswith("default-src 'none'")


def watch(page: Page) -> tuple[list[str], list[str]]:
    """Console errors, and every request that left the machine."""
    errors: list[str] = []
    outside: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            outside.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    return errors, outside


def test_docs_work_offline_under_their_policy(live_server: str, page: Page) -> None:
    errors, outside = watch(page)
    page.goto(f"{live_server}/docs")
    page.locator(".opblock").first.wait_for(timeout=20_000)  # Swagger UI drew the API
    assert page.locator(".opblock").count() > 20
    page.locator(".opblock-summary").first.click()  # and it responds to a click
    page.locator(".opblock-body").first.wait_for(timeout=10_000)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert outside == []


def test_the_board_sends_the_headers_and_still_works(board_url: str, page: Page) -> None:
    with httpx.Client(base_url=board_url) as http:
        for path in ("/", "/_stcore/health"):
            assert_guarded(http.get(path).headers)
    errors, outside = watch(page)
    page.goto(board_url)
    page.get_by_text("Se connecter").first.wait_for(timeout=30_000)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert outside == []


@pytest.mark.usefixtures("production_history")
def test_the_signed_in_board_and_its_charts_work_under_the_policy(
    board_url: str, page: Page, network: Network
) -> None:
    errors, outside = watch(page)
    sign_in(page, board_url, network.coordinator, "Tableau de production")
    page.get_by_text("Mis à jour à").first.wait_for(timeout=STREAMLIT_MS)
    page.get_by_role("tab", name="Tendances").click()
    page.locator(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
    ).first.wait_for(timeout=STREAMLIT_MS)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert outside == []
