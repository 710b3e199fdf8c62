"""A carer scans a batch label: the address its QR code names opens, in headless chromium
on a phone-sized screen, the batch's product and status, and its form sends a report."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import Network
from tests.dashboard.conftest import Service, bearer
from tests.test_labels import decoded_qr_codes

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_the_qr_code_opens_the_batch_page_on_a_phone(
    browser: Browser,
    live_server: str,
    service: Service,
    network: Network,
    artifacts: Path,
) -> None:
    batch_id, _delivery = service.delivered_hooks(network, 5)
    pdf = httpx.get(
        f"{live_server}/api/v1/batches/{batch_id}/labels.pdf",
        headers=bearer(network.coordinator),
        timeout=30,
    )
    assert pdf.status_code == 200
    url = decoded_qr_codes(pdf.content)[0]
    assert url.startswith(f"{live_server}/b/")

    context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True)
    page = context.new_page()
    try:
        page.goto(url)
        expect(page.locator("h1")).to_have_text(f"Lot n° {batch_id}")
        expect(page.locator("dl")).to_contain_text("AMICROCHE (crochet d'hygiène)")
        expect(page.locator("#status")).to_have_text("Livré.")
        body = page.locator("body").inner_text()
        for personal in ("Camille", "CH Abbeville", "rue de l'Isle"):
            assert personal not in body
        # Readable without zooming: the page is no wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(artifacts / "batch-page-phone.png"), full_page=True)

        page.fill("#text", "Le crochet se fend à la pose")
        page.click("button[type=submit]")
        expect(page.locator("#reported")).to_contain_text("Merci")
    finally:
        context.close()
    (report,) = service.get(network.coordinator, "/defects")
    assert (report["batch_id"], report["source"]) == (batch_id, "public")
