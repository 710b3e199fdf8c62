"""The board's views: stock in production order, the throughput chart's bars labelled in
the fab-lab's time zone, and the printer grid by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard import board_views
from dashboard.i18n import FRENCH
from orchestrator.domain.vocabulary import Item, Stage


def test_the_boards_order_of_production_is_the_domains() -> None:
    assert tuple(Item) == board_views.ITEM_ORDER
    assert tuple(Stage) == board_views.STAGE_ORDER


def test_stock_is_listed_in_production_order_not_alphabetically() -> None:
    stock = [
        {"item": "visor", "stage": "delivered", "quantity": 3},
        {"item": "headband", "stage": "rejected", "quantity": 1},
        {"item": "visor", "stage": "assembled", "quantity": 5},
        {"item": "headband", "stage": "collected", "quantity": 8},
        {"item": "headband", "stage": "at_maker", "quantity": 12},
        {"item": "film_sheet", "stage": "on_hand", "quantity": 40},
    ]

    frame = board_views.stock_frame(stock, "fr")

    assert list(zip(frame["item"], frame["stage"], strict=True)) == [
        ("Serre-têtes", "Chez les makers"),
        ("Serre-têtes", "Collectées"),
        ("Serre-têtes", "Rejetées"),
        ("Feuilles de film", "En stock"),
        ("Visières", "Assemblées"),
        ("Visières", "Livrées"),
    ]


def summary_with_bars(first: datetime, minutes: int, count: int) -> dict:
    return {
        "throughput_bar_minutes": minutes,
        "throughput": [
            {
                "start": (first + index * timedelta(minutes=minutes)).isoformat(),
                "printed": index,
                "delivered": 0,
            }
            for index in range(count)
        ],
    }


@pytest.mark.parametrize(
    ("first", "minutes", "count", "labels"),
    [
        # Within a day: the time of day, in Paris (UTC+1 in November).
        (datetime(2026, 11, 30, 15, 0, tzinfo=UTC), 5, 3, ["16:00", "16:05", "16:10"]),
        # Across midnight: the day too.
        (
            datetime(2026, 11, 30, 22, 0, tzinfo=UTC),
            60,
            2,
            ["30 nov. 23:00", "1 déc. 00:00"],
        ),
        # Whole days: the day alone.
        (datetime(2026, 11, 28, 0, 0, tzinfo=UTC), 1440, 2, ["28 nov.", "29 nov."]),
    ],
)
def test_throughput_bars_are_labelled_by_their_local_start(
    monkeypatch: pytest.MonkeyPatch,
    first: datetime,
    minutes: int,
    count: int,
    labels: list[str],
) -> None:
    monkeypatch.setenv("MAKERLINE_TIMEZONE", "Europe/Paris")

    frame = board_views.throughput_frame(summary_with_bars(first, minutes, count), "fr")

    assert list(dict.fromkeys(frame["bar"])) == labels
    assert set(frame["series"]) == {"Pièces imprimées", "Produits livrés"}
    assert frame[frame["series"] == "Pièces imprimées"]["quantity"].tolist() == list(range(count))


def test_the_bars_width_is_said_in_words() -> None:
    assert board_views.bar_width_words(5, "fr") == "par tranche de 5 minutes"
    assert board_views.bar_width_words(60, "fr") == "heure par heure"
    assert board_views.bar_width_words(180, "fr") == "par tranche de 3 heures"
    assert board_views.bar_width_words(1440, "fr") == "jour par jour"
    assert board_views.bar_width_words(15, "en") == "per 15 minutes"


def test_the_printer_grid_names_printers_makers_and_parts() -> None:
    row = {
        "printer_id": 7,
        "name": "Ender 3",
        "maker_id": 1,
        "maker_name": "Julien",
        "material": "PETG",
        "bed_x_mm": 220.0,
        "bed_y_mm": 220.0,
        "state": "printing",
        "progress": 42.0,
        "job_id": 12,
        "part_key": "reinforcement",
        "last_seen_at": None,
        "offline_since": None,
    }
    idle = row | {"printer_id": 8, "name": "Voron", "job_id": None, "part_key": None}
    grid = {"total": 2, "rows": [row, idle]}
    now = datetime(2020, 4, 20, 10, 3, tzinfo=UTC)

    french = board_views.printer_grid_frame(grid, "fr", now, {"reinforcement": "Renfort"})
    english = board_views.printer_grid_frame(grid, "en", now)

    assert list(french.columns) == list(board_views.PRINTER_GRID_WIDTHS)
    assert french["printer"].tolist() == ["Ender 3", "Voron"]
    assert french["job"].tolist() == ["Renfort (n° 12)", ""]
    assert english["job"].tolist() == ["reinforcement (no. 12)", ""]
    assert english["last_seen"].tolist() == ["never", "never"]
    on_holiday = board_views.printer_grid_frame({"rows": [idle | {"paused": True}]}, "fr", now)
    assert on_holiday["state"].tolist() == [
        f"{FRENCH['printer_state.printing']} · en pause, sans nouvelle tâche"
    ]


def test_the_funnel_table_writes_its_counts_the_locales_way() -> None:
    summary = {"funnel": [{"item": "visor", "step": "printed", "quantity": 8_500}]}

    table = board_views.funnel_table(summary, "fr")

    assert list(table.columns) == ["Étape", "Visières", "Crochets AMICROCHE"]
    assert table.iloc[0].tolist() == ["Imprimées", "8\u202f500", "0"]
