"""Forecast delivery dates from the job queue and the printers' capacity. Pure.

The queue is played forward on the printers that are online, each taking the next job as
soon as it is free (the scheduler's own rule). An order's printing ends with its last
job; the hub then needs `hub_delay` to collect, check, assemble, disinfect and deliver.
An order the supplies on hand cannot assemble has no date: it waits for a donation, and
says which supplies, and how many, it waits for.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from orchestrator.domain.planner import Shortage


class NoEta(StrEnum):
    """Why an open order has no forecast."""

    AWAITING_SUPPLIES = "awaiting_supplies"  # a supply on hand lacks: see its shortages
    AWAITING_PARTS = "awaiting_parts"  # jobs for its parts not planned yet
    NO_PRINTER_ONLINE = "no_printer_online"


@dataclass(frozen=True)
class QueueEntry:
    job_id: int
    order_id: int | None
    seconds_left: float
    started: bool  # already on a printer: it holds that printer first
    rank: tuple[date, int, int]


@dataclass(frozen=True)
class Forecast:
    eta: datetime | None
    late: bool
    reason: NoEta | None = None
    held_back: tuple[Shortage, ...] = ()  # the supplies it waits for


def play_queue(entries: Sequence[QueueEntry], printers: int, now: datetime) -> dict[int, datetime]:
    """When each job would finish on `printers` identical printers."""
    free_at = [0.0] * printers
    heapq.heapify(free_at)
    finish: dict[int, datetime] = {}
    ordered = sorted(entries, key=lambda e: (not e.started, e.rank))
    for entry in ordered:
        start = heapq.heappop(free_at)
        end = start + max(entry.seconds_left, 0.0)
        heapq.heappush(free_at, end)
        finish[entry.job_id] = now + timedelta(seconds=end)
    return finish


def forecast(
    *,
    orders: Iterable[tuple[int, date, bool]],  # (order id, needed by, fully covered by jobs)
    entries: Sequence[QueueEntry],
    printers_online: int,
    now: datetime,
    hub_delay: timedelta,
    held_back: Mapping[int, tuple[Shortage, ...]] | None = None,
) -> dict[int, Forecast]:
    finish = play_queue(entries, printers_online, now) if printers_online else {}
    last_job: dict[int, datetime] = {}
    for entry in entries:
        if entry.order_id is not None and entry.job_id in finish:
            done = finish[entry.job_id]
            last_job[entry.order_id] = max(last_job.get(entry.order_id, done), done)
    result = {}
    for order_id, needed_by, covered in orders:
        deadline_passed = now.date() > needed_by
        has_jobs = any(e.order_id == order_id for e in entries)
        shortages = (held_back or {}).get(order_id, ())
        if shortages:
            result[order_id] = Forecast(
                None, deadline_passed, NoEta.AWAITING_SUPPLIES, held_back=shortages
            )
        elif not covered:
            result[order_id] = Forecast(None, deadline_passed, NoEta.AWAITING_PARTS)
        elif has_jobs and not printers_online:
            result[order_id] = Forecast(None, deadline_passed, NoEta.NO_PRINTER_ONLINE)
        else:
            eta = last_job.get(order_id, now) + hub_delay
            result[order_id] = Forecast(eta, eta.date() > needed_by)
    return result
