"""Numbers, dates and times as French (or English) readers expect them, by Babel's CLDR
data for the locale.

French groups thousands with a narrow no-break space (1 700) and writes decimals with a
comma (12,5; 220,00); dates read day first (20/04/2020). Times are shown in the
fab-lab's time zone (`MAKERLINE_TIMEZONE`, Europe/Paris by default), whatever the
server's, and `timezone_label` names it for the page.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers

from dashboard.i18n import translate

NARROW_NO_BREAK_SPACE = "\u202f"
TIMES = " \u00d7 "
DASH = "—"


def local_timezone() -> ZoneInfo:
    try:
        return ZoneInfo(os.environ.get("MAKERLINE_TIMEZONE", "Europe/Paris"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")


def timezone_label(language: str) -> str:
    """The time zone the pages' times are in, as a reader names it: "heure de Paris
    (UTC+1)", "Paris time (UTC+2)" in summer."""
    zone = local_timezone()
    city = dates.get_timezone_location(zone, locale=language, return_city=True)
    offset = datetime.now(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    shift = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return translate(language, "timezone.label", city=city, offset=shift)


def format_count(value: int | float | None, language: str) -> str:
    """A whole number with its thousands grouped: 1 700 in French, 1,700 in English."""
    if value is None:
        return DASH
    return numbers.format_decimal(round(value), locale=language)


def format_decimal(value: float | None, language: str, digits: int = 1) -> str:
    """A decimal number with `digits` decimals: 12,5 in French, 12.5 in English;
    thousands grouped too."""
    if value is None:
        return DASH
    pattern = "#,##0." + "0" * digits if digits > 0 else "#,##0"
    return numbers.format_decimal(value, format=pattern, locale=language)


def format_percent(value: float | None, language: str, digits: int = 0) -> str:
    """A share (0.5) as a percentage: 50 % in French, 50% in English."""
    if value is None:
        return DASH
    pattern = Locale.parse(language).percent_formats[None].pattern  # "#,##0 %" in French
    if digits > 0:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return numbers.format_percent(value, format=pattern, locale=language)


GROUPED_COUNT = re.compile(r"\d{1,3}(?:[\s\u202f\u00a0,]\d{3})*|\d+")
SPACES = re.compile(r"[\s\u202f\u00a0]")


def parse_count(text: str) -> int:
    """The number a formatted count shows, in either language ("1 700", "1,700");
    ValueError for anything else, such as a decimal ("4,7")."""
    text = text.strip()
    if not GROUPED_COUNT.fullmatch(text):
        raise ValueError(f"not a count: {text!r}")
    return int(re.sub(r"[\s\u202f\u00a0,]", "", text))


def parse_decimal(text: str, language: str) -> float | None:
    """The number `format_decimal` shows ("1 204,5" in French, "1,204.5" in English);
    None for the dash of no value."""
    text = text.strip()
    if text == DASH:
        return None
    if language == "fr":
        return float(SPACES.sub("", text).replace(",", "."))
    return float(text.replace(",", ""))


def parse_datetime(value: str | datetime | None) -> datetime | None:
    """An aware datetime from the API's ISO text (UTC when the text has no zone)."""
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


# Day first in both languages: French's own short date, and English's with the month
# named, which no reader can take for an American date.
DATE_PATTERNS = {"fr": "dd/MM/y", "en": "d MMM y"}


def format_date(value: str | date | None, language: str) -> str:
    """20/04/2020 in French, 20 Apr 2020 in English."""
    day = parse_date(value)
    if day is None:
        return DASH
    return dates.format_date(day, DATE_PATTERNS.get(language, "short"), locale=language)


def format_datetime(value: str | datetime | None, language: str) -> str:
    """A moment in the fab-lab's time zone: 20/04/2020 14:05 (French)."""
    moment = parse_datetime(value)
    if moment is None:
        return DASH
    pattern = f"{DATE_PATTERNS.get(language, 'short')} HH:mm"
    return dates.format_datetime(moment, pattern, tzinfo=local_timezone(), locale=language)


def format_time(value: str | datetime | None) -> str:
    """The local time of day, 14:05:03, the same in both languages."""
    moment = parse_datetime(value)
    if moment is None:
        return DASH
    return dates.format_time(moment, "HH:mm:ss", tzinfo=local_timezone(), locale="fr")


def format_age(value: str | datetime | None, now: datetime, language: str) -> str:
    """How long ago: "il y a 12 s", "il y a 3 min"; "jamais" when never."""
    moment = parse_datetime(value)
    if moment is None:
        return translate(language, "age.never")
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return translate(language, "age.seconds", n=seconds)
    if seconds < 3600:
        return translate(language, "age.minutes", n=seconds // 60)
    if seconds < 86400:
        return translate(language, "age.hours", n=seconds // 3600)
    return translate(language, "age.days", n=seconds // 86400)


def format_size(*millimetres: float | None) -> str:
    """Dimensions joined by a multiplication sign (250 x 210), without the unknown ones."""
    return TIMES.join(f"{value:g}" for value in millimetres if value is not None)
