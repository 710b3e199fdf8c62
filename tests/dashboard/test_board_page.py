"""The coordinator's board shows the API's figures, alerts, printers, queue and orders."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

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


def open_tab(app: AppTest, label: str, language: str = "fr") -> AppTest:
    """The board with another tab chosen, as a click on it does."""
    app.session_state[f"board_tab-{language}"] = label
    return app.run()


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
    supplies = {supply["item"]: supply for supply in summary["supplies"]}
    assert count_of(app, "Feuilles de film en stock") == supplies["film_sheet"]["on_hand"] == 5
    assert count_of(app, "Élastiques en stock") == supplies["elastic"]["on_hand"] == 0
    assert metrics(app)["Feuilles de film : jours restants"] == "—"
    errors = texts(app.error)
    assert "Feuilles de film : il en manque 3 pour honorer les commandes ouvertes" in errors
    assert "Élastiques : il en manque 8 pour honorer les commandes ouvertes" in errors
    grid = frame_with(app, "Dernier signe")
    assert grid["Imprimante"].tolist() == ["Prusa MK3S de Camille"]
    assert grid["Maker"].tolist() == ["Camille"]
    assert grid["État"].tolist() == ["Hors ligne"]
    assert "Fuseau horaire : heure de Paris (UTC" in texts(app.caption)
    assert app.selectbox(key="grid_state-fr").value == "all"
    assert app.selectbox(key="grid_state-fr").placeholder == "Choisissez un état"
    # Only the open tab is drawn: the queue, the orders and the charts wait for their tab.
    assert not [frame for frame in app.dataframe if "Rang" in frame.value.columns]
    assert not app.get("vega_lite_chart")

    queue = open_tab(app, "File d'attente des impressions")
    assert frame_with(queue, "Pièce")["Pièce"].tolist() == ["Renfort inférieur de visière"]
    assert "La prochaine tâche, sur 1 en attente." in texts(queue.caption)

    orders = frame_with(open_tab(app, "Commandes"), "Établissement")
    assert sorted(orders["Quantité"].tolist()) == [8, 1_500]
    assert set(orders["Établissement"]) == {"CH Abbeville"}

    trends = open_tab(app, "Tendances")
    assert len(trends.get("vega_lite_chart")) == 2
    assert "par tranche de 5 minutes" in texts(trends.caption)
    assert frame_with(trends, "Étape")["Étape"].tolist()[0] == "Imprimées"

    app.session_state["language"] = "en"  # as the sidebar's switch leaves it after a reload
    app.run()

    assert count_of(app, "Visors ordered") == 8
    assert metrics(app)["Hooks ordered"] == "1,500"
    assert "Elastic bands short for the open orders by 8" in texts(app.error)


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
