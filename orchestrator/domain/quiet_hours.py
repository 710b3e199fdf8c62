"""When a person may be told something: their hours, in the fab-lab's time zone (pure).

A maker is told during the hours their printers may run (the union of their printers'
weekly `availability_hours`, `orchestrator.domain.weekly_hours`): a "bed to clear" at 3 in
the morning would wake a volunteer for a printer that may not start again before 8
anyway. Health centres and the coordinator are told during the day (`DAYTIME`). Whoever
asked for night messages is told at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from orchestrator.domain import weekly_hours

DAYTIME = "08:00-20:00"  # centres and the coordinator, unless they asked for night messages


def next_moment_to_tell(
    now: datetime,
    windows: Iterable[str],
    timezone: str | ZoneInfo,
    *,
    night_messages: bool = False,
) -> datetime:
    """`now` if the person may be told now, else the next opening of their hours (UTC).

    Unreadable hours count as absent; without any readable hours (a maker with no
    printer yet), `DAYTIME` applies."""
    if night_messages:
        return now
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    hours = [parsed for text in windows if (parsed := _readable(text)) is not None]
    openings = [
        opening
        for one in hours or [weekly_hours.parse(DAYTIME)]
        if (opening := weekly_hours.next_opening(one, now, zone)) is not None
    ]
    return min(openings, default=now)


def _readable(text: str) -> weekly_hours.WeeklyHours | None:
    try:
        return weekly_hours.parse(text)
    except ValueError:
        return None
