"""Choices and tables for the hub's forms and the makers' and centres' pages: pure
functions of the service's answers and a language."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from functools import cache
from typing import Any

import pandas as pd
from babel.dates import get_day_names
from babel.numbers import format_decimal as babel_decimal

from dashboard.formatting import (
    format_age,
    format_count,
    format_datetime,
    format_decimal,
    format_size,
    local_timezone,
)
from dashboard.i18n import FRENCH, translate

Json = dict[str, Any]

SUPPLY_ITEMS = ("film_sheet", "elastic", "filament_g")
PRINTED_ITEMS = ("headband", "reinforcement", "amicroche")
MATERIALS = ("PETG", "PLA", "ABS", "ASA", "TPU")
ORIENTATIONS = ("flat",)
DISINFECTION_METHODS = ("alcohol_70", "bleach", "quaternary_ammonium", "uv", "heat")
URGENCIES = ("normal", "high", "critical")
CONNECTION_KINDS = ("agent", "octoprint-mqtt")
NOZZLES_MM = (0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
ALWAYS = "00:00-24:00"
# Weekdays as Babel and the service count them, Monday = 0, and the service's day keys.
WEEKDAYS = tuple(range(7))
DAY_KEYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HOURS_MAX_LENGTH = 200  # the longest hours the service takes
EN_DASH = "\u2013"  # between the two days or the two times of a span
# The days a rule of weekly hours starts with, in the service's form ("Mo-Fr", "Sa,Su").
DAYS_OF_RULE = re.compile(r"^(?P<days>[A-Za-z]{2}(?:[-,][A-Za-z]{2})*)(?=\s)")


def item_label(item: str, language: str) -> str:
    return translate(language, f"item.{item}")


def goods(key: str, quantity: int, language: str, names: Mapping[str, str] | None = None) -> str:
    """A quantity of a product or item, in the plural it takes: "40 visières de protection",
    "1 crochet AMICROCHE". A product the catalogue has no unit for reads "3 <its name>"."""
    unit = f"unit.{key}"
    if unit in FRENCH:
        return translate(language, unit, count=quantity)
    name = (names or {}).get(key, key)
    return f"{format_count(quantity, language)} {name.lower()}"


def orientation_label(orientation: str, language: str) -> str:
    return translate(language, f"hub.orientation.{orientation}")


def nozzle_label(nozzle_mm: float, language: str) -> str:
    """A nozzle's diameter the locale's way: "0,4 mm" in French."""
    return translate(
        language, "maker.nozzle_option", size=babel_decimal(nozzle_mm, locale=language)
    )


def order_label(
    order: Json,
    language: str,
    product_names: Mapping[str, str],
    centre_names: Mapping[int, str],
    step: str,
) -> str:
    """An order as the packing (`step` "packing": what is left to pack) or the delivery
    form (`step` "delivery": what is packed for it) offers it."""
    quantity = order["remaining"] if step == "packing" else order["packed"]
    return translate(
        language,
        f"hub.order_to_{step}",
        id=order["id"],
        centre=centre_names.get(order["health_centre_id"], str(order["health_centre_id"])),
        goods=goods(order["product_key"], quantity, language, product_names),
    )


def batch_label(batch: Json, language: str, product_names: Mapping[str, str]) -> str:
    return translate(
        language,
        "hub.batch_label",
        id=batch["id"],
        goods=goods(batch["product_key"], batch["quantity"], language, product_names),
        date=format_datetime(batch["assembled_at"], language),
    )


def hand_in_label(hand_in: Json, language: str, maker_names: Mapping[int, str]) -> str:
    return translate(
        language,
        "hub.hand_in_label",
        id=hand_in["id"],
        maker=maker_names.get(hand_in["maker_id"], str(hand_in["maker_id"])),
        goods=goods(hand_in["item"], hand_in["quantity"], language),
        date=format_datetime(hand_in["declared_at"], language),
    )


def maker_label(maker: Json) -> str:
    city = f" ({maker['city']})" if maker.get("city") else ""
    return f"{maker['display_name']}{city}"


def pending_hand_ins(hand_ins: list[Json]) -> list[Json]:
    return [hand_in for hand_in in hand_ins if not hand_in.get("collected_at")]


def batches_to_disinfect(batches: list[Json]) -> list[Json]:
    return [batch for batch in batches if not batch.get("disinfected_at")]


def orders_to_pack(orders: list[Json]) -> list[Json]:
    return [order for order in orders if order["status"] == "open" and order["remaining"] > 0]


def orders_to_deliver(orders: list[Json]) -> list[Json]:
    return [order for order in orders if order["status"] == "open" and order["packed"] > 0]


def disinfected_at(day: date, today: date) -> str | None:
    """What to send for a disinfection done on `day`: nothing for today (the service
    stamps the moment), noon local time for an earlier day."""
    if day >= today:
        return None
    return datetime.combine(day, time(12, 0), tzinfo=local_timezone()).isoformat()


def availability_window(
    start: time,
    end: time,
    always: bool = False,
    days: Sequence[int] = WEEKDAYS,
    weekly: str = "",
) -> str:
    """The hours to send from the form: the weekly hours the maker typed, as typed (the
    service reads and normalises them); else '00:00-24:00' for `always`; else the window
    from `start` to `end` (an end at midnight written 24:00) on the chosen `days` (Monday
    = 0), with no day named when all seven or none are chosen."""
    if weekly.strip():
        return weekly.strip()
    if always:
        return ALWAYS
    end_text = "24:00" if end == time(0, 0) else f"{end:%H:%M}"
    window = f"{start:%H:%M}-{end_text}"
    chosen = sorted(set(days))
    if len(chosen) in (0, len(WEEKDAYS)):
        return window
    return f"{','.join(DAY_KEYS[day] for day in chosen)} {window}"


def availability_text(window: str, language: str, unattended: bool = False) -> str:
    """A printer's hours as a person reads them: "24 h/24" when they span the whole
    week, "de 20:00 à 08:00" for one window every day, else each rule of the weekly
    hours as `rule_text` writes it, with the days in the reader's language; then whether
    a print may run on past them, unattended."""
    rules = [rule.strip() for rule in window.split(";")]
    every_day = len(rules) == 1 and not DAYS_OF_RULE.match(rules[0])
    if every_day and whole_day(rules[0]):
        return translate(language, "availability.always")
    if every_day:
        text = daily_text(rules[0], language)
    else:
        separator = translate(language, "availability.rule_separator")
        text = separator.join(rule_text(rule, language) for rule in rules)
    return translate(language, "availability.unattended", window=text) if unattended else text


def whole_day(windows: str) -> bool:
    """Whether windows ("09:00-12:00,14:00-22:00") cover the whole day: 00:00-24:00, or
    a window with the same start and end."""
    spans = [span.partition("-") for span in windows.split(",")]
    return any(start == end or (start, end) == ("00:00", "24:00") for start, _, end in spans)


def daily_text(windows: str, language: str) -> str:
    """The same windows every day: "de 09:00 à 12:00, de 14:00 à 22:00" (what the app
    cannot read as a window is shown as it is)."""
    return ", ".join(
        translate(language, "availability.window", start=start, end=end) if dash else start
        for start, dash, end in (span.partition("-") for span in windows.split(","))
    )


def rule_text(rule: str, language: str) -> str:
    """One rule of weekly hours as a person reads it: "Mo-Fr 18:00-23:00,23:30-24:00"
    becomes "lun." + "ven." + " 18:00" + "23:00, 23:30" + "24:00", each + an en dash;
    a rule the app cannot read is shown as it is."""
    match = DAYS_OF_RULE.match(rule)
    days = match.group("days") if match else ""
    if not all(key in DAY_KEYS for key in re.split(r"[-,]", days) if key):
        return rule
    windows = ", ".join(span.replace("-", EN_DASH) for span in rule[len(days) :].strip().split(","))
    return f"{days_text(days, language)} {windows}" if days else windows


def days_text(days: str, language: str) -> str:
    """Days in the service's form ("Mo-Fr", "Sa,Su") in the reader's language, as
    Babel abbreviates them, a range joined by an en dash: "lun." + "ven.", "sam., dim."."""
    names = day_names(language)
    return ", ".join(
        EN_DASH.join(names[DAY_KEYS.index(key)] for key in span.split("-"))
        for span in days.split(",")
    )


@cache
def day_names(language: str) -> tuple[str, ...]:
    """The weekdays' abbreviated names, Monday first: "lun.", "mar."… or "Mon", "Tue"…"""
    names = get_day_names("abbreviated", locale=language)
    return tuple(names[day] for day in WEEKDAYS)


def day_label(day: int, language: str) -> str:
    """A weekday (Monday = 0) as a choice of the form: "lundi", "Monday"."""
    return get_day_names("wide", locale=language)[day]


def trace_frame(trace: Json, language: str) -> pd.DataFrame:
    rows = [
        {
            "item": item_label(line["item"], language),
            "quantity": line["quantity"],
            "job": line.get("job_id"),
            "maker": line.get("maker_name") or "",
            "printer": line.get("printer_name") or "",
        }
        for line in trace["parts"]
    ]
    return pd.DataFrame(rows, columns=["item", "quantity", "job", "maker", "printer"])


def part_frame(parts: list[Json], language: str) -> pd.DataFrame:
    name = "name_fr" if language == "fr" else "name_en"
    rows = [
        {
            "part": f"{part[name]} ({part['key']})",
            "item": item_label(part["bom_role"], language),
            "material": part["material"],
            "grams": format_decimal(part.get("grams"), language),
            "size": format_size(
                round(part["size_x_mm"] or 0),
                round(part["size_y_mm"] or 0),
                round(part["size_z_mm"] or 0),
            )
            if part.get("size_x_mm")
            else "",
        }
        for part in parts
    ]
    return pd.DataFrame(rows, columns=["part", "item", "material", "grams", "size"])


def my_printers_frame(
    printers: list[Json], statuses: list[Json], language: str, now: datetime
) -> pd.DataFrame:
    """A maker's printers with the last state each reported."""
    by_printer = {status["printer_id"]: status for status in statuses}
    rows = []
    for printer in printers:
        status = by_printer.get(printer["id"], {})
        rows.append(
            {
                "printer": printer["name"],
                "state": translate(language, f"printer_state.{status.get('state', 'offline')}"),
                "progress": status.get("progress"),
                "job": status.get("job_id") or "",
                "last_seen": format_age(status.get("last_seen_at"), now, language),
                "material": printer["material"],
                "nozzle": format_decimal(printer["nozzle_mm"], language),
                "bed": format_size(printer["bed_x_mm"], printer["bed_y_mm"], printer["bed_z_mm"]),
                "hours": availability_text(
                    printer["availability_hours"],
                    language,
                    unattended=bool(printer.get("unattended_prints")),
                ),
            }
        )
    columns = ["printer", "state", "progress", "job", "last_seen", "material", "nozzle", "bed"]
    return pd.DataFrame(rows, columns=[*columns, "hours"])


def printers_awaiting_clear(printers: list[Json], statuses: list[Json]) -> list[Json]:
    waiting = {s["printer_id"] for s in statuses if s.get("state") == "awaiting_clear"}
    return [printer for printer in printers if printer["id"] in waiting]


def job_frame(
    jobs: list[Json],
    language: str,
    part_names: Mapping[str, str],
    printer_names: Mapping[int, str],
) -> pd.DataFrame:
    """A maker's jobs, each on its printer by name."""
    rows = [
        {
            "job": job["id"],
            "part": part_names.get(job["part_key"], job["part_key"]),
            "copies": job["copies"],
            "status": translate(language, f"job_status.{job['status']}"),
            "printer": printer_names.get(job["printer_id"], "") if job.get("printer_id") else "",
            "attempts": job["attempts"],
            "created_at": format_datetime(job["created_at"], language),
            "done_at": format_datetime(job.get("done_at"), language),
        }
        for job in jobs
    ]
    columns = ["job", "part", "copies", "status", "printer", "attempts", "created_at", "done_at"]
    return pd.DataFrame(rows, columns=columns)


def hand_in_frame(hand_ins: list[Json], language: str) -> pd.DataFrame:
    rows = [
        {
            "id": hand_in["id"],
            "item": item_label(hand_in["item"], language),
            "quantity": hand_in["quantity"],
            "declared_at": format_datetime(hand_in["declared_at"], language),
            "collected_at": format_datetime(hand_in["collected_at"], language)
            if hand_in.get("collected_at")
            else translate(language, "maker.pending"),
            "note": hand_in.get("note") or "",
        }
        for hand_in in hand_ins
    ]
    columns = ["id", "item", "quantity", "declared_at", "collected_at", "note"]
    return pd.DataFrame(rows, columns=columns)


def delivery_heading(
    delivery: Json, language: str, product_names: Mapping[str, str] | None = None
) -> str:
    """ "Livraison n° 2 — 40 visières de protection": numbered among the centre's own."""
    return translate(
        language,
        "centre.delivery.heading",
        number=delivery["number"],
        goods=goods(delivery["product_key"], delivery["quantity"], language, product_names),
    )


def delivery_details(delivery: Json, language: str) -> str:
    """When it was delivered, for which order, from which batches."""
    batches = ", ".join(
        translate(
            language,
            "centre.delivery.batch",
            batch=line["batch_id"],
            quantity=format_count(line["quantity"], language),
        )
        for line in delivery.get("batches") or []
    )
    return translate(
        language,
        "centre.delivery.details",
        date=format_datetime(delivery["delivered_at"], language),
        order=delivery["order_id"],
        batches=batches or "—",
    )


def deliveries_to_confirm(deliveries: list[Json]) -> list[Json]:
    """The deliveries still waiting for the centre's confirmation, newest first."""
    return [d for d in reversed(deliveries) if not d.get("received_at")]


def deliveries_received(deliveries: list[Json]) -> list[Json]:
    """The deliveries the centre confirmed, newest first."""
    return [d for d in reversed(deliveries) if d.get("received_at")]
