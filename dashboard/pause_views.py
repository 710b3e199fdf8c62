"""Pauses and holidays as a maker's page and the hub's show and ask them: pure, no
Streamlit (`dashboard.pause_section` draws them).

A volunteer thinks in days: "from Monday to Sunday", or "from now on". The page asks
for a first and a last day (both optional) and sends the moments the service keeps:
the first day's local midnight (now, when it is today or not given), and the midnight
after the last day (until resumed, when not given).

What a page may pause are its targets, each with its label: a maker pauses one of their
printers or all of them (`maker_targets`); the coordinator one printer of anyone's, or
all the printers of a maker (`coordinator_targets`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.formatting import DASH, format_datetime, parse_datetime
from dashboard.i18n import translate

ALL_PRINTERS = 0  # the choice that pauses every printer of the maker


@dataclass(frozen=True)
class MakerTarget:
    """All the printers of one maker, as the coordinator pauses them."""

    maker_id: int


# A printer's id; ALL_PRINTERS for all of the signed-in maker's; or a maker's printers.
Target = int | MakerTarget


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


def pause_target(target: Target) -> dict[str, int]:
    """The request's target: one printer, a maker's printers, or (nothing named) all the
    signed-in maker's."""
    if isinstance(target, MakerTarget):
        return {"maker_id": target.maker_id}
    return {} if target == ALL_PRINTERS else {"printer_id": target}


def told_apart(targets: dict[Target, str]) -> dict[Target, str]:
    """The labels, each one shown once: a label two targets share gets their number, so
    that the choice (which Streamlit keeps by its label) names one of them."""
    counts = Counter(targets.values())
    return {
        target: label if counts[label] == 1 else f"{label} · n° {target_number(target)}"
        for target, label in targets.items()
    }


def target_number(target: Target) -> int:
    return target.maker_id if isinstance(target, MakerTarget) else target


def maker_targets(printers: list[dict[str, Any]], language: str) -> dict[Target, str]:
    """A maker's choices: all their printers, then each one by its name."""
    targets: dict[Target, str] = {ALL_PRINTERS: translate(language, "pause.all_printers")}
    targets.update({printer["id"]: printer["name"] for printer in printers})
    return told_apart(targets)


def coordinator_targets(
    makers: list[dict[str, Any]], printers: list[dict[str, Any]], language: str
) -> dict[Target, str]:
    """The coordinator's choices, maker by maker: all their printers, then each one as
    "Printer (Maker)"."""
    printers_of: dict[int, list[dict[str, Any]]] = {}
    for printer in printers:
        printers_of.setdefault(printer["maker_id"], []).append(printer)
    targets: dict[Target, str] = {}
    for maker in makers:
        name = maker["display_name"]
        targets[MakerTarget(maker["id"])] = translate(language, "pause.all_printers_of", maker=name)
        for printer in printers_of.get(maker["id"], []):
            targets[printer["id"]] = f"{printer['name']} ({name})"
    return told_apart(targets)


def paused_target(pause: dict[str, Any]) -> Target:
    """What a pause holds, as the targets name it: its printer, or its maker's printers."""
    if pause["printer_id"] is not None:
        return int(pause["printer_id"])
    return MakerTarget(pause["maker_id"])


def paused_what(pause: dict[str, Any], targets: dict[Target, str], language: str) -> str:
    """The printer a pause holds, or the maker whose printers it holds. A maker's page
    sees only their own pauses: one of all their printers is their ALL_PRINTERS choice."""
    target = paused_target(pause)
    if target in targets:
        return targets[target]
    if isinstance(target, MakerTarget):
        return targets.get(ALL_PRINTERS) or translate(
            language, "pause.all_printers_of", maker=f"n° {target.maker_id}"
        )
    return f"n° {target}"


def pauses_frame(
    pauses: list[dict[str, Any]], targets: dict[Target, str], language: str
) -> pd.DataFrame:
    """One row per pause: what it holds, from, until, why, and whether it holds now."""
    rows = [
        {
            "paused": paused_what(pause, targets, language),
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


def pause_label(pause: dict[str, Any], targets: dict[Target, str], language: str) -> str:
    """The button that ends a pause: "Reprendre : Prusa de Camille" now, "Annuler : …" for
    one to come."""
    key = "pause.resume" if pause["active"] else "pause.cancel"
    return translate(
        language,
        key,
        what=paused_what(pause, targets, language),
        day=format_datetime(parse_datetime(pause["starts_at"]), language),
    )
