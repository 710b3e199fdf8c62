"""What the production board shows, computed from the service's answers: tiles, tables,
chart data and alert sentences. Pure functions of JSON and a language, so they are
tested without Streamlit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from babel.dates import format_skeleton

from dashboard.formatting import (
    format_age,
    format_count,
    format_date,
    format_datetime,
    format_decimal,
    local_timezone,
    parse_datetime,
)
from dashboard.i18n import translate

Json = dict[str, Any]

PRODUCTS = ("visor", "amicroche")
PRODUCT_KPI_PREFIX = {"visor": "visors", "amicroche": "hooks"}
PRINTER_STATES = ("idle", "printing", "paused", "awaiting_clear", "error", "offline")
# The domain's items and stages in production order (`Item` and `Stage` in
# orchestrator/domain/vocabulary.py): stock is listed this way, not alphabetically.
ITEM_ORDER = (
    "headband",
    "reinforcement",
    "amicroche",
    "film_sheet",
    "elastic",
    "filament_g",
    "visor",
)
STAGE_ORDER = (
    "on_hand",
    "at_maker",
    "collected",
    "qc_passed",
    "rejected",
    "assembled",
    "disinfected",
    "packed",
    "delivered",
    "quarantined",
)
PART_STAGES = ("at_maker", "collected", "qc_passed", "rejected")
GOODS_STAGES = ("assembled", "disinfected", "packed")
FUNNEL_STEPS = ("printed", "collected", "qc_passed", "assembled", "disinfected", "delivered")
ALERT_SEVERITY = {
    "printer_offline_during_job": "warning",
    "job_failed_twice": "error",
    "supply_short": "error",
    "supply_running_out": "warning",
    "order_late": "warning",
    "printer_cannot_print": "warning",
    "part_cannot_be_sliced": "error",
    "goods_in_quarantine": "warning",
    "defect_reported": "error",
    "filament_low": "warning",
}


@dataclass(frozen=True)
class Kpi:
    """One tile: `key` is stable across languages (the tile's container key)."""

    key: str
    label: str
    value: str
    help: str | None = None


@dataclass(frozen=True)
class Names:
    """What the board's tables name rather than number, in the reader's language."""

    parts: dict[str, str]
    products: dict[str, str]
    centres: dict[int, str]


# --- tiles ----------------------------------------------------------------------------


def product_kpis(summary: Json, language: str) -> list[Kpi]:
    lines = {line["item"]: line for line in summary["products"]}
    tiles = []
    for item in PRODUCTS:
        line = lines.get(item, {"ordered": 0, "delivered": 0, "remaining": 0})
        prefix = PRODUCT_KPI_PREFIX[item]
        for figure in ("ordered", "delivered", "remaining"):
            tiles.append(
                Kpi(
                    key=f"{prefix}-{figure}",
                    label=translate(language, f"kpi.{prefix}_{figure}"),
                    value=format_count(line[figure], language),
                )
            )
    return tiles


def printer_kpis(summary: Json, language: str) -> list[Kpi]:
    printers = summary["printers"]
    return [
        Kpi(
            key=f"printers-{figure.replace('_', '-')}",
            label=translate(language, f"kpi.printers_{figure}"),
            value=format_count(printers[figure], language),
        )
        for figure in ("online", "printing", "awaiting_clear", "offline")
    ]


def eta_note(note: str | None, language: str, held_back: Iterable[Json] | None = None) -> str:
    """Why an order has no forecast, in the reader's language (a dash if not said); an
    order held back by supplies names each, with how many are missing."""
    if note is None:
        return format_datetime(None, language)
    shortages = [
        translate(
            language,
            "eta_note.missing",
            item=translate(language, f"item.{shortage['item']}"),
            missing=format_count(shortage["missing"], language),
        )
        for shortage in held_back or ()
    ]
    if shortages:
        return translate(language, "eta_note.held_back", supplies=", ".join(shortages))
    return translate(language, f"eta_note.{note}")


def stage_totals(stock: Iterable[Json]) -> dict[str, int]:
    """Parts at each part stage, summed over parts; products at each goods stage.

    Assembling a visor also moves the headband, film sheet and elastic it used up to
    `assembled`: those are not counted as assembled products."""
    totals = dict.fromkeys((*PART_STAGES, *GOODS_STAGES), 0)
    for balance in stock:
        stage = balance["stage"]
        if stage in PART_STAGES or (stage in GOODS_STAGES and balance["item"] in PRODUCTS):
            totals[stage] += int(balance["quantity"])
    return totals


def stage_kpis(summary: Json, language: str) -> list[Kpi]:
    totals = stage_totals(summary["stock"])
    return [
        Kpi(
            key=f"stage-{stage.replace('_', '-')}",
            label=translate(language, f"kpi.stage_{stage}"),
            value=format_count(quantity, language),
        )
        for stage, quantity in totals.items()
    ]


def supply_kpis(summary: Json, language: str) -> list[Kpi]:
    """Two tiles a supply of the products' bills: on hand (what the open orders need, and
    lack, in its help) and days left at the last week's rate."""
    tiles = []
    for supply in summary["supplies"]:
        item = supply["item"]
        name = translate(language, f"item.{item}")
        needed = translate(
            language,
            "kpi.supply_needed_help",
            needed=format_count(supply["needed_for_open_orders"], language),
            missing=format_count(supply["missing"], language),
        )
        if supply["days_left"] is None:
            rate = translate(language, "kpi.supply_no_rate_help")
        else:
            rate = translate(
                language,
                "kpi.supply_rate_help",
                rate=format_decimal(supply["used_per_day"], language),
            )
        key = item.replace("_", "-")
        tiles += [
            Kpi(
                key=f"{key}-on-hand",
                label=translate(language, "kpi.supply_on_hand", item=name),
                value=format_count(supply["on_hand"], language),
                help=needed,
            ),
            Kpi(
                key=f"{key}-days-left",
                label=translate(language, "kpi.supply_days_left", item=name),
                value=format_decimal(supply["days_left"], language),
                help=rate,
            ),
        ]
    return tiles


# --- alerts ---------------------------------------------------------------------------


def alert_sentence(alert: Json, language: str, part_names: Mapping[str, str] | None = None) -> str:
    """The alert as a sentence in the reader's language, from its kind and params."""
    kind, params = alert["kind"], dict(alert.get("params") or {})
    if kind == "printer_offline_during_job":
        sentence = translate(language, f"alert.{kind}", **params)
    elif kind == "job_failed_twice":
        part = str(params.get("part"))
        sentence = translate(
            language,
            f"alert.{kind}",
            job_id=params.get("job_id"),
            part=(part_names or {}).get(part, part),
            failures=params.get("failures"),
        )
        if params.get("reason"):
            sentence += " " + translate(language, "alert.last_reason", reason=params["reason"])
        if params.get("flagged"):
            sentence += " " + translate(language, "alert.job_flagged")
    elif kind in ("supply_short", "supply_running_out"):
        item = str(params.get("item"))
        figures = {
            name: format_count(params.get(name), language)
            for name in ("on_hand", "needed", "missing")
        }
        for name in ("used_per_day", "days_left"):
            figures[name] = format_decimal(params.get(name), language)
        sentence = translate(
            language, f"alert.{kind}", item=translate(language, f"item.{item}"), **figures
        )
    elif kind in ("printer_cannot_print", "part_cannot_be_sliced"):
        sentence = unworkable_sentence(kind, params, language, part_names or {})
    elif kind == "order_late":
        filled = {
            "order_id": params.get("order_id"),
            "centre": params.get("centre") or "?",
            "quantity": format_count(params.get("quantity"), language),
            "needed_by": format_date(params.get("needed_by"), language),
            "eta": format_datetime(params.get("eta"), language),
        }
        key = "alert.order_late" if params.get("eta") else "alert.order_late_no_eta"
        sentence = translate(language, key, **filled)
    elif kind == "goods_in_quarantine":
        sentence = translate(
            language,
            f"alert.{kind}",
            quantity=format_count(params.get("quantity"), language),
            hold_id=params.get("hold_id"),
            reason=params.get("reason") or "",
        )
    elif kind == "filament_low":
        filled = {
            "maker": params.get("maker") or "?",
            "material": params.get("material"),
            "grams": format_count(params.get("grams"), language),
            "plates": format_count(params.get("plates") or 0, language),
            "short_grams": format_count(params.get("short_grams"), language),
        }
        sentence = translate(language, f"alert.{kind}", **filled)
        if params.get("short_grams"):
            sentence += " " + translate(language, "alert.filament_short", **filled)
    elif kind == "defect_reported":
        sentence = translate(
            language,
            f"alert.{kind}",
            batch_id=params.get("batch_id"),
            report_id=params.get("report_id"),
            text=params.get("text") or "",
        )
    else:
        shown = ", ".join(f"{name}={value}" for name, value in params.items())
        return translate(language, "alert.unknown", kind=kind, params=shown)
    if alert.get("since"):
        sentence += " " + translate(
            language, "alert.since", time=format_datetime(alert["since"], language)
        )
    return sentence


def unworkable_sentence(
    kind: str, params: Mapping[str, Any], language: str, part_names: Mapping[str, str]
) -> str:
    """A printer that cannot be given work, or a part no printer can slice: what, why (the
    service's reason code, in words) and when makerline tries again."""
    names = ", ".join(
        part_names.get(key, key) for key in str(params.get("parts") or "").split(", ") if key
    )
    reason = translate(language, f"slicing_problem.{params.get('reason')}")
    if kind == "part_cannot_be_sliced":
        part = str(params.get("part"))
        sentence = translate(
            language, f"alert.{kind}", part=part_names.get(part, part), reason=reason
        )
    else:
        key = "alert.printer_cannot_print_parts" if names else "alert.printer_cannot_print"
        sentence = translate(
            language,
            key,
            printer=params.get("printer"),
            printer_id=params.get("printer_id"),
            maker=params.get("maker") or "?",
            parts=names,
            reason=reason,
        )
    if params.get("retry_at"):
        sentence += " " + translate(
            language, "alert.retry_at", time=format_datetime(params["retry_at"], language)
        )
    return sentence


# --- funnel and throughput ------------------------------------------------------------


def bar_said(label: str, series: str, quantity: int, language: str) -> str:
    """What a screen reader says of one bar of a chart: "Imprimées, visières : 143"."""
    return translate(
        language,
        "chart.bar_said",
        label=label,
        series=series,
        quantity=format_count(quantity, language),
    )


def funnel_frame(summary: Json, language: str) -> pd.DataFrame:
    """One row per (step, product), steps in flow order, with what each bar says."""
    counts = {(row["item"], row["step"]): int(row["quantity"]) for row in summary["funnel"]}
    rows = []
    for index, step in enumerate(FUNNEL_STEPS):
        for product in PRODUCTS:
            step_name = translate(language, f"funnel.{step}")
            product_name = translate(language, f"product.{product}")
            quantity = counts.get((product, step), 0)
            rows.append(
                {
                    "order": index,
                    "step": step_name,
                    "product": product_name,
                    "quantity": quantity,
                    "said": bar_said(step_name, product_name, quantity, language),
                }
            )
    return pd.DataFrame(rows, columns=["order", "step", "product", "quantity", "said"])


def funnel_table(summary: Json, language: str) -> pd.DataFrame:
    """Steps down, products across: the funnel as a reader scans it, its counts written
    the locale's way (8 500)."""
    frame = funnel_frame(summary, language)
    frame["quantity"] = [format_count(quantity, language) for quantity in frame["quantity"]]
    table = frame.pivot(index=["order", "step"], columns="product", values="quantity")
    products = [translate(language, f"product.{product}") for product in PRODUCTS]
    table = table.reset_index().drop(columns="order")[["step", *products]]
    table.columns.name = None
    return table.rename(columns={"step": translate(language, "col.step")})


def bar_width_words(minutes: int, language: str) -> str:
    """The throughput bars' width as the chart's caption says it: "par tranche de
    5 minutes", "heure par heure"."""
    if minutes % (24 * 60) == 0:
        return translate(language, "board.bars.days", count=minutes // (24 * 60))
    if minutes % 60 == 0:
        return translate(language, "board.bars.hours", count=minutes // 60)
    return translate(language, "board.bars.minutes", count=minutes)


def throughput_frame(summary: Json, language: str) -> pd.DataFrame:
    """Long form for a chart: each bar's label (its local start: the time of day, with
    the day when the window spans several), the series' name, the quantity, and what
    the bar says to a screen reader."""
    zone = local_timezone()
    starts = [parse_datetime(bar["start"]) for bar in summary["throughput"]]
    local = [start.astimezone(zone) for start in starts if start is not None]
    whole_days = summary["throughput_bar_minutes"] % (24 * 60) == 0
    one_day = len({moment.date() for moment in local}) <= 1
    rows = []
    for bar, moment in zip(summary["throughput"], local, strict=True):
        day = format_skeleton("dMMM", moment, locale=language)
        label = day if whole_days else f"{moment:%H:%M}" if one_day else f"{day} {moment:%H:%M}"
        for series in ("printed", "delivered"):
            series_name = translate(language, f"series.{series}")
            quantity = int(bar[series])
            rows.append(
                {
                    "bar": label,
                    "series": series_name,
                    "quantity": quantity,
                    "said": bar_said(label, series_name, quantity, language),
                }
            )
    return pd.DataFrame(rows, columns=["bar", "series", "quantity", "said"])


# --- tables ---------------------------------------------------------------------------


# The printer grid's columns and their widths in pixels: together about 900, what a
# 1366-pixel laptop screen leaves beside the sidebar; the job, the longest text, gets
# the most.
PRINTER_GRID_WIDTHS = {
    "printer": 150,
    "maker": 140,
    "state": 130,
    "progress": 105,
    "job": 210,
    "last_seen": 95,
    "material": 70,
}


def printer_grid_frame(
    grid: Json, language: str, now: datetime, part_names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row a printer, by name, with its maker's name and its job's part."""
    rows = []
    for row in grid["rows"]:
        rows.append(
            {
                "printer": row["name"],
                "maker": row["maker_name"],
                "state": printer_state_words(row["state"], bool(row.get("paused")), language),
                "progress": row["progress"],
                "job": job_label(row.get("job_id"), row.get("part_key"), language, part_names),
                "last_seen": format_age(row.get("last_seen_at"), now, language),
                "material": row["material"],
            }
        )
    return pd.DataFrame(rows, columns=list(PRINTER_GRID_WIDTHS))


def printer_state_words(state: str, paused: bool, language: str) -> str:
    """A printer's state as the grid says it: "Disponible", or, under a pause its maker
    set, "Disponible · en pause, sans nouvelle tâche"."""
    words = translate(language, f"printer_state.{state}")
    return translate(language, "printer_state.under_pause", state=words) if paused else words


def job_label(
    job_id: int | None,
    part_key: str | None,
    language: str,
    part_names: Mapping[str, str] | None = None,
) -> str:
    """A job as the reader knows it: its part's name and its number ("" for none)."""
    if job_id is None:
        return ""
    part = (part_names or {}).get(part_key or "", part_key or "")
    return translate(language, "board.job_label", part=part, job_id=job_id)


def queue_frame(
    jobs: list[Json], language: str, part_names: Mapping[str, str], first_position: int = 1
) -> pd.DataFrame:
    columns = ["position", "job", "part", "copies", "order", "needed_by", "attempts", "flagged"]
    rows = [
        {
            "position": first_position + index,
            "job": job["id"],
            "part": part_names.get(job["part_key"], job["part_key"]),
            "copies": job["copies"],
            "order": job.get("order_id"),
            "needed_by": format_date(job.get("needed_by"), language),
            "attempts": job["attempts"],
            "flagged": bool(job.get("flagged")),
        }
        for index, job in enumerate(jobs)
    ]
    return pd.DataFrame(rows, columns=columns)


def order_frame(
    orders: list[Json],
    language: str,
    product_names: Mapping[str, str],
    centre_names: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """Orders with their forecast and late flag; the centre's column only when known."""
    columns = ["order", "centre", "product", "quantity", "delivered", "remaining"]
    columns += ["needed_by", "eta", "late", "status", "urgency"]
    rows = []
    for order in orders:
        centre_id = order["health_centre_id"]
        rows.append(
            {
                "order": order["id"],
                "centre": (centre_names or {}).get(centre_id, str(centre_id)),
                "product": product_names.get(order["product_key"], order["product_key"]),
                "quantity": order["quantity"],
                "delivered": order["delivered"],
                "remaining": order["remaining"],
                "needed_by": format_date(order["needed_by"], language),
                "eta": format_datetime(order.get("eta"), language)
                if order.get("eta")
                else eta_note(order.get("eta_note"), language, order.get("held_back")),
                "late": bool(order.get("late")),
                "status": translate(language, f"order_status.{order['status']}"),
                "urgency": translate(language, f"urgency.{order['urgency']}"),
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    return frame if centre_names is not None else frame.drop(columns="centre")


def in_production_order(stock: Iterable[Json]) -> list[Json]:
    """Balances by item, then by stage, in the order of production (unknown ones last)."""

    def rank(order: tuple[str, ...], name: str) -> int:
        return order.index(name) if name in order else len(order)

    return sorted(
        stock,
        key=lambda b: (rank(ITEM_ORDER, b["item"]), rank(STAGE_ORDER, b["stage"])),
    )


def stock_frame(stock: list[Json], language: str) -> pd.DataFrame:
    """Stock by item and stage, in the order of production."""
    rows = [
        {
            "item": translate(language, f"item.{balance['item']}")
            + (f" {balance['material']}" if balance.get("material") else ""),
            "stage": translate(language, f"stage.{balance['stage']}"),
            "quantity": balance["quantity"],
        }
        for balance in in_production_order(stock)
    ]
    return pd.DataFrame(rows, columns=["item", "stage", "quantity"])


def column_labels(language: str, names: Iterable[str]) -> dict[str, str]:
    """Translated headers for a frame's columns (`col.<name>`)."""
    return {name: translate(language, f"col.{name}") for name in names}


def with_headers(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """The frame with its columns named in the reader's language."""
    return frame.rename(columns=column_labels(language, frame.columns))


def product_names(products: list[Json], language: str) -> dict[str, str]:
    """Product key -> its name in the reader's language."""
    field = "name_fr" if language == "fr" else "name_en"
    return {product["key"]: product[field] or product["key"] for product in products}


def part_names(parts: list[Json], language: str) -> dict[str, str]:
    field = "name_fr" if language == "fr" else "name_en"
    return {part["key"]: part[field] or part["key"] for part in parts}
