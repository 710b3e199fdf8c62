"""Pauses and holidays: a maker pauses a printer, or all of theirs, now or for dates;
the coordinator pauses anyone's (`orchestrator.services.pauses`). A paused printer
finishes its print and takes nothing new.

POST accepts an `Idempotency-Key` (`CommitOnceDep`): a pause sent twice is set once.
"""

from __future__ import annotations

from fastapi import Query

from orchestrator.api.deps import ActingMaker, MakerOrCoordinator, RowId, SessionDep
from orchestrator.api.idempotency import CommitOnceDep
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import PauseCreate, PausePublic
from orchestrator.database.tables import Pause, utcnow
from orchestrator.services import pauses

router = api_router(prefix="/pauses", tags=["pauses"])


@router.post("", response_model=PausePublic, status_code=201)
def create_pause(
    pause_in: PauseCreate,
    session: SessionDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
    commit_once: CommitOnceDep,
) -> PausePublic:
    """Pause a printer (`printer_id`), or all of a maker's printers: the maker's own,
    or `maker_id`'s for the coordinator. From `starts_at` (now when absent) until
    `ends_at` (until resumed when absent)."""
    answer: PausePublic = commit_once(
        body=pause_in,
        act=lambda: pauses.create_pause(
            session=session, account=account, maker=maker, pause_in=pause_in
        ),
        public=lambda pause: pauses.public(pause, utcnow()),
    )
    return answer


@router.get("", response_model=list[PausePublic])
def list_pauses(
    session: SessionDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
    include_ended: bool = Query(default=False, description="Ended pauses too."),
) -> list[PausePublic]:
    """The pauses under way or to come (all of them with `include_ended`): the
    coordinator's view holds everyone's, a maker's their own and their printers'."""
    now = utcnow()
    found: list[Pause] = pauses.visible_pauses(
        session=session, account=account, maker=maker, include_ended=include_ended
    )
    return [pauses.public(pause, now) for pause in found]


@router.delete("/{pause_id}", status_code=204)
def end_pause(
    pause_id: RowId, session: SessionDep, account: MakerOrCoordinator, maker: ActingMaker
) -> None:
    """Resume now: a pause under way ends (and stays on record), one to come is
    cancelled."""
    pauses.end_pause(session=session, account=account, maker=maker, pause_id=pause_id)
    session.commit()
