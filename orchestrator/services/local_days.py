"""The fab-lab's days: its time zone (`MAKERLINE_TIMEZONE`, Europe/Paris by default) and
periods of whole local days. A coordinator who exports "the 1st to the 3rd of December"
or holds what was made then means Paris days, not UTC ones, so every period of dates
a person gives is read here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_timezone() -> ZoneInfo:
    """The fab-lab's time zone, as the web app uses it (`MAKERLINE_TIMEZONE`)."""
    try:
        return ZoneInfo(os.environ.get("MAKERLINE_TIMEZONE", "Europe/Paris"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")


def local_today() -> date:
    return datetime.now(local_timezone()).date()


@dataclass(frozen=True)
class Period:
    """Whole local days, both ends included."""

    since: date
    until: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), tzinfo=local_timezone())

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.until + timedelta(days=1), time(), tzinfo=local_timezone())

    @property
    def slug(self) -> str:
        return f"{self.since.isoformat()}_{self.until.isoformat()}"
