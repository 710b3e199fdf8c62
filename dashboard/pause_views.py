"""Pauses and holidays as a maker's page shows and asks them: pure, no Streamlit.

A volunteer thinks in days: "from Monday to Sunday", or "from now on". The page asks
for a first and a last day (both optional) and sends the moments the service keeps:
the first day's local midnight (now, when it is today or not given), and the midnight
after the last day (until resumed, when not given).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.formatting import DASH, format_datetime, parse_datetime
from dashboard.i18n import translate

ALL_PRINTERS = 0  # the choice that pauses every printer of the maker


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def pause_moments(
    first_day: date | None, last_day: date | None, today: date, zone: ZoneInfo
) -> tuple[str | None, str | None]:
    """(starts_at, ends_at) as the API takes them, ISO with the offset; None for "now"
    and for "until resumed"."""
    starts_at = None if first_day is None or first_day <= today else local_midnight(first_day, zone)
    ends_at = None if last_day is None else local_midnight(last_day + timedelta(days=1), zone)
    return (
        starts_at.isoformat() if starts_at else None,
        ends_at.isoformat() if ends_at else None,
    )


def pause_target(printer_id: int) -> dict[str, int]:
    """The request's target: one printer, or (nothing named) all the maker's."""
    return {} if printer_id == ALL_PRINTERS else {"printer_id": printer_id}


def paused_what(pause: dict[str, Any], printer_names: dict[int, str], language: str) -> str:
    """The printer a pause holds, or all the maker's."""
    if pause["printer_id"] is None:
        return translate(language, "pause.all_printers")
    return printer_names.get(pause["printer_id"], f"n° {pause['printer_id']}")


def pauses_frame(
    pauses: list[dict[str, Any]], printer_names: dict[int, str], language: str
) -> pd.DataFrame:
    """One row per pause: what it holds, from, until, why, and whether it holds now."""
    rows = [
        {
            "paused": paused_what(pause, printer_names, language),
            "from": format_datetime(pause["starts_at"], language),
            "until": (
                format_datetime(pause["ends_at"], language)
                if pause["ends_at"]
                else translate(language, "pause.until_resumed")
            ),
            "pause_reason": pause["reason"] or DASH,
            "pause_state": translate(language, "pause.now" if pause["active"] else "pause.to_come"),
        }
        for pause in pauses
    ]
    return pd.DataFrame(rows, columns=["paused", "from", "until", "pause_reason", "pause_state"])


def pause_label(pause: dict[str, Any], printer_names: dict[int, str], language: str) -> str:
    """The button that ends a pause: "Reprendre : Prusa de Camille" now, "Annuler : …" for
    one to come."""
    key = "pause.resume" if pause["active"] else "pause.cancel"
    return translate(
        language,
        key,
        what=paused_what(pause, printer_names, language),
        day=format_datetime(parse_datetime(pause["starts_at"]), language),
    )
