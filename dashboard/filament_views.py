"""What the maker's and the hub's pages show of filament: each tracked maker's grams per
material, and the sentences that warn them in time. Pure functions of the API's answers
(`GET /makers/me/filament`, `GET /filament`) and a language."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.formatting import format_count
from dashboard.i18n import translate

Json = dict[str, Any]

COLUMNS = ("material", "held_grams", "in_flight_grams", "left_grams", "plates_left")


def balance_frame(lines: list[Json], language: str, with_maker: bool = False) -> pd.DataFrame:
    """One row per maker and material: held, used by the jobs in flight, left, and how many
    of their usual plates that leaves (— while none of theirs is known)."""
    rows = []
    for line in lines:
        row = {"maker": line["maker_name"]} if with_maker else {}
        row |= {
            "material": line["material"],
            "held_grams": format_count(line["grams"], language),
            "in_flight_grams": format_count(line["in_flight_grams"], language),
            "left_grams": format_count(line["left_grams"], language),
            "plates_left": format_count(line["plates_left"], language),
        }
        rows.append(row)
    columns = ("maker", *COLUMNS) if with_maker else COLUMNS
    return pd.DataFrame(rows, columns=list(columns))


def warnings(lines: list[Json], language: str, own: bool = True) -> list[str]:
    """A sentence for each material running low, for the maker (`own`) or the hub."""
    sentences = []
    for line in lines:
        if not line.get("low"):
            continue
        who = "mine" if own else "theirs"
        filled = {
            "maker": line["maker_name"],
            "material": line["material"],
            "grams": format_count(max(line["left_grams"], 0), language),
            "short": format_count(line["short_grams"], language),
        }
        plates = line["plates_left"] or 0
        sentence = translate(language, f"filament.low.{who}", count=plates, **filled)
        if line["short_grams"]:
            sentence += " " + translate(language, f"filament.short.{who}", **filled)
        sentences.append(sentence)
    return sentences
