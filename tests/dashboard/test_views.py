"""The app's pure core: translations, French formatting, alert sentences, tiles,
idempotency keys and error messages, without Streamlit or a service."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dashboard import board_views, hub_views
from dashboard.account import pages_for_role
from dashboard.client import ApiError, error_sentence, readable_detail
from dashboard.formatting import (
    format_count,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    parse_count,
    parse_decimal,
    timezone_label,
)
from dashboard.forms import DOUBLE_SUBMIT_SECONDS, SubmissionKeys
from dashboard.i18n import ENGLISH, FRENCH, Message, translate
from orchestrator.domain.eta import NoEta
from orchestrator.domain.vocabulary import Channel, MessageKind, OutboxStatus
from orchestrator.parts.slicing import SlicingProblem

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
LITERAL_KEY = re.compile(r"""\bt(?:ranslate)?\((?:language,\s*)?["']([a-z_]+\.[a-z0-9_.-]+)["']""")


def placeholders(message: Message) -> set[str]:
    """The blanks of a sentence, or of all the plural forms of one."""
    forms = [message] if isinstance(message, str) else list(message.values())
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def test_french_and_english_say_the_same_things_with_the_same_blanks() -> None:
    assert FRENCH.keys() == ENGLISH.keys()
    for key, french in FRENCH.items():
        assert placeholders(french) == placeholders(ENGLISH[key]), key


def test_every_sentence_the_code_asks_for_exists() -> None:
    used = {
        key for source in DASHBOARD.rglob("*.py") for key in LITERAL_KEY.findall(source.read_text())
    }
    vocabularies = [
        ("item", [*hub_views.SUPPLY_ITEMS, *hub_views.PRINTED_ITEMS, "visor"]),
        ("printer_state", board_views.PRINTER_STATES),
        ("funnel", board_views.FUNNEL_STEPS),
        ("product", board_views.PRODUCTS),
        ("method", hub_views.DISINFECTION_METHODS),
        ("urgency", hub_views.URGENCIES),
        ("connection", hub_views.CONNECTION_KINDS),
        ("role", ["coordinator", "maker", "health_centre"]),
        ("order_status", ["open", "delivered", "received", "cancelled"]),
        ("alert", list(board_views.ALERT_SEVERITY)),
        ("eta_note", list(NoEta)),  # the service's codes, each with its sentence
        ("slicing_problem", list(SlicingProblem)),
        ("message_kind", list(MessageKind)),  # each kind of message has its label
        ("channel", list(Channel)),
        ("outbox_status", list(OutboxStatus)),
    ]
    used |= {f"{prefix}.{word}" for prefix, words in vocabularies for word in words}
    assert len(used) > 150
    assert sorted(used - FRENCH.keys()) == []


def test_numbers_and_dates_read_the_french_way() -> None:
    assert format_count(1700, "fr") == "1\u202f700"
    assert format_count(1700, "en") == "1,700"
    assert format_decimal(12.5, "fr") == "12,5"
    assert format_decimal(1234.5, "en") == "1,234.5"
    assert format_decimal(None, "fr") == "—"
    assert parse_count("1\u202f700") == parse_count("1,700") == 1700
    assert parse_count("17") == 17
    with pytest.raises(ValueError, match="not a count"):
        parse_count("4,7")
    assert parse_decimal(format_decimal(1204.5, "fr"), "fr") == 1204.5
    assert parse_decimal(format_decimal(1204.5, "en"), "en") == 1204.5
    assert parse_decimal("—", "fr") is None
    assert format_date("2020-04-20", "fr") == "20/04/2020"
    assert format_date(date(2020, 4, 20), "en") == "20 Apr 2020"


def test_decimals_percentages_and_times_follow_the_locale_in_the_named_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAKERLINE_TIMEZONE", "Europe/Paris")
    assert format_decimal(220, "fr", digits=2) == "220,00"
    assert format_decimal(220, "en", digits=2) == "220.00"
    assert format_decimal(1700.25, "fr", digits=0) == "1\u202f700"
    assert format_percent(0.5, "fr") == "50\u00a0%"
    assert format_percent(0.125, "en", digits=1) == "12.5%"
    # 12:05 UTC is 14:05 in Paris in April (summer time), 13:05 in January.
    assert format_datetime("2020-04-20T12:05:00Z", "fr") == "20/04/2020 14:05"
    assert format_datetime("2020-01-20T12:05:00+00:00", "en") == "20 Jan 2020 13:05"
    assert format_time("2020-04-20T12:05:03Z") == "14:05:03"
    assert timezone_label("fr").startswith("heure de Paris (UTC+")
    assert timezone_label("en").startswith("Paris time (UTC+")
    monkeypatch.setenv("MAKERLINE_TIMEZONE", "America/Montreal")
    assert format_datetime("2020-04-20T12:05:00Z", "fr") == "20/04/2020 08:05"
    assert timezone_label("fr").endswith("(UTC\u22124)") or timezone_label("fr").endswith(
        "(UTC\u22125)"
    )


def test_plurals_follow_the_languages_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    visors = {"one": "{count} visière", "other": "{count} visières"}
    monkeypatch.setitem(FRENCH, "test.visors", visors)
    monkeypatch.setitem(ENGLISH, "test.visors", {"one": "{count} visor", "other": "{count} visors"})
    assert translate("fr", "test.visors", count=1) == "1 visière"
    assert translate("fr", "test.visors", count=0) == "0 visière"  # French: 0 is singular
    assert translate("fr", "test.visors", count=40) == "40 visières"
    assert translate("fr", "test.visors", count=1700) == "1\u202f700 visières"
    assert translate("en", "test.visors", count=0) == "0 visors"
    assert translate("en", "test.visors", count=1) == "1 visor"
    assert translate("en", "test.visors", count=1700) == "1,700 visors"
    # A million is "many" in French's rules: without that form, "other" speaks for it.
    assert translate("fr", "test.visors", count=1_000_000) == "1\u202f000\u202f000 visières"


def test_alerts_become_sentences_in_the_readers_language() -> None:
    shortfall = {
        "kind": "supply_short",
        "subject": "supply:film_sheet",
        "params": {"item": "film_sheet", "on_hand": 5, "needed": 1200, "missing": 1195},
    }
    running_out = {
        "kind": "supply_running_out",
        "subject": "supply:elastic",
        "params": {"item": "elastic", "on_hand": 40, "used_per_day": 12.5, "days_left": 3.2},
    }
    late = {
        "kind": "order_late",
        "subject": "order:3",
        "params": {
            "order_id": 3,
            "centre": "EHPAD Les Jardins",
            "quantity": 200,
            "needed_by": "2020-04-20",
            "eta": "2020-04-22T08:00:00+00:00",
        },
    }
    failed = {
        "kind": "job_failed_twice",
        "subject": "job:9",
        "params": {"job_id": 9, "part": "headband", "failures": 2, "reason": None, "flagged": True},
    }

    assert board_views.alert_sentence(shortfall, "fr") == (
        "Feuilles de film : il en manque 1\u202f195 pour honorer les commandes ouvertes "
        "(5 en stock, 1\u202f200 nécessaires)."
    )
    assert board_views.alert_sentence(running_out, "en") == (
        "Elastic bands run out in 3.2 days at the current rate (40 on hand, 12.5 used a day)."
    )
    assert "attendue le 20/04/2020, livraison prévue le 22/04/2020 10:00" in (
        board_views.alert_sentence(late, "fr")
    )
    assert board_views.alert_sentence(failed, "en", {"headband": "Headband"}) == (
        "Job no. 9 (Headband) failed 2 times. It is waiting for a person to look at it."
    )
    unknown = {"kind": "printer_on_fire", "subject": "x", "params": {"printer_id": 4}}
    assert board_views.alert_sentence(unknown, "en") == "Alert printer_on_fire: printer_id=4"


def test_a_printer_without_work_and_a_part_none_can_slice_read_as_sentences() -> None:
    refused = {
        "kind": "printer_cannot_print",
        "subject": "printer:12",
        "params": {
            "printer": "Prusa MINI",
            "printer_id": 12,
            "maker": "Camille",
            "reason": "slicer_failed",
            "parts": "headband, reinforcement",
            "retry_at": "2020-04-02T09:01:00+00:00",
        },
        "since": "2020-04-02T09:00:00+00:00",
    }
    tiny = {
        "kind": "printer_cannot_print",
        "subject": "printer:13",
        "params": {"printer": "Tiny", "printer_id": 13, "maker": "Julien"}
        | {"reason": "bed_too_small", "parts": None, "retry_at": None},
    }
    missing = {
        "kind": "part_cannot_be_sliced",
        "subject": "part:amicroche",
        "params": {"part": "amicroche", "reason": "stl_missing", "retry_at": None},
    }
    names = {"headband": "Serre-tête", "reinforcement": "Renfort", "amicroche": "AMICROCHE"}

    assert board_views.alert_sentence(refused, "fr", names) == (
        "L'imprimante « Prusa MINI » (n° 12) de Camille ne peut pas imprimer Serre-tête, "
        "Renfort : PrusaSlicer a refusé ses réglages ou s'est arrêté en erreur. Nouvel essai "
        "vers 02/04/2020 11:01. Depuis le 02/04/2020 11:00."
    )
    assert board_views.alert_sentence(tiny, "en") == (
        "Printer “Tiny” (no. 13) of Julien cannot be given work: its bed is too small for "
        "every part."
    )
    assert board_views.alert_sentence(missing, "en", {"amicroche": "AMICROCHE hook"}) == (
        "Part AMICROCHE hook cannot be sliced for any printer: its STL file is missing on the "
        "server; upload it again under a new key."
    )
    assert board_views.ALERT_SEVERITY["part_cannot_be_sliced"] == "error"


def test_tiles_have_stable_keys_and_labels_in_each_language() -> None:
    summary = {
        "products": [
            {"item": "visor", "ordered": 1700, "packed": 0, "delivered": 300, "remaining": 1400}
        ],
        "printers": {"online": 3, "printing": 2, "awaiting_clear": 1, "offline": 4},
        "stock": [
            {"item": "headband", "stage": "at_maker", "quantity": 10, "material": None},
            {"item": "amicroche", "stage": "at_maker", "quantity": 5, "material": None},
            {"item": "visor", "stage": "packed", "quantity": 7, "material": None},
        ],
    }
    french = board_views.product_kpis(summary, "fr") + board_views.stage_kpis(summary, "fr")
    english = board_views.product_kpis(summary, "en") + board_views.stage_kpis(summary, "en")

    assert [tile.key for tile in french] == [tile.key for tile in english]
    assert len({tile.label for tile in french}) == len(french)
    values = {tile.key: tile.value for tile in french}
    assert values["visors-ordered"] == "1\u202f700"
    assert values["hooks-ordered"] == "0"
    assert values["stage-at-maker"] == "15"
    assert values["stage-packed"] == "7"


def test_a_form_keeps_its_key_until_accepted_and_a_quick_second_click_repeats_it() -> None:
    keys = SubmissionKeys()
    first, repeated = keys.key_for("donation of 100", now=0.0)
    assert not repeated
    assert keys.key_for("donation of 100", now=1.0) == (first, False)  # refused: try again

    keys.accept(first, "donation of 100", now=2.0)

    assert keys.key_for("donation of 100", now=3.0) == (first, True)
    fresh, repeated = keys.key_for("donation of 200", now=3.0)
    assert fresh != first and not repeated
    later = 2.0 + DOUBLE_SUBMIT_SECONDS + 1
    assert keys.key_for("donation of 100", now=later) == (fresh, False)


def test_the_services_errors_read_as_sentences() -> None:
    assert readable_detail({"detail": "Not enough film."}, "x") == "Not enough film."
    validation = {
        "detail": [
            {"loc": ["body", "quantity"], "msg": "Input should be greater than 0"},
            {"loc": ["query", "limit"], "msg": "Field required"},
        ]
    }
    assert readable_detail(validation, "x") == (
        "quantity: Input should be greater than 0\nquery.limit: Field required"
    )
    assert readable_detail(None, "Bad Gateway") == "Bad Gateway"


def test_the_services_refusals_read_in_the_readers_language() -> None:
    duplicate = ApiError.from_body(
        409,
        {
            "detail": "This looks like a duplicate: order #7 ...",
            "code": "duplicate_order",
            "params": {
                "order": 1204,
                "quantity": 1500,
                "product": "visor",
                "placed_at": "2020-04-20T12:05:00Z",
            },
        },
        "Conflict",
    )
    assert error_sentence(duplicate, "fr").startswith(
        "Cette commande ressemble à un doublon : la commande n° 1204 (Visières, quantité "
        "1\u202f500) a été passée le 20/04/2020 14:05."
    )
    assert "order 1204 (Visors, quantity 1,500)" in error_sentence(duplicate, "en")
    stock = ApiError(
        409,
        "Not enough ...",
        "not_enough_stock",
        {"item": "elastic", "stage": "on_hand", "needed": 40, "available": 3},
    )
    assert error_sentence(stock, "fr").startswith(
        "Pas assez de « Élastiques » à l'étape « En stock » : il en faut 40, il y en a 3."
    )
    invalid = ApiError.from_body(
        422,
        {
            "detail": [
                {
                    "loc": ["body", "quantity"],
                    "msg": "...",
                    "type": "greater_than",
                    "ctx": {"gt": 0},
                },
                {"loc": ["body", "needed_by"], "msg": "...", "type": "missing", "ctx": {}},
                {"loc": ["body", "urgency"], "msg": "...", "type": "enum"},
            ],
            "code": "invalid_fields",
            "params": {},
        },
        "x",
    )
    assert error_sentence(invalid, "fr").splitlines() == [
        "Certains champs ne sont pas valables :",
        "Quantité : doit être supérieur à 0",
        "Pour le : à remplir",
        "Urgence : n'est pas un des choix proposés",
    ]
    newer = ApiError(409, "Something the app does not know yet.", "printer_on_fire", {})
    assert error_sentence(newer, "fr") == "Le stock ou l'état actuel ne le permet pas."
    older = ApiError(500, "Internal Server Error")
    assert error_sentence(older, "fr") == "Le service n'a pas pu traiter la demande."


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("coordinator", ["board", "hub", "quarantine", "messages", "notifications"]),
        ("maker", ["maker", "notifications"]),
        ("health_centre", ["centre", "notifications"]),
        (None, ["login"]),
        ("someone_else", ["login"]),
    ],
)
def test_each_role_has_its_own_pages(role: str | None, pages: list[str]) -> None:
    assert [page.name for page in pages_for_role(role)] == pages


def test_a_printer_page_shows_only_its_rows() -> None:
    grid = {
        "total": 1000,
        "rows": [
            {
                "printer_id": 7,
                "name": "Ender 3",
                "maker_id": 1,
                "maker_name": "Julien",
                "material": "PETG",
                "bed_x_mm": 220.0,
                "bed_y_mm": 220.0,
                "state": "awaiting_clear",
                "progress": 100.0,
                "job_id": 12,
                "part_key": "headband",
                "last_seen_at": "2020-04-20T10:00:00+00:00",
                "offline_since": None,
            }
        ],
    }
    now = datetime(2020, 4, 20, 10, 3, tzinfo=UTC)

    frame = board_views.printer_grid_frame(grid, "fr", now, {"headband": "Serre-tête"})

    assert frame.to_dict("records") == [
        {
            "printer": "Ender 3",
            "maker": "Julien",
            "state": "Plateau à libérer",
            "progress": 100.0,
            "job": "Serre-tête (n° 12)",
            "last_seen": "il y a 3 min",
            "material": "PETG",
        }
    ]
    assert translate("en", "grid.count", first=1, last=50, total="1,000") == (
        "Printers 1 to 50 of 1,000."
    )


def test_goods_stages_count_products_not_the_parts_they_used_up() -> None:
    stock = [
        {"item": "headband", "stage": "at_maker", "quantity": 7},
        {"item": "amicroche", "stage": "at_maker", "quantity": 30},
        {"item": "visor", "stage": "assembled", "quantity": 2},
        {"item": "headband", "stage": "assembled", "quantity": 2},
        {"item": "film", "stage": "assembled", "quantity": 2},
        {"item": "amicroche", "stage": "assembled", "quantity": 20},
        {"item": "film", "stage": "on_hand", "quantity": 40},
    ]
    totals = board_views.stage_totals(stock)
    assert (totals["at_maker"], totals["assembled"], totals["packed"]) == (37, 22, 0)
