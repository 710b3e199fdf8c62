"""Health centres' orders and deliveries as the centres see them."""

from __future__ import annotations

from fastapi import Query

from orchestrator.api.deps import CentreOrCoordinator, RowId, SessionDep, SettingsDep
from orchestrator.api.idempotency import CommitOnceDep
from orchestrator.api.routing import api_router
from orchestrator.api.schemas import DeliveryPublic, OrderCreate, OrderPublic
from orchestrator.database.tables import ROW_ID_MAX, Account
from orchestrator.domain.errors import InvalidRequest, NotFound
from orchestrator.domain.vocabulary import OrderStatus, Role
from orchestrator.services import orders, production

router = api_router(tags=["orders"])


@router.post("/orders", response_model=OrderPublic, status_code=201)
def place_order(
    order_in: OrderCreate,
    session: SessionDep,
    settings: SettingsDep,
    account: CentreOrCoordinator,
    commit_once: CommitOnceDep,
    health_centre_id: int | None = Query(
        default=None, ge=1, le=ROW_ID_MAX, description="Coordinator only: who the order is for."
    ),
) -> OrderPublic:
    """Place an order. The same order twice within 24 h is refused unless confirmed."""
    centre = account
    if account.role == Role.COORDINATOR:
        if health_centre_id is None:
            raise InvalidRequest(
                "As coordinator, say which health centre orders (health_centre_id).",
                code="health_centre_id_needed",
            )
        found = session.get(Account, health_centre_id)
        if found is None or found.role != Role.HEALTH_CENTRE:
            raise NotFound(
                f"Health centre {health_centre_id} does not exist.",
                code="health_centre_not_found",
                centre=health_centre_id,
            )
        centre = found
    return commit_once(
        body=order_in,
        act=lambda: orders.place_order(
            session=session, centre=centre, order_in=order_in, settings=settings
        ),
        public=lambda order: orders.order_public(session=session, order=order),
    )


@router.get("/orders", response_model=list[OrderPublic])
def list_orders(
    session: SessionDep,
    settings: SettingsDep,
    account: CentreOrCoordinator,
    status: OrderStatus | None = None,
) -> list[OrderPublic]:
    """Orders with their forecast delivery (`eta`) and a `late` flag."""
    found = orders.visible_orders(session=session, account=account, status=status)
    return orders.orders_public(session=session, orders=found, settings=settings)


@router.get("/orders/{order_id}", response_model=OrderPublic)
def read_order(
    order_id: RowId, session: SessionDep, settings: SettingsDep, account: CentreOrCoordinator
) -> OrderPublic:
    order = orders.visible_order(session=session, account=account, order_id=order_id)
    (public,) = orders.orders_public(session=session, orders=[order], settings=settings)
    return public


@router.post("/orders/{order_id}/cancel", response_model=OrderPublic)
def cancel_order(order_id: RowId, session: SessionDep, account: CentreOrCoordinator) -> OrderPublic:
    order = orders.visible_order(session=session, account=account, order_id=order_id)
    cancelled = orders.order_public(
        session=session, order=orders.cancel_order(session=session, account=account, order=order)
    )
    session.commit()
    return cancelled


@router.get("/deliveries", response_model=list[DeliveryPublic])
def list_deliveries(session: SessionDep, account: CentreOrCoordinator) -> list[DeliveryPublic]:
    found = production.visible_deliveries(session=session, account=account)
    return [DeliveryPublic.model_validate(d) for d in found]


@router.post("/deliveries/{delivery_id}/receipt", response_model=DeliveryPublic)
def confirm_receipt(
    delivery_id: RowId, session: SessionDep, account: CentreOrCoordinator
) -> DeliveryPublic:
    """The health centre confirms it received a delivery."""
    delivery = production.confirm_receipt(session=session, delivery_id=delivery_id, account=account)
    confirmed = DeliveryPublic.model_validate(delivery)
    session.commit()
    return confirmed
