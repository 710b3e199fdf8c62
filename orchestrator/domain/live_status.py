"""A printer's live status, as the link keeps it, and how a new report changes it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from printers.protocol.payloads import PrinterState, StatusPayload


@dataclass
class LiveStatus:
    printer_id: int
    state: PrinterState
    job_id: str | None
    progress: float | None
    temperatures: dict[str, Any]
    seq: int | None
    reported_at: datetime | None
    last_seen_at: datetime
    offline_since: datetime | None = None
    # Since when it has reported idle with no job, without a break: a printer that restarted
    # mid-print comes back so, and its job is lost (`dispatch.lose_prints_forgotten`).
    idle_since: datetime | None = None


def is_newer(current: LiveStatus | None, incoming: StatusPayload) -> bool:
    """Whether a status replaces the one we hold.

    A status without `seq` is the broker's last will (or a plugin's report) and always
    applies; otherwise a lower `seq` is a late redelivery and is ignored.
    """
    if current is None or incoming.seq is None or current.seq is None:
        return True
    return incoming.seq > current.seq


def merged(
    current: LiveStatus | None, printer_id: int, incoming: StatusPayload, received_at: datetime
) -> LiveStatus:
    offline = incoming.state == PrinterState.OFFLINE
    offline_since = None
    if offline:
        was_offline = current is not None and current.offline_since is not None
        offline_since = current.offline_since if was_offline and current else received_at
    idle_since = None
    if incoming.state == PrinterState.IDLE and incoming.job_id is None:
        idle_since = current.idle_since if current and current.idle_since else received_at
    return LiveStatus(
        printer_id=printer_id,
        state=incoming.state,
        job_id=incoming.job_id,
        progress=incoming.progress,
        temperatures={name: t.model_dump() for name, t in incoming.temperatures.items()},
        # The will carries no seq: keep the last one so that a late pre-death status
        # cannot bring the printer back to life.
        seq=incoming.seq if incoming.seq is not None else (current.seq if current else None),
        reported_at=(
            datetime.fromtimestamp(incoming.ts, tz=received_at.tzinfo) if incoming.ts else None
        ),
        last_seen_at=received_at
        if not offline
        else (current.last_seen_at if current else received_at),
        offline_since=offline_since,
        idle_since=idle_since,
    )
