"""The messages no single event causes, queued by a periodic sweep.

Parts piling up at a maker's, an order's forecast that moved, a supply running out, a
printer silent for days, the coordinator's daily digest: each is a state that lasts, not
a moment, so the sender's loop calls `queue_periodic` now and then (every minute is
plenty) and each state is told once. Dedup keys name the state (a spell of silence, the
oldest lot still waiting, a supply on a given day), so calling again, from one replica or
two, queues nothing more until the state changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import (
    Account,
    Job,
    Maker,
    Movement,
    Order,
    OutboxMessage,
    Printer,
    PrinterStatus,
    Product,
    id_of,
)
from orchestrator.domain.eta import Forecast
from orchestrator.domain.vocabulary import (
    PRINTED_PARTS,
    Item,
    MessageKind,
    OrderStatus,
    Role,
    Stage,
)
from orchestrator.services import board
from orchestrator.services.forecasts import delivery_forecasts
from orchestrator.services.notifications import notify, notify_role
from orchestrator.services.orders import order_params
from orchestrator.services.pauses import paused_printers

MAKER_PAGE = "/maker"
CENTRE_PAGE = "/centre"
BOARD_PAGE = "/board"

# A maker is told their parts are worth a trip once this many wait, or once the oldest
# has waited this long: the hub plans its collection rounds from the same figures.
PARTS_TO_COLLECT_AT = 20
PARTS_WAITING_LONG = timedelta(days=1)


def queue_periodic(session: Session, now: datetime, settings: Settings) -> Counter[MessageKind]:
    """Queue, in the caller's transaction, the periodic messages due at `now`; returns
    how many of each kind were queued (none when called again with nothing new)."""
    coordinators = account_ids(session, Role.COORDINATOR)
    day = now.astimezone(ZoneInfo(settings.timezone)).date()
    queued: Counter[MessageKind] = Counter()
    queued[MessageKind.PARTS_TO_COLLECT] = parts_to_collect(session, now)
    queued[MessageKind.FORECAST_CHANGED] = forecast_changes(
        session,
        delivery_forecasts(session=session, settings=settings),
        timedelta(hours=settings.forecast_change_hours),
    )
    queued[MessageKind.SUPPLY_RUNNING_OUT] = supplies_running_out(session, now, day, coordinators)
    queued[MessageKind.SILENT_PRINTER] = silent_printers(
        session, now, settings.silent_printer_days, coordinators
    )
    queued[MessageKind.DAILY_DIGEST] = daily_digest(session, settings, day, coordinators)
    return +queued  # without the kinds that queued nothing


# --- helpers --------------------------------------------------------------------------


def account_ids(session: Session, role: Role) -> list[int]:
    query = select(Account.id).where(Account.role == role).order_by(col(Account.id))
    return [account_id for account_id in session.exec(query) if account_id is not None]


def queued_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these dedup keys are in the outbox already: one query for a whole sweep,
    rather than one per candidate message."""
    wanted = list(keys)
    if not wanted:
        return set()
    query = select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).in_(wanted))
    return {key for key in session.exec(query) if key is not None}


def tell_coordinators(
    session: Session,
    coordinators: list[int],
    candidates: list[tuple[str, dict[str, Any]]],
    kind: MessageKind,
) -> int:
    """`notify_role` for each (dedup key, params) not yet told to every coordinator."""
    known = queued_keys(session, (f"{key}:{c}" for key, _ in candidates for c in coordinators))
    queued = 0
    for key, params in candidates:
        if all(f"{key}:{c}" in known for c in coordinators):
            continue
        queued += len(
            notify_role(session, kind=kind, params=params, link=BOARD_PAGE, dedup_key=key)
        )
    return queued


# --- to makers: parts to collect ------------------------------------------------------


def parts_to_collect(session: Session, now: datetime) -> int:
    """Each maker whose printed parts waiting at home reach `PARTS_TO_COLLECT_AT`, or
    whose oldest has waited `PARTS_WAITING_LONG`: told once per oldest lot, so again only
    after a collection took it and parts pile up anew."""
    lot_columns = [getattr(Movement, name) for name in ("job_id", "batch_id", "order_id")]
    lots = session.exec(
        select(  # type: ignore[call-overload]
            Movement.maker_id,
            Movement.item,
            func.sum(Movement.delta),
            func.min(Movement.at),
            func.min(Movement.id),
        )
        .where(
            Movement.stage == Stage.AT_MAKER,
            col(Movement.item).in_(list(PRINTED_PARTS)),
            col(Movement.maker_id).is_not(None),
        )
        .group_by(col(Movement.maker_id), col(Movement.item), *lot_columns)
        .having(func.sum(Movement.delta) > 0)
    )
    waiting: dict[int, Counter[str]] = defaultdict(Counter)
    oldest: dict[int, tuple[datetime, int]] = {}
    for maker_id, item, quantity, first_at, first_id in lots:
        waiting[maker_id][Item(item).value] += int(quantity)
        oldest[maker_id] = min(oldest.get(maker_id, (first_at, first_id)), (first_at, first_id))
    due = [
        maker_id
        for maker_id, items in waiting.items()
        if items.total() >= PARTS_TO_COLLECT_AT or now - oldest[maker_id][0] >= PARTS_WAITING_LONG
    ]
    keys = {maker_id: f"collect:{maker_id}:{oldest[maker_id][1]}" for maker_id in due}
    known = queued_keys(session, keys.values())
    queued = 0
    for maker_id in sorted(due):
        if keys[maker_id] in known:
            continue
        maker = session.get(Maker, maker_id)
        assert maker is not None
        items = waiting[maker_id]
        params = {
            "maker": maker.display_name,
            "parts": items.total(),
            "by_item": dict(sorted(items.items())),
            "waiting_since": oldest[maker_id][0].isoformat(),
        }
        message = notify(
            session,
            account_id=maker.account_id,
            kind=MessageKind.PARTS_TO_COLLECT,
            params=params,
            link=MAKER_PAGE,
            dedup_key=keys[maker_id],
        )
        queued += message is not None
    return queued


# --- to health centres: a forecast that moved -----------------------------------------


@dataclass(frozen=True)
class Told:
    """What a centre was last told of an order's delivery."""

    eta: datetime | None = None
    late: bool = False
    forecasts: int = 0  # how many "forecast changed" it had


def forecast_news(told: Told, forecast: Forecast, threshold: timedelta) -> bool:
    """Whether an order's forecast is worth a message: it became late (or on time again
    after a "late"), or it moved by more than `threshold` since the date last told. An
    early forecast nobody asked about is no news: the centre expects its date."""
    if forecast.late != told.late:
        return True
    if not told.forecasts:
        return False
    if (told.eta is None) != (forecast.eta is None):
        return True
    return (
        told.eta is not None
        and forecast.eta is not None
        and abs(forecast.eta - told.eta) > threshold
    )


def last_told(session: Session, centres: Iterable[int]) -> dict[int, Told]:
    """Per order, what its centre was last told: read back from the outbox, whose
    messages keep their params (`eta`, `late`) for exactly this."""
    rows = session.exec(
        select(OutboxMessage.kind, OutboxMessage.params)
        .where(
            col(OutboxMessage.account_id).in_(list(centres)),
            col(OutboxMessage.kind).in_(
                [MessageKind.ORDER_CONFIRMED, MessageKind.FORECAST_CHANGED]
            ),
        )
        .order_by(col(OutboxMessage.id))
    )
    told: dict[int, Told] = {}
    for kind, params in rows:
        order_id = params.get("order_id")
        if not isinstance(order_id, int):
            continue
        previous = told.get(order_id, Told())
        if kind == MessageKind.FORECAST_CHANGED:
            eta = params.get("eta")
            told[order_id] = Told(
                eta=datetime.fromisoformat(eta) if eta else None,
                late=bool(params.get("late")),
                forecasts=previous.forecasts + 1,
            )
        else:
            told.setdefault(order_id, previous)
    return told


def forecast_changes(session: Session, forecasts: dict[int, Forecast], threshold: timedelta) -> int:
    orders = list(
        session.exec(
            select(Order, Product)
            .join(Product, col(Order.product_id) == Product.id)
            .where(Order.status == OrderStatus.OPEN, col(Order.id).in_(list(forecasts)))
            .order_by(col(Order.id))
        )
    )
    told = last_told(session, {order.health_centre_id for order, _ in orders})
    queued = 0
    for order, product in orders:
        forecast = forecasts[id_of(order)]
        before = told.get(id_of(order), Told())
        if not forecast_news(before, forecast, threshold):
            continue
        message = notify(
            session,
            account_id=order.health_centre_id,
            kind=MessageKind.FORECAST_CHANGED,
            params={
                **order_params(order, product),
                "eta": forecast.eta.isoformat() if forecast.eta else None,
                "late": forecast.late,
                "previous_eta": before.eta.isoformat() if before.eta else None,
                "reason": str(forecast.reason) if forecast.reason else None,
            },
            link=CENTRE_PAGE,
            dedup_key=f"forecast:{order.id}:{before.forecasts + 1}",
        )
        queued += message is not None
    return queued


# --- to the coordinators --------------------------------------------------------------


def supplies_running_out(
    session: Session, now: datetime, day: date, coordinators: list[int]
) -> int:
    """The board's supply alerts (short for the open orders, or out within a week at the
    current rate) and its makers' low filament, one message per supply per day."""
    outlook = {supply.item: supply for supply in board.supply_outlook(session, now)}
    alerted = sorted({alert.subject for alert in board.supply_alerts(list(outlook.values()))})
    candidates = []
    for subject in alerted:
        supply = outlook[Item(subject.removeprefix("supply:"))]
        params = {
            "item": supply.item.value,
            "on_hand": supply.on_hand,
            "needed": supply.needed_for_open_orders,
            "missing": supply.missing,
            "used_per_day": supply.used_per_day,
            "days_left": supply.days_left,
        }
        candidates.append((f"supply:{supply.item.value}:{day.isoformat()}", params))
    # Filament runs out at a maker's, not at the hub: the hub sends a spool in time.
    for alert in board.filament_alerts(session):
        params = {"item": Item.FILAMENT_G.value, **alert.params}
        candidates.append((f"{alert.subject}:{day.isoformat()}", params))
    return tell_coordinators(session, coordinators, candidates, MessageKind.SUPPLY_RUNNING_OUT)


def silent_printers(session: Session, now: datetime, days: int, coordinators: list[int]) -> int:
    """Printers not heard from for `days` (or never, `days` after they were registered),
    and not paused, each told once per spell of silence; `maker_silent` when none of the maker's
    printers speaks any more."""
    cutoff = now - timedelta(days=days)
    rows = list(
        session.exec(
            select(Printer, Maker, PrinterStatus.last_seen_at)
            .join(Maker, col(Printer.maker_id) == Maker.id)
            .join(PrinterStatus, col(PrinterStatus.printer_id) == Printer.id, isouter=True)
            .where(
                (col(PrinterStatus.last_seen_at) < cutoff)
                | (col(PrinterStatus.last_seen_at).is_(None) & (col(Printer.created_at) < cutoff))
            )
            .order_by(col(Printer.id))
        )
    )
    # A paused printer is silent on purpose.
    paused = paused_printers(session, [id_of(printer) for printer, _, _ in rows], now)
    rows = [row for row in rows if row[0].id not in paused]
    if not rows:
        return 0
    makers = {printer.maker_id for printer, _, _ in rows}
    printers_of: dict[int, int] = dict(
        session.exec(
            select(Printer.maker_id, func.count())
            .where(col(Printer.maker_id).in_(makers))
            .group_by(col(Printer.maker_id))
        ).all()
    )
    silent_of = Counter(printer.maker_id for printer, _, _ in rows)
    candidates = []
    for printer, maker, last_seen in rows:
        since = last_seen or printer.created_at
        spell = last_seen.isoformat(timespec="seconds") if last_seen else "never"
        params = {
            "printer": printer.name,
            "printer_id": printer.id,
            "maker": maker.display_name,
            "maker_id": maker.id,
            "last_seen": last_seen.isoformat() if last_seen else None,
            "days": (now - since).days,
            "maker_silent": silent_of[printer.maker_id] == printers_of.get(printer.maker_id),
        }
        candidates.append((f"silent:{printer.id}:{spell}", params))
    return tell_coordinators(session, coordinators, candidates, MessageKind.SILENT_PRINTER)


def daily_digest(session: Session, settings: Settings, day: date, coordinators: list[int]) -> int:
    """Yesterday's figures (in the network's time zone), queued on the first sweep of
    the day; the sender holds it to the morning if the sweep runs at night."""
    yesterday = day - timedelta(days=1)
    key = f"digest:{yesterday.isoformat()}"
    if not coordinators or queued_keys(session, (f"{key}:{c}" for c in coordinators)) == {
        f"{key}:{c}" for c in coordinators
    }:
        return 0  # the figures cost a board's worth of queries: only once a day
    zone = ZoneInfo(settings.timezone)
    start = datetime.combine(yesterday, time(), zone).astimezone(UTC)
    end = datetime.combine(day, time(), zone).astimezone(UTC)
    params = {"day": yesterday.isoformat(), **digest_figures(session, settings, start, end)}
    return tell_coordinators(session, coordinators, [(key, params)], MessageKind.DAILY_DIGEST)


def digest_figures(
    session: Session, settings: Settings, start: datetime, end: datetime
) -> dict[str, int]:
    """Jobs done, parts printed and visors delivered in [start, end), and what is open now."""

    def total(*conditions: Any) -> int:
        query = select(func.coalesce(func.sum(Movement.delta), 0)).where(
            col(Movement.at) >= start, col(Movement.at) < end, *conditions
        )
        return int(session.exec(query).one())

    jobs_done = session.exec(
        select(func.count()).where(col(Job.done_at) >= start, col(Job.done_at) < end)
    ).one()
    orders_open = session.exec(
        select(func.count()).select_from(Order).where(Order.status == OrderStatus.OPEN)
    ).one()
    summary = board.board_summary(session=session, settings=settings, hours=24)
    return {
        "jobs_done": int(jobs_done),
        "parts_printed": total(Movement.reason == "job_done"),
        "visors_delivered": total(
            Movement.reason == "delivery",
            Movement.stage == Stage.DELIVERED,
            Movement.item == Item.VISOR,
            Movement.delta > 0,
        ),
        "orders_open": int(orders_open),
        "alerts_open": len(summary.alerts),
    }
