"""Pauses: a printer, or all of a maker's printers, taking no new job for a while.

A volunteer pauses a printer that needs a repair, or goes on holiday with all of them;
now, or for dates set ahead. A pause that has started ends when its end comes, or when
the person resumes; with no end it lasts until then. A printer printing when its pause
starts finishes that print: a pause only keeps new jobs away (`orchestrator.services.
dispatch`).

Pure rules, no I/O: which spans cover a moment, and what a new pause may say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestrator.domain.errors import InvalidRequest

# How far ahead a pause may be set, and how long one may last: a year covers any
# holiday; beyond, the date is a typo.
FURTHEST_START = timedelta(days=366)
LONGEST_PAUSE = timedelta(days=366)
# A start a little in the past is "now" from a slow form, not a pause back in time.
START_SLACK = timedelta(minutes=5)
OPEN_PAUSES_MAX = 20  # per printer or maker: pauses not yet ended


@dataclass(frozen=True)
class Span:
    """From `starts_at`, until `ends_at` (excluded), or until resumed when None."""

    starts_at: datetime
    ends_at: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment and (self.ends_at is None or moment < self.ends_at)

    def ended_by(self, moment: datetime) -> bool:
        return self.ends_at is not None and self.ends_at <= moment


def is_paused(spans: Iterable[Span], moment: datetime) -> bool:
    return any(span.covers(moment) for span in spans)


def paused_until(spans: Iterable[Span], moment: datetime) -> datetime | None:
    """When the pause that covers `moment` ends, following pauses that join or overlap
    it; `moment` itself when none covers it, None when it lasts until resumed."""
    ordered = sorted(spans, key=lambda span: span.starts_at)
    until = moment
    for span in ordered:
        if span.starts_at > until:
            break
        if span.ends_at is None:
            return None
        until = max(until, span.ends_at)
    return until


def check_new_pause(starts_at: datetime, ends_at: datetime | None, now: datetime) -> None:
    """A new pause starts now or later (within a year), and ends after it starts (within
    a year of its start)."""
    if starts_at < now - START_SLACK:
        raise InvalidRequest("A pause cannot start in the past.", code="pause_starts_in_past")
    if starts_at > now + FURTHEST_START:
        raise InvalidRequest("A pause starts within a year from now.", code="pause_starts_too_late")
    if ends_at is None:
        return
    if ends_at <= starts_at:
        raise InvalidRequest("A pause ends after it starts.", code="pause_ends_before_start")
    if ends_at - starts_at > LONGEST_PAUSE:
        raise InvalidRequest("A pause lasts a year at most.", code="pause_too_long")
