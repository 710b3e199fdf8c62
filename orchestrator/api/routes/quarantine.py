"""Quarantine and recall, for the coordinator: hold suspect goods (a batch, a job, a
printer's or a maker's output, or a period), release or scrap them, and list the centres
that received goods of a hold.

The POSTs that move goods accept an `Idempotency-Key` (`CommitOnceDep`).
"""

from __future__ import annotations

from orchestrator.api.deps import Coordinator, RowId, SessionDep
from orchestrator.api.idempotency import CommitOnceDep
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import HoldCreate, HoldDetail, HoldPublic, HoldScrap, Recall
from orchestrator.services import quarantine

router = api_router(prefix="/holds", tags=["quarantine"])


@router.post("", response_model=HoldDetail, status_code=201)
def place_hold(
    hold_in: HoldCreate, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> HoldDetail:
    """Put everything the scope reaches, before delivery, in quarantine; goods it reaches
    later (a held printer's next job) go straight there too."""
    return commit_once(
        body=hold_in,
        act=lambda: quarantine.place_hold(session=session, hold_in=hold_in, actor=actor),
        public=lambda hold: quarantine.hold_detail(session=session, hold=hold),
    )


@router.get("", response_model=list[HoldPublic])
def list_holds(session: SessionDep, _coordinator: Coordinator) -> list[HoldPublic]:
    """Every hold, newest first, with how many goods each holds now."""
    return quarantine.list_holds(session=session)


@router.get("/{hold_id}", response_model=HoldDetail)
def read_hold(hold_id: RowId, session: SessionDep, _coordinator: Coordinator) -> HoldDetail:
    """A hold with what it holds, per item and original stage, and per lot."""
    hold = quarantine.get_hold(session=session, hold_id=hold_id)
    return quarantine.hold_detail(session=session, hold=hold)


@router.post("/{hold_id}/release", response_model=HoldDetail)
def release_hold(
    hold_id: RowId, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> HoldDetail:
    """Send the hold's goods back to the stages they came from."""
    return commit_once(
        body=None,
        act=lambda: quarantine.release_hold(session=session, hold_id=hold_id, actor=actor),
        public=lambda hold: quarantine.hold_detail(session=session, hold=hold),
    )


@router.post("/{hold_id}/scrap", response_model=HoldDetail)
def scrap_hold(
    hold_id: RowId,
    scrap: HoldScrap,
    session: SessionDep,
    actor: Coordinator,
    commit_once: CommitOnceDep,
) -> HoldDetail:
    """Take the hold's goods out of stock, with the reason."""
    return commit_once(
        body=scrap,
        act=lambda: quarantine.scrap_hold(
            session=session, hold_id=hold_id, reason=scrap.reason, actor=actor
        ),
        public=lambda hold: quarantine.hold_detail(session=session, hold=hold),
    )


@router.get("/{hold_id}/recall", response_model=Recall)
def read_recall(hold_id: RowId, session: SessionDep, _coordinator: Coordinator) -> Recall:
    """The goods of the hold's scope already delivered: each centre, its batches and
    quantities, and when the centres were recorded as told."""
    hold = quarantine.get_hold(session=session, hold_id=hold_id)
    return quarantine.recall(session=session, hold=hold)


@router.post("/{hold_id}/recall/notified", response_model=Recall)
def record_recall_notified(
    hold_id: RowId, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> Recall:
    """Record that the recall's centres were told (until the notifications send it)."""
    return commit_once(
        body=None,
        act=lambda: quarantine.record_recall_notified(
            session=session,
            hold=quarantine.get_hold(session=session, hold_id=hold_id),
            actor=actor,
        ),
        public=lambda answer: answer,
    )
