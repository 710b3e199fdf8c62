"""The web app in headless chromium: the coordinator's board shows the service's figures,
a health centre orders through its form, and every role's pages render with real data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from dashboard.formatting import parse_count, parse_decimal
from tests.browser.conftest import VIEWPORT
from tests.conftest import Network
from tests.dashboard.conftest import Service

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STREAMLIT_MS = 30_000  # the first render imports pandas and altair in the board's process
BOARD_READS = 3  # a refresh may land mid-read: read again after the next one, at most this often

PRODUCT_TILES = {"visor": "visors", "amicroche": "hooks"}
PRODUCT_FIGURES = ("ordered", "delivered", "outstanding")
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
    film = summary["film"]
    tiles["film-on-hand"] = film["on_hand"]
    tiles["film-days-left"] = None if film["days_left"] is None else round(film["days_left"], 1)
    return tiles


def tile_value(page: Page, key: str) -> Locator:
    return page.locator(f".st-key-kpi-{key} [data-testid='stMetricValue']")


def shown_tiles(page: Page, keys: list[str]) -> Figures:
    """The figures the tiles show now, as numbers."""
    shown: Figures = {}
    for key in keys:
        text = tile_value(page, key).inner_text(timeout=STREAMLIT_MS)
        shown[key] = parse_decimal(text, "fr") if key == "film-days-left" else parse_count(text)
    return shown


def sign_in(page: Page, board_url: str, token: str, heading: str) -> None:
    """Sign in with a token on the sign-in page and wait for the role's home page."""
    page.goto(board_url)
    page.locator("input[type=password]").fill(token)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=STREAMLIT_MS)


def open_page(page: Page, link: str, heading: str) -> None:
    """Follow a sidebar link (a reload would start a new, signed-out session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=STREAMLIT_MS)


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


@pytest.mark.usefixtures("production_history")
def test_the_coordinators_board_shows_the_services_figures(
    page: Page, board_url: str, service: Service, network: Network, artifacts: Path
) -> None:
    sign_in(page, board_url, network.coordinator, "Tableau de production")
    refreshed = page.get_by_text("Mis à jour à")
    expect(refreshed).to_be_visible(timeout=STREAMLIT_MS)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2, timeout=STREAMLIT_MS)
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

    open_page(page, "Atelier", "Travaux de l'atelier")
    screenshot(page, artifacts / "coordinator-hub.png")


@pytest.mark.usefixtures("production_history")
def test_a_centre_orders_through_the_form_and_a_maker_follows_their_printers(
    page: Page, board_url: str, service: Service, network: Network, artifacts: Path
) -> None:
    sign_in(page, board_url, network.centre, "Commandes de CH Abbeville")

    choose(page, "Produit", "AMICROCHE (crochet d'hygiène)")
    page.get_by_role("spinbutton", name="Quantité").fill("37")
    choose(page, "Urgence", "Critique")
    page.get_by_role("textbox", name="Adresse de livraison").fill("Bd de la République, Abbeville")
    page.get_by_role("button", name="Commander").click()

    placed = page.get_by_text(re.compile(r"Commande n° \d+ enregistrée : 37 amicroche"))
    expect(placed).to_be_visible(timeout=STREAMLIT_MS)
    order_id = int(re.findall(r"n° (\d+)", placed.inner_text())[0])
    orders = table_with(page, "Livraison prévue")
    new_row = table_row(orders, re.compile(f"^{order_id}$"))
    expect(new_row).to_have_count(1, timeout=STREAMLIT_MS)
    shown = row_values(orders, new_row)
    assert (shown["Produit"], shown["Quantité"], shown["Urgence"]) == (
        "AMICROCHE (crochet d'hygiène)",
        "37",
        "Critique",
    )
    (stored,) = [o for o in service.get(network.centre, "/orders") if o["id"] == order_id]
    assert (stored["product_key"], stored["quantity"], stored["urgency"]) == (
        "amicroche",
        37,
        "critical",
    )
    screenshot(page, artifacts / "centre-orders.png")

    sign_in(page, board_url, network.maker, "Mes imprimantes")
    printers = table_with(page, "Imprimante")
    expect(table_row(printers, re.compile(r"^Prusa MK3S de Camille \("))).to_have_count(
        1, timeout=STREAMLIT_MS
    )
    screenshot(page, artifacts / "maker-printers.png")
