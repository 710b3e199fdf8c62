"""Production at the hub: donations, hand-ins, collections, QC, assembly, disinfection,
packing, deliveries and their receipt, job counts, and tracing a batch to its makers.

Every operation appends movements through `orchestrator.stock`, inside one transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from orchestrator.db import lock_names
from orchestrator.errors import Conflict, Forbidden, InvalidRequest, NotFound
from orchestrator.ledger import Need, bill_of_needs
from orchestrator.services import catalogue
from orchestrator.spreadsheet import csv_text
from orchestrator.stock import Entry, add, balance, move, reserve, transfer
from orchestrator.tables import (
    PRINTED_PARTS,
    SUPPLIES,
    Account,
    Batch,
    BatchCreate,
    BatchPublic,
    BatchTrace,
    CollectionCreate,
    Delivery,
    DeliveryCreate,
    DisinfectionCreate,
    Donation,
    DonationCreate,
    HandIn,
    HandInCreate,
    Item,
    Job,
    Maker,
    Movement,
    Order,
    OrderStatus,
    PackingCreate,
    Part,
    Printer,
    Product,
    QcCreate,
    Role,
    Stage,
    TraceLine,
    id_of,
)


def record_donation(*, session: Session, donation_in: DonationCreate, actor: Account) -> Donation:
    if donation_in.item not in SUPPLIES:
        raise InvalidRequest(
            f"Donations are supplies ({', '.join(sorted(SUPPLIES))}), not {donation_in.item}."
        )
    if donation_in.item == Item.FILAMENT_G and not donation_in.material:
        raise InvalidRequest("A filament donation needs its material, such as PETG or PLA.")
    material = donation_in.material.upper() if donation_in.material else None
    donation = Donation(
        **donation_in.model_dump(exclude={"material"}), material=material, recorded_by=id_of(actor)
    )
    session.add(donation)
    session.flush()
    entry = Entry("donation", actor.id, ref=f"donation:{donation.id}", note=donation.donor)
    add(session, donation_in.item, Stage.ON_HAND, donation_in.quantity, entry, material=material)
    session.flush()
    return donation


def declare_hand_in(*, session: Session, maker: Maker, hand_in: HandInCreate) -> HandIn:
    if hand_in.item not in PRINTED_PARTS:
        raise InvalidRequest(f"Makers hand in printed parts, not {hand_in.item}.")
    declared = HandIn(**hand_in.model_dump(), maker_id=id_of(maker))
    session.add(declared)
    session.flush()
    return declared


def visible_hand_ins(*, session: Session, maker: Maker | None) -> list[HandIn]:
    query = select(HandIn).order_by(col(HandIn.id))
    if maker is not None:
        query = query.where(HandIn.maker_id == maker.id)
    return list(session.exec(query))


def record_collection(
    *, session: Session, collection: CollectionCreate, actor: Account
) -> list[Movement]:
    """The hub receives a maker's parts: at_maker -> collected, oldest jobs first."""
    maker = session.get(Maker, collection.maker_id)
    if maker is None:
        raise NotFound(f"Maker {collection.maker_id} does not exist.")
    if collection.item not in PRINTED_PARTS:
        raise InvalidRequest(
            f"Only printed parts are collected from makers, not {collection.item}."
        )
    hand_in = None
    if collection.hand_in_id is not None:
        hand_in = session.get(HandIn, collection.hand_in_id)
        if hand_in is None or hand_in.maker_id != maker.id:
            raise NotFound(f"Maker {maker.id} has no hand-in {collection.hand_in_id}.")
        if hand_in.collected_at is not None:
            raise Conflict(f"Hand-in {hand_in.id} was already collected.")
        hand_in.collected_at = datetime.now(UTC)
        session.add(hand_in)
    entry = Entry("collection", actor.id, ref=f"hand_in:{hand_in.id}" if hand_in else None)
    movements = move(
        session,
        collection.item,
        Stage.AT_MAKER,
        Stage.COLLECTED,
        collection.quantity,
        entry,
        scope=f" for maker {maker.id}",
        narrow={"maker_id": maker.id},
    )
    session.flush()
    return movements


def record_qc(*, session: Session, qc: QcCreate, actor: Account) -> list[Movement]:
    """Sort collected parts into passed and rejected, oldest lots first."""
    if qc.item not in PRINTED_PARTS:
        raise InvalidRequest(f"QC applies to printed parts, not {qc.item}.")
    if qc.passed + qc.rejected == 0:
        raise InvalidRequest("Give how many parts passed and how many were rejected.")
    if qc.rejected and not qc.reason:
        raise InvalidRequest("Say why parts were rejected (for example: delaminated, warped).")
    (taken,) = reserve(session, [Need(qc.item, Stage.COLLECTED, qc.passed + qc.rejected)])
    movements: list[Movement] = []
    passed_left = qc.passed
    for lot in taken:
        to_pass = min(lot.quantity, passed_left)
        passed_left -= to_pass
        for quantity, target, reason in (
            (to_pass, Stage.QC_PASSED, "qc_pass"),
            (lot.quantity - to_pass, Stage.REJECTED, "qc_reject"),
        ):
            if quantity:
                entry = Entry(
                    reason, actor.id, note=qc.reason if target == Stage.REJECTED else None
                )
                portion = [replace(lot, quantity=quantity)]
                movements += transfer(session, portion, qc.item, Stage.COLLECTED, target, entry)
    session.flush()
    return movements


def assemble_batch(*, session: Session, batch_in: BatchCreate, actor: Account) -> Batch:
    """Assemble N units: consume the BOM from stock and name the parts' lots in the batch."""
    product = catalogue.product_by_key(session=session, key=batch_in.product_key)
    bom = catalogue.bom_of(session=session, product=product)
    needs = bill_of_needs(bom, batch_in.quantity)
    taken = reserve(session, needs)
    batch = Batch(quantity=batch_in.quantity, product_id=id_of(product), assembled_by=id_of(actor))
    session.add(batch)
    session.flush()
    entry = Entry("assembly", actor.id, ref=f"batch:{batch.id}")
    for need, lots_taken in zip(needs, taken, strict=True):
        transfer(
            session, lots_taken, need.item, need.stage, Stage.ASSEMBLED, entry, batch_id=batch.id
        )
    # A product that is its own printed part (the AMICROCHE hook) arrives with the parts
    # moved above, still naming the jobs and makers that printed them.
    if product.item not in {need.item for need in needs}:
        add(session, Item(product.item), Stage.ASSEMBLED, batch.quantity, entry, batch_id=batch.id)
    session.flush()
    return batch


def get_batch(*, session: Session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    return batch


def batch_public(*, session: Session, batch: Batch) -> BatchPublic:
    product = session.get(Product, batch.product_id)
    assert product is not None
    return BatchPublic.model_validate(batch, update={"product_key": product.key})


def list_batches(*, session: Session) -> list[Batch]:
    return list(session.exec(select(Batch).order_by(col(Batch.id))))


def disinfect_batch(
    *, session: Session, batch: Batch, disinfection: DisinfectionCreate, actor: Account
) -> Batch:
    if batch.disinfected_at is not None:
        raise Conflict(f"Batch {batch.id} was already disinfected at {batch.disinfected_at}.")
    product = session.get(Product, batch.product_id)
    assert product is not None
    entry = Entry("disinfection", actor.id, ref=f"batch:{batch.id}", note=disinfection.method)
    move(
        session,
        Item(product.item),
        Stage.ASSEMBLED,
        Stage.DISINFECTED,
        batch.quantity,
        entry,
        scope=f" in batch {batch.id}",
        narrow={"batch_id": batch.id},
    )
    batch.disinfection_method = disinfection.method
    batch.disinfected_at = disinfection.disinfected_at or datetime.now(UTC)
    session.add(batch)
    session.flush()
    return batch


def open_order(*, session: Session, order_id: int) -> tuple[Order, Product]:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(f"Order {order_id} is cancelled.")
    product = session.get(Product, order.product_id)
    assert product is not None
    return order, product


def pack_for_order(*, session: Session, packing: PackingCreate, actor: Account) -> list[Movement]:
    """Pack disinfected goods for one order; never more than the order still needs."""
    order, product = open_order(session=session, order_id=packing.order_id)
    item = Item(product.item)
    entry = Entry("packing", actor.id, ref=f"order:{order.id}")
    # Two packings for one order must not both see room for themselves.
    lock_names(session, [f"order-goods:{order.id}"])
    # Visors and reinforced visors are both visors: pack the product ordered.
    batches = frozenset(session.exec(select(Batch.id).where(Batch.product_id == product.id)))
    (taken,) = reserve(
        session,
        [Need(item, Stage.DISINFECTED, packing.quantity)],
        f" from batches of {product.key}",
        batch_id=batches,
    )
    already = balance(session, item, Stage.PACKED, order_id=order.id) + balance(
        session, item, Stage.DELIVERED, order_id=order.id
    )
    if already + packing.quantity > order.quantity:
        raise Conflict(
            f"Order {order.id} needs {order.quantity - already} more, "
            f"not {packing.quantity}: {already} are already packed or delivered for it."
        )
    movements = transfer(
        session, taken, item, Stage.DISINFECTED, Stage.PACKED, entry, order_id=order.id
    )
    session.flush()
    return movements


def unpack_order(*, session: Session, order: Order, actor: Account) -> None:
    """Return what was packed for a cancelled order to the disinfected stock."""
    product = session.get(Product, order.product_id)
    assert product is not None
    item = Item(product.item)
    packed = balance(session, item, Stage.PACKED, order_id=order.id)
    if packed:
        entry = Entry("unpacking", actor.id, ref=f"order:{order.id}", note="order cancelled")
        move(
            session,
            item,
            Stage.PACKED,
            Stage.DISINFECTED,
            packed,
            entry,
            narrow={"order_id": order.id},
            order_id=None,
        )


def deliver(*, session: Session, delivery_in: DeliveryCreate, actor: Account) -> Delivery:
    """Deliver packed goods to the order's health centre; never more than was packed."""
    order, product = open_order(session=session, order_id=delivery_in.order_id)
    delivery = Delivery(**delivery_in.model_dump(), delivered_by=id_of(actor))
    session.add(delivery)
    session.flush()
    entry = Entry("delivery", actor.id, ref=f"delivery:{delivery.id}")
    move(
        session,
        Item(product.item),
        Stage.PACKED,
        Stage.DELIVERED,
        delivery_in.quantity,
        entry,
        scope=f" for order {order.id}",
        narrow={"order_id": order.id},
    )
    if balance(session, Item(product.item), Stage.DELIVERED, order_id=order.id) >= order.quantity:
        order.status = OrderStatus.DELIVERED
        session.add(order)
    session.flush()
    return delivery


def visible_deliveries(*, session: Session, account: Account) -> list[Delivery]:
    query = select(Delivery).order_by(col(Delivery.id))
    if account.role == Role.HEALTH_CENTRE:
        query = query.join(Order).where(Order.health_centre_id == account.id)
    return list(session.exec(query))


def confirm_receipt(*, session: Session, delivery_id: int, account: Account) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} does not exist.")
    order = session.get(Order, delivery.order_id)
    assert order is not None
    if account.role == Role.HEALTH_CENTRE and order.health_centre_id != account.id:
        raise Forbidden(f"Delivery {delivery_id} went to another health centre.")
    if delivery.received_at is not None:
        return delivery  # Confirming twice is harmless: the first confirmation stands.
    delivery.received_at = datetime.now(UTC)
    delivery.received_by = account.id
    session.add(delivery)
    session.flush()
    unconfirmed = session.exec(
        select(Delivery.id).where(
            Delivery.order_id == order.id, col(Delivery.received_at).is_(None)
        )
    ).first()
    if order.status == OrderStatus.DELIVERED and unconfirmed is None:
        order.status = OrderStatus.RECEIVED
        session.add(order)
        session.flush()
    return delivery


def deliveries_csv(*, session: Session) -> str:
    rows = session.exec(
        select(Delivery, Order, Product, Account)
        .join(Order, col(Delivery.order_id) == Order.id)
        .join(Product, col(Order.product_id) == Product.id)
        .join(Account, col(Order.health_centre_id) == Account.id)
        .order_by(col(Delivery.id))
    )
    header = [
        "delivery_id",
        "delivered_at",
        "order_id",
        "health_centre",
        "product",
        "quantity",
        "delivery_address",
        "received_at",
    ]
    return csv_text(
        header,
        (
            [
                delivery.id,
                delivery.delivered_at.isoformat(),
                order.id,
                centre.name,
                product.key,
                delivery.quantity,
                order.delivery_address,
                delivery.received_at.isoformat() if delivery.received_at else "",
            ]
            for delivery, order, product, centre in rows
        ),
    )


def count_job_done(*, session: Session, job: Job, actor: Account | None) -> bool:
    """Add a finished job's parts to its maker's stock, exactly once.

    Returns False when they were already counted: a repeated "done" changes nothing. The
    unique dedup key makes this hold even when two deliveries of the event race.
    """
    dedup_key = f"job-done:{job.id}"
    if session.exec(select(Movement.id).where(Movement.dedup_key == dedup_key)).first():
        return False
    part = session.get(Part, job.part_id)
    printer = session.get(Printer, job.printer_id) if job.printer_id else None
    assert part is not None
    entry = Entry("job_done", actor.id if actor else None, ref=f"job:{job.id}")
    try:
        with session.begin_nested():
            add(
                session,
                Item(part.bom_role),
                Stage.AT_MAKER,
                job.copies,
                entry,
                job_id=job.id,
                maker_id=printer.maker_id if printer else None,
                dedup_key=dedup_key,
            )
    except IntegrityError:
        return False
    return True


def trace_batch(*, session: Session, batch: Batch) -> BatchTrace:
    """Which jobs, printers and makers a batch's printed parts came from, and where it went."""
    used = session.exec(
        select(Movement, Job, Maker)
        .join(Job, col(Movement.job_id) == Job.id, isouter=True)
        .join(Maker, col(Movement.maker_id) == Maker.id, isouter=True)
        .where(
            Movement.batch_id == batch.id,
            Movement.stage == Stage.ASSEMBLED,
            col(Movement.item).in_(list(PRINTED_PARTS)),
            Movement.delta > 0,
        )
        .order_by(col(Movement.id))
    )
    parts = [
        TraceLine(
            item=Item(m.item),
            quantity=m.delta,
            job_id=m.job_id,
            maker_id=m.maker_id,
            maker_name=maker.display_name if maker else None,
            printer_id=job.printer_id if job else None,
        )
        for m, job, maker in used
    ]
    orders = session.exec(
        select(Movement.order_id)
        .where(Movement.batch_id == batch.id, col(Movement.order_id).is_not(None))
        .distinct()
    )
    return BatchTrace(
        batch=batch_public(session=session, batch=batch),
        parts=parts,
        makers=sorted({line.maker_name for line in parts if line.maker_name}),
        orders=sorted(order_id for order_id in orders if order_id is not None),
    )
