"""Who is told what, queued where it happens: each event writes exactly one outbox row for
the person it concerns, in its own transaction, and the same event never writes two."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from orchestrator.api.schemas import DeliveryCreate, FilamentDeclaration, OrderCreate
from orchestrator.core.config import Settings
from orchestrator.database.stock import Entry, add
from orchestrator.database.tables import (
    Account,
    Job,
    Maker,
    Order,
    OutboxMessage,
    Part,
    Pause,
    Printer,
    PrinterStatus,
    id_of,
)
from orchestrator.domain import lifecycle
from orchestrator.domain.eta import Forecast
from orchestrator.domain.live_status import LiveStatus
from orchestrator.domain.messages import render
from orchestrator.domain.vocabulary import Item, JobStatus, MessageKind, OutboxStatus, Role, Stage
from orchestrator.services import catalogue, filament, orders, printer_link, production
from orchestrator.services.jobs import apply_transition
from orchestrator.services.notifications import next_moment_for
from orchestrator.services.notify_sweeps import (
    Told,
    forecast_news,
    queue_periodic,
    silent_printers,
)
from printers.protocol.payloads import EventKind, EventPayload, PrinterState
from tests.conftest import Network, makers_printer


def outbox(session: Session) -> list[OutboxMessage]:
    session.flush()
    return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def summary(session: Session) -> list[tuple[str, int, str, str | None, str]]:
    return [(m.kind, m.account_id, m.link, m.dedup_key, m.status) for m in outbox(session)]


def account_of_maker(session: Session, printer_id: int) -> int:
    printer = session.get(Printer, printer_id)
    assert printer is not None
    maker = session.get(Maker, printer.maker_id)
    assert maker is not None
    return maker.account_id


def coordinator_ids(session: Session) -> list[int]:
    return [
        id_of(a)
        for a in session.exec(
            select(Account).where(Account.role == Role.COORDINATOR).order_by(col(Account.id))
        )
    ]


def printing_job(session: Session, printer_id: int, copies: int = 4) -> Job:
    part = catalogue.part_by_key(session=session, key="headband")
    job = Job(part_id=id_of(part), copies=copies)
    session.add(job)
    session.flush()
    now = datetime.now(UTC)
    for occasion in (
        lambda status: lifecycle.assign(status, printer_id, 900.0),
        lifecycle.send,
        lambda status: lifecycle.transition(
            status, EventKind.PRINT_STARTED, attempts=0, max_attempts=3, reason=None
        ),
    ):
        change = occasion(job.status)
        assert change is not None
        apply_transition(session, job, change, now)
    session.flush()
    return job


def event(kind: EventKind, event_id: str, job: Job, reason: str | None = None) -> EventPayload:
    return EventPayload(
        event_id=event_id,
        kind=kind,
        job_id=str(job.id),
        reason=reason,
        ts=datetime.now(UTC).timestamp(),
    )


# --- makers ---------------------------------------------------------------------------


def test_a_finished_print_tells_its_maker_once_and_the_clear_withdraws_the_reminder(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        printer = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        maker_account = account_of_maker(session, printer.id)
        job = printing_job(session, printer.id)
        assert outbox(session) == []  # assigning, sending and starting tell no one

        done = event(EventKind.PRINT_DONE, "e-done", job)
        before = datetime.now(UTC)
        printer_link.store_events(session, [(printer.id, done)], max_attempts=3)
        printer_link.store_events(session, [(printer.id, done)], max_attempts=3)  # redelivered
        assert job.status == JobStatus.AWAITING_CLEAR
        bed, reminder = outbox(session)
        assert (bed.kind, bed.account_id, bed.link, bed.dedup_key, bed.status) == (
            MessageKind.BED_TO_CLEAR,
            maker_account,
            "/maker",
            f"bed:{job.id}",
            OutboxStatus.PENDING,
        )
        assert bed.params["printer"] == "MK3" and bed.params["copies"] == 4
        assert bed.params["part_key"] == "headband" and bed.params["part_fr"]
        assert (reminder.kind, reminder.account_id, reminder.dedup_key) == (
            MessageKind.BED_STILL_WAITING,
            maker_account,
            f"bed-reminder:{job.id}",
        )
        # Without a contact row, the default delay: an hour after the print ended.
        assert reminder.not_before >= before + timedelta(minutes=60)

        cleared = event(EventKind.BED_CLEARED, "e-clear", job)
        printer_link.store_events(session, [(printer.id, cleared)], max_attempts=3)
        assert job.status == JobStatus.DONE
        for message in outbox(session):
            session.refresh(message)
        assert [(m.kind, m.status) for m in outbox(session)] == [
            (MessageKind.BED_TO_CLEAR, OutboxStatus.SKIPPED),
            (MessageKind.BED_STILL_WAITING, OutboxStatus.SKIPPED),
        ]
        assert reminder.last_error == "the bed was cleared first"
        session.rollback()


def test_a_reminder_already_sent_stays_sent_when_the_bed_is_cleared(engine: Engine) -> None:
    with Session(engine) as session:
        printer = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        job = printing_job(session, printer.id)
        printer_link.store_events(
            session, [(printer.id, event(EventKind.PRINT_DONE, "d", job))], max_attempts=3
        )
        bed, reminder = outbox(session)
        bed.status = OutboxStatus.SENT
        session.add(bed)
        session.flush()
        printer_link.store_events(
            session, [(printer.id, event(EventKind.BED_CLEARED, "c", job))], max_attempts=3
        )
        session.refresh(bed)
        session.refresh(reminder)
        assert (bed.status, reminder.status) == (OutboxStatus.SENT, OutboxStatus.SKIPPED)
        session.rollback()


def test_a_failure_tells_the_maker_and_the_last_one_tells_the_coordinator(
    engine: Engine, network: Network
) -> None:
    with Session(engine) as session:
        printer = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        maker_account = account_of_maker(session, printer.id)
        (coordinator,) = coordinator_ids(session)

        retried = printing_job(session, printer.id)
        failed = event(EventKind.PRINT_FAILED, "f1", retried, reason="spaghetti")
        printer_link.store_events(session, [(printer.id, failed)], max_attempts=3)
        printer_link.store_events(session, [(printer.id, failed)], max_attempts=3)
        assert retried.status == JobStatus.QUEUED
        (message,) = outbox(session)
        assert (message.kind, message.account_id, message.link, message.dedup_key) == (
            MessageKind.JOB_FAILED,
            maker_account,
            "/maker",
            f"job-failed:{retried.id}:0",
        )
        assert message.params["reason"] == "spaghetti" and message.params["will_retry"]

        last = printing_job(session, printer.id)
        printer_link.store_events(
            session, [(printer.id, event(EventKind.PRINT_FAILED, "f2", last))], max_attempts=1
        )
        assert last.flagged and last.status == JobStatus.FAILED
        assert summary(session)[1:] == [
            (
                MessageKind.JOB_FAILED,
                maker_account,
                "/maker",
                f"job-failed:{last.id}:0",
                OutboxStatus.PENDING,
            ),
            (
                MessageKind.JOB_FLAGGED,
                coordinator,
                "/board",
                f"job-flagged:{last.id}:0:{coordinator}",
                OutboxStatus.PENDING,
            ),
        ]
        assert outbox(session)[2].params["maker"] == "Camille"
        session.rollback()


def live(printer_id: int, state: PrinterState, offline_since: datetime | None) -> LiveStatus:
    now = datetime.now(UTC)
    return LiveStatus(
        printer_id=printer_id,
        state=state,
        job_id=None,
        progress=None,
        temperatures={},
        seq=1,
        reported_at=now,
        last_seen_at=now,
        offline_since=offline_since,
    )


def test_a_printer_going_offline_tells_its_maker_once_unless_it_comes_back_first(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        printer = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        maker_account = account_of_maker(session, printer.id)
        printer_link.flush_statuses(session, [live(printer.id, PrinterState.IDLE, None)])
        assert outbox(session) == []

        since = datetime.now(UTC).replace(microsecond=0)
        offline = live(printer.id, PrinterState.OFFLINE, since)
        printer_link.flush_statuses(session, [offline])
        printer_link.flush_statuses(session, [offline])  # still offline: no news
        (message,) = outbox(session)
        assert (message.kind, message.account_id, message.link, message.status) == (
            MessageKind.PRINTER_OFFLINE,
            maker_account,
            "/maker",
            OutboxStatus.PENDING,
        )
        assert message.dedup_key == f"offline:{printer.id}:{since.isoformat()}"
        assert message.not_before >= since + printer_link.OFFLINE_NOTICE_DELAY

        printer_link.flush_statuses(session, [live(printer.id, PrinterState.IDLE, None)])
        session.refresh(message)
        assert message.status == OutboxStatus.SKIPPED

        # A new spell offline is a new message.
        later = since + timedelta(hours=1)
        printer_link.flush_statuses(session, [live(printer.id, PrinterState.OFFLINE, later)])
        assert [m.dedup_key for m in outbox(session)][1:] == [
            f"offline:{printer.id}:{later.isoformat()}"
        ]
        session.rollback()


# --- health centres -------------------------------------------------------------------


def place(session: Session, centre_id: int, settings: Settings, quantity: int = 10) -> Order:
    centre = session.get(Account, centre_id)
    assert centre is not None
    order_in = OrderCreate(
        product_key="visor",
        quantity=quantity,
        needed_by=date.today() + timedelta(days=7),
        delivery_address="1 rue de l'Hôpital, Abbeville",
    )
    return orders.place_order(session=session, centre=centre, order_in=order_in, settings=settings)


def test_an_order_placed_is_confirmed_to_its_centre(
    engine: Engine, network: Network, settings: Settings
) -> None:
    with Session(engine) as session:
        order = place(session, network.centre_id, settings)
        assert summary(session) == [
            (
                MessageKind.ORDER_CONFIRMED,
                network.centre_id,
                "/centre",
                f"order:{order.id}:confirmed",
                OutboxStatus.PENDING,
            )
        ]
        params = outbox(session)[0].params
        assert (params["order_id"], params["quantity"], params["product_key"]) == (
            order.id,
            10,
            "visor",
        )
        session.rollback()


def test_a_delivery_tells_the_centre_and_asks_for_its_receipt_a_day_later(
    engine: Engine, network: Network, settings: Settings
) -> None:
    with Session(engine) as session:
        order = place(session, network.centre_id, settings)
        coordinator = session.exec(select(Account).where(Account.role == Role.COORDINATOR)).one()
        add(session, Item.VISOR, Stage.PACKED, 10, Entry("packing", None), order_id=order.id)
        delivery = production.deliver(
            session=session,
            delivery_in=DeliveryCreate(order_id=id_of(order), quantity=6),
            actor=coordinator,
        )
        _, out, receipt = outbox(session)
        assert (out.kind, out.account_id, out.link, out.dedup_key, out.status) == (
            MessageKind.OUT_FOR_DELIVERY,
            network.centre_id,
            "/centre",
            f"delivery:{delivery.id}",
            OutboxStatus.PENDING,
        )
        assert (out.params["quantity"], out.params["ordered"]) == (6, 10)
        assert (receipt.kind, receipt.dedup_key) == (
            MessageKind.CONFIRM_RECEIPT,
            f"receipt:{delivery.id}",
        )
        # A day later, held to the centre's daytime when that falls at night.
        a_day_later = delivery.delivered_at + timedelta(days=1)
        assert receipt.not_before == next_moment_for(
            session, network.centre_id, now=a_day_later, timezone=settings.timezone
        )
        assert receipt.not_before >= a_day_later

        centre = session.get(Account, network.centre_id)
        assert centre is not None
        production.confirm_receipt(session=session, delivery_id=id_of(delivery), account=centre)
        production.confirm_receipt(session=session, delivery_id=id_of(delivery), account=centre)
        session.refresh(receipt)
        session.refresh(out)
        assert (out.status, receipt.status) == (OutboxStatus.PENDING, OutboxStatus.SKIPPED)
        assert len(outbox(session)) == 3
        session.rollback()


def test_forecast_news_is_a_move_past_the_threshold_or_a_change_of_lateness() -> None:
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    day = timedelta(days=1)
    on_time, late = Forecast(now, False), Forecast(now + 3 * day, True)
    assert not forecast_news(Told(), on_time, day)  # the date the centre expects: no news
    assert forecast_news(Told(), late, day)
    assert not forecast_news(Told(now + 3 * day, True, 1), late, day)
    assert forecast_news(Told(now + 3 * day, True, 1), on_time, day)  # on time again
    assert not forecast_news(Told(now - 0.5 * day, False, 1), on_time, day)
    assert forecast_news(Told(now - 2 * day, False, 1), on_time, day)
    assert forecast_news(Told(None, True, 1), Forecast(now + 3 * day, True), day)


# --- the periodic sweep ---------------------------------------------------------------


def later_that_day(now: datetime, settings: Settings) -> datetime:
    """An hour later, or the fab-lab's midnight if that comes first: the same day for the
    sweep's once-a-day messages, whenever the test runs."""
    zone = ZoneInfo(settings.timezone)
    midnight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), zone)
    return min(now + timedelta(hours=1), midnight - timedelta(seconds=1))


def test_the_periodic_sweep_tells_each_lasting_state_once_a_day(
    engine: Engine, network: Network, settings: Settings
) -> None:
    with Session(engine) as session:
        now = datetime.now(UTC)
        (coordinator,) = coordinator_ids(session)
        printer = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        maker_account = account_of_maker(session, printer.id)
        quiet = makers_printer(session, "Julien", "Ender", (220, 220, 250))
        camilles = session.get(Printer, printer.id)
        assert camilles is not None
        # 25 headbands printed at Camille's, not collected yet.
        part = session.exec(select(Part).where(Part.key == "headband")).one()
        job = Job(part_id=id_of(part), copies=25, printer_id=printer.id)
        session.add(job)
        session.flush()
        add(
            session,
            Item.HEADBAND,
            Stage.AT_MAKER,
            25,
            Entry("job_done", None),
            job_id=job.id,
            maker_id=camilles.maker_id,
        )
        # Julien's printer has not been heard from for five days.
        session.add(
            PrinterStatus(printer_id=quiet.id, state="idle", last_seen_at=now - timedelta(days=5))
        )
        session.add(PrinterStatus(printer_id=printer.id, state="idle", last_seen_at=now))
        # An order already past its date: late; and no film or elastic on hand for it.
        centre = session.get(Account, network.centre_id)
        assert centre is not None
        visor = catalogue.product_by_key(session=session, key="visor")
        late_order = Order(
            quantity=5,
            needed_by=date.today() - timedelta(days=1),
            delivery_address="CH Abbeville",
            health_centre_id=network.centre_id,
            product_id=id_of(visor),
        )
        session.add(late_order)
        session.flush()

        queued = queue_periodic(session, now, settings)
        assert queued == {
            MessageKind.PARTS_TO_COLLECT: 1,
            MessageKind.FORECAST_CHANGED: 1,
            MessageKind.SUPPLY_RUNNING_OUT: 2,  # film sheets and elastics
            MessageKind.SILENT_PRINTER: 1,
            MessageKind.DAILY_DIGEST: 1,
        }
        rows = {m.kind: m for m in outbox(session)}
        collect = rows[MessageKind.PARTS_TO_COLLECT]
        assert (collect.account_id, collect.link, collect.params["parts"]) == (
            maker_account,
            "/maker",
            25,
        )
        forecast = rows[MessageKind.FORECAST_CHANGED]
        assert (forecast.account_id, forecast.link, forecast.dedup_key) == (
            network.centre_id,
            "/centre",
            f"forecast:{late_order.id}:1",
        )
        assert forecast.params["late"] is True
        silent = rows[MessageKind.SILENT_PRINTER]
        assert (silent.account_id, silent.link, silent.params["printer"]) == (
            coordinator,
            "/board",
            "Ender",
        )
        assert silent.params["maker_silent"] is True and silent.params["days"] == 5
        supplies = sorted(
            m.params["item"] for m in outbox(session) if m.kind == MessageKind.SUPPLY_RUNNING_OUT
        )
        assert supplies == ["elastic", "film_sheet"]
        digest = rows[MessageKind.DAILY_DIGEST]
        assert digest.account_id == coordinator and digest.dedup_key is not None
        assert digest.dedup_key.startswith("digest:") and "alerts_open" in digest.params

        count = len(outbox(session))
        assert queue_periodic(session, now, settings) == {}
        assert queue_periodic(session, later_that_day(now, settings), settings) == {}
        assert len(outbox(session)) == count
        session.rollback()


def test_the_next_day_brings_a_new_digest_and_supply_alerts_not_the_rest(
    engine: Engine, network: Network, settings: Settings
) -> None:
    with Session(engine) as session:
        now = datetime.now(UTC)
        visor = catalogue.product_by_key(session=session, key="visor")
        session.add(
            Order(
                quantity=5,
                needed_by=date.today() - timedelta(days=1),
                delivery_address="CH Abbeville",
                health_centre_id=network.centre_id,
                product_id=id_of(visor),
            )
        )
        session.flush()
        first = queue_periodic(session, now, settings)
        assert first[MessageKind.FORECAST_CHANGED] == 1
        again = queue_periodic(session, now + timedelta(days=1), settings)
        assert again == {MessageKind.SUPPLY_RUNNING_OUT: 2, MessageKind.DAILY_DIGEST: 1}
        session.rollback()


def test_a_maker_out_of_filament_is_a_supply_running_out_for_the_coordinator(
    engine: Engine, network: Network, settings: Settings
) -> None:
    with Session(engine) as session:
        maker = session.get(Maker, network.maker_id)
        coordinator = session.get(Account, coordinator_ids(session)[0])
        assert maker is not None and coordinator is not None
        for grams, reason in ((500, None), (-500, "bobine finie sur un autre projet")):
            declaration = FilamentDeclaration(material="PETG", grams=grams, reason=reason)
            filament.declare(
                session=session, maker=maker, declaration=declaration, actor=coordinator
            )
        now = datetime.now(UTC)

        queue_periodic(session, now, settings)

        told = [
            m.params
            for m in outbox(session)
            if m.kind == MessageKind.SUPPLY_RUNNING_OUT and m.params.get("item") == "filament_g"
        ]
        assert [(p["maker_id"], p["material"], p["grams"]) for p in told] == [
            (network.maker_id, "PETG", 0)
        ]
        assert render(MessageKind.SUPPLY_RUNNING_OUT, told, "fr", link_url="x").subject.endswith(
            f"le filament PETG de {maker.display_name}"
        )
        assert not queue_periodic(session, later_that_day(now, settings), settings)  # once a day
        session.rollback()


def test_a_paused_printer_switched_off_tells_nobody(engine: Engine, network: Network) -> None:
    with Session(engine) as session:
        paused = makers_printer(session, "Camille", "MK3", (250, 210, 210))
        working = makers_printer(session, "Julien", "MK3", (250, 210, 210))
        session.add(
            Pause(
                printer_id=paused.id,
                starts_at=datetime.now(UTC),
                created_by=account_of_maker(session, paused.id),
            )
        )
        both = (paused.id, working.id)
        printer_link.flush_statuses(session, [live(p, PrinterState.IDLE, None) for p in both])
        since = datetime.now(UTC).replace(microsecond=0)
        printer_link.flush_statuses(session, [live(p, PrinterState.OFFLINE, since) for p in both])
        assert [m.dedup_key for m in outbox(session)] == [
            f"offline:{working.id}:{since.isoformat()}"
        ]

        # Days later, the coordinator hears of the silent printer, not of the paused one.
        coordinator = session.exec(select(Account).where(Account.role == Role.COORDINATOR)).one()
        assert silent_printers(session, since + timedelta(days=10), 3, [id_of(coordinator)]) == 1
        silent = [m for m in outbox(session) if m.kind == MessageKind.SILENT_PRINTER]
        assert [m.params["printer_id"] for m in silent] == [working.id]
        session.rollback()
