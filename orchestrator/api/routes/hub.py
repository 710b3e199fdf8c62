"""The hub's work, recorded by the coordinator: donations, collections, QC, assembly,
disinfection, packing, deliveries, stock and traceability. Makers declare hand-ins here.

Every POST that appends movements accepts an `Idempotency-Key` (`CommitOnceDep`).
"""

from __future__ import annotations

from fastapi import Query, Response
from fastapi.responses import PlainTextResponse

from orchestrator.api.deps import (
    ActingMaker,
    Coordinator,
    MakerOrCoordinator,
    RowId,
    SessionDep,
    SettingsDep,
)
from orchestrator.api.idempotency import CommitOnceDep
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import (
    BatchCreate,
    BatchPublic,
    BatchTrace,
    CollectionCreate,
    DeliveryCreate,
    DeliveryPublic,
    DisinfectionCreate,
    DonationCreate,
    DonationPublic,
    HandInCreate,
    HandInPublic,
    MovementPublic,
    PackingCreate,
    QcCreate,
    StockChange,
)
from orchestrator.database.stock import movements_of, stock_balances
from orchestrator.database.tables import ROW_ID_MAX, Movement, StockBalance
from orchestrator.domain.errors import InvalidRequest
from orchestrator.domain.vocabulary import Item, Stage
from orchestrator.services import accounts, labels, production

router = api_router(tags=["hub"])


def stock_change(movements: list[Movement]) -> StockChange:
    return StockChange(movements=[MovementPublic.model_validate(m) for m in movements])


@router.post("/donations", response_model=DonationPublic, status_code=201)
def record_donation(
    donation_in: DonationCreate, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> DonationPublic:
    """Film sheets, elastic or filament (in grams) given to the hub."""
    return commit_once(
        body=donation_in,
        act=lambda: production.record_donation(
            session=session, donation_in=donation_in, actor=actor
        ),
        public=DonationPublic.model_validate,
    )


@router.post("/hand-ins", response_model=HandInPublic, status_code=201)
def declare_hand_in(
    hand_in: HandInCreate,
    session: SessionDep,
    _account: MakerOrCoordinator,
    maker: ActingMaker,
    commit_once: CommitOnceDep,
    maker_id: int | None = Query(
        default=None, ge=1, le=ROW_ID_MAX, description="Coordinator only: the maker handing in."
    ),
) -> HandInPublic:
    """A maker declares parts handed in to the hub; the coordinator's collection confirms."""
    if maker is None:
        if maker_id is None:
            raise InvalidRequest(
                "As coordinator, say which maker hands the parts in (maker_id).",
                code="maker_id_needed",
            )
        maker = accounts.get_maker(session=session, maker_id=maker_id)
    giver = maker
    return commit_once(
        body=hand_in,
        act=lambda: production.declare_hand_in(session=session, maker=giver, hand_in=hand_in),
        public=HandInPublic.model_validate,
    )


@router.get("/hand-ins", response_model=list[HandInPublic])
def list_hand_ins(
    session: SessionDep, _account: MakerOrCoordinator, maker: ActingMaker
) -> list[HandInPublic]:
    return [
        HandInPublic.model_validate(h)
        for h in production.visible_hand_ins(session=session, maker=maker)
    ]


@router.post("/collections", response_model=StockChange, status_code=201)
def record_collection(
    collection: CollectionCreate,
    session: SessionDep,
    actor: Coordinator,
    commit_once: CommitOnceDep,
) -> StockChange:
    """Parts collected from a maker: at_maker -> collected."""
    return commit_once(
        body=collection,
        act=lambda: production.record_collection(
            session=session, collection=collection, actor=actor
        ),
        public=stock_change,
    )


@router.post("/qc", response_model=StockChange, status_code=201)
def record_qc(
    qc: QcCreate, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> StockChange:
    """Quality control: collected -> qc_passed or rejected (with a reason)."""
    return commit_once(
        body=qc,
        act=lambda: production.record_qc(session=session, qc=qc, actor=actor),
        public=stock_change,
    )


@router.post("/batches", response_model=BatchPublic, status_code=201)
def assemble_batch(
    batch_in: BatchCreate, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> BatchPublic:
    """Assemble a batch: consumes the product's bill of materials from stock."""
    return commit_once(
        body=batch_in,
        act=lambda: production.assemble_batch(session=session, batch_in=batch_in, actor=actor),
        public=lambda batch: production.batch_public(session=session, batch=batch),
    )


@router.get("/batches", response_model=list[BatchPublic])
def list_batches(session: SessionDep, _coordinator: Coordinator) -> list[BatchPublic]:
    return [
        production.batch_public(session=session, batch=b)
        for b in production.list_batches(session=session)
    ]


@router.get("/batches/{batch_id}", response_model=BatchPublic)
def read_batch(batch_id: RowId, session: SessionDep, _coordinator: Coordinator) -> BatchPublic:
    batch = production.get_batch(session=session, batch_id=batch_id)
    return production.batch_public(session=session, batch=batch)


@router.get("/batches/{batch_id}/trace", response_model=BatchTrace)
def trace_batch(batch_id: RowId, session: SessionDep, _coordinator: Coordinator) -> BatchTrace:
    """The jobs, printers and makers a batch's parts came from, and the orders it went to."""
    batch = production.get_batch(session=session, batch_id=batch_id)
    return production.trace_batch(session=session, batch=batch)


class PdfResponse(Response):
    """So that the OpenAPI says `application/pdf`, the type the answer carries."""

    media_type = "application/pdf"


@router.get("/batches/{batch_id}/labels.pdf", response_class=PdfResponse)
def batch_labels(
    batch_id: RowId, session: SessionDep, settings: SettingsDep, _coordinator: Coordinator
) -> PdfResponse:
    """A sheet of A4 labels for the batch's boxes: batch, product, quantity, disinfection,
    and a QR code that opens the batch's public page."""
    batch = production.get_batch(session=session, batch_id=batch_id)
    pdf = labels.label_sheet_pdf(session=session, batch=batch, public_url=settings.public_url)
    return PdfResponse(
        pdf,
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-labels.pdf"'},
    )


@router.post("/batches/{batch_id}/disinfection", response_model=BatchPublic)
def disinfect_batch(
    batch_id: RowId,
    disinfection: DisinfectionCreate,
    session: SessionDep,
    actor: Coordinator,
    commit_once: CommitOnceDep,
) -> BatchPublic:
    """Record a batch's disinfection (method and date): assembled -> disinfected."""
    return commit_once(
        body=disinfection,
        act=lambda: production.disinfect_batch(
            session=session,
            batch=production.get_batch(session=session, batch_id=batch_id),
            disinfection=disinfection,
            actor=actor,
        ),
        public=lambda batch: production.batch_public(session=session, batch=batch),
    )


@router.post("/packings", response_model=StockChange, status_code=201)
def pack_for_order(
    packing: PackingCreate, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> StockChange:
    """Pack disinfected goods for an order: disinfected -> packed."""
    return commit_once(
        body=packing,
        act=lambda: production.pack_for_order(session=session, packing=packing, actor=actor),
        public=stock_change,
    )


@router.post("/deliveries", response_model=DeliveryPublic, status_code=201)
def deliver(
    delivery_in: DeliveryCreate, session: SessionDep, actor: Coordinator, commit_once: CommitOnceDep
) -> DeliveryPublic:
    """Deliver packed goods to the order's health centre: packed -> delivered."""
    return commit_once(
        body=delivery_in,
        act=lambda: production.deliver(session=session, delivery_in=delivery_in, actor=actor),
        public=lambda delivery: production.delivery_public(session=session, delivery=delivery),
    )


class CsvResponse(PlainTextResponse):
    """So that the OpenAPI says `text/csv`, the type the answer carries."""

    media_type = "text/csv"


@router.get("/deliveries.csv", response_class=CsvResponse)
def export_deliveries(session: SessionDep, _coordinator: Coordinator) -> CsvResponse:
    """Every delivery as CSV, for the fab-lab's reports."""
    return CsvResponse(
        production.deliveries_csv(session=session),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="deliveries.csv"'},
    )


@router.get("/stock", response_model=list[StockBalance])
def read_stock(session: SessionDep, _coordinator: Coordinator) -> list[StockBalance]:
    """Balances by item and stage, each a sum over the ledger."""
    return stock_balances(session)


@router.get("/stock/movements", response_model=list[MovementPublic])
def read_movements(
    session: SessionDep,
    _coordinator: Coordinator,
    item: Item | None = None,
    stage: Stage | None = None,
) -> list[MovementPublic]:
    scope = {name: value for name, value in (("item", item), ("stage", stage)) if value}
    return [MovementPublic.model_validate(m) for m in movements_of(session, **scope)]
