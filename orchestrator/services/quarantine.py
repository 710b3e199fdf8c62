"""Quarantine and recall: holding suspect goods, releasing or scrapping them, and naming the
centres that already received some.

A hold's *scope* (a batch, a job, a printer's or a maker's jobs, or a period) reaches a set
of jobs and a set of batches: the jobs' printed parts, and the batches those parts went
into. Everything of that reach still before delivery — parts at the maker, collected or
passed QC, goods assembled, disinfected or packed — moves to the quarantined stage in one
transaction, each lot keeping its job, maker, batch, order and material, and remembering
the stage it came from (`Movement.held_from`). Every movement of a hold names it
(`Movement.hold_id`), so the ledger alone tells what a hold did.

No other operation reads the quarantined stage: collection, QC, assembly, disinfection,
packing and delivery simply find nothing there. Parts printed later by a held job, printer
or maker go straight to quarantine as they are counted (`hold_new_parts`). A period hold
ends, at the latest, when it was placed: it never reaches goods made afterwards.

Every writer here first takes, in one call, the locks of every balance a hold may touch,
so that a hold, a release, a scrap or a routed job never interleave with each other, nor
with a packing or an assembly of the same goods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from orchestrator.api.schemas import (
    HeldLine,
    HeldLot,
    HoldCreate,
    HoldDetail,
    HoldPublic,
    Recall,
    RecallBatch,
    RecallCentre,
)
from orchestrator.database.engine import lock_stock
from orchestrator.database.stock import LOT_COLUMNS, Entry, add, lots
from orchestrator.database.tables import (
    Account,
    Batch,
    Hold,
    Job,
    Maker,
    Movement,
    Order,
    Part,
    Printer,
    Product,
    id_of,
)
from orchestrator.domain.errors import Conflict, InvalidRequest, NotFound
from orchestrator.domain.ledger import Lot
from orchestrator.domain.vocabulary import (
    FINISHED_STAGES,
    PART_STAGES,
    PRINTED_PARTS,
    HoldScope,
    HoldStatus,
    Item,
    OrderStatus,
    Stage,
)
from orchestrator.services.local_days import Period

GOODS_STAGES = (*FINISHED_STAGES, Stage.PACKED)
"""Where finished goods wait before delivery: a hold takes them from there."""

HELD_STAGES = (*PART_STAGES, *GOODS_STAGES)
"""Every stage before delivery a hold takes from (rejected parts are out of the flow)."""

TARGETS: dict[HoldScope, type[Batch] | type[Job] | type[Printer] | type[Maker]] = {
    HoldScope.BATCH: Batch,
    HoldScope.JOB: Job,
    HoldScope.PRINTER: Printer,
    HoldScope.MAKER: Maker,
}


@dataclass(frozen=True)
class Reach:
    """What a hold's scope reaches: the jobs whose printed parts it holds, and the batches
    whose finished goods it holds (those the jobs' parts went into, and any it names)."""

    jobs: frozenset[int]
    batches: frozenset[int]

    def covers(self, item: Item, stage: Stage, lot: Lot, goods: frozenset[Item]) -> bool:
        if item in PRINTED_PARTS and stage in PART_STAGES:
            return lot.job_id in self.jobs
        return item in goods and stage in GOODS_STAGES and lot.batch_id in self.batches


@dataclass(frozen=True)
class HeldGoods:
    """Goods of one lot at one stage: where a hold takes them from, or puts them back."""

    item: Item
    stage: Stage
    lot: Lot


# --- placing a hold -------------------------------------------------------------------


def place_hold(*, session: Session, hold_in: HoldCreate, actor: Account) -> Hold:
    """Put everything the scope reaches, before delivery, in quarantine under a new hold."""
    check_scope(session, hold_in)
    goods = finished_goods(session)
    lock_everything_held(session, goods)
    if hold_in.scope != HoldScope.PERIOD:
        same = session.exec(
            select(Hold.id).where(
                Hold.status == HoldStatus.ACTIVE,
                Hold.scope == hold_in.scope,
                Hold.target_id == hold_in.id,
            )
        ).first()
        if same is not None:
            raise Conflict(
                f"This {hold_in.scope} is already on hold (hold {same}).",
                code="already_on_hold",
                scope=hold_in.scope,
                hold=same,
            )
    hold = Hold(
        scope=hold_in.scope,
        target_id=hold_in.id,
        since=hold_in.since,
        until=hold_in.until,
        reason=hold_in.reason,
        placed_by=id_of(actor),
    )
    session.add(hold)
    session.flush()
    entry = Entry("quarantine", actor.id, ref=f"hold:{hold.id}")
    for held in goods_in_reach(session, reach_of(session, hold), goods):
        quarantine(session, hold, held, entry)
    session.flush()
    return hold


def check_scope(session: Session, hold_in: HoldCreate) -> None:
    """A period gives its two days and no id; every other scope names an existing row."""
    if hold_in.scope == HoldScope.PERIOD:
        if hold_in.since is None or hold_in.until is None or hold_in.id is not None:
            raise InvalidRequest(
                "A period hold gives `since` and `until`, and no `id`.", code="period_hold_fields"
            )
        if hold_in.since > hold_in.until:
            raise InvalidRequest(
                "A period hold's `since` must not be after its `until`.",
                code="period_hold_reversed",
            )
        return
    if hold_in.id is None or hold_in.since is not None or hold_in.until is not None:
        raise InvalidRequest(
            f"A {hold_in.scope} hold gives the {hold_in.scope}'s `id` only.",
            code="hold_needs_id_only",
            scope=hold_in.scope,
        )
    if session.get(TARGETS[hold_in.scope], hold_in.id) is None:
        raise NotFound(
            f"{hold_in.scope.capitalize()} {hold_in.id} does not exist.",
            code="hold_target_not_found",
            scope=hold_in.scope,
            target=hold_in.id,
        )


def quarantine(session: Session, hold: Hold, held: HeldGoods, entry: Entry) -> None:
    """Move one lot from its stage to quarantine under `hold`, keeping its origin."""
    origin = lot_origin(held.lot)
    quantity = held.lot.quantity
    add(session, held.item, held.stage, -quantity, entry, **origin, hold_id=hold.id)
    add(
        session,
        held.item,
        Stage.QUARANTINED,
        quantity,
        entry,
        **origin,
        hold_id=hold.id,
        held_from=held.stage,
    )


def hold_new_parts(*, session: Session, job: Job, actor: Account | None) -> None:
    """Parts a job just printed go straight to quarantine if an active hold names the job,
    its printer or its maker (called as the job's parts are counted, in that transaction).

    The locks come before the look at the holds, so that a hold placed at the same moment
    either sees these parts at the maker or is seen here."""
    part = session.get(Part, job.part_id)
    assert part is not None
    item = Item(part.bom_role)
    lock_stock(session, [(item, Stage.AT_MAKER), (item, Stage.QUARANTINED)])
    printer = session.get(Printer, job.printer_id) if job.printer_id else None
    named = {
        HoldScope.JOB: job.id,
        HoldScope.PRINTER: job.printer_id,
        HoldScope.MAKER: printer.maker_id if printer else None,
    }
    holds = session.exec(
        select(Hold)
        .where(Hold.status == HoldStatus.ACTIVE, col(Hold.scope).in_(list(named)))
        .order_by(col(Hold.id))
    )
    hold = next(
        (h for h in holds if h.target_id is not None and h.target_id == named[h.scope]), None
    )
    if hold is None:
        return
    entry = Entry("quarantine", actor.id if actor else None, ref=f"hold:{hold.id}")
    for lot in lots(session, item, Stage.AT_MAKER, job_id=id_of(job)):
        quarantine(session, hold, HeldGoods(item, Stage.AT_MAKER, lot), entry)
    session.flush()


# --- releasing and scrapping ----------------------------------------------------------


def release_hold(*, session: Session, hold_id: int, actor: Account) -> Hold:
    """Put the hold's goods back at the stages they came from.

    Goods another active hold also reaches move to that hold instead (the oldest one), so
    that releasing one of two overlapping holds frees nothing the other still holds.
    Goods that were packed for an order cancelled meanwhile go back to the disinfected
    stock, as unpacking a cancelled order does."""
    goods = finished_goods(session)
    hold = active_hold(session, hold_id, goods)
    others = [
        (other, reach_of(session, other))
        for other in session.exec(
            select(Hold)
            .where(Hold.status == HoldStatus.ACTIVE, Hold.id != hold.id)
            .order_by(col(Hold.id))
        )
    ]
    cancelled = set(
        session.exec(select(Order.id).where(Order.status == OrderStatus.CANCELLED)).all()
    )
    entry = Entry("release", actor.id, ref=f"hold:{hold.id}")
    for held in held_goods(session, id_of(hold)):
        origin = lot_origin(held.lot)
        quantity = held.lot.quantity
        add(
            session,
            held.item,
            Stage.QUARANTINED,
            -quantity,
            entry,
            **origin,
            hold_id=hold.id,
            held_from=held.stage,
        )
        still = next(
            (
                other
                for other, reach in others
                if reach.covers(held.item, held.stage, held.lot, goods)
            ),
            None,
        )
        if still is not None:
            add(
                session,
                held.item,
                Stage.QUARANTINED,
                quantity,
                Entry("quarantine", actor.id, ref=f"hold:{still.id}"),
                **origin,
                hold_id=still.id,
                held_from=held.stage,
            )
        elif held.stage == Stage.PACKED and held.lot.order_id in cancelled:
            unpacked = origin | {"order_id": None}
            add(session, held.item, Stage.DISINFECTED, quantity, entry, **unpacked, hold_id=hold.id)
        else:
            add(session, held.item, held.stage, quantity, entry, **origin, hold_id=hold.id)
    close(hold, HoldStatus.RELEASED, actor)
    session.add(hold)
    session.flush()
    return hold


def scrap_hold(*, session: Session, hold_id: int, reason: str, actor: Account) -> Hold:
    """Take the hold's goods out of stock, each lot with a movement that says why."""
    goods = finished_goods(session)
    hold = active_hold(session, hold_id, goods)
    entry = Entry("scrapped", actor.id, ref=f"hold:{hold.id}", note=reason)
    for held in held_goods(session, id_of(hold)):
        add(
            session,
            held.item,
            Stage.QUARANTINED,
            -held.lot.quantity,
            entry,
            **lot_origin(held.lot),
            hold_id=hold.id,
            held_from=held.stage,
        )
    close(hold, HoldStatus.SCRAPPED, actor)
    hold.scrap_reason = reason
    session.add(hold)
    session.flush()
    return hold


def active_hold(session: Session, hold_id: int, goods: frozenset[Item]) -> Hold:
    """The hold, read after the locks are taken: two releases (or a release and a scrap)
    of one hold meet here, and the second finds it closed."""
    lock_everything_held(session, goods)
    hold = session.exec(
        select(Hold).where(Hold.id == hold_id).execution_options(populate_existing=True)
    ).first()
    if hold is None:
        raise NotFound(f"Hold {hold_id} does not exist.", code="hold_not_found", hold=hold_id)
    if hold.status != HoldStatus.ACTIVE:
        raise Conflict(
            f"Hold {hold_id} was already {hold.status} at {hold.closed_at}.",
            code="hold_already_closed",
            hold=hold_id,
            hold_status=hold.status,
            closed_at=hold.closed_at,
        )
    return hold


def close(hold: Hold, status: HoldStatus, actor: Account) -> None:
    hold.status = status
    hold.closed_at = datetime.now(UTC)
    hold.closed_by = id_of(actor)


# --- reading --------------------------------------------------------------------------


def get_hold(*, session: Session, hold_id: int) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(f"Hold {hold_id} does not exist.", code="hold_not_found", hold=hold_id)
    return hold


def list_holds(*, session: Session) -> list[HoldPublic]:
    """Every hold, newest first, with what each holds now."""
    held = held_per_hold(session)
    holds = session.exec(select(Hold).order_by(col(Hold.id).desc()))
    return [hold_public(hold, held.get(id_of(hold), 0)) for hold in holds]


def held_per_hold(session: Session) -> dict[int, int]:
    """Goods in quarantine under each hold that still holds some."""
    rows = session.exec(
        select(Movement.hold_id, func.sum(Movement.delta))
        .where(Movement.stage == Stage.QUARANTINED)
        .group_by(col(Movement.hold_id))
    )
    return {int(hold_id): int(total) for hold_id, total in rows if hold_id and total}


def hold_public(hold: Hold, held: int) -> HoldPublic:
    return HoldPublic.model_validate(hold, update={"held": held})


def hold_detail(*, session: Session, hold: Hold) -> HoldDetail:
    """The hold with what it holds, per item and original stage and per lot."""
    held_lots = held_goods(session, id_of(hold))
    lines: dict[tuple[Item, Stage], int] = defaultdict(int)
    for held in held_lots:
        lines[(held.item, held.stage)] += held.lot.quantity
    return HoldDetail.model_validate(
        hold,
        update={
            "held": sum(lines.values()),
            "lines": [
                HeldLine(item=item, held_from=stage, quantity=quantity)
                for (item, stage), quantity in sorted(lines.items())
            ],
            "lots": [
                HeldLot(
                    item=held.item,
                    held_from=held.stage,
                    quantity=held.lot.quantity,
                    job_id=held.lot.job_id,
                    maker_id=held.lot.maker_id,
                    batch_id=held.lot.batch_id,
                    order_id=held.lot.order_id,
                )
                for held in held_lots
            ],
            "batch_ids": sorted(reach_of(session, hold).batches),
        },
    )


def recall(*, session: Session, hold: Hold) -> Recall:
    """The goods of the hold's reach already delivered: each centre, with the batches it
    received, per order, and the deliveries that carried them."""
    batches = reach_of(session, hold).batches
    goods = finished_goods(session)
    delivered = session.exec(
        select(Movement.order_id, Movement.batch_id, func.sum(Movement.delta))
        .where(
            Movement.stage == Stage.DELIVERED,
            col(Movement.item).in_(list(goods)),
            col(Movement.batch_id).in_(list(batches)),
        )
        .group_by(col(Movement.order_id), col(Movement.batch_id))
        .having(func.sum(Movement.delta) > 0)
    ).all()
    carried: dict[tuple[int, int], set[int]] = defaultdict(set)
    for order_id, batch_id, ref in session.exec(
        select(Movement.order_id, Movement.batch_id, Movement.ref).where(
            Movement.stage == Stage.DELIVERED,
            Movement.delta > 0,
            col(Movement.batch_id).in_(list(batches)),
            col(Movement.ref).startswith("delivery:"),
        )
    ):
        carried[(int(order_id or 0), int(batch_id or 0))].add(int(str(ref).split(":", 1)[1]))
    order_ids = {int(order_id) for order_id, _, _ in delivered if order_id is not None}
    centres = {
        order_id: (centre_id, name)
        for order_id, centre_id, name in session.exec(
            select(Order.id, Account.id, Account.name)
            .join(Account, col(Order.health_centre_id) == Account.id)
            .where(col(Order.id).in_(order_ids))
        )
    }
    by_centre: dict[tuple[int, str], list[RecallBatch]] = defaultdict(list)
    for order_id, batch_id, quantity in delivered:
        if order_id is None or batch_id is None:
            continue  # delivered goods always carry both; nothing else can be recalled
        centre_id, name = centres[int(order_id)]
        by_centre[(int(centre_id or 0), name)].append(
            RecallBatch(
                batch_id=batch_id,
                order_id=order_id,
                quantity=int(quantity),
                delivery_ids=sorted(carried[(order_id, batch_id)]),
            )
        )
    listed = [
        RecallCentre(
            centre_id=centre_id,
            centre_name=name,
            quantity=sum(line.quantity for line in lines),
            batches=sorted(lines, key=lambda line: (line.batch_id, line.order_id)),
        )
        for (centre_id, name), lines in sorted(by_centre.items(), key=lambda kv: kv[0][1])
    ]
    return Recall(
        hold_id=id_of(hold),
        quantity=sum(centre.quantity for centre in listed),
        centres=listed,
        notified_at=hold.recall_notified_at,
    )


def record_recall_notified(*, session: Session, hold: Hold, actor: Account) -> Recall:
    """Record that the centres of the recall were told.

    This is the hook for the notifications: until they land, the coordinator tells the
    centres (by phone, by mail) and records it here; the notifications will send from
    here, then record the same moment."""
    listed = recall(session=session, hold=hold)
    if not listed.centres:
        raise Conflict(
            f"Nothing of hold {hold.id} was delivered: there is no centre to tell.",
            code="hold_nothing_delivered",
            hold=hold.id,
        )
    hold.recall_notified_at = datetime.now(UTC)
    hold.recall_notified_by = id_of(actor)
    session.add(hold)
    session.flush()
    return listed.model_copy(update={"notified_at": hold.recall_notified_at})


# --- the reach of a scope, and the lots in it -----------------------------------------


def reach_of(session: Session, hold: Hold) -> Reach:
    """The jobs and batches the hold's scope reaches, read from the ledger."""
    target = hold.target_id
    batches: set[int] = set()
    if hold.scope == HoldScope.BATCH:
        jobs: set[int] = set()
        batches.add(int(target or 0))
    elif hold.scope == HoldScope.JOB:
        jobs = {int(target or 0)}
    elif hold.scope == HoldScope.PRINTER:
        jobs = ids(session.exec(select(col(Job.id)).where(Job.printer_id == target)))
    elif hold.scope == HoldScope.MAKER:
        jobs = ids(
            session.exec(
                select(col(Movement.job_id))
                .where(Movement.maker_id == target, col(Movement.job_id).is_not(None))
                .distinct()
            )
        )
    else:
        start, end = period_bounds(hold)
        jobs = ids(
            session.exec(
                select(col(Movement.job_id))
                .where(
                    Movement.reason == "job_done",
                    col(Movement.item).in_(list(PRINTED_PARTS)),
                    Movement.delta > 0,
                    Movement.at >= start,
                    Movement.at < end,
                )
                .distinct()
            )
        )
        batches |= ids(
            session.exec(
                select(col(Batch.id)).where(Batch.assembled_at >= start, Batch.assembled_at < end)
            )
        )
    batches |= batches_using(session, jobs)
    return Reach(jobs=frozenset(jobs), batches=frozenset(batches))


def period_bounds(hold: Hold) -> tuple[datetime, datetime]:
    """From the first local day's start to the last one's end, and never past the moment
    the hold was placed: a period hold holds what was made, not what comes next."""
    assert hold.since is not None and hold.until is not None
    days = Period(hold.since, hold.until)
    return days.start, min(days.end, hold.placed_at)


def batches_using(session: Session, jobs: Iterable[int]) -> set[int]:
    """The batches that assembled parts of these jobs."""
    jobs = list(jobs)
    if not jobs:
        return set()
    return ids(
        session.exec(
            select(col(Movement.batch_id))
            .where(
                Movement.stage == Stage.ASSEMBLED,
                Movement.delta > 0,
                col(Movement.item).in_(list(PRINTED_PARTS)),
                col(Movement.job_id).in_(jobs),
                col(Movement.batch_id).is_not(None),
            )
            .distinct()
        )
    )


def ids(values: Iterable[int | None]) -> set[int]:
    return {int(value) for value in values if value is not None}


def finished_goods(session: Session) -> frozenset[Item]:
    """The items products are (visor, amicroche): what a batch makes and a centre gets.
    The other lines of a batch (a headband in a visor, film, elastic) are used up in it."""
    return frozenset(Item(item) for item in session.exec(select(Product.item).distinct()))


def lock_everything_held(session: Session, goods: frozenset[Item]) -> None:
    """Every balance a hold takes from or gives back to, and quarantine, in one call (one
    sorted order, so two of these never wait on each other)."""
    keys = [(item, stage) for item in PRINTED_PARTS for stage in (*PART_STAGES, Stage.QUARANTINED)]
    keys += [(item, stage) for item in goods for stage in (*GOODS_STAGES, Stage.QUARANTINED)]
    lock_stock(session, keys)


def goods_in_reach(session: Session, reach: Reach, goods: frozenset[Item]) -> list[HeldGoods]:
    """The positive lots before delivery that the reach covers, oldest first."""
    columns = [getattr(Movement, name) for name in LOT_COLUMNS]
    query = (
        select(Movement.item, Movement.stage, *columns, func.sum(Movement.delta))  # type: ignore[call-overload]
        .where(
            or_(
                and_(
                    col(Movement.item).in_(list(PRINTED_PARTS)),
                    col(Movement.stage).in_(list(PART_STAGES)),
                    col(Movement.job_id).in_(list(reach.jobs)),
                ),
                and_(
                    col(Movement.item).in_(list(goods)),
                    col(Movement.stage).in_(list(GOODS_STAGES)),
                    col(Movement.batch_id).in_(list(reach.batches)),
                ),
            )
        )
        .group_by(Movement.item, Movement.stage, *columns)
        .having(func.sum(Movement.delta) > 0)
        .order_by(func.min(Movement.id))
    )
    return [HeldGoods(Item(row[0]), Stage(row[1]), lot_of(row[2:])) for row in session.exec(query)]


def held_goods(session: Session, hold_id: int) -> list[HeldGoods]:
    """What a hold has in quarantine, per lot, with the stage each lot came from."""
    columns = [getattr(Movement, name) for name in LOT_COLUMNS]
    query = (
        select(Movement.item, Movement.held_from, *columns, func.sum(Movement.delta))  # type: ignore[call-overload]
        .where(Movement.stage == Stage.QUARANTINED, Movement.hold_id == hold_id)
        .group_by(Movement.item, Movement.held_from, *columns)
        .having(func.sum(Movement.delta) > 0)
        .order_by(func.min(Movement.id))
    )
    return [HeldGoods(Item(row[0]), Stage(row[1]), lot_of(row[2:])) for row in session.exec(query)]


def lot_of(row: Sequence[object]) -> Lot:
    """A lot from its LOT_COLUMNS followed by its quantity."""
    origin = dict(zip(LOT_COLUMNS, row[: len(LOT_COLUMNS)], strict=True))
    return Lot(quantity=int(row[len(LOT_COLUMNS)]), **origin)  # type: ignore[arg-type, call-overload]


def lot_origin(lot: Lot) -> dict[str, object]:
    return {name: getattr(lot, name) for name in LOT_COLUMNS}
