"""Health centres' orders: placing them without duplicates, following and cancelling them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from orchestrator.api.schemas import OrderCreate, OrderPublic, SupplyShortage
from orchestrator.core.config import Settings
from orchestrator.database.engine import lock_names
from orchestrator.database.stock import order_balances
from orchestrator.database.tables import Account, Order, Product, id_of
from orchestrator.domain.errors import Conflict, Forbidden, NotFound
from orchestrator.domain.eta import Forecast
from orchestrator.domain.ledger import remaining_need
from orchestrator.domain.vocabulary import MessageKind, OrderStatus, Role, Stage
from orchestrator.services import catalogue
from orchestrator.services.forecasts import delivery_forecasts
from orchestrator.services.notifications import notify
from orchestrator.services.production import unpack_order


def place_order(
    *, session: Session, centre: Account, order_in: OrderCreate, settings: Settings
) -> Order:
    product = catalogue.product_by_key(session=session, key=order_in.product_key)
    # Two tabs sending the same order at once must not both pass the duplicate check.
    lock_names(session, [f"order:{centre.id}:{product.id}"])
    if not order_in.confirm_duplicate:
        refuse_duplicate(
            session=session,
            centre=centre,
            product=product,
            order_in=order_in,
            window=timedelta(hours=settings.duplicate_order_window_hours),
        )
    order = Order(
        **order_in.model_dump(exclude={"product_key", "confirm_duplicate"}),
        health_centre_id=id_of(centre),
        product_id=id_of(product),
    )
    session.add(order)
    session.flush()
    notify(
        session,
        account_id=id_of(centre),
        kind=MessageKind.ORDER_CONFIRMED,
        params=order_params(order, product),
        link="/centre",
        dedup_key=f"order:{order.id}:confirmed",
    )
    return order


def order_params(order: Order, product: Product) -> dict[str, Any]:
    """What a message about an order says: what, how many, for when (the product in
    both languages: the text is written in the centre's own when sent)."""
    return {
        "order_id": order.id,
        "product_key": product.key,
        "product_fr": product.name_fr,
        "product_en": product.name_en,
        "quantity": order.quantity,
        "needed_by": order.needed_by.isoformat(),
        "urgency": str(order.urgency),
    }


def refuse_duplicate(
    *, session: Session, centre: Account, product: Product, order_in: OrderCreate, window: timedelta
) -> None:
    since = datetime.now(UTC) - window
    earlier = session.exec(
        select(Order).where(
            Order.health_centre_id == centre.id,
            Order.product_id == product.id,
            Order.quantity == order_in.quantity,
            Order.status != OrderStatus.CANCELLED,
            col(Order.created_at) >= since,
        )
    ).first()
    if earlier is not None:
        raise Conflict(
            f"This looks like a duplicate: order #{earlier.id} for {earlier.quantity} "
            f"{product.key} was placed at {earlier.created_at:%Y-%m-%d %H:%M} UTC. "
            "If you really need both, send the order again with confirm_duplicate set to true.",
            code="duplicate_order",
            order=earlier.id,
            quantity=earlier.quantity,
            product=product.key,
            placed_at=earlier.created_at,
        )


def visible_orders(
    *, session: Session, account: Account, status: OrderStatus | None = None
) -> list[Order]:
    query = select(Order).order_by(col(Order.id))
    if account.role == Role.HEALTH_CENTRE:
        query = query.where(Order.health_centre_id == account.id)
    if status is not None:
        query = query.where(Order.status == status)
    return list(session.exec(query))


def visible_order(*, session: Session, account: Account, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.", code="order_not_found", order=order_id)
    if account.role == Role.HEALTH_CENTRE and order.health_centre_id != account.id:
        raise Forbidden(
            f"Order {order_id} belongs to another health centre.",
            code="order_of_other_centre",
            order=order_id,
        )
    return order


def order_public(
    *,
    session: Session,
    order: Order,
    forecast: Forecast | None = None,
    held: dict[tuple[int, Stage], int] | None = None,
    product_keys: dict[int, str] | None = None,
) -> OrderPublic:
    """An order with its goods packed and delivered; `held` (`order_balances`) and
    `product_keys` are given when reading many orders at once."""
    if product_keys is None:
        product_keys = product_keys_of(session, [order])
    if held is None:
        held = order_balances(session, (Stage.PACKED, Stage.DELIVERED), [id_of(order)])
    packed = held.get((id_of(order), Stage.PACKED), 0)
    delivered = held.get((id_of(order), Stage.DELIVERED), 0)
    open_ = order.status == OrderStatus.OPEN
    cancelled = order.status == OrderStatus.CANCELLED
    remaining = 0 if cancelled else remaining_need(order.quantity, packed, delivered)
    return OrderPublic.model_validate(
        order,
        update={
            "product_key": product_keys[order.product_id],
            "packed": packed,
            "delivered": delivered,
            "remaining": remaining,
            "eta": forecast.eta if forecast and open_ else None,
            "eta_earliest": forecast.earliest if forecast and open_ else None,
            "eta_latest": forecast.latest if forecast and open_ else None,
            "late": bool(forecast and open_ and forecast.late),
            "eta_note": forecast.reason if forecast and open_ else None,
            "held_back": [
                SupplyShortage(item=shortage.item, missing=shortage.missing)
                for shortage in (forecast.held_back if forecast and open_ else ())
            ],
        },
    )


def orders_public(
    *, session: Session, orders: list[Order], settings: Settings
) -> list[OrderPublic]:
    forecasts = delivery_forecasts(session=session, settings=settings)
    held = order_balances(session, (Stage.PACKED, Stage.DELIVERED))
    keys = product_keys_of(session, orders)
    return [
        order_public(
            session=session,
            order=o,
            forecast=forecasts.get(id_of(o)),
            held=held,
            product_keys=keys,
        )
        for o in orders
    ]


def product_keys_of(session: Session, orders: Sequence[Order]) -> dict[int, str]:
    product_ids = {order.product_id for order in orders}
    query = select(Product.id, Product.key).where(col(Product.id).in_(product_ids))
    return {product_id: key for product_id, key in session.exec(query) if product_id is not None}


def cancel_order(*, session: Session, account: Account, order: Order) -> Order:
    if order.status != OrderStatus.OPEN:
        raise Conflict(
            f"Order {order.id} is {order.status} and can no longer be cancelled.",
            code="order_cannot_be_cancelled",
            order=order.id,
            order_status=order.status,
        )
    unpack_order(session=session, order=order, actor=account)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = datetime.now(UTC)
    session.add(order)
    session.flush()
    return order
