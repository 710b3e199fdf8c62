"""The web app in headless chromium: the coordinator's board shows the service's figures.

(Each role's flow is in test_flows.py, accessibility in test_accessibility.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from dashboard.formatting import parse_count, parse_decimal
from tests.browser.conftest import STREAMLIT_MS, french, open_page, screenshot, sign_in
from tests.conftest import Network
from tests.dashboard.conftest import Service

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BOARD_READS = 3  # a refresh may land mid-read: read again after the next one, at most this often

PRODUCT_TILES = {"visor": "visors", "amicroche": "hooks"}
PRODUCT_FIGURES = ("ordered", "delivered", "remaining")
PRINTER_FIGURES = ("online", "printing", "awaiting_clear", "offline")
PART_STAGES = ("at_maker", "collected", "qc_passed", "rejected")
GOODS_STAGES = ("assembled", "disinfected", "packed")
PRODUCT_ITEMS = tuple(PRODUCT_TILES)

Figures = dict[str, float | None]


def tile_key(name: str) -> str:
    return name.replace("_", "-")


def expected_tiles(summary: dict[str, Any]) -> Figures:
    """What each tile must show, worked out from `GET /board` without the app's code.

    The goods stages count products only: assembling a visor also moves the headband,
    film sheet and elastic it consumed to the `assembled` stage, and those are not
    assembled products.
    """
    tiles: Figures = {}
    products = {line["item"]: line for line in summary["products"]}
    for item, prefix in PRODUCT_TILES.items():
        for figure in PRODUCT_FIGURES:
            tiles[f"{prefix}-{figure}"] = products[item][figure]
    for figure in PRINTER_FIGURES:
        tiles[f"printers-{tile_key(figure)}"] = summary["printers"][figure]
    for stage in (*PART_STAGES, *GOODS_STAGES):
        tiles[f"stage-{tile_key(stage)}"] = sum(
            balance["quantity"]
            for balance in summary["stock"]
            if balance["stage"] == stage
            and (stage in PART_STAGES or balance["item"] in PRODUCT_ITEMS)
        )
    for supply in summary["supplies"]:
        key = tile_key(supply["item"])
        tiles[f"{key}-on-hand"] = supply["on_hand"]
        days_left = supply["days_left"]
        tiles[f"{key}-days-left"] = None if days_left is None else round(days_left, 1)
    return tiles


# What a screen reader reads inside the charts: every label and role description.
CHART_WORDS = """() => [...document.querySelectorAll(
  '[data-testid="stVegaLiteChart"], [data-testid="stVegaLiteChart"] [aria-roledescription]'
)].flatMap((element) => [
  element.getAttribute('aria-label'), element.getAttribute('aria-roledescription')
]).filter((text) => text)"""
VEGA_ENGLISH = ("axis titled", "legend titled", "X-axis", "Y-axis", "quantity:", "step:")
VEGA_ROLES = {"bar", "visualization", "group mark container", "rect mark container"}


def tile_value(page: Page, key: str) -> Locator:
    return page.locator(f".st-key-kpi-{key} [data-testid='stMetricValue']")


def shown_tiles(page: Page, keys: list[str]) -> Figures:
    """The figures the tiles show now, as numbers."""
    shown: Figures = {}
    for key in keys:
        text = tile_value(page, key).inner_text(timeout=STREAMLIT_MS)
        shown[key] = parse_decimal(text, "fr") if key.endswith("-days-left") else parse_count(text)
    return shown


@pytest.mark.usefixtures("production_history")
def test_the_coordinators_board_shows_the_services_figures(
    page: Page, board_url: str, service: Service, network: Network, artifacts: Path
) -> None:
    sign_in(page, board_url, network.coordinator, french("board.title"))
    refreshed = page.get_by_text("Mis à jour à")
    expect(refreshed).to_be_visible(timeout=STREAMLIT_MS)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(0)  # in their own tab
    page.get_by_role("tab", name=french("board.trends")).click()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2, timeout=STREAMLIT_MS)
    funnel = page.get_by_test_id("stVegaLiteChart").first
    expect(funnel).to_have_attribute("aria-label", french("board.funnel"), timeout=STREAMLIT_MS)
    spoken = page.evaluate(CHART_WORDS)
    assert f"{french('funnel.printed')}, {french('product.visor')} : " in " ".join(spoken)
    assert not [text for text in spoken if any(word in text for word in VEGA_ENGLISH)]
    assert not VEGA_ROLES & set(spoken)
    keys = list(expected_tiles(service.get(network.coordinator, "/board")))
    expect(page.locator("[class*='st-key-kpi-']")).to_have_count(len(keys), timeout=STREAMLIT_MS)

    for _ in range(BOARD_READS):
        last_refresh = refreshed.inner_text()
        shown = shown_tiles(page, keys)
        expected = expected_tiles(service.get(network.coordinator, "/board"))
        if shown == expected:
            break
        expect(refreshed).not_to_have_text(last_refresh, timeout=STREAMLIT_MS)
    screenshot(page, artifacts / "coordinator-board.png")

    assert all(expected.values()), f"the seeded history leaves a tile at zero: {expected}"
    mismatches = {key: (shown[key], expected[key]) for key in keys if shown[key] != expected[key]}
    assert not mismatches, f"tiles (shown, expected from GET /board): {mismatches}"

    open_page(page, french("page.hub"), french("hub.title"))
    screenshot(page, artifacts / "coordinator-hub.png")
