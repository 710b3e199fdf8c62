"""Pauses and holidays (`domain.pauses`): set by a maker for their printers, or by the
coordinator for anyone's; read by the dispatcher, which gives a paused printer nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, or_, select

from orchestrator.api.schemas import PauseCreate, PausePublic
from orchestrator.database.tables import Account, Maker, Pause, Printer, id_of, utcnow
from orchestrator.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from orchestrator.domain.pauses import OPEN_PAUSES_MAX, Span, check_new_pause
from orchestrator.domain.vocabulary import Role
from orchestrator.services.fleet import owned_printer


def span_of(pause: Pause) -> Span:
    return Span(pause.starts_at, pause.ends_at)


def public(pause: Pause, now: datetime) -> PausePublic:
    return PausePublic.model_validate(
        pause, update={"active": span_of(pause).covers(now)}, from_attributes=True
    )


def not_ended(now: datetime) -> ColumnElement[bool]:
    return or_(col(Pause.ends_at).is_(None), col(Pause.ends_at) > now)


def same_owner(printer_id: int | None, maker_id: int | None) -> ColumnElement[bool]:
    """Pauses of this printer, or of this maker's printers (`maker_id`)."""
    if printer_id is not None:
        return col(Pause.printer_id) == printer_id
    return col(Pause.maker_id) == maker_id


def create_pause(
    *, session: Session, account: Account, maker: Maker | None, pause_in: PauseCreate
) -> Pause:
    """A pause of one printer the account may manage, or of a maker's printers: the
    maker's own, or (coordinator) `maker_id`'s."""
    now = utcnow()
    starts_at = pause_in.starts_at or now
    check_new_pause(starts_at, pause_in.ends_at, now)
    if pause_in.printer_id is not None and pause_in.maker_id is not None:
        raise InvalidRequest(
            "Pause a printer (printer_id) or a maker (maker_id), not both.",
            code="pause_printer_or_maker",
        )
    printer_id = maker_id = None
    if pause_in.printer_id is not None:
        printer_id = id_of(
            owned_printer(
                session=session, account=account, maker=maker, printer_id=pause_in.printer_id
            )
        )
    elif account.role == Role.COORDINATOR:
        if pause_in.maker_id is None:
            raise InvalidRequest(
                "As coordinator, say whose printers to pause (printer_id or maker_id).",
                code="pause_whose",
            )
        if session.get(Maker, pause_in.maker_id) is None:
            raise NotFound(
                f"Maker {pause_in.maker_id} does not exist.",
                code="maker_not_found",
                maker=pause_in.maker_id,
            )
        maker_id = pause_in.maker_id
    else:
        assert maker is not None
        if pause_in.maker_id not in (None, maker.id):
            raise Forbidden("A maker pauses their own printers only.", code="pause_other_maker")
        maker_id = id_of(maker)
    open_count = session.exec(
        select(func.count())
        .select_from(Pause)
        .where(same_owner(printer_id, maker_id), not_ended(now))
    ).one()
    if open_count >= OPEN_PAUSES_MAX:
        raise Conflict(
            f"At most {OPEN_PAUSES_MAX} pauses may be set ahead; end or cancel one first.",
            code="too_many_pauses",
            limit=OPEN_PAUSES_MAX,
        )
    pause = Pause(
        printer_id=printer_id,
        maker_id=maker_id,
        starts_at=starts_at,
        ends_at=pause_in.ends_at,
        reason=pause_in.reason,
        created_by=id_of(account),
    )
    session.add(pause)
    session.flush()
    return pause


def visible_pauses(
    *, session: Session, account: Account, maker: Maker | None, include_ended: bool
) -> list[Pause]:
    """The coordinator's view: every pause; a maker's: theirs and their printers'."""
    query = select(Pause).order_by(col(Pause.starts_at), col(Pause.id))
    if not include_ended:
        query = query.where(not_ended(utcnow()))
    if account.role != Role.COORDINATOR:
        assert maker is not None
        own_printers = select(Printer.id).where(Printer.maker_id == maker.id)
        query = query.where(
            or_(Pause.maker_id == maker.id, col(Pause.printer_id).in_(own_printers))
        )
    return list(session.exec(query))


def is_theirs(session: Session, pause: Pause, account: Account, maker: Maker | None) -> bool:
    """Whether the account may see and end this pause: the coordinator any, a maker
    theirs and their printers'."""
    if account.role == Role.COORDINATOR:
        return True
    assert maker is not None
    if pause.printer_id is None:
        return pause.maker_id == maker.id
    printer = session.get(Printer, pause.printer_id)
    return printer is not None and printer.maker_id == maker.id


def end_pause(*, session: Session, account: Account, maker: Maker | None, pause_id: int) -> None:
    """Resume now: a pause that has started ends now (and stays on record); one that
    has not started yet is cancelled."""
    pause = session.get(Pause, pause_id)
    if pause is None or not is_theirs(session, pause, account, maker):
        raise NotFound(f"Pause {pause_id} does not exist.", code="pause_not_found", pause=pause_id)
    now = utcnow()
    if span_of(pause).ended_by(now):
        return
    if pause.starts_at > now:
        session.delete(pause)
    else:
        pause.ends_at = now
        session.add(pause)
    session.flush()


def pause_spans(session: Session, printers: Iterable[Printer]) -> dict[int, list[Span]]:
    """Each printer's pauses not ended yet, its own and its maker's."""
    makers = {id_of(printer): printer.maker_id for printer in printers}
    if not makers:
        return {}
    now = utcnow()
    spans: dict[int, list[Span]] = {printer_id: [] for printer_id in makers}
    for pause in session.exec(
        select(Pause).where(
            or_(
                col(Pause.printer_id).in_(list(makers)),
                col(Pause.maker_id).in_(set(makers.values())),
            ),
            not_ended(now),
        )
    ):
        for printer_id, maker_id in makers.items():
            if pause.printer_id == printer_id or (
                pause.printer_id is None and pause.maker_id == maker_id
            ):
                spans[printer_id].append(span_of(pause))
    return spans


def paused_printers(session: Session, printer_ids: Iterable[int], moment: datetime) -> set[int]:
    """Those of `printer_ids` under a pause at `moment`, their own or their maker's."""
    ids = list(printer_ids)
    if not ids:
        return set()
    makers = {
        printer_id: maker_id
        for printer_id, maker_id in session.exec(
            select(Printer.id, Printer.maker_id).where(col(Printer.id).in_(ids))
        )
        if printer_id is not None
    }
    pauses = session.exec(
        select(Pause).where(
            or_(col(Pause.printer_id).in_(ids), col(Pause.maker_id).in_(set(makers.values()))),
            col(Pause.starts_at) <= moment,
            not_ended(moment),
        )
    )
    paused_makers: set[int] = set()
    paused: set[int] = set()
    for pause in pauses:
        if pause.printer_id is not None:
            paused.add(pause.printer_id)
        elif pause.maker_id is not None:
            paused_makers.add(pause.maker_id)
    return paused | {pid for pid, maker_id in makers.items() if maker_id in paused_makers}
