"""Health centres' orders: placing them without duplicates, following and cancelling them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.db import lock_names
from orchestrator.errors import Conflict, Forbidden, NotFound
from orchestrator.eta import Forecast
from orchestrator.services import catalogue
from orchestrator.services.forecasts import delivery_forecasts
from orchestrator.services.production import unpack_order
from orchestrator.stock import order_balances
from orchestrator.tables import (
    Account,
    Order,
    OrderCreate,
    OrderPublic,
    OrderStatus,
    Product,
    Role,
    Stage,
    id_of,
)


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
    return order


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
            "If you really need both, send the order again with confirm_duplicate set to true."
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
        raise NotFound(f"Order {order_id} does not exist.")
    if account.role == Role.HEALTH_CENTRE and order.health_centre_id != account.id:
        raise Forbidden(f"Order {order_id} belongs to another health centre.")
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
    outstanding = order.quantity - delivered if order.status != OrderStatus.CANCELLED else 0
    return OrderPublic.model_validate(
        order,
        update={
            "product_key": product_keys[order.product_id],
            "packed": packed,
            "delivered": delivered,
            "outstanding": outstanding,
            "eta": forecast.eta if forecast and open_ else None,
            "late": bool(forecast and open_ and forecast.late),
            "eta_note": forecast.reason if forecast and open_ else None,
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
        raise Conflict(f"Order {order.id} is {order.status} and can no longer be cancelled.")
    unpack_order(session=session, order=order, actor=account)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = datetime.now(UTC)
    session.add(order)
    session.flush()
    return order
