"""Signing in, in headless chromium: a bookmark opened signed out asks for the token and
then opens the page asked for; the sign-in lasts across a reload and in a new tab, never
shows the token in an address, and ends with a sign-out; a wrong token is refused in
French; a page of another role opens the person's own home page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.i18n import ENGLISH, FRENCH
from dashboard.session import LANGUAGE_COOKIE, SESSION_COOKIE
from tests.browser.conftest import french, settle
from tests.conftest import Network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STREAMLIT_MS = 30_000  # the first render imports pandas and altair in the board's process


def heading(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=STREAMLIT_MS)


def type_token_and_press_enter(page: Page, token: str) -> None:
    """The token typed into the labelled field, the form sent from the keyboard."""
    field = page.get_by_label("Jeton d'accès")
    field.press_sequentially(token)
    field.press("Enter")


def test_a_bookmark_signs_in_then_the_sign_in_lasts_across_reloads_and_tabs(
    page: Page, board_url: str, network: Network
) -> None:
    page.goto(f"{board_url}/hub")
    expect(page).to_have_url(f"{board_url}/signin?next=%2Fhub")
    heading(page, "Connexion à makerline")

    type_token_and_press_enter(page, network.coordinator)

    expect(page).to_have_url(f"{board_url}/hub")
    heading(page, "Travaux de l'atelier")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies[SESSION_COOKIE]
    assert (session["httpOnly"], session["sameSite"]) == (True, "Lax")
    assert network.coordinator not in session["value"]
    assert SESSION_COOKIE not in page.evaluate("document.cookie")  # no page script reads it

    page.reload()
    heading(page, "Travaux de l'atelier")
    expect(page.get_by_role("dialog")).to_have_count(0)  # no "Page not found"

    other_tab = page.context.new_page()
    other_tab.goto(f"{board_url}/messages")
    heading(other_tab, "Messages envoyés")
    for opened in (page, other_tab):
        assert network.coordinator not in opened.url

    sign_out = page.get_by_role("button", name="Se déconnecter")
    sign_out.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{board_url}/signin")
    assert SESSION_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}
    other_tab.reload()
    expect(other_tab).to_have_url(f"{board_url}/signin?next=%2Fmessages")


def test_a_wrong_token_is_refused_in_french_and_the_language_switch_is_remembered(
    page: Page, board_url: str
) -> None:
    page.goto(board_url)
    expect(page).to_have_url(f"{board_url}/signin")

    type_token_and_press_enter(page, "mkl_not-a-real-token")

    expect(page.locator("#problem")).to_have_text(FRENCH["signin.refused"])
    expect(page).to_have_title("Erreur : Connexion à makerline")
    expect(page.get_by_label("Jeton d'accès")).to_be_focused()
    expect(page.get_by_label("Jeton d'accès")).to_have_value("")  # never sent back
    body = page.locator("body").inner_text()
    assert "This token is not valid" not in body
    assert ENGLISH["signin.refused"] not in body

    page.get_by_role("link", name="English").click()
    heading(page, "Sign in to makerline")
    page.reload()
    heading(page, "Sign in to makerline")
    language = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert language[LANGUAGE_COOKIE] == "en"
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_language_chosen_at_sign_in_or_in_the_sidebar_is_kept(
    page: Page, board_url: str, network: Network
) -> None:
    page.goto(f"{board_url}/signin?lang=en")
    page.get_by_label("Access token").fill(network.maker)
    page.get_by_role("button", name="Sign in").click()

    heading(page, "My printers")
    page.reload()
    heading(page, "My printers")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # The sidebar's switch: the same page again, in French, and still after a reload.
    page.get_by_role("button", name="Français").click()
    heading(page, "Mes imprimantes")
    page.reload()
    heading(page, "Mes imprimantes")
    expect(page.get_by_role("button", name="Français")).to_have_attribute("aria-pressed", "true")
    # Streamlit's own page and words, in French too: what a screen reader announces.
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Menu principal")).to_be_visible()
    expect(page.get_by_role("link", name="Aller au contenu principal")).to_have_count(1)
    assert page.get_by_role("button", name="Main menu").count() == 0


def test_a_page_of_another_role_or_no_page_opens_the_persons_home(
    page: Page, board_url: str, network: Network
) -> None:
    page.goto(f"{board_url}/signin?next=/board")
    type_token_and_press_enter(page, network.maker)

    expect(page).to_have_url(re.compile(r"/(maker)?$"), timeout=STREAMLIT_MS)
    heading(page, "Mes imprimantes")
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.goto(f"{board_url}/no-such-page")
    expect(page).to_have_url(re.compile(r"/(maker)?$"), timeout=STREAMLIT_MS)
    heading(page, "Mes imprimantes")
    expect(page.get_by_role("dialog")).to_have_count(0)


FETCHED_FROM_THE_SERVER = """() => performance.getEntriesByType('resource')
  .filter((entry) => new URL(entry.name).pathname.startsWith('/static/'))
  .filter((entry) => entry.transferSize > 0)
  .map((entry) => new URL(entry.name).pathname)"""


@pytest.mark.parametrize(
    ("role", "title_key"),
    [("coordinator", "board.title"), ("maker", "maker.title"), ("centre", "centre.title")],
)
def test_the_home_page_opens_from_what_the_sign_in_page_fetched(
    page: Page, board_url: str, network: Network, role: str, title_key: str
) -> None:
    """While a person types their token, the sign-in page has the browser fetch every
    file the home page will need, the parts Streamlit loads only when an element is first
    drawn included: after the sign-in, no code, style or font comes from the server."""
    page.goto(f"{board_url}/signin", wait_until="networkidle")
    type_token_and_press_enter(page, getattr(network, role))
    heading(page, french(title_key))
    settle(page)

    assert page.evaluate(FETCHED_FROM_THE_SERVER) == []
