"""Batch labels read back as a person would, and the public page their QR code opens, on
SQLite and PostgreSQL: the PDF's text (pypdf), its QR code decoded from the drawn page
(pypdfium2, zxing-cpp), and a page that names the goods and no one."""

from __future__ import annotations

import io

import pypdf
import pypdfium2
import zxingcpp
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from orchestrator.database.engine import alembic_config, make_engine
from orchestrator.database.tables import Batch
from orchestrator.services.labels import LABELS_PER_SHEET
from tests.conftest import Network
from tests.test_migrations import fresh_database  # noqa: F401  (the fixture)
from tests.test_production_flow import donate, get, order, post, printed, printer_for

ADDRESS = "43 rue de l'Isle, Abbeville"


def delivered_visors(client: TestClient, net: Network, quantity: int = 6) -> tuple[int, int]:
    """Visors printed by Camille, assembled, disinfected, packed and delivered to CH
    Abbeville: (batch id, delivery id)."""
    printer = printer_for(client, net.maker)
    printed(client, net, printer, "headband", quantity)
    donate(client, net, "film_sheet", quantity)
    donate(client, net, "elastic", quantity)
    order_id = order(client, net.centre, "visor", quantity)
    coordinator = net.coordinator
    post(
        client,
        coordinator,
        "/collections",
        {"maker_id": net.maker_id, "item": "headband", "quantity": quantity},
    )
    post(client, coordinator, "/qc", {"item": "headband", "passed": quantity})
    batch = post(client, coordinator, "/batches", {"product_key": "visor", "quantity": quantity})
    assert batch.status_code == 201, batch.text
    batch_id = batch.json()["id"]
    disinfected = post(
        client, coordinator, f"/batches/{batch_id}/disinfection", {"method": "alcohol_70"}
    )
    assert disinfected.status_code == 200, disinfected.text
    post(client, coordinator, "/packings", {"order_id": order_id, "quantity": quantity})
    delivery = post(
        client, coordinator, "/deliveries", {"order_id": order_id, "quantity": quantity}
    )
    assert delivery.status_code == 201, delivery.text
    return batch_id, delivery.json()["id"]


def token_of(engine: Engine, batch_id: int) -> str:
    with Session(engine) as session:
        batch = session.get(Batch, batch_id)
        assert batch is not None
        return batch.public_token


def decoded_qr_codes(pdf: bytes) -> list[str]:
    """Every QR code on the sheet's first page, drawn at 200 dpi as a printer would."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return [found.text for found in zxingcpp.read_barcodes(image) if found.format.name == "QRCode"]


def test_the_label_sheet_says_what_the_batch_is_and_its_qr_code_opens_its_page(
    client: TestClient, network: Network, engine: Engine, settings
) -> None:
    batch_id, _ = delivered_visors(client, network)
    answer = get(client, network.coordinator, f"/batches/{batch_id}/labels.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert f"batch-{batch_id}-labels.pdf" in answer.headers["content-disposition"]

    reader = pypdf.PdfReader(io.BytesIO(answer.content))
    assert len(reader.pages) == 1
    page_text = reader.pages[0].extract_text()
    assert page_text.count(f"Lot n° {batch_id}") == LABELS_PER_SHEET
    assert "Visière" in page_text  # the product's French name
    assert "Quantité du lot : 6" in page_text
    assert "Désinfecté le" in page_text and "(alcool à 70 %)" in page_text

    url = f"{settings.public_url}/b/{token_of(engine, batch_id)}"
    codes = decoded_qr_codes(answer.content)
    assert codes == [url] * LABELS_PER_SHEET

    # The address the code names is the batch's page (the test client serves the API).
    opened = client.get(url.removeprefix(settings.public_url))
    assert opened.status_code == 200
    assert f"Lot n° {batch_id}" in opened.text


def test_labels_are_for_the_coordinator(client: TestClient, network: Network) -> None:
    batch_id, _ = delivered_visors(client, network, 2)
    for token in (network.maker, network.centre):
        assert get(client, token, f"/batches/{batch_id}/labels.pdf").status_code == 403
    assert client.get(f"/api/v1/batches/{batch_id}/labels.pdf").status_code == 401
    assert get(client, network.coordinator, "/batches/999999/labels.pdf").status_code == 404


def test_the_public_page_shows_the_goods_and_no_ones_personal_data(
    client: TestClient, network: Network, engine: Engine
) -> None:
    batch_id, _ = delivered_visors(client, network)
    address = "12 chemin des Makers, 80100 Abbeville"
    with engine.begin() as connection:  # everyone involved has a name and an address
        connection.execute(text("UPDATE account SET address = :a"), {"a": address})
        connection.execute(text("UPDATE maker SET city = 'Abbeville-Nord'"))
    token = token_of(engine, batch_id)

    page = client.get(f"/b/{token}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert f"Lot n° {batch_id}" in html
    assert "Visière" in html
    assert "Livré." in html
    assert 'lang="fr"' in html
    for personal in (
        "Camille",
        "Julien",
        "CH Abbeville",
        "EHPAD",
        "Fab-lab",
        address,
        ADDRESS,
        "Abbeville-Nord",
        "Abbeville",
    ):
        assert personal not in html, personal
    assert "<script" not in html
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"

    english = client.get(f"/b/{token}?lang=en")
    assert "Batch no." in english.text and "Delivered." in english.text
    preferred = client.get(f"/b/{token}", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert 'lang="en"' in preferred.text
    french = client.get(f"/b/{token}", headers={"Accept-Language": "fr-FR,en;q=0.5"})
    assert 'lang="fr"' in french.text


def test_the_public_page_tells_a_batch_in_stock_and_refuses_unknown_labels(
    client: TestClient, network: Network, engine: Engine
) -> None:
    printer = printer_for(client, network.maker)
    printed(client, network, printer, "amicroche", 3)
    post(
        client,
        network.coordinator,
        "/collections",
        {"maker_id": network.maker_id, "item": "amicroche", "quantity": 3},
    )
    post(client, network.coordinator, "/qc", {"item": "amicroche", "passed": 3})
    batch = post(
        client, network.coordinator, "/batches", {"product_key": "amicroche", "quantity": 3}
    )
    token = token_of(engine, batch.json()["id"])
    assert "pas encore désinfecté" in client.get(f"/b/{token}").text
    post(
        client, network.coordinator, f"/batches/{batch.json()['id']}/disinfection", {"method": "uv"}
    )
    page = client.get(f"/b/{token}").text
    assert "Prêt, au fab-lab." in page and "ultraviolets" in page

    assert client.get("/b/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/b/short").status_code == 422
    assert client.get("/b/" + "x" * 200).status_code == 422


def test_every_batch_gets_its_own_token(
    client: TestClient, network: Network, engine: Engine
) -> None:
    first, _ = delivered_visors(client, network, 2)
    second, _ = delivered_visors(client, network, 3)  # not a duplicate order
    tokens = {token_of(engine, first), token_of(engine, second)}
    assert len(tokens) == 2
    assert all(len(token) >= 22 for token in tokens)


def test_migration_0007_gives_existing_batches_a_token(fresh_database: str) -> None:  # noqa: F811
    config = alembic_config(fresh_database)
    command.upgrade(config, "0006")
    engine = make_engine(fresh_database)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (name, role, token_hash, created_at) "
                "VALUES ('Fab-lab', 'coordinator', 'h1', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO product (key, item, name_fr, name_en) "
                "VALUES ('visor', 'visor', 'Visière', 'Visor')"
            )
        )
        for _ in range(3):
            connection.execute(
                text(
                    "INSERT INTO batch (quantity, product_id, assembled_at, assembled_by) "
                    "VALUES (5, 1, CURRENT_TIMESTAMP, 1)"
                )
            )
    command.upgrade(config, "head")
    with Session(engine) as session:
        tokens = [batch.public_token for batch in session.exec(select(Batch))]
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert all(len(token) == 22 for token in tokens)
    engine.dispose()
