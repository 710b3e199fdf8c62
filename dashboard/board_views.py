"""What the production board shows, computed from the service's answers: tiles, tables,
chart data and alert sentences. Pure functions of JSON and a language, so they are
tested without Streamlit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from dashboard.formatting import (
    format_age,
    format_count,
    format_date,
    format_datetime,
    format_decimal,
    format_size,
    local_timezone,
    parse_datetime,
)
from dashboard.i18n import translate

Json = dict[str, Any]

PRODUCTS = ("visor", "amicroche")
PRODUCT_KPI_PREFIX = {"visor": "visors", "amicroche": "hooks"}
PRINTER_STATES = ("idle", "printing", "paused", "awaiting_clear", "error", "offline")
PART_STAGES = ("at_maker", "collected", "qc_passed", "rejected")
GOODS_STAGES = ("assembled", "disinfected", "packed")
FUNNEL_STEPS = ("printed", "collected", "qc_passed", "assembled", "disinfected", "delivered")
ALERT_SEVERITY = {
    "printer_offline_during_job": "warning",
    "job_failed_twice": "error",
    "film_shortfall": "error",
    "order_late": "warning",
    "printer_cannot_print": "warning",
    "part_cannot_be_sliced": "error",
}


@dataclass(frozen=True)
class Kpi:
    """One tile: `key` is stable across languages (the tile's container key)."""

    key: str
    label: str
    value: str
    help: str | None = None


# --- tiles ----------------------------------------------------------------------------


def product_kpis(summary: Json, language: str) -> list[Kpi]:
    lines = {line["item"]: line for line in summary["products"]}
    tiles = []
    for item in PRODUCTS:
        line = lines.get(item, {"ordered": 0, "delivered": 0, "outstanding": 0})
        prefix = PRODUCT_KPI_PREFIX[item]
        for figure in ("ordered", "delivered", "outstanding"):
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


def eta_note(note: str | None, language: str) -> str:
    """Why an order has no forecast, in the reader's language (a dash if not said)."""
    if note is None:
        return format_datetime(None, language)
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


def film_kpis(summary: Json, language: str) -> list[Kpi]:
    film = summary["film"]
    needed = translate(
        language,
        "kpi.film_needed_help",
        needed=format_count(film["needed_for_open_orders"], language),
    )
    if film["days_left"] is None:
        rate = translate(language, "kpi.film_no_rate_help")
    else:
        rate = translate(
            language, "kpi.film_rate_help", rate=format_decimal(film["used_per_day"], language)
        )
    return [
        Kpi(
            key="film-on-hand",
            label=translate(language, "kpi.film_on_hand"),
            value=format_count(film["on_hand"], language),
            help=needed,
        ),
        Kpi(
            key="film-days-left",
            label=translate(language, "kpi.film_days_left"),
            value=format_decimal(film["days_left"], language),
            help=rate,
        ),
    ]


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
    elif kind == "film_shortfall":
        sentence = translate(
            language,
            f"alert.{kind}",
            **{name: format_count(params.get(name), language) for name in params},
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


def funnel_frame(summary: Json, language: str) -> pd.DataFrame:
    """One row per (step, product), steps in flow order."""
    counts = {(row["item"], row["step"]): int(row["quantity"]) for row in summary["funnel"]}
    rows = [
        {
            "order": index,
            "step": translate(language, f"funnel.{step}"),
            "product": translate(language, f"product.{product}"),
            "quantity": counts.get((product, step), 0),
        }
        for index, step in enumerate(FUNNEL_STEPS)
        for product in PRODUCTS
    ]
    return pd.DataFrame(rows, columns=["order", "step", "product", "quantity"])


def funnel_table(summary: Json, language: str) -> pd.DataFrame:
    """Steps down, products across: the funnel as a reader scans it."""
    frame = funnel_frame(summary, language)
    table = frame.pivot(index=["order", "step"], columns="product", values="quantity")
    products = [translate(language, f"product.{product}") for product in PRODUCTS]
    table = table.reset_index().drop(columns="order")[["step", *products]]
    table.columns.name = None
    return table.rename(columns={"step": translate(language, "col.step")})


def throughput_frame(summary: Json, language: str) -> pd.DataFrame:
    """Long form for a chart: the local hour, the series' name, the quantity."""
    zone = local_timezone()
    rows = []
    for bucket in summary["throughput"]:
        start = parse_datetime(bucket["start"])
        assert start is not None
        hour = start.astimezone(zone).replace(tzinfo=None)
        for series in ("printed", "delivered"):
            rows.append(
                {
                    "hour": hour,
                    "series": translate(language, f"series.{series}"),
                    "quantity": int(bucket[series]),
                }
            )
    return pd.DataFrame(rows, columns=["hour", "series", "quantity"])


# --- tables ---------------------------------------------------------------------------


def printer_grid_frame(grid: Json, language: str, now: datetime) -> pd.DataFrame:
    columns = ["printer", "maker", "state", "progress", "job", "last_seen", "material", "bed"]
    rows = []
    for row in grid["rows"]:
        job = f"{row['job_id']} · {row['part_key']}" if row.get("job_id") else ""
        rows.append(
            {
                "printer": f"{row['name']} (n° {row['printer_id']})"
                if language == "fr"
                else f"{row['name']} (no. {row['printer_id']})",
                "maker": row["maker_name"],
                "state": translate(language, f"printer_state.{row['state']}"),
                "progress": row["progress"],
                "job": job,
                "last_seen": format_age(row.get("last_seen_at"), now, language),
                "material": row["material"],
                "bed": format_size(row["bed_x_mm"], row["bed_y_mm"]),
            }
        )
    return pd.DataFrame(rows, columns=columns)


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
    columns = ["order", "centre", "product", "quantity", "delivered", "outstanding"]
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
                "outstanding": order["outstanding"],
                "needed_by": format_date(order["needed_by"], language),
                "eta": format_datetime(order.get("eta"), language)
                if order.get("eta")
                else eta_note(order.get("eta_note"), language),
                "late": bool(order.get("late")),
                "status": translate(language, f"order_status.{order['status']}"),
                "urgency": translate(language, f"urgency.{order['urgency']}"),
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    return frame if centre_names is not None else frame.drop(columns="centre")


def stock_frame(stock: list[Json], language: str) -> pd.DataFrame:
    rows = [
        {
            "item": translate(language, f"item.{balance['item']}")
            + (f" {balance['material']}" if balance.get("material") else ""),
            "stage": translate(language, f"stage.{balance['stage']}"),
            "quantity": balance["quantity"],
        }
        for balance in stock
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
