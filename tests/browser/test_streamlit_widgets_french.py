"""Streamlit's own widgets on French pages, in a browser set to English (the web app is
French whatever the browser says): the date picker, drawn with the browser's language,
and the file uploader, which writes sizes its own way. Each widget is opened, and every
text and every label a screen reader reads must be free of Streamlit's English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.dates import get_day_names, get_month_names
from playwright.sync_api import Browser, Page, expect

from dashboard.streamlit_words import FRENCH_PREFIXES, FRENCH_WORDS
from tests.browser.conftest import STREAMLIT_MS, VIEWPORT, french, open_page, sign_in
from tests.conftest import Network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SMALL_STL = ROOT / "models" / "amicroche.stl"

# Streamlit's English: its words (the table's, taken from its code), the English names of
# months and days its calendar would write, and its sizes ("39.1KB").
ENGLISH_NAMES = [
    *get_month_names("wide", locale="en_US").values(),
    *get_day_names("wide", locale="en_US").values(),
]
ENGLISH_NAME = re.compile(r"\b(" + "|".join(ENGLISH_NAMES) + r")\b")
ENGLISH_SIZE = re.compile(r"\d(\.\d+)?[KMG]B\b")
FRENCH_MONTH = "(" + "|".join(get_month_names("wide", locale="fr").values()) + ")"
FRENCH_DAY = "(" + "|".join(get_day_names("wide", locale="fr").values()) + ")"
# Every text node and every label, title, placeholder and spoken value on the page.
SHOWN = """() => {
  const shown = [];
  const walker = document.createTreeWalker(
    document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT
  );
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.parentElement.closest("script, style, noscript")) continue;
      shown.push(node.nodeValue.trim());
    } else {
      for (const name of ["aria-label", "title", "placeholder", "aria-valuetext"]) {
        if (node.hasAttribute(name)) shown.push(node.getAttribute(name));
      }
    }
  }
  return shown.filter((text) => text);
}"""


def english_on(page: Page) -> list[str]:
    return sorted(
        text
        for text in set(page.evaluate(SHOWN))
        if text in FRENCH_WORDS
        or text.startswith(tuple(FRENCH_PREFIXES))
        or ENGLISH_NAME.search(text)
        or ENGLISH_SIZE.search(text)
    )


@pytest.fixture
def english_browser_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh context whose browser speaks American English, with this test's API."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="Europe/Paris")
    yield context.new_page()
    context.close()


def test_the_date_picker_is_french_in_an_english_browser(
    english_browser_page: Page, board_url: str, network: Network
) -> None:
    page = english_browser_page
    sign_in(page, board_url, network.centre, french("centre.title"))
    needed_by = page.get_by_test_id("stDateInput").filter(has_text=french("field.needed_by"))
    needed_by.get_by_role("button", name="Choisir une date").click()

    calendar = page.get_by_test_id("stDateInputCalendar")
    expect(calendar.get_by_role("grid")).to_be_visible(timeout=STREAMLIT_MS)
    expect(calendar.get_by_text(re.compile(f"^{FRENCH_MONTH} \\d{{4}}$"))).to_be_visible()
    days = calendar.get_by_role("grid").get_by_role("button").all()
    assert days and all(
        re.search(
            f"{FRENCH_DAY} \\d+ {FRENCH_MONTH} \\d{{4}}", day.get_attribute("aria-label") or ""
        )
        for day in days
    )
    expect(calendar.get_by_role("button", name="Mois suivant")).to_be_visible()
    month_part = needed_by.get_by_role("spinbutton", name=f"mois, {french('field.needed_by')}")
    expect(month_part).to_have_attribute(
        "aria-valuetext", re.compile(f"^\\d+ \N{EN DASH} {FRENCH_MONTH}$")
    )
    assert english_on(page) == []


def test_the_file_uploader_is_french_in_an_english_browser(
    english_browser_page: Page, board_url: str, network: Network
) -> None:
    page = english_browser_page
    sign_in(page, board_url, network.coordinator, french("board.title"))
    open_page(page, french("page.hub"), french("hub.title"))
    page.get_by_role("tab", name=french("hub.tab.part")).click()
    uploader = page.get_by_test_id("stFileUploader")
    expect(uploader).to_contain_text("Mo par fichier", timeout=STREAMLIT_MS)
    assert english_on(page) == []

    uploader.locator("input[type=file]").set_input_files(SMALL_STL)

    expect(uploader).to_contain_text("39,1 Ko", timeout=STREAMLIT_MS)
    expect(uploader.locator("[aria-label='Retirer amicroche.stl']")).to_have_count(1)
    assert english_on(page) == []


def test_every_hub_tab_is_in_sight_and_an_empty_date_field_is_french(
    english_browser_page: Page, board_url: str, network: Network
) -> None:
    page = english_browser_page
    sign_in(page, board_url, network.coordinator, french("board.title"))
    open_page(page, french("page.hub"), french("hub.title"))
    tab_list = page.get_by_role("tablist")
    list_box = tab_list.bounding_box()
    tabs = tab_list.get_by_role("tab").all()
    assert list_box and tabs
    for tab in tabs:  # the tabs wrap: none hides behind a scroll arrow
        box = tab.bounding_box()
        assert box and box["x"] + box["width"] <= list_box["x"] + list_box["width"] + 1
    assert tab_list.evaluate("list => list.scrollWidth <= list.clientWidth")

    page.get_by_role("tab", name=french("hub.tab.pauses")).click()
    first_day = page.get_by_role("tabpanel").get_by_test_id("stDateInputField").first
    expect(first_day).to_contain_text("jj", timeout=STREAMLIT_MS)
    assert re.sub(r"\s", "", first_day.inner_text()) == "jj/mm/aaaa"
    assert english_on(page) == []
