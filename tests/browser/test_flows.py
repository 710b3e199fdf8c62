"""One flow per role in headless chromium, as a person clicks through it: the coordinator
records a donation on the hub page, a maker registers a printer and finds it in their
table, a health centre orders and sees the order; and a French page shows no English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.i18n import ENGLISH, FRENCH, Message
from tests.browser.conftest import (
    STREAMLIT_MS,
    choose,
    french,
    open_page,
    row_values,
    screenshot,
    settle,
    sign_in,
    table_row,
    table_with,
)
from tests.conftest import Network
from tests.dashboard.conftest import Service

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# English fragments shorter than this may well be French too ("Messages", "Notes").
SHORTEST_ENGLISH = 12
# Streamlit's own English, which the catalogue does not hold.
STREAMLIT_ENGLISH = ("Choose an option", "Page not found", "No results", "Press Enter to")


def forms(message: Message) -> list[str]:
    return [message] if isinstance(message, str) else list(message.values())


def english_fragments() -> set[str]:
    """The English catalogue's text between parameters, where it differs from every
    French text, long enough to be English only."""
    french_texts = " ".join(text for message in FRENCH.values() for text in forms(message))
    fragments = {
        fragment.strip(" .:,!?*()«»\n")
        for key, message in ENGLISH.items()
        if message != FRENCH.get(key)
        for text in forms(message)
        for fragment in re.split(r"\{[^}]*\}", text)
    }
    return {
        fragment
        for fragment in fragments
        if len(fragment) >= SHORTEST_ENGLISH and fragment not in french_texts
    } | set(STREAMLIT_ENGLISH)


def english_shown(page: Page) -> list[str]:
    text = page.locator("body").inner_text()
    return sorted(fragment for fragment in english_fragments() if fragment in text)


def supply_on_hand(service: Service, coordinator: str, item: str) -> float:
    supplies = service.get(coordinator, "/board")["supplies"]
    return next(supply["on_hand"] for supply in supplies if supply["item"] == item)


def test_the_coordinator_records_a_donation_on_the_hub_page(
    page: Page, board_url: str, service: Service, network: Network
) -> None:
    before = supply_on_hand(service, network.coordinator, "film_sheet")
    sign_in(page, board_url, network.coordinator, french("board.title"))
    open_page(page, french("page.hub"), french("hub.title"))

    page.get_by_role("textbox", name=french("field.donor")).fill("Papeterie du Vimeu")
    choose(page, french("field.item"), FRENCH["item.film_sheet"])
    page.get_by_role("spinbutton", name=french("field.quantity")).fill("37")
    page.get_by_role("button", name=french("hub.donation.submit")).click()

    done = page.get_by_test_id("stAlert").filter(has_text=french("hub.donation.done"))
    expect(done).to_contain_text("37", timeout=STREAMLIT_MS)
    assert supply_on_hand(service, network.coordinator, "film_sheet") == before + 37


def test_a_maker_registers_a_printer_and_finds_it_in_their_table(
    page: Page, board_url: str, service: Service, network: Network
) -> None:
    sign_in(page, board_url, network.maker, french("maker.title"))
    page.get_by_text(french("maker.register"), exact=True).click()
    page.get_by_role("textbox", name=french("field.printer_name")).fill("Prusa MK4 du collège")
    page.get_by_role("button", name=french("maker.register.submit")).click()

    registered = page.get_by_test_id("stAlert").filter(has_text="Prusa MK4 du collège")
    expect(registered).to_be_visible(timeout=STREAMLIT_MS)
    (stored,) = service.get(network.maker, "/printers")
    assert stored["name"] == "Prusa MK4 du collège"
    printers = table_with(page, french("col.printer"))
    expect(table_row(printers, re.compile(r"^Prusa MK4 du collège"))).to_have_count(
        1, timeout=STREAMLIT_MS
    )


@pytest.mark.usefixtures("production_history")
def test_a_centre_places_an_order_and_sees_it(
    page: Page, board_url: str, service: Service, network: Network, artifacts: Path
) -> None:
    sign_in(page, board_url, network.centre, french("centre.title"))

    choose(page, french("field.product"), "AMICROCHE (crochet d'hygiène)")
    page.get_by_role("spinbutton", name=french("field.quantity")).fill("37")
    choose(page, french("field.urgency"), FRENCH["urgency.critical"])
    page.get_by_role("textbox", name=french("field.address")).fill("Bd de la République, Abbeville")
    page.get_by_role("button", name=french("centre.order.submit")).click()

    placed = page.get_by_text(re.compile(french("centre.placed") + r"\s*\d+"))
    expect(placed).to_be_visible(timeout=STREAMLIT_MS)
    order_id = int(re.findall(r"\d+", placed.inner_text())[0])
    orders = table_with(page, french("col.needed_by"))
    new_row = table_row(orders, re.compile(f"^{order_id}$"))
    expect(new_row).to_have_count(1, timeout=STREAMLIT_MS)
    shown = row_values(orders, new_row)
    assert (shown[french("col.product")], shown[french("col.quantity")]) == (
        "AMICROCHE (crochet d'hygiène)",
        "37",
    )
    assert shown[french("col.urgency")] == FRENCH["urgency.critical"]
    (stored,) = [o for o in service.get(network.centre, "/orders") if o["id"] == order_id]
    assert (stored["product_key"], stored["quantity"], stored["urgency"]) == (
        "amicroche",
        37,
        "critical",
    )
    screenshot(page, artifacts / "centre-orders.png")


@pytest.mark.usefixtures("production_history")
def test_the_coordinators_french_pages_show_no_english(
    page: Page, board_url: str, network: Network
) -> None:
    sign_in(page, board_url, network.coordinator, french("board.title"))
    settle(page)
    shown = {french("page.board"): english_shown(page)}
    for link, heading in (
        ("page.hub", "hub.title"),
        ("page.quarantine", "page.quarantine"),
        ("page.messages", "messages.title"),
        ("page.notifications", "notif.title"),
    ):
        open_page(page, french(link), french(heading))
        settle(page)
        shown[french(link)] = english_shown(page)
    assert not {name: found for name, found in shown.items() if found}, (
        f"English on French pages: {shown}"
    )
