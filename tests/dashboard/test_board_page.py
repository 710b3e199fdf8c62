"""The coordinator's board shows the API's figures, alerts, printers, queue and orders."""

from __future__ import annotations

import pytest

from orchestrator.core.config import Settings
from tests.conftest import Network
from tests.dashboard.conftest import (
    OpenApp,
    Service,
    count_of,
    frame_with,
    metrics,
    no_exception,
    texts,
)


def test_the_board_shows_the_services_figures_in_french_then_english(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    printer_id = service.printer(network.maker, "Prusa MK3S de Camille")
    service.printed(network.coordinator, printer_id, "headband", 6)
    service.donate(network.coordinator, "film_sheet", 5)
    service.order(network.centre, "visor", 8)
    service.order(network.centre, "amicroche", 1_500)
    service.post(network.coordinator, "/jobs", {"part_key": "reinforcement", "copies": 2})
    summary = service.get(network.coordinator, "/board")
    products = {line["item"]: line for line in summary["products"]}

    app = open_app(network.coordinator)

    no_exception(app)
    assert count_of(app, "Visières commandées") == products["visor"]["ordered"] == 8
    assert count_of(app, "Crochets commandés") == products["amicroche"]["ordered"]
    assert metrics(app)["Crochets commandés"] == "1\u202f500"
    assert count_of(app, "Visières livrées") == products["visor"]["delivered"]
    assert count_of(app, "Imprimantes hors ligne") == summary["printers"]["offline"] == 1
    assert count_of(app, "Pièces chez les makers") == 6
    assert count_of(app, "Feuilles de film en stock") == summary["film"]["on_hand"] == 5
    assert metrics(app)["Jours de film restants"] == "—"
    assert "Le film manquera avant d'honorer les commandes ouvertes" in texts(app.error)
    grid = frame_with(app, "Dernier signe")
    queue = frame_with(app, "Rang")
    orders = frame_with(app, "Établissement")
    assert grid["Imprimante"].tolist() == [f"Prusa MK3S de Camille (n° {printer_id})"]
    assert grid["État"].tolist() == ["Hors ligne"]
    assert queue["Pièce"].tolist() == ["Renfort inférieur de visière"]
    assert sorted(orders["Quantité"].tolist()) == [8, 1_500]
    assert set(orders["Établissement"]) == {"CH Abbeville"}

    app.radio(key="language").set_value("en").run()

    assert count_of(app, "Visors ordered") == 8
    assert metrics(app)["Hooks ordered"] == "1,500"
    assert "Film will run out before the open orders are met" in texts(app.error)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One maker holds the 53 printers of the grid test: lift the per-maker bounds."""
    return settings.model_copy(
        update={"max_printers_per_maker": 100, "account_write_rate_limit": "1000/minute"}
    )


def test_the_printer_grid_is_read_a_page_at_a_time(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    for number in range(53):
        service.printer(network.maker, f"Imprimante {number:02d}")

    app = open_app(network.coordinator)
    first_page = frame_with(app, "Dernier signe")
    app.number_input(key="grid_page").set_value(2).run()
    second_page = frame_with(app, "Dernier signe")

    no_exception(app)
    assert len(first_page) == 50
    assert second_page["Imprimante"].str.startswith("Imprimante").tolist() == [True] * 3
    assert "Imprimantes 51 à 53 sur 53." in texts(app.caption)
