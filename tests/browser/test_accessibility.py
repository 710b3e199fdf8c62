"""WCAG 2.1 AA, the level of France's RGAA, checked by axe-core in headless chromium on
the sign-in page and on every page of every role; and each role's main form filled and
sent from the keyboard alone (Tab, typing, Enter)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import STREAMLIT_MS, french, open_page, settle, sign_in
from tests.conftest import Network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = ("serious", "critical")
TAB_PRESSES = 120  # the sidebar's links and the page's fields before a form's last field

# Each role's pages: (sidebar link, heading) keys; the first is the home page.
ROLE_PAGES = {
    "coordinator": (
        ("page.board", "board.title"),
        ("page.hub", "hub.title"),
        ("page.quarantine", "page.quarantine"),
        ("page.messages", "messages.title"),
        ("page.notifications", "notif.title"),
    ),
    "maker": (("page.maker", "maker.title"), ("page.notifications", "notif.title")),
    "centre": (("page.centre", "centre.title"), ("page.notifications", "notif.title")),
}


def token_of(network: Network, role: str) -> str:
    token: str = getattr(network, role)
    return token


def blocking_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is, one line per
    element: rule, impact, element, and what to fix."""
    results: dict[str, Any] = Axe().run(page, options=AXE_OPTIONS).response
    return [
        f"{violation['id']} ({violation['impact']}) {node['target']}: "
        + " ".join((node.get("failureSummary") or "").split())
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
        for node in violation["nodes"]
    ]


def test_the_sign_in_page_meets_wcag_aa(page: Page, board_url: str) -> None:
    page.goto(f"{board_url}/signin")
    expect(page.locator("input[name=token]")).to_be_visible()
    violations = blocking_violations(page)
    assert not violations, "\n".join(violations)


@pytest.mark.usefixtures("production_history")
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_of_a_role_meets_wcag_aa(
    page: Page, board_url: str, network: Network, role: str
) -> None:
    (home_link, home_heading), *others = ROLE_PAGES[role]
    sign_in(page, board_url, token_of(network, role), french(home_heading))
    settle(page)
    found = {french(home_link): blocking_violations(page)}
    for link, heading in others:
        open_page(page, french(link), french(heading))
        settle(page)
        found[french(link)] = blocking_violations(page)
    failing = {name: violations for name, violations in found.items() if violations}
    assert not failing, "\n".join(
        f"{name}:\n  " + "\n  ".join(violations) for name, violations in failing.items()
    )


# --- the keyboard -----------------------------------------------------------------------


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focus is inside `selector`; fail saying where it went."""
    visited = []
    for _ in range(TAB_PRESSES):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement?.closest(s)", selector):
            return
        visited.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return `${e.tagName} ${e.getAttribute('aria-label') || e.innerText || ''}`"
                ".slice(0, 60) }"
            )
        )
    pytest.fail(f"Tab never reached {selector}; the focus went through: {visited}")


def type_into_focused(page: Page, text: str) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose_first_option(page: Page, selector: str) -> None:
    """Open a select list from the keyboard and take its first option."""
    tab_to(page, selector)
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("option").first).to_be_visible()
    page.keyboard.press("Enter")


def test_the_coordinator_records_a_donation_from_the_keyboard(
    page: Page, board_url: str, network: Network
) -> None:
    sign_in(page, board_url, network.coordinator, french("board.title"))
    open_page(page, french("page.hub"), french("hub.title"))
    settle(page)
    tab_to(page, ".st-key-donation_donor")
    type_into_focused(page, "Mairie de Rue")
    choose_first_option(page, "[class*=st-key-donation_item]")
    tab_to(page, ".st-key-donation_quantity")
    type_into_focused(page, "23")
    tab_to(page, ".st-key-donation_submit")
    page.keyboard.press("Enter")
    done = page.get_by_test_id("stAlert").filter(has_text=french("hub.donation.done"))
    expect(done).to_contain_text("23", timeout=STREAMLIT_MS)


def test_a_maker_registers_a_printer_from_the_keyboard(
    page: Page, board_url: str, network: Network
) -> None:
    sign_in(page, board_url, network.maker, french("maker.title"))
    settle(page)
    tab_to(page, "[data-testid=stExpander] summary")
    page.keyboard.press("Enter")
    tab_to(page, ".st-key-printer_name")
    type_into_focused(page, "Ender 3 du garage")
    tab_to(page, ".st-key-printer_submit")
    page.keyboard.press("Enter")
    registered = page.get_by_test_id("stAlert").filter(has_text="Ender 3 du garage")
    expect(registered).to_be_visible(timeout=STREAMLIT_MS)


def test_a_centre_orders_from_the_keyboard(page: Page, board_url: str, network: Network) -> None:
    sign_in(page, board_url, network.centre, french("centre.title"))
    settle(page)
    choose_first_option(page, "[class*=st-key-order_product]")
    tab_to(page, ".st-key-order_quantity")
    type_into_focused(page, "41")
    tab_to(page, ".st-key-order_address")
    type_into_focused(page, "43 rue de l'Isle, 80100 Abbeville")
    tab_to(page, ".st-key-order_submit")
    page.keyboard.press("Enter")
    placed = page.get_by_test_id("stAlert").filter(has_text=french("centre.placed"))
    expect(placed).to_contain_text("41", timeout=STREAMLIT_MS)
