"""The ledger's edge: reading lots and appending movements inside the caller's transaction.

Every function here runs in the caller's session and never commits, so that a whole
operation (an assembly, a delivery) lands in one transaction or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator.database.engine import lock_stock
from orchestrator.database.tables import Movement, StockBalance
from orchestrator.domain.ledger import Lot, Need, check_available, take_oldest_first
from orchestrator.domain.vocabulary import Item, Stage


@dataclass(frozen=True)
class Entry:
    """Who records a movement, why, and with what reference."""

    reason: str
    actor_id: int | None
    ref: str | None = None
    note: str | None = None


LOT_COLUMNS = ("job_id", "maker_id", "batch_id", "order_id", "material")


def lots(
    session: Session, item: Item, stage: Stage, **scope: int | str | frozenset[int] | None
) -> list[Lot]:
    """The positive lots of one item at one stage, oldest first, optionally narrowed
    to a maker, an order, a batch (or any of a set of batches) or a material."""
    columns = [getattr(Movement, name) for name in LOT_COLUMNS]
    query = (
        select(*columns, func.sum(Movement.delta), func.min(Movement.id))  # type: ignore[call-overload]
        .where(Movement.item == item, Movement.stage == stage)
        .group_by(*columns)
        .having(func.sum(Movement.delta) > 0)
        .order_by(func.min(Movement.id))
    )
    for name, value in scope.items():
        column = getattr(Movement, name)
        query = query.where(column.in_(value) if isinstance(value, frozenset) else column == value)
    return [
        Lot(quantity=int(row[5]), **dict(zip(LOT_COLUMNS, row[:5], strict=True)))
        for row in session.exec(query)
    ]


def add(
    session: Session, item: Item, stage: Stage, quantity: int, entry: Entry, **lot: Any
) -> Movement:
    """Stock that arrives from outside the ledger: a donation, a job's printed parts."""
    movement = Movement(
        item=item,
        stage=stage,
        delta=quantity,
        reason=entry.reason,
        ref=entry.ref,
        note=entry.note,
        actor_id=entry.actor_id,
        **lot,
    )
    session.add(movement)
    return movement


def reserve(
    session: Session, needs: Sequence[Need], scope: str = "", **narrow: Any
) -> list[list[Lot]]:
    """Lock the needed balances, check them all, and return the lots each need takes.

    All needs are checked before anything is written, so that a refusal names the first
    missing item and nothing is half done.
    """
    lock_stock(session, [(need.item, need.stage) for need in needs])
    chosen = []
    for need in needs:
        candidates = lots(session, need.item, need.stage, **narrow)
        check_available(need, candidates, scope)
        chosen.append(take_oldest_first(candidates, need.quantity))
    return chosen


def transfer(
    session: Session,
    taken: Iterable[Lot],
    item: Item,
    source: Stage,
    target: Stage | None,
    entry: Entry,
    **relabel: Any,
) -> list[Movement]:
    """Move reserved lots from one stage to another (or out of stock when target is None).

    The leaving movement names exactly the lot it empties; the arriving one keeps the lot's
    origin plus what `relabel` adds, such as the batch that used it or the order it is
    packed for.
    """
    movements = []
    for lot in taken:
        origin = {name: getattr(lot, name) for name in LOT_COLUMNS}
        movements.append(add(session, item, source, -lot.quantity, entry, **origin))
        if target is not None:
            arriving = origin | relabel
            movements.append(add(session, item, target, lot.quantity, entry, **arriving))
    return movements


def move(
    session: Session,
    item: Item,
    source: Stage,
    target: Stage | None,
    quantity: int,
    entry: Entry,
    scope: str = "",
    narrow: dict[str, Any] | None = None,
    **relabel: Any,
) -> list[Movement]:
    """Reserve and transfer in one step, for operations on a single item."""
    (taken,) = reserve(session, [Need(item, source, quantity)], scope, **(narrow or {}))
    return transfer(session, taken, item, source, target, entry, **relabel)


def balance(session: Session, item: Item, stage: Stage, **scope: Any) -> int:
    query = select(func.coalesce(func.sum(Movement.delta), 0)).where(
        Movement.item == item, Movement.stage == stage
    )
    for name, value in scope.items():
        column = getattr(Movement, name)
        query = query.where(column.in_(value) if isinstance(value, frozenset) else column == value)
    return int(session.exec(query).one())


def order_balances(
    session: Session, stages: Sequence[Stage], order_ids: Sequence[int] | None = None
) -> dict[tuple[int, Stage], int]:
    """Goods held for each order (or for `order_ids`) at the given stages, in one query:
    (order, stage) -> units. Only finished goods are ever labelled with an order."""
    query = (
        select(Movement.order_id, Movement.stage, func.sum(Movement.delta))
        .where(col(Movement.order_id).is_not(None), col(Movement.stage).in_(stages))
        .group_by(col(Movement.order_id), col(Movement.stage))
    )
    if order_ids is not None:
        query = query.where(col(Movement.order_id).in_(order_ids))
    rows = session.exec(query)
    return {(int(order_id or 0), Stage(stage)): int(total) for order_id, stage, total in rows}


def stock_balances(session: Session) -> list[StockBalance]:
    query = (
        select(Movement.item, Movement.stage, Movement.material, func.sum(Movement.delta))
        .group_by(col(Movement.item), col(Movement.stage), col(Movement.material))
        .order_by(col(Movement.item), col(Movement.stage), col(Movement.material))
    )
    totals: dict[tuple[str, str, str | None], int] = {}
    for item, stage, material, total in session.exec(query):
        # Only filament is kept per material; other items are one balance per stage.
        key = (item, stage, material if item == Item.FILAMENT_G else None)
        totals[key] = totals.get(key, 0) + int(total)
    return [
        StockBalance(item=Item(item), stage=Stage(stage), material=material, quantity=quantity)
        for (item, stage, material), quantity in totals.items()
    ]


def movements_of(session: Session, **scope: Any) -> list[Movement]:
    query = select(Movement).order_by(col(Movement.id))
    for name, value in scope.items():
        column = getattr(Movement, name)
        query = query.where(column.in_(value) if isinstance(value, frozenset) else column == value)
    return list(session.exec(query))
