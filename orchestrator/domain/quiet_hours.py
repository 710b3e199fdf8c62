"""When a person may be told something: their hours, in the fab-lab's time zone (pure).

A maker is told during the hours their printers may run (the union of their printers'
`availability_hours`): a "bed to clear" at 3 in the morning would wake a volunteer for a
printer that may not start again before 8 anyway. Health centres and the coordinator are
told during the day (`DAYTIME`). Whoever asked for night messages is told at once.

A window is 'HH:MM-HH:MM' in local time; one whose end comes before its start runs
overnight ('22:00-06:00'), and '00:00-00:00' or '00:00-24:00' is always open. Windows are
laid on the local calendar, so a change of summer time moves them with the clocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYTIME = "08:00-20:00"  # centres and the coordinator, unless they asked for night messages
_DAY = timedelta(days=1)


def _parse(window: str) -> tuple[time, timedelta] | None:
    """(start, length) of a window; a length of a whole day means always open. None when
    the text is not a window (the caller treats an unreadable window as absent)."""
    try:
        start_text, end_text = window.strip().split("-")
        start_h, start_m = (int(part) for part in start_text.split(":"))
        end_h, end_m = (int(part) for part in end_text.split(":"))
    except ValueError:
        return None
    if not (0 <= start_h <= 23 and 0 <= start_m <= 59 and 0 <= end_h <= 24 and 0 <= end_m <= 59):
        return None
    start = timedelta(hours=start_h, minutes=start_m)
    end = timedelta(hours=end_h, minutes=end_m)
    length = (end - start) % _DAY or _DAY  # equal ends: always open
    return time(start_h, start_m), length


def next_moment_to_tell(
    now: datetime,
    windows: Iterable[str],
    timezone: str | ZoneInfo,
    *,
    night_messages: bool = False,
) -> datetime:
    """`now` if the person may be told now, else the start of their next window (UTC).

    Without any readable window (a maker with no printer yet), `DAYTIME` applies."""
    if night_messages:
        return now
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    parsed = [window for text in windows if (window := _parse(text)) is not None]
    if not parsed:
        parsed = [window for window in [_parse(DAYTIME)] if window is not None]
    if any(length >= _DAY for _start, length in parsed):
        return now
    today = now.astimezone(zone).date()
    starts: list[datetime] = []
    for start, length in parsed:
        for day in (today - _DAY, today, today + _DAY, today + 2 * _DAY):
            opens = _local(day, start, zone)
            closes = (opens.astimezone(UTC) + length).astimezone(zone)
            if opens <= now < closes:
                return now
            if opens > now:
                starts.append(opens)
    return min(starts).astimezone(UTC)


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)
