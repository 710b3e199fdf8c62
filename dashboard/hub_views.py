"""Choices and tables for the hub's forms and the makers' and centres' pages: pure
functions of the service's answers and a language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

import pandas as pd

from dashboard.formatting import (
    format_age,
    format_count,
    format_datetime,
    format_decimal,
    format_size,
    local_timezone,
)
from dashboard.i18n import translate

Json = dict[str, Any]

SUPPLY_ITEMS = ("film_sheet", "elastic", "filament_g")
PRINTED_ITEMS = ("headband", "reinforcement", "amicroche")
MATERIALS = ("PETG", "PLA", "ABS", "ASA", "TPU")
ORIENTATIONS = ("flat",)
DISINFECTION_METHODS = ("alcohol_70", "bleach", "quaternary_ammonium", "uv", "heat")
URGENCIES = ("normal", "high", "critical")
CONNECTION_KINDS = ("agent", "octoprint-mqtt")


def item_label(item: str, language: str) -> str:
    return translate(language, f"item.{item}")


def order_label(
    order: Json, language: str, product_names: Mapping[str, str], centre_names: Mapping[int, str]
) -> str:
    return translate(
        language,
        "hub.order_label",
        id=order["id"],
        centre=centre_names.get(order["health_centre_id"], str(order["health_centre_id"])),
        outstanding=format_count(order["outstanding"], language),
        product=product_names.get(order["product_key"], order["product_key"]),
    )


def batch_label(batch: Json, language: str, product_names: Mapping[str, str]) -> str:
    return translate(
        language,
        "hub.batch_label",
        id=batch["id"],
        quantity=format_count(batch["quantity"], language),
        product=product_names.get(batch["product_key"], batch["product_key"]),
        date=format_datetime(batch["assembled_at"], language),
    )


def hand_in_label(hand_in: Json, language: str, maker_names: Mapping[int, str]) -> str:
    return translate(
        language,
        "hub.hand_in_label",
        id=hand_in["id"],
        maker=maker_names.get(hand_in["maker_id"], str(hand_in["maker_id"])),
        quantity=format_count(hand_in["quantity"], language),
        item=item_label(hand_in["item"], language),
        date=format_datetime(hand_in["declared_at"], language),
    )


def maker_label(maker: Json) -> str:
    city = f" ({maker['city']})" if maker.get("city") else ""
    return f"{maker['display_name']}{city}"


def pending_hand_ins(hand_ins: list[Json]) -> list[Json]:
    return [hand_in for hand_in in hand_ins if not hand_in.get("collected_at")]


def batches_to_disinfect(batches: list[Json]) -> list[Json]:
    return [batch for batch in batches if not batch.get("disinfected_at")]


def orders_still_needing(orders: list[Json]) -> list[Json]:
    return [order for order in orders if order["status"] == "open" and order["outstanding"] > 0]


def disinfected_at(day: date, today: date) -> str | None:
    """What to send for a disinfection done on `day`: nothing for today (the service
    stamps the moment), noon local time for an earlier day."""
    if day >= today:
        return None
    return datetime.combine(day, time(12, 0), tzinfo=local_timezone()).isoformat()


def availability_window(start: time, end: time) -> str:
    """The service's 'HH:MM-HH:MM'; an end at midnight is written 24:00."""
    end_text = "24:00" if end == time(0, 0) else f"{end:%H:%M}"
    return f"{start:%H:%M}-{end_text}"


def trace_frame(trace: Json, language: str) -> pd.DataFrame:
    rows = [
        {
            "item": item_label(line["item"], language),
            "quantity": line["quantity"],
            "job": line.get("job_id"),
            "maker": line.get("maker_name") or "",
            "printer": line.get("printer_id"),
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
            "grams": part.get("grams"),
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
                "printer": f"{printer['name']} ({printer['id']})",
                "state": translate(language, f"printer_state.{status.get('state', 'offline')}"),
                "progress": status.get("progress"),
                "job": status.get("job_id") or "",
                "last_seen": format_age(status.get("last_seen_at"), now, language),
                "material": printer["material"],
                "nozzle": format_decimal(printer["nozzle_mm"], language),
                "bed": format_size(printer["bed_x_mm"], printer["bed_y_mm"], printer["bed_z_mm"]),
                "hours": printer["availability_hours"],
            }
        )
    columns = ["printer", "state", "progress", "job", "last_seen", "material", "nozzle", "bed"]
    return pd.DataFrame(rows, columns=[*columns, "hours"])


def printers_awaiting_clear(printers: list[Json], statuses: list[Json]) -> list[Json]:
    waiting = {s["printer_id"] for s in statuses if s.get("state") == "awaiting_clear"}
    return [printer for printer in printers if printer["id"] in waiting]


def job_frame(jobs: list[Json], language: str, part_names: Mapping[str, str]) -> pd.DataFrame:
    rows = [
        {
            "job": job["id"],
            "part": part_names.get(job["part_key"], job["part_key"]),
            "copies": job["copies"],
            "status": translate(language, f"job_status.{job['status']}"),
            "printer": job.get("printer_id"),
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


def delivery_frame(deliveries: list[Json], language: str) -> pd.DataFrame:
    rows = [
        {
            "id": delivery["id"],
            "order": delivery["order_id"],
            "quantity": delivery["quantity"],
            "delivered_at": format_datetime(delivery["delivered_at"], language),
            "received_at": format_datetime(delivery["received_at"], language)
            if delivery.get("received_at")
            else translate(language, "centre.to_confirm"),
            "note": delivery.get("note") or "",
        }
        for delivery in deliveries
    ]
    columns = ["id", "order", "quantity", "delivered_at", "received_at", "note"]
    return pd.DataFrame(rows, columns=columns)
