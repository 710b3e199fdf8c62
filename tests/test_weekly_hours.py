"""Weekly hours (`orchestrator.domain.weekly_hours`): the syntax makers write, and the
moments the dispatcher and the messages read from it, across midnight and summer time."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.domain import weekly_hours
from orchestrator.domain.weekly_hours import next_opening, parse, seconds_left

PARIS = ZoneInfo("Europe/Paris")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("18:00-23:00", "18:00-23:00"),
        ("08:00-12:00, 14:00-22:00", "08:00-12:00,14:00-22:00"),
        ("Mo-Fr 18:00-23:00; Sa,Su 09:00-12:00,14:00-22:00", None),
        ("lu-ve 18:00-23:00; sa,di 09:00-22:00", "Mo-Fr 18:00-23:00; Sa,Su 09:00-22:00"),
        ("Mo-Su 08:00-22:00; We off", "Mo,Tu,Th-Su 08:00-22:00"),
        ("Fr-Mo 10:00-11:00", "Mo,Fr-Su 10:00-11:00"),
        ("Fr 22:00-02:00", "Fr 22:00-02:00"),
        ("24/7", "00:00-24:00"),
        ("00:00-00:00", "00:00-24:00"),
        ("20:00-20:00", "00:00-24:00"),
        ("Mo-Su 00:00-24:00", "00:00-24:00"),
        ("  mo 18:00-24:00 ;tu 00:00-06:00 ", "Mo 18:00-24:00; Tu 00:00-06:00"),
    ],
)
def test_hours_are_kept_in_one_form(written: str, kept: str | None) -> None:
    assert parse(written).normalised == (kept or written)


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("", "is empty"),
        ("Xx 10:00-11:00", "unknown day 'Xx'"),
        ("10-11", "'10-11'"),
        ("25:00-26:00", "not a time of day"),
        ("08:00-24:30", "not a time of day"),
        ("Mo", "where a window such as"),
        ("Mo 10:00-11:00;;", "empty rule"),
        ("Mo-Su off", "never opens"),
        ("Mo " + ",".join(["10:00-11:00"] * 7), "more than 6 windows"),
        ("Mo off;" * 15, "more than 14 rules"),
        ("x" * 201, "longer than 200"),
    ],
)
def test_unreadable_hours_say_what_is_wrong(written: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse(written)


def test_the_open_stretch_runs_across_midnight_and_joins_touching_windows() -> None:
    # Monday 30 November 2026, 19:00 in Paris (UTC+1)
    monday_evening = utc("2026-11-30T18:00:00")
    joined = parse("Mo 18:00-24:00; Tu 00:00-06:00")
    assert seconds_left(joined, monday_evening, PARIS) == 11 * 3600
    assert seconds_left(parse("18:00-23:00"), monday_evening, PARIS) == 4 * 3600
    assert seconds_left(parse("Tu-Su 18:00-23:00"), monday_evening, PARIS) is None
    assert seconds_left(parse("00:00-24:00"), monday_evening, PARIS) == math.inf
    # Saturday 01:00 is inside Friday's night
    assert seconds_left(parse("Fr 22:00-02:00"), utc("2026-12-05T00:00:00"), PARIS) == 3600


def test_a_night_across_the_change_of_time_is_as_long_as_the_clock_says() -> None:
    night = parse("Sa 22:00-06:00")
    # 27-28 March 2027: clocks go forward at 02:00, the night is 7 hours
    assert seconds_left(night, utc("2027-03-27T21:00:00"), PARIS) == 7 * 3600
    # 24-25 October 2026: clocks go back at 03:00, the night is 9 hours
    assert seconds_left(night, utc("2026-10-24T20:00:00"), PARIS) == 9 * 3600
    # and an evening window is 5 hours on either side of the change
    evening = parse("18:00-23:00")
    for moment in ("2027-03-27T17:00:00", "2027-03-28T16:00:00"):
        assert seconds_left(evening, utc(moment), PARIS) == 5 * 3600


def test_the_next_opening_is_on_the_right_weekday() -> None:
    monday_late = utc("2026-11-30T22:30:00")  # 23:30 in Paris
    weekend = parse("Sa,Su 09:00-22:00")
    assert next_opening(weekend, monday_late, PARIS) == utc("2026-12-05T08:00:00")
    assert next_opening(weekend, utc("2026-12-05T10:00:00"), PARIS) == utc("2026-12-05T10:00:00")
    assert next_opening(parse("Mo 08:00-09:00"), monday_late, PARIS) == utc("2026-12-07T07:00:00")


windows = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]), st.integers(1, 24))
days = st.lists(st.sampled_from((*weekly_hours.DAY_KEYS, "lu", "ve", "di")), min_size=1, max_size=3)


@given(st.lists(st.tuples(days, st.lists(windows, min_size=1, max_size=3)), min_size=1, max_size=4))
def test_the_kept_form_reads_back_as_the_same_hours(
    rules: list[tuple[list[str], list[tuple[int, int, int]]]],
) -> None:
    text = "; ".join(
        ",".join(names)
        + " "
        + ",".join(f"{h:02d}:{m:02d}-{(h + length) % 24:02d}:{m:02d}" for h, m, length in spans)
        for names, spans in rules
    )
    hours = parse(text)
    assert parse(hours.normalised) == hours
    moment = utc("2026-11-30T12:00:00")
    left = seconds_left(hours, moment, PARIS)
    opening = next_opening(hours, moment, PARIS)
    assert opening is not None and opening >= moment
    assert (left is not None) == (opening == moment)


@pytest.mark.parametrize(
    ("hours", "now_h", "left_h"),
    [
        ("00:00-24:00", 3, math.inf),
        ("08:00-20:00", 9, 11),
        ("08:00-20:00", 21, None),
        ("22:00-06:00", 23, 7),
        ("22:00-06:00", 2, 4),
        ("22:00-06:00", 12, None),
    ],
)
def test_daily_windows_every_day(hours: str, now_h: int, left_h: float | None) -> None:
    moment = datetime(2026, 12, 2, now_h, tzinfo=UTC)  # a Wednesday, read in UTC
    left = seconds_left(parse(hours), moment, ZoneInfo("UTC"))
    assert left == (None if left_h is None else left_h * 3600)
