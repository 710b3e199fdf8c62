"""What the printer link writes: live statuses in batches, events exactly once, and the
job transitions those events cause."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from orchestrator.database.tables import (
    ROW_ID_MAX,
    Account,
    Job,
    Maker,
    Printer,
    PrinterEvent,
    PrinterStatus,
    ServiceCounter,
    id_of,
)
from orchestrator.domain.errors import NotFound
from orchestrator.domain.lifecycle import Transition, transition
from orchestrator.domain.live_status import LiveStatus
from orchestrator.domain.vocabulary import JobStatus, MessageKind, Role
from orchestrator.services.jobs import apply_transition
from orchestrator.services.notifications import notify, withdraw_messages
from orchestrator.services.pauses import paused_printers
from printers.protocol.payloads import EventKind, EventPayload

log = logging.getLogger(__name__)


def upsert(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Insert rows, or update the existing ones with the same keys, in one statement."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # The table, not the ORM class: a plain Core statement, without the ORM's bulk machinery
    # (a third of the status flusher's time at 1,000 statuses a second).
    statement = dialect.insert(model.__table__)  # type: ignore[attr-defined]
    updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)


def known_printer_ids(session: Session) -> set[int]:
    return {printer_id for printer_id in session.exec(select(Printer.id)) if printer_id is not None}


def flush_statuses(session: Session, statuses: Iterable[LiveStatus]) -> int:
    statuses = list(statuses)
    tell_offline_changes(session, statuses)
    rows = [
        {
            "printer_id": s.printer_id,
            "state": s.state.value,
            "job_id": s.job_id,
            "progress": s.progress,
            "temperatures": s.temperatures,
            "seq": s.seq,
            "reported_at": s.reported_at,
            "last_seen_at": s.last_seen_at,
            "offline_since": s.offline_since,
        }
        for s in statuses
    ]
    upsert(session, PrinterStatus, rows, ["printer_id"])
    return len(rows)


# A printer back within this long (a restart, a broker hiccup) is not worth a message.
OFFLINE_NOTICE_DELAY = timedelta(minutes=5)


def offline_key(printer_id: int, offline_since: datetime) -> str:
    """Names one spell offline of one printer: its maker is told of it once."""
    return f"offline:{printer_id}:{offline_since.astimezone(UTC).isoformat(timespec='seconds')}"


def tell_offline_changes(session: Session, statuses: Sequence[LiveStatus]) -> None:
    """Tell a maker their printer went offline, and withdraw the message if it came back
    before it was sent (a restart, a night held by quiet hours).

    The statuses stored before this batch say which printers were offline: one query over
    the batch's printers, and a message only for a printer whose offline spell is new."""
    if not statuses:
        return
    stored = dict(
        session.exec(
            select(PrinterStatus.printer_id, PrinterStatus.offline_since).where(
                col(PrinterStatus.printer_id).in_({s.printer_id for s in statuses}),
                col(PrinterStatus.offline_since).is_not(None),
            )
        ).all()
    )
    came_back = [
        offline_key(s.printer_id, since)
        for s in statuses
        if s.offline_since is None and (since := stored.get(s.printer_id)) is not None
    ]
    if came_back:
        withdraw_messages(session, came_back, why="the printer came back online first")
    went_offline = {
        s.printer_id: s.offline_since
        for s in statuses
        if s.offline_since is not None and stored.get(s.printer_id) != s.offline_since
    }
    # A printer paused (a repair, a holiday) is switched off on purpose: nobody is told.
    for paused in paused_printers(session, went_offline, datetime.now(UTC)):
        del went_offline[paused]
    if not went_offline:
        return
    printers = session.exec(
        select(Printer.id, Printer.name, Maker.account_id)
        .join(Maker, col(Printer.maker_id) == Maker.id)
        .where(col(Printer.id).in_(list(went_offline)))
    )
    for printer_id, name, account_id in printers:
        assert printer_id is not None
        since = went_offline[printer_id]
        notify(
            session,
            account_id=account_id,
            kind=MessageKind.PRINTER_OFFLINE,
            params={"printer": name, "printer_id": printer_id, "since": since.isoformat()},
            link="/maker",
            dedup_key=offline_key(printer_id, since),
            not_before=since + OFFLINE_NOTICE_DELAY,
        )


def store_counters(session: Session, process: str, counters: dict[str, int]) -> None:
    now = datetime.now(UTC)
    rows = [
        {"process": process, "name": name, "value": value, "updated_at": now}
        for name, value in counters.items()
    ]
    upsert(session, ServiceCounter, rows, ["process", "name"])


def record_event(session: Session, printer_id: int, payload: EventPayload) -> PrinterEvent | None:
    """Store an event once. A redelivered event (same printer, same id) returns None."""
    event = PrinterEvent(
        printer_id=printer_id,
        event_id=payload.event_id,
        kind=payload.kind.value,
        job_id=payload.job_id,
        reason=payload.reason,
        happened_at=datetime.fromtimestamp(payload.ts, tz=UTC),
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return None
    return event


class EventFacts(Protocol):
    """What a transition needs of an event: a stored `PrinterEvent` or its payload."""

    @property
    def kind(self) -> str: ...

    @property
    def job_id(self) -> str | None: ...

    @property
    def reason(self) -> str | None: ...


def job_for_event(
    session: Session,
    printer_id: int,
    event: EventFacts,
    locked: Mapping[int, Job] | None = None,
) -> Job | None:
    """The job an event is about: its job id, or the printer's job awaiting a clear.
    `locked`: the jobs of a batch of events, already read and locked (`lock_jobs`)."""
    if event.job_id is not None:
        if not event.job_id.isdigit():
            return None
        if locked is not None:
            job = locked.get(int(event.job_id))
        else:
            job = session.get(Job, int(event.job_id), with_for_update=True)
        return job if job is not None and job.printer_id == printer_id else None
    if event.kind == EventKind.BED_CLEARED:
        return session.exec(
            select(Job)
            .where(Job.printer_id == printer_id, Job.status == JobStatus.AWAITING_CLEAR)
            .with_for_update()
        ).first()
    return None


def apply_event(
    session: Session,
    printer_id: int,
    event: EventFacts,
    max_attempts: int,
    locked: Mapping[int, Job] | None = None,
) -> Job | None:
    """Move the event's job along its lifecycle; returns the job if it changed."""
    job = job_for_event(session, printer_id, event, locked)
    if job is None:
        return None
    change = transition(
        job.status,
        EventKind(event.kind),
        attempts=job.attempts,
        max_attempts=max_attempts,
        reason=event.reason,
    )
    if change is None:
        return None
    apply_transition(session, job, change, datetime.now(UTC))
    if job.status == JobStatus.AWAITING_CLEAR and bed_already_cleared(session, printer_id, job):
        # Events can overtake each other (two replicas, a redelivery): the maker cleared
        # the bed before we heard the print was done.
        apply_transition(session, job, Transition(JobStatus.DONE), datetime.now(UTC))
    session.flush()
    return job


def store_events(
    session: Session, events: Sequence[tuple[int, EventPayload]], max_attempts: int
) -> list[int | None]:
    """Record a batch of events, then move their jobs along in arrival order, all in the
    session's transaction (the caller commits once for all). Per event: None for a
    duplicate (stored before, or earlier in the batch), else the id of the job it changed,
    or 0.

    The events are inserted in one statement before any transition: the only event rows a
    transition reads are BedCleared ones (`bed_already_cleared`), and a BedCleared seen a
    few events early ends the job exactly as it would a few events later."""
    new = insert_new_events(session, events)
    fresh = [
        (printer_id, payload) for (printer_id, payload), n in zip(events, new, strict=True) if n
    ]
    locked = lock_jobs(session, [payload.job_id for _printer_id, payload in fresh])
    outcomes: list[int | None] = []
    for (printer_id, payload), is_new in zip(events, new, strict=True):
        if not is_new:
            outcomes.append(None)
            continue
        job = apply_event(session, printer_id, payload, max_attempts, locked)
        outcomes.append((job.id or 0) if job is not None else 0)
    return outcomes


def lock_jobs(session: Session, job_ids: Iterable[str | None]) -> dict[int, Job]:
    """The jobs named by these ids, read and locked (PostgreSQL) in one statement, in id
    order, rather than one query per event."""
    digits = {int(job_id) for job_id in job_ids if job_id and job_id.isdigit()}
    # A longer number names no job, and would overflow the database's integer.
    numbers = sorted(number for number in digits if 0 < number <= ROW_ID_MAX)
    if not numbers:
        return {}
    query = select(Job).where(col(Job.id).in_(numbers)).order_by(col(Job.id)).with_for_update()
    return {id_of(job): job for job in session.exec(query)}


def insert_new_events(session: Session, events: Sequence[tuple[int, EventPayload]]) -> list[bool]:
    """Insert the events not stored yet, in one statement that skips those whose (printer,
    event id) exists: a concurrent replica's insert of the same event waits for it and is
    skipped too. Per event, whether it was new."""
    received = datetime.now(UTC)
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    firsts: list[tuple[int, str] | None] = []
    for printer_id, payload in events:
        key = (printer_id, payload.event_id)
        if key in rows:
            firsts.append(None)  # the same event twice in one batch
            continue
        rows[key] = {
            "printer_id": printer_id,
            "event_id": payload.event_id,
            "kind": payload.kind.value,
            "job_id": payload.job_id,
            "reason": payload.reason,
            "happened_at": datetime.fromtimestamp(payload.ts, tz=UTC),
            "received_at": received,
        }
        firsts.append(key)
    if not rows:
        return [False] * len(events)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = PrinterEvent.__table__  # type: ignore[attr-defined]
    statement = (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["printer_id", "event_id"])
        .returning(table.c.printer_id, table.c.event_id)
    )
    inserted = {
        (printer_id, event_id)
        for printer_id, event_id in session.execute(statement, list(rows.values()))
    }
    return [key is not None and key in inserted for key in firsts]


def bed_already_cleared(session: Session, printer_id: int, job: Job) -> bool:
    return (
        session.exec(
            select(PrinterEvent.id).where(
                PrinterEvent.printer_id == printer_id,
                PrinterEvent.kind == EventKind.BED_CLEARED,
                PrinterEvent.job_id == str(job.id),
            )
        ).first()
        is not None
    )


def statuses_for(session: Session, account: Account, maker: Maker | None) -> list[PrinterStatus]:
    query = select(PrinterStatus).order_by(col(PrinterStatus.printer_id))
    if account.role != Role.COORDINATOR:
        assert maker is not None
        query = query.join(Printer).where(Printer.maker_id == maker.id)
    return list(session.exec(query))


def status_of(session: Session, printer_id: int) -> PrinterStatus:
    status = session.get(PrinterStatus, printer_id)
    if status is None:
        raise NotFound(
            f"Printer {printer_id} has not reported any status yet.",
            code="printer_no_status_yet",
            printer=printer_id,
        )
    return status


def events_of(session: Session, printer_id: int, limit: int = 100) -> list[PrinterEvent]:
    return list(
        session.exec(
            select(PrinterEvent)
            .where(PrinterEvent.printer_id == printer_id)
            .order_by(col(PrinterEvent.id).desc())
            .limit(limit)
        )
    )


def counters_total(session: Session) -> dict[str, Any]:
    by_process: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for row in session.exec(select(ServiceCounter)):
        by_process.setdefault(row.process, {})[row.name] = row.value
        totals[row.name] = totals.get(row.name, 0) + row.value
    return {"totals": totals, "processes": by_process}
