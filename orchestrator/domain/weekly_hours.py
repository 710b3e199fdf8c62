"""When a printer may run: weekly hours, in the fab-lab's time zone (pure).

Volunteers print in the evening on weekdays and through the day at the weekend, so hours
are written as OpenStreetMap writes opening hours, a syntax many already know:

    18:00-23:00                                  every day
    Mo-Fr 18:00-23:00; Sa,Su 09:00-12:00,14:00-22:00
    Mo-Su 08:00-22:00; We off                    later rules replace earlier ones, per day
    Fr 22:00-02:00                               past midnight: Friday night into Saturday
    24/7                                         always (so are 00:00-24:00 and 00:00-00:00)

Days may be given in English (Mo Tu We Th Fr Sa Su) or in French (lu ma me je ve sa di),
with any case; the service keeps the English form (`normalised`). Rules are separated by
';', the windows of a rule by ','. A rule without days is for every day.

Windows are laid on the local calendar, so a change of summer time moves them with the
clocks: "18:00-23:00" is 5 hours of printing on any evening, and a night window across
the change is an hour longer or shorter, as the maker's clock says. Consecutive windows
join ("Mo 18:00-24:00; Tu 00:00-06:00" is one night), so a print may run across them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ALWAYS = "00:00-24:00"
MAX_LENGTH = 200
MAX_RULES = 14
MAX_WINDOWS_PER_RULE = 6

DAY_KEYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_NAMES = {key.lower(): index for index, key in enumerate(DAY_KEYS)} | {
    "lu": 0,
    "ma": 1,
    "me": 2,
    "je": 3,
    "ve": 4,
    "di": 6,
}
_MINUTES_PER_DAY = 24 * 60
_RULE = re.compile(
    r"^(?P<days>[A-Za-z]{2}(?:\s*[-,]\s*[A-Za-z]{2})*(?![A-Za-z]))?\s*(?P<windows>.*)$"
)
_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DAYS_AHEAD = 8  # a week and a day: the next opening of any weekly hours that ever open

Window = tuple[int, int]  # minutes from the day's local midnight; the end may pass 24:00


@dataclass(frozen=True)
class WeeklyHours:
    """For each weekday (Monday first), its windows in minutes since local midnight."""

    days: tuple[tuple[Window, ...], ...]

    @property
    def always(self) -> bool:
        return all(_covers_the_day(windows) for windows in self.days)

    @property
    def never(self) -> bool:
        return not any(self.days)

    @property
    def normalised(self) -> str:
        """The hours written back in the service's form: days grouped where they share
        their windows, English day keys."""
        if self.always:
            return ALWAYS
        if len(set(self.days)) == 1:
            return _windows_text(self.days[0])
        rules: list[str] = []
        for windows in dict.fromkeys(day for day in self.days if day):
            same = [index for index, other in enumerate(self.days) if other == windows]
            rules.append(f"{_days_text(same)} {_windows_text(windows)}")
        return "; ".join(rules)


def parse(text: str) -> WeeklyHours:
    """Weekly hours from their text; ValueError says what is wrong, in words a maker
    can act on."""
    return _parse(text.strip())


@lru_cache(maxsize=4096)
def _parse(text: str) -> WeeklyHours:
    if not text:
        raise ValueError("is empty: give hours such as '18:00-23:00'")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"is longer than {MAX_LENGTH} characters")
    if text == "24/7":
        return parse(ALWAYS)
    rules = [rule.strip() for rule in text.split(";")]
    if len(rules) > MAX_RULES:
        raise ValueError(f"has more than {MAX_RULES} rules")
    days: list[tuple[Window, ...]] = [() for _ in DAY_KEYS]
    for rule in rules:
        if not rule:
            raise ValueError("has an empty rule between two ';'")
        match = _RULE.match(rule)
        assert match is not None  # every text matches: the days part may be empty
        named = match.group("days")
        which = _days(named) if named else range(7)
        windows = _windows(match.group("windows").replace(" ", ""), rule)
        for index in which:
            days[index] = windows
    hours = WeeklyHours(tuple(days))
    if hours.never:
        raise ValueError("never opens: to stop a printer for a while, pause it")
    return hours


def _days(text: str) -> list[int]:
    chosen: list[int] = []
    for span in text.replace(" ", "").split(","):
        first, dash, last = span.partition("-")
        start = _day(first)
        end = _day(last) if dash else start
        index = start
        chosen.append(index)
        while index != end:  # "Fr-Mo" wraps round the weekend
            index = (index + 1) % 7
            chosen.append(index)
    return chosen


def _day(text: str) -> int:
    index = _DAY_NAMES.get(text.lower())
    if index is None:
        raise ValueError(
            f"names an unknown day {text!r}: use Mo Tu We Th Fr Sa Su (or lu ma me je ve sa di)"
        )
    return index


def _windows(text: str, rule: str) -> tuple[Window, ...]:
    if text.lower() == "off":
        return ()
    if text == "24/7":
        return ((0, _MINUTES_PER_DAY),)
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > MAX_WINDOWS_PER_RULE:
        raise ValueError(f"has more than {MAX_WINDOWS_PER_RULE} windows in {rule!r}")
    return tuple(sorted(_window(part, rule) for part in parts))


def _window(text: str, rule: str) -> Window:
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(
            f"has {text!r} in {rule!r} where a window such as '18:00-23:00' was expected"
        )
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59 or (end_h == 24 and end_m):
        raise ValueError(f"has {text!r}, which is not a time of day (00:00 to 24:00)")
    start = start_h * 60 + start_m
    end = end_h * 60 + end_m
    if end == start or (start, end) == (0, _MINUTES_PER_DAY):
        return 0, _MINUTES_PER_DAY  # the whole day
    if end < start:  # runs past midnight
        end += _MINUTES_PER_DAY
    return start, end


def _covers_the_day(windows: tuple[Window, ...]) -> bool:
    return any(start == 0 and end >= _MINUTES_PER_DAY for start, end in windows)


def _windows_text(windows: tuple[Window, ...]) -> str:
    return ",".join(
        f"{_clock(start)}-{_clock(end % _MINUTES_PER_DAY or end)}" for start, end in windows
    )


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days_text(indexes: list[int]) -> str:
    spans: list[str] = []
    run = [indexes[0]]
    for index in indexes[1:]:
        if index == run[-1] + 1:
            run.append(index)
            continue
        spans.append(_span(run))
        run = [index]
    spans.append(_span(run))
    return ",".join(spans)


def _span(run: list[int]) -> str:
    if len(run) == 1:
        return DAY_KEYS[run[0]]
    if len(run) == 2:
        return f"{DAY_KEYS[run[0]]},{DAY_KEYS[run[1]]}"
    return f"{DAY_KEYS[run[0]]}-{DAY_KEYS[run[-1]]}"


# --- moments -----------------------------------------------------------------------------


def open_stretches(
    hours: WeeklyHours, moment: datetime, zone: ZoneInfo, days_ahead: int = _DAYS_AHEAD
) -> list[tuple[datetime, datetime]]:
    """The open stretches (UTC, joined where they touch) from the day before `moment`
    to `days_ahead` days after it (a week and a day unless told)."""
    today = moment.astimezone(zone).date()
    laid: list[tuple[datetime, datetime]] = []
    for offset in range(-1, days_ahead + 1):
        day = today + timedelta(days=offset)
        for first, last in hours.days[day.weekday()]:
            laid.append((_at(day, first, zone), _at(day, last, zone)))
    laid.sort()
    stretches: list[tuple[datetime, datetime]] = []
    for opens, closes in laid:
        if stretches and opens <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], max(stretches[-1][1], closes))
        else:
            stretches.append((opens, closes))
    return stretches


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time on the local calendar, as a UTC moment."""
    day = day + timedelta(days=minutes // _MINUTES_PER_DAY)
    minutes %= _MINUTES_PER_DAY
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


def seconds_left(hours: WeeklyHours, moment: datetime, zone: ZoneInfo) -> float | None:
    """Seconds until the open stretch around `moment` closes: inf when the hours never
    close, None when closed now."""
    if hours.always:
        return math.inf
    for start, end in open_stretches(hours, moment, zone):
        if start <= moment < end:
            return (end - moment).total_seconds()
    return None


def next_opening(hours: WeeklyHours, moment: datetime, zone: ZoneInfo) -> datetime | None:
    """`moment` when open now, else the next moment the hours open (UTC); None when they
    never open."""
    for start, end in open_stretches(hours, moment, zone):
        if start <= moment < end:
            return moment
        if start > moment:
            return start
    return None
