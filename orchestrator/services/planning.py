"""Planning's edge: reads the planner's state from the database and writes its jobs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.engine import read_one_snapshot
from orchestrator.database.stock import order_balances, stock_balances
from orchestrator.database.tables import Job, Order, Part, Printer, Product, id_of
from orchestrator.domain import lifecycle
from orchestrator.domain.ledger import remaining_need
from orchestrator.domain.planner import JobInFlight, OrderDemand, PlannablePart, PlanningState, plan
from orchestrator.domain.scheduler import Profile
from orchestrator.domain.vocabulary import PARTS_TO_COME, Item, JobStatus, OrderStatus, Stage
from orchestrator.parts.analysis import copies_per_plate
from orchestrator.services import catalogue
from orchestrator.services.jobs import apply_transition

REFERENCE_BED = Profile(250, 210, 210, 0.4, "PETG")
PLANNING_LOCK = "planner"


def profile_of(printer: Printer) -> Profile:
    return Profile(
        printer.bed_x_mm, printer.bed_y_mm, printer.bed_z_mm, printer.nozzle_mm, printer.material
    )


def plate_capacity(part: Part, profile: Profile) -> int:
    if part.size_x_mm is None or part.size_y_mm is None:
        return 1
    if (part.size_z_mm or 0) > profile.bed_z_mm:
        return 0
    return copies_per_plate(part.size_x_mm, part.size_y_mm, profile.bed_x_mm, profile.bed_y_mm)


def stock_by_stage(session: Session) -> dict[tuple[Item, Stage], int]:
    """Every balance, summed over lots and materials."""
    stock: dict[tuple[Item, Stage], int] = {}
    for row in stock_balances(session):
        key = (Item(row.item), Stage(row.stage))
        stock[key] = stock.get(key, 0) + row.quantity
    return stock


def open_demands(session: Session) -> list[OrderDemand]:
    """Each open order with its product's bill of materials and what it still needs."""
    orders = []
    shipped = order_balances(session, (Stage.PACKED, Stage.DELIVERED))
    boms: dict[int, tuple[tuple[Item, int], ...]] = {}
    for order, product in session.exec(
        select(Order, Product)
        .join(Product, col(Order.product_id) == Product.id)
        .where(Order.status == OrderStatus.OPEN)
    ):
        if product.id not in boms:
            boms[id_of(product)] = tuple(catalogue.bom_of(session=session, product=product))
        orders.append(
            OrderDemand(
                order_id=id_of(order),
                item=Item(product.item),
                bom=boms[id_of(product)],
                remaining=remaining_need(
                    order.quantity,
                    packed=shipped.get((id_of(order), Stage.PACKED), 0),
                    delivered=shipped.get((id_of(order), Stage.DELIVERED), 0),
                ),
                needed_by=order.needed_by,
                urgency=order.urgency,
                created_at=order.created_at,
            )
        )
    return orders


def planning_state(session: Session, supply_allowance: int) -> PlanningState:
    """What the planner plans from; `supply_allowance` of each supply is printed for
    beyond what the hub holds (`Settings.supply_allowance`)."""
    stock = stock_by_stage(session)
    orders = open_demands(session)
    plannable = {}
    for part in catalogue.list_parts(session=session):
        item = Item(part.bom_role)
        if item not in plannable:  # the first part of a role is the one the planner prints
            plannable[item] = PlannablePart(part.key, item, plate_capacity(part, REFERENCE_BED))
    # Columns, not ORM objects: thousands of queued jobs are read on every planning pass.
    jobs = [
        JobInFlight(job_id, Item(role), copies, JobStatus(status), order_id, created_at)
        for job_id, role, copies, status, order_id, created_at in session.exec(
            select(  # type: ignore[call-overload]
                Job.id, Part.bom_role, Job.copies, Job.status, Job.order_id, Job.created_at
            )
            .join(Part, col(Job.part_id) == Part.id)
            .where(col(Job.status).in_(PARTS_TO_COME))
        )
    ]
    return PlanningState(orders, stock, plannable, jobs, supply_allowance)


def replan(session: Session, settings: Settings) -> tuple[int, int]:
    """Create the jobs the orders need and withdraw the queued ones they no longer need.

    Run it inside `one_at_a_time(engine, PLANNING_LOCK)` in a fresh session, so that two
    replicas never plan at once and each sees one consistent moment."""
    read_one_snapshot(session)
    decided = plan(planning_state(session, settings.supply_allowance))
    part_ids = {p.key: id_of(p) for p in catalogue.list_parts(session=session)}
    for new in decided.new_jobs:
        session.add(
            Job(
                part_id=part_ids[new.part_key],
                copies=new.copies,
                order_id=new.order_id,
                needed_by=new.needed_by,
                priority=new.priority,
            )
        )
    if decided.withdraw:
        for job in session.exec(
            select(Job).where(col(Job.id).in_(decided.withdraw), Job.status == JobStatus.QUEUED)
        ):
            change = lifecycle.withdraw(job.status)
            assert change is not None
            apply_transition(session, job, change, datetime.now(UTC))
    session.flush()
    return len(decided.new_jobs), len(decided.withdraw)
