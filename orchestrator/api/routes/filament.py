"""Filament where it is: makers declare the spools they hold, the hub records the spools it
sends them, and both read what is left (`orchestrator.services.filament`).

Every POST appends movements and accepts an `Idempotency-Key` (`CommitOnceDep`).
"""

from __future__ import annotations

from orchestrator.api.deps import ActingMaker, Coordinator, MakerOrCoordinator, RowId, SessionDep
from orchestrator.api.idempotency import CommitOnceDep
from orchestrator.api.routes.hub import stock_change
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import (
    FilamentBalance,
    FilamentDeclaration,
    FilamentSent,
    StockChange,
)
from orchestrator.database.tables import Account, Maker
from orchestrator.domain.errors import Forbidden, NotFound
from orchestrator.services import accounts, filament

router = api_router(tags=["filament"])


def declare_for(
    maker: Maker,
    declaration: FilamentDeclaration,
    session: SessionDep,
    actor: Account,
    commit_once: CommitOnceDep,
) -> StockChange:
    return commit_once(
        body=declaration,
        act=lambda: filament.declare(
            session=session, maker=maker, declaration=declaration, actor=actor
        ),
        public=stock_change,
    )


@router.post("/makers/me/filament", response_model=StockChange, status_code=201)
def declare_my_filament(
    declaration: FilamentDeclaration,
    session: SessionDep,
    account: MakerOrCoordinator,
    maker: ActingMaker,
    commit_once: CommitOnceDep,
) -> StockChange:
    """A maker declares a spool they hold (grams > 0), or corrects what they declared
    (grams < 0, with a reason). Their filament is tracked from then on: each job of theirs
    takes its plate's grams, and their printers get only the jobs it covers."""
    if maker is None:
        raise NotFound(
            "The coordinator has no filament: use /makers/{maker_id}/filament.",
            code="coordinator_has_no_filament",
        )
    return declare_for(maker, declaration, session, account, commit_once)


@router.post("/makers/{maker_id}/filament", response_model=StockChange, status_code=201)
def declare_filament(
    maker_id: RowId,
    declaration: FilamentDeclaration,
    session: SessionDep,
    account: MakerOrCoordinator,
    acting: ActingMaker,
    commit_once: CommitOnceDep,
) -> StockChange:
    """The coordinator declares (or corrects) a maker's spools for them."""
    if acting is not None and acting.id != maker_id:
        raise Forbidden(
            "Only the coordinator, or the maker themselves, declares a maker's filament.",
            code="filament_not_yours",
        )
    maker = accounts.get_maker(session=session, maker_id=maker_id)
    return declare_for(maker, declaration, session, account, commit_once)


@router.get("/makers/me/filament", response_model=list[FilamentBalance])
def my_filament(
    session: SessionDep, _account: MakerOrCoordinator, maker: ActingMaker
) -> list[FilamentBalance]:
    """The caller's filament per material (empty while they have declared none)."""
    if maker is None:
        raise NotFound(
            "The coordinator has no filament: see /filament.", code="coordinator_has_no_filament"
        )
    return filament.maker_balances(session, {maker.id or 0})


@router.get("/filament", response_model=list[FilamentBalance])
def all_filament(session: SessionDep, _coordinator: Coordinator) -> list[FilamentBalance]:
    """Every tracked maker's filament per material, with what it leaves them."""
    return filament.maker_balances(session)


@router.post("/filament/sent", response_model=StockChange, status_code=201)
def send_filament(
    sending: FilamentSent, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> StockChange:
    """Spools the hub gives a maker: filament on hand -> at the maker. Refused (409) when
    the hub holds less of that material."""
    return commit_once(
        body=sending,
        act=lambda: filament.send(session=session, sending=sending, actor=actor),
        public=stock_change,
    )
