"""Production at the hub: donations, hand-ins, collections, QC, assembly, disinfection,
packing, deliveries and their receipt, job counts, and tracing a batch to its makers.

Every operation appends movements through `orchestrator.database.stock`, inside one transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from orchestrator.api.schemas import (
    BatchCreate,
    BatchPublic,
    BatchTrace,
    CollectionCreate,
    DeliveryBatch,
    DeliveryCreate,
    DeliveryPublic,
    DisinfectionCreate,
    DonationCreate,
    HandInCreate,
    PackingCreate,
    QcCreate,
    TraceLine,
)
from orchestrator.database.engine import lock_names
from orchestrator.database.stock import Entry, add, balance, move, reserve, transfer
from orchestrator.database.tables import (
    Account,
    Batch,
    Delivery,
    Donation,
    HandIn,
    Job,
    Maker,
    Movement,
    Order,
    Part,
    Printer,
    Product,
    id_of,
)
from orchestrator.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from orchestrator.domain.ledger import Need, bill_of_needs
from orchestrator.domain.vocabulary import (
    PRINTED_PARTS,
    SUPPLIES,
    Item,
    MessageKind,
    OrderStatus,
    Role,
    Stage,
)
from orchestrator.services import catalogue, filament, quarantine
from orchestrator.services.notifications import notify, withdraw_messages
from orchestrator.services.spreadsheet import csv_text


def record_donation(*, session: Session, donation_in: DonationCreate, actor: Account) -> Donation:
    if donation_in.item not in SUPPLIES:
        raise InvalidRequest(
            f"Donations are supplies ({', '.join(sorted(SUPPLIES))}), not {donation_in.item}.",
            code="donation_not_a_supply",
            item=donation_in.item,
            supplies=sorted(SUPPLIES),
        )
    if donation_in.item == Item.FILAMENT_G and not donation_in.material:
        raise InvalidRequest(
            "A filament donation needs its material, such as PETG or PLA.",
            code="filament_donation_needs_material",
        )
    # Filament is kept per material, spelt as makers' printers and the catalogue spell it.
    material = filament.material_name(donation_in.material) if donation_in.material else None
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
        raise InvalidRequest(
            f"Makers hand in printed parts, not {hand_in.item}.",
            code="hand_in_not_printed_part",
            item=hand_in.item,
        )
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
        raise NotFound(
            f"Maker {collection.maker_id} does not exist.",
            code="maker_not_found",
            maker=collection.maker_id,
        )
    if collection.item not in PRINTED_PARTS:
        raise InvalidRequest(
            f"Only printed parts are collected from makers, not {collection.item}.",
            code="collection_not_printed_part",
            item=collection.item,
        )
    hand_in = None
    if collection.hand_in_id is not None:
        hand_in = session.get(HandIn, collection.hand_in_id)
        if hand_in is None or hand_in.maker_id != maker.id:
            raise NotFound(
                f"Maker {maker.id} has no hand-in {collection.hand_in_id}.",
                code="hand_in_not_found",
                maker=maker.id,
                hand_in=collection.hand_in_id,
            )
        if hand_in.collected_at is not None:
            raise Conflict(
                f"Hand-in {hand_in.id} was already collected.",
                code="hand_in_already_collected",
                hand_in=hand_in.id,
            )
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
        raise InvalidRequest(
            f"QC applies to printed parts, not {qc.item}.",
            code="qc_not_printed_part",
            item=qc.item,
        )
    if qc.passed + qc.rejected == 0:
        raise InvalidRequest(
            "Give how many parts passed and how many were rejected.", code="qc_counts_missing"
        )
    if qc.rejected and not qc.reason:
        raise InvalidRequest(
            "Say why parts were rejected (for example: delaminated, warped).",
            code="qc_reason_missing",
        )
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
        raise NotFound(f"Batch {batch_id} does not exist.", code="batch_not_found", batch=batch_id)
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
        raise Conflict(
            f"Batch {batch.id} was already disinfected at {batch.disinfected_at}.",
            code="batch_already_disinfected",
            batch=batch.id,
            disinfected_at=batch.disinfected_at,
        )
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
        raise NotFound(f"Order {order_id} does not exist.", code="order_not_found", order=order_id)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(f"Order {order_id} is cancelled.", code="order_cancelled", order=order_id)
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
    # Goods packed for it and now on hold are still its own until released or scrapped.
    already += balance(session, item, Stage.QUARANTINED, order_id=order.id)
    if already + packing.quantity > order.quantity:
        raise Conflict(
            f"Order {order.id} needs {order.quantity - already} more, "
            f"not {packing.quantity}: {already} are already packed or delivered for it.",
            code="packing_quantity_wrong",
            order=order.id,
            remaining=order.quantity - already,
            quantity=packing.quantity,
            already=already,
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
    delivered = balance(session, Item(product.item), Stage.DELIVERED, order_id=order.id)
    if delivered >= order.quantity:
        order.status = OrderStatus.DELIVERED
        session.add(order)
    session.flush()
    tell_centre_of_delivery(session, order, product, delivery, delivered)
    return delivery


CENTRE_PAGE = "/centre"
# A centre that has not confirmed a delivery after this long is asked to.
RECEIPT_REMINDER_DELAY = timedelta(days=1)


def receipt_key(delivery_id: int) -> str:
    return f"receipt:{delivery_id}"


def tell_centre_of_delivery(
    session: Session, order: Order, product: Product, delivery: Delivery, delivered: int
) -> None:
    """The centre hears its goods are on their way, and a day later, unless it has
    confirmed them by then (`confirm_receipt` withdraws it), is asked to confirm."""
    params = {
        "order_id": order.id,
        "delivery_id": delivery.id,
        "quantity": delivery.quantity,
        "delivered": delivered,
        "ordered": order.quantity,
        "product_key": product.key,
        "product_fr": product.name_fr,
        "product_en": product.name_en,
    }
    notify(
        session,
        account_id=order.health_centre_id,
        kind=MessageKind.OUT_FOR_DELIVERY,
        params=params,
        link=CENTRE_PAGE,
        dedup_key=f"delivery:{delivery.id}",
    )
    notify(
        session,
        account_id=order.health_centre_id,
        kind=MessageKind.CONFIRM_RECEIPT,
        params=params,
        link=CENTRE_PAGE,
        dedup_key=receipt_key(id_of(delivery)),
        not_before=delivery.delivered_at + RECEIPT_REMINDER_DELAY,
    )


def delivery_batches(session: Session, delivery_ids: list[int]) -> dict[int, list[DeliveryBatch]]:
    """Each delivery's goods by batch, read from the ledger: the movements a delivery
    appended (`ref` "delivery:<id>") into the delivered stage keep their batch."""
    refs = {f"delivery:{delivery_id}": delivery_id for delivery_id in delivery_ids}
    found: dict[int, list[DeliveryBatch]] = {delivery_id: [] for delivery_id in delivery_ids}
    if not refs:
        return found
    rows = session.exec(
        select(Movement.ref, Movement.batch_id, func.sum(Movement.delta))
        .where(
            col(Movement.ref).in_(list(refs)),
            Movement.stage == Stage.DELIVERED,
            Movement.delta > 0,
            col(Movement.batch_id).is_not(None),
        )
        .group_by(col(Movement.ref), col(Movement.batch_id))
        .order_by(col(Movement.batch_id))
    )
    for ref, batch_id, quantity in rows:
        found[refs[str(ref)]].append(DeliveryBatch(batch_id=batch_id or 0, quantity=int(quantity)))
    return found


def deliveries_public(
    session: Session, *, centre_id: int | None = None, delivery_id: int | None = None
) -> list[DeliveryPublic]:
    """Deliveries (a centre's, or one) with what they brought: the product, the batches,
    and their `number` among their centre's deliveries, 1, 2, 3 in the order delivered.

    The number is computed, never stored: a window over the centre's deliveries.
    """
    number = func.row_number().over(
        partition_by=col(Order.health_centre_id),
        order_by=(col(Delivery.delivered_at), col(Delivery.id)),
    )
    of_centre = [col(Order.health_centre_id) == centre_id] if centre_id is not None else []
    ranks = (
        select(col(Delivery.id).label("delivery_id"), number.label("number"))
        .join(Order, col(Delivery.order_id) == Order.id)
        .where(*of_centre)
        .subquery()
    )
    query = (
        select(Delivery, Order.health_centre_id, Product.key, ranks.c.number)
        .join(ranks, ranks.c.delivery_id == Delivery.id)
        .join(Order, col(Delivery.order_id) == Order.id)
        .join(Product, col(Order.product_id) == Product.id)
        .order_by(col(Delivery.id))
    )
    if delivery_id is not None:
        query = query.where(Delivery.id == delivery_id)
    rows = list(session.exec(query))
    batches = delivery_batches(session, [id_of(delivery) for delivery, *_ in rows])
    return [
        DeliveryPublic.model_validate(
            delivery,
            update={
                "number": number,
                "health_centre_id": health_centre_id,
                "product_key": product_key,
                "batches": batches[id_of(delivery)],
            },
        )
        for delivery, health_centre_id, product_key, number in rows
    ]


def delivery_public(*, session: Session, delivery: Delivery) -> DeliveryPublic:
    order = session.get(Order, delivery.order_id)
    assert order is not None
    (public,) = deliveries_public(
        session, centre_id=order.health_centre_id, delivery_id=id_of(delivery)
    )
    return public


def visible_deliveries(*, session: Session, account: Account) -> list[DeliveryPublic]:
    """The deliveries the account may see (a centre: its own), each with its batches."""
    if account.role == Role.HEALTH_CENTRE:
        return deliveries_public(session, centre_id=id_of(account))
    return deliveries_public(session)


def confirm_receipt(*, session: Session, delivery_id: int, account: Account) -> DeliveryPublic:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(
            f"Delivery {delivery_id} does not exist.",
            code="delivery_not_found",
            delivery=delivery_id,
        )
    order = session.get(Order, delivery.order_id)
    assert order is not None
    if account.role == Role.HEALTH_CENTRE and order.health_centre_id != account.id:
        raise Forbidden(
            f"Delivery {delivery_id} went to another health centre.",
            code="delivery_of_other_centre",
            delivery=delivery_id,
        )
    if delivery.received_at is not None:
        # Confirming twice is harmless: the first confirmation stands.
        return delivery_public(session=session, delivery=delivery)
    delivery.received_at = datetime.now(UTC)
    delivery.received_by = account.id
    session.add(delivery)
    session.flush()
    withdraw_messages(session, [receipt_key(delivery_id)], why="the receipt was confirmed first")
    unconfirmed = session.exec(
        select(Delivery.id).where(
            Delivery.order_id == order.id, col(Delivery.received_at).is_(None)
        )
    ).first()
    if order.status == OrderStatus.DELIVERED and unconfirmed is None:
        order.status = OrderStatus.RECEIVED
        session.add(order)
        session.flush()
    return delivery_public(session=session, delivery=delivery)


def deliveries_csv(
    *, session: Session, since: datetime | None = None, until: datetime | None = None
) -> str:
    """Every delivery (or those delivered in [since, until)), with the batches its goods
    came from as "batch:quantity" pairs, such as "3:40 5:10"."""
    query = (
        select(Delivery, Order, Product, Account)
        .join(Order, col(Delivery.order_id) == Order.id)
        .join(Product, col(Order.product_id) == Product.id)
        .join(Account, col(Order.health_centre_id) == Account.id)
        .order_by(col(Delivery.id))
    )
    if since is not None:
        query = query.where(Delivery.delivered_at >= since)
    if until is not None:
        query = query.where(Delivery.delivered_at < until)
    rows = list(session.exec(query))
    batches = delivery_batches(session, [id_of(delivery) for delivery, *_ in rows])
    header = [
        "delivery_id",
        "delivered_at",
        "order_id",
        "health_centre",
        "product",
        "quantity",
        "batches",
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
                " ".join(f"{b.batch_id}:{b.quantity}" for b in batches[id_of(delivery)]),
                order.delivery_address,
                delivery.received_at.isoformat() if delivery.received_at else "",
            ]
            for delivery, order, product, centre in rows
        ),
    )


def count_job_done(*, session: Session, job: Job, actor: Account | None) -> bool:
    """Add a finished job's parts to its maker's stock, exactly once.

    Returns False when they were already counted: a repeated "done" changes nothing. The
    unique dedup key makes this hold even when two deliveries of the event race. The
    plate's filament leaves the maker's stock in the same savepoint, so it is taken
    exactly when the parts are counted (`services.filament.consume_for_job`).
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
            filament.consume_for_job(
                session=session,
                job=job,
                part=part,
                maker_id=printer.maker_id if printer else None,
                actor=actor,
            )
    except IntegrityError:
        return False
    quarantine.hold_new_parts(session=session, job=job, actor=actor)
    return True


def trace_batch(*, session: Session, batch: Batch) -> BatchTrace:
    """Which jobs, printers and makers a batch's printed parts came from, and where it went."""
    used = session.exec(
        select(Movement, Job, Maker, Printer)
        .join(Job, col(Movement.job_id) == Job.id, isouter=True)
        .join(Maker, col(Movement.maker_id) == Maker.id, isouter=True)
        .join(Printer, col(Job.printer_id) == Printer.id, isouter=True)
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
            printer_name=printer.name if printer else None,
        )
        for m, job, maker, printer in used
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
