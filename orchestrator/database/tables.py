"""The service's tables. Each entity's `Base` holds the fields and checks that its table and
its API schemas (`orchestrator.api.schemas`) share.

All quantities are integers. Stock is never stored as a counter: `Movement` is an
append-only ledger and every balance is a sum over it (see `orchestrator.domain.ledger`).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import field_validator
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    String,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel, col

from orchestrator.domain import weekly_hours
from orchestrator.domain.vocabulary import (
    HOLDS_PRINTER,
    Channel,
    ConnectionKind,
    DefectSource,
    DisinfectionMethod,
    HoldScope,
    HoldStatus,
    Item,
    JobStatus,
    MessageKind,
    OrderStatus,
    OutboxStatus,
    Role,
    Stage,
    Urgency,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC, always hands back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UtcDateTime, **kwargs)


def optional_timestamp(**kwargs: Any) -> Any:
    return Field(default=None, sa_type=UtcDateTime, **kwargs)


def word(default: Any = ..., **kwargs: Any) -> Any:
    """A vocabulary column, stored as its plain value so that adding a word needs no
    database enum migration."""
    return Field(default, sa_type=String(40), **kwargs)


ROW_ID_MAX = 2_147_483_647


def row_id(**kwargs: Any) -> Any:
    """A reference to another row in a request body; bounded so no database overflows."""
    return Field(ge=1, le=ROW_ID_MAX, **kwargs)


class HasId(Protocol):
    id: int | None


def id_of(row: HasId) -> int:
    """The id of a row that has been flushed, for the foreign keys of new rows."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


# --- accounts and makers --------------------------------------------------------------

# The OctoPrint-MQTT plugin's Base Topic, as its settings show it: plain topic levels, and
# the trailing slash its default (`octoPrint/`) has, or not. The plugin appends `event/...`
# to it as is, so it is stored as is (no wildcards, `$` or spaces: it goes into the ACL).
BASE_TOPIC_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$")


def check_base_topic(value: str | None) -> str | None:
    if value is None:
        return None
    base = value.strip()  # a copy from the plugin's settings may bring a space along
    if not BASE_TOPIC_PATTERN.match(base):
        raise ValueError(
            "must be the Base Topic from the OctoPrint-MQTT plugin's settings, copied as it "
            "is, such as 'octoPrint/camille-mk3/' (letters, digits, '_', '.', '-' and '/')"
        )
    return base


def check_weekly_hours(value: str | None) -> str | None:
    """Weekly hours (`orchestrator.domain.weekly_hours`), kept in their normalised form."""
    if value is None:
        return None
    return weekly_hours.parse(value).normalised


def check_http_url(value: str | None) -> str | None:
    """An http(s) address with a host and nothing else in it: no login, no fragment.

    Where it may lead (a private or loopback address) is checked when it is called."""
    if value is None:
        return None
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018  (raises ValueError on a port out of range)
    except ValueError:
        raise ValueError("must be an address such as http://192.168.1.20:5000") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must start with http:// or https:// and name a host")
    if parts.username or parts.password or parts.fragment:
        raise ValueError("must not hold a login or a '#': give the API key in its own field")
    return value.strip().rstrip("/")


MATERIAL_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9+-]{1,11}$")
# What an order's needed-by date may be: from today to a year ahead. Today is taken in
# UTC: Europe's dates are never behind it, so "today" in France is always accepted.
PLANNING_HORIZON = timedelta(days=366)


def check_material(value: str | None) -> str | None:
    if value is None:
        return None
    material = value.strip().upper()
    if not MATERIAL_PATTERN.match(material):
        raise ValueError("must be a filament such as PLA, PETG or ABS (letters, digits, + or -)")
    return material


def check_needed_by(value: date) -> date:
    today = datetime.now(UTC).date()
    if value < today:
        raise ValueError("is in the past; give the date you need the goods by")
    if value > today + PLANNING_HORIZON:
        raise ValueError("is more than a year ahead; order again nearer the time")
    return value


def check_recent_moment(value: datetime | None) -> datetime | None:
    """A moment a person records: not in the future, not over a year ago."""
    if value is None:
        return None
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if moment > now + timedelta(minutes=5):
        raise ValueError("is in the future")
    if moment < now - PLANNING_HORIZON:
        raise ValueError("is more than a year ago")
    return value


class AccountBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)


class Account(AccountBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    role: Role = word(index=True)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = timestamp()
    token_changed_at: datetime | None = optional_timestamp()


class MakerBase(SQLModel):
    display_name: str = Field(min_length=1, max_length=200)
    city: str | None = Field(default=None, max_length=120)


class Maker(MakerBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", unique=True)
    created_at: datetime = timestamp()


# --- printers -------------------------------------------------------------------------


# The physical ranges of a desktop FDM printer: a value outside them is a typo (or worse),
# and would make every plan and slice for the fleet fail.
BED_XY_MM = (50, 1000)
BED_Z_MM = (20, 1000)
NOZZLE_MM = (0.1, 1.2)


class PrinterBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    bed_x_mm: float = Field(ge=BED_XY_MM[0], le=BED_XY_MM[1], description="Bed width, mm.")
    bed_y_mm: float = Field(ge=BED_XY_MM[0], le=BED_XY_MM[1], description="Bed depth, mm.")
    bed_z_mm: float = Field(ge=BED_Z_MM[0], le=BED_Z_MM[1], description="Build height, mm.")
    nozzle_mm: float = Field(default=0.4, ge=NOZZLE_MM[0], le=NOZZLE_MM[1])
    material: str = Field(
        default="PETG", min_length=1, max_length=20, description="PLA, PETG, ABS, ASA..."
    )
    availability_hours: str = Field(
        default=weekly_hours.ALWAYS,
        max_length=weekly_hours.MAX_LENGTH,
        description=(
            "When the printer may run, in local time, as OpenStreetMap's opening hours: "
            "'18:00-23:00' every day, or 'Mo-Fr 18:00-23:00; Sa,Su 09:00-12:00,14:00-22:00'."
        ),
    )
    unattended_prints: bool = Field(
        default=False,
        description=(
            "A print may run past the end of the availability window, unattended (a print "
            "started in the evening goes on through the night); its bed is cleared when the "
            "window opens again. Without it, a print must end within the window."
        ),
    )
    connection_kind: ConnectionKind = ConnectionKind.AGENT
    octoprint_url: str | None = Field(default=None, max_length=500)
    mqtt_base_topic: str | None = Field(
        default=None,
        max_length=200,
        description=(
            "The OctoPrint-MQTT plugin's Base Topic, copied as its settings show it "
            "(default 'octoPrint/', slash included); topics are this plus 'event/...'."
        ),
    )

    _hours_window = field_validator("availability_hours")(check_weekly_hours)
    _base_topic = field_validator("mqtt_base_topic")(check_base_topic)
    _octoprint_url = field_validator("octoprint_url")(check_http_url)
    _material = field_validator("material")(check_material)


class Printer(PrinterBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    connection_kind: ConnectionKind = word(ConnectionKind.AGENT)
    maker_id: int = Field(foreign_key="maker.id", index=True)
    # Sealed with a key derived from the service's secret (orchestrator.core.sealing).
    octoprint_api_key: str | None = Field(default=None, max_length=600)
    token_hash: str = Field(unique=True, max_length=64)
    mqtt_password_hash: str | None = Field(default=None, max_length=300)
    created_at: datetime = timestamp()
    token_changed_at: datetime | None = optional_timestamp()


# --- catalogue ------------------------------------------------------------------------


class PartBase(SQLModel):
    key: str = Field(min_length=1, max_length=60, regex=r"^[a-z0-9][a-z0-9_-]*$")
    name_fr: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    material: str = Field(default="PETG", max_length=20, description="The preferred material.")
    other_materials: str = Field(
        default="",
        max_length=100,
        description="Other materials it may be printed in, by preference, comma-separated.",
    )
    bom_role: Item
    orientation: str = Field(default="flat", max_length=40)


class Part(PartBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    bom_role: Item = word()
    key: str = Field(unique=True, max_length=60)
    stl_path: str | None = Field(default=None, max_length=500)
    stl_sha256: str | None = Field(default=None, max_length=64)
    volume_mm3: float | None = None
    grams: float | None = None
    size_x_mm: float | None = None
    size_y_mm: float | None = None
    size_z_mm: float | None = None
    created_at: datetime = timestamp()

    @property
    def materials(self) -> tuple[str, ...]:
        """The materials it may be printed in, the preferred first."""
        others = (name.strip().upper() for name in self.other_materials.split(","))
        return (self.material.upper(), *(name for name in others if name))


class ProductBase(SQLModel):
    key: str = Field(min_length=1, max_length=60)
    item: Item
    name_fr: str = Field(max_length=200)
    name_en: str = Field(max_length=200)


class Product(ProductBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    item: Item = word()
    key: str = Field(unique=True, max_length=60)


class BomLine(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("product_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    item: Item = word()
    quantity: int = Field(gt=0)


class SlicingFailure(SQLModel, table=True):
    """A part that could not be sliced for one printer profile (bed, nozzle, material).

    The orchestrator writes it and skips the pair until `retry_at`; the board and the part's
    plates show it; a slice that succeeds deletes it. Keyed by the profile, as slicing is:
    every printer with that profile is concerned, and a printer whose settings change is
    not any more."""

    __table_args__ = (
        UniqueConstraint(
            "part_id",
            "bed_x_mm",
            "bed_y_mm",
            "bed_z_mm",
            "nozzle_mm",
            "material",
            name="uq_slicing_failure_plate",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    part_id: int = Field(foreign_key="part.id")
    bed_x_mm: float
    bed_y_mm: float
    bed_z_mm: float
    nozzle_mm: float
    material: str = Field(max_length=20)
    problem: str = word()  # an orchestrator.parts.slicing.SlicingProblem
    failures: int = 1
    first_failed_at: datetime = timestamp()
    last_failed_at: datetime = timestamp()
    retry_at: datetime = timestamp()


# --- orders ---------------------------------------------------------------------------


class OrderBase(SQLModel):
    quantity: int = Field(gt=0, le=100_000)
    needed_by: date
    urgency: Urgency = Urgency.NORMAL
    delivery_address: str = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=1000)


class Order(OrderBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    urgency: Urgency = word(Urgency.NORMAL)
    health_centre_id: int = Field(foreign_key="account.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    status: OrderStatus = word(OrderStatus.OPEN, index=True)
    created_at: datetime = timestamp()
    cancelled_at: datetime | None = optional_timestamp()


# --- print jobs -----------------------------------------------------------------------


# The statuses in which a job takes its printer's bed, as the unique index's condition.
HOLDS_PRINTER_SQL = "status IN ({})".format(
    ", ".join(f"'{status}'" for status in JobStatus if status in HOLDS_PRINTER)
)


class Job(SQLModel, table=True):
    """A plate of `copies` identical parts, printed on one printer at a time.

    The partial unique index lets a printer hold one active job only: two orchestrator
    replicas racing to give it work cannot both succeed.
    """

    __table_args__ = (
        Index("ix_job_printer_id", "printer_id"),
        Index(
            "uq_job_one_active_per_printer",
            "printer_id",
            unique=True,
            sqlite_where=text(HOLDS_PRINTER_SQL),
            postgresql_where=text(HOLDS_PRINTER_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    part_id: int = Field(foreign_key="part.id")
    copies: int = Field(gt=0)
    status: JobStatus = word(JobStatus.QUEUED, index=True)
    printer_id: int | None = Field(default=None, foreign_key="printer.id")
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    attempts: int = 0
    needed_by: date | None = None
    priority: int = Field(default=0, description="Lower runs first among equal dates.")
    flagged: bool = Field(default=False, description="Failed too often: a person must look.")
    last_reason: str | None = Field(default=None, max_length=500)
    command_id: str | None = Field(default=None, max_length=64)
    gcode_sha256: str | None = Field(default=None, max_length=64)
    estimated_seconds: float | None = None
    # --- filament where it is ---
    # The plate's filament, from the slicer, stored as the job is given to a printer: what
    # counting its parts takes from the maker's filament (`services.filament`), in the
    # material that printer had loaded (one of the part's `materials`).
    grams: int | None = Field(default=None, ge=0)
    material: str | None = Field(default=None, max_length=20)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    assigned_at: datetime | None = optional_timestamp()
    sent_at: datetime | None = optional_timestamp()
    started_at: datetime | None = optional_timestamp()
    ended_at: datetime | None = optional_timestamp()
    done_at: datetime | None = optional_timestamp()


# The order in which queued jobs go to printers: earliest needed-by date, then priority.
QUEUE_ORDER = (col(Job.needed_by), col(Job.priority), col(Job.id))


class JobAttempt(SQLModel, table=True):
    """One try of a job on one printer: the history a printer's speed is learned from."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    printer_id: int = Field(foreign_key="printer.id", index=True)
    outcome: str | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, max_length=500)
    estimated_seconds: float | None = None
    assigned_at: datetime = timestamp()
    started_at: datetime | None = optional_timestamp()
    ended_at: datetime | None = optional_timestamp()


# --- the printer link -----------------------------------------------------------------


class Pause(SQLModel, table=True):
    """A printer, or all of a maker's printers (`maker_id`), taking no new job from
    `starts_at` until `ends_at`, or until resumed when None (`domain.pauses`)."""

    id: int | None = Field(default=None, primary_key=True)
    printer_id: int | None = Field(default=None, foreign_key="printer.id", index=True)
    maker_id: int | None = Field(default=None, foreign_key="maker.id", index=True)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime | None = optional_timestamp()
    reason: str | None = Field(default=None, max_length=200)
    created_by: int = Field(foreign_key="account.id")
    created_at: datetime = timestamp()


class PrinterStatus(SQLModel, table=True):
    """The last status a printer reported, written in batches by the MQTT bridge."""

    printer_id: int = Field(primary_key=True, foreign_key="printer.id")
    state: str = Field(max_length=20)
    job_id: str | None = Field(default=None, max_length=64)
    progress: float | None = None
    temperatures: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    seq: int | None = Field(default=None, sa_type=BigInteger)
    reported_at: datetime | None = optional_timestamp()
    last_seen_at: datetime = timestamp()
    offline_since: datetime | None = optional_timestamp()


class PrinterEvent(SQLModel, table=True):
    """Every event a printer reported, once: redelivered copies hit the unique key."""

    __table_args__ = (UniqueConstraint("printer_id", "event_id", name="uq_printer_event"),)

    id: int | None = Field(default=None, primary_key=True)
    printer_id: int = Field(foreign_key="printer.id", index=True)
    event_id: str = Field(max_length=64)
    kind: str = Field(max_length=20)
    job_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=500)
    happened_at: datetime = timestamp()
    received_at: datetime = timestamp()


class ServiceCounter(SQLModel, table=True):
    """A process's running count of something (messages, malformed payloads, ...)."""

    process: str = Field(primary_key=True, max_length=100)
    name: str = Field(primary_key=True, max_length=60)
    value: int = 0
    updated_at: datetime = timestamp()


# --- the ledger -----------------------------------------------------------------------


class Movement(SQLModel, table=True):
    """One line of the append-only stock ledger. Rows are inserted, never updated.

    A movement belongs to a lot: printed parts carry the job (and maker) they came from,
    finished goods the batch they were assembled in, packed and delivered goods the order
    they are for. Lots are what make a batch traceable back to its makers.
    """

    __table_args__ = (
        Index("ix_movement_item_stage", "item", "stage"),
        UniqueConstraint("dedup_key", name="uq_movement_dedup_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item: Item = word()
    stage: Stage = word()
    delta: int
    reason: str = Field(max_length=40)
    ref: str | None = Field(default=None, max_length=120)
    note: str | None = Field(default=None, max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="account.id")
    at: datetime = timestamp()
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    maker_id: int | None = Field(default=None, foreign_key="maker.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    material: str | None = Field(default=None, max_length=20)
    # Set for movements that must happen once only, such as a job's parts being counted.
    dedup_key: str | None = Field(default=None, max_length=120)
    # --- quarantine and recall ---
    # Every movement of a hold names it; goods in quarantine also remember the stage they
    # were taken from, where a release puts them back (`services.quarantine`).
    hold_id: int | None = Field(default=None, foreign_key="hold.id", index=True)
    held_from: Stage | None = word(None)


class StockBalance(SQLModel):
    item: Item
    stage: Stage
    quantity: int
    material: str | None = None


# --- quarantine and recall ------------------------------------------------------------


HOLD_REASON_MAX = 500


def check_recent_day(value: date | None) -> date | None:
    """A day a hold looks back on: within the last year, not after tomorrow (a day in
    France may already be tomorrow in UTC)."""
    if value is None:
        return None
    today = datetime.now(UTC).date()
    if value > today + timedelta(days=1):
        raise ValueError("is in the future; a hold covers goods already made")
    if value < today - PLANNING_HORIZON:
        raise ValueError("is more than a year ago")
    return value


def check_stated_reason(value: str) -> str:
    """A reason a person gives: a few words at least, not blanks."""
    reason = value.strip()
    if len(reason) < 3:
        raise ValueError("say in a few words why")
    return reason


class Hold(SQLModel, table=True):
    """The coordinator's decision to hold suspect goods, until they are released or scrapped.

    `target_id` names the batch, job, printer or maker (by scope); a period hold has
    `since` and `until` instead. What it holds is not stored here: it is the ledger's
    quarantined movements that name it.
    """

    id: int | None = Field(default=None, primary_key=True)
    scope: HoldScope = word()
    target_id: int | None = None
    since: date | None = None
    until: date | None = None
    reason: str = Field(max_length=HOLD_REASON_MAX)
    status: HoldStatus = word(HoldStatus.ACTIVE, index=True)
    placed_at: datetime = timestamp()
    placed_by: int = Field(foreign_key="account.id")
    closed_at: datetime | None = optional_timestamp()
    closed_by: int | None = Field(default=None, foreign_key="account.id")
    scrap_reason: str | None = Field(default=None, max_length=HOLD_REASON_MAX)
    # When the centres that received goods of this hold were told. Notifications are
    # another piece of work: until it lands, the coordinator tells them and records it.
    recall_notified_at: datetime | None = optional_timestamp()
    recall_notified_by: int | None = Field(default=None, foreign_key="account.id")


# --- production records ---------------------------------------------------------------


class DonationBase(SQLModel):
    donor: str = Field(min_length=1, max_length=200)
    item: Item
    quantity: int = Field(gt=0, le=10_000_000)
    material: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=500)


class Donation(DonationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    item: Item = word()
    received_at: datetime = timestamp()
    recorded_by: int = Field(foreign_key="account.id")


class HandInBase(SQLModel):
    item: Item
    quantity: int = Field(gt=0, le=100_000)
    note: str | None = Field(default=None, max_length=500)


class HandIn(HandInBase, table=True):
    """A maker's declaration that parts were handed in; a collection confirms it."""

    id: int | None = Field(default=None, primary_key=True)
    item: Item = word()
    maker_id: int = Field(foreign_key="maker.id", index=True)
    declared_at: datetime = timestamp()
    collected_at: datetime | None = optional_timestamp()


class BatchBase(SQLModel):
    quantity: int = Field(gt=0, le=100_000)


class Batch(BatchBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    # What the batch's label QR code names: `{public_url}/b/{public_token}`, a page anyone
    # holding a visor may open. Unguessable, so batch numbers cannot be walked through.
    public_token: str = Field(
        default_factory=lambda: new_public_token(), max_length=32, unique=True, index=True
    )
    assembled_at: datetime = timestamp()
    assembled_by: int = Field(foreign_key="account.id")
    disinfection_method: DisinfectionMethod | None = word(None)
    disinfected_at: datetime | None = optional_timestamp()


class DeliveryBase(SQLModel):
    quantity: int = Field(gt=0, le=100_000)
    note: str | None = Field(default=None, max_length=500)


class Delivery(DeliveryBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    delivered_at: datetime = timestamp()
    delivered_by: int = Field(foreign_key="account.id")
    received_at: datetime | None = optional_timestamp()
    received_by: int | None = Field(default=None, foreign_key="account.id")


class IdempotencyRecord(SQLModel, table=True):
    """The stored answer to a request sent with an `Idempotency-Key` header."""

    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    key: str = Field(max_length=200)
    request_fingerprint: str = Field(max_length=64)
    status_code: int = 0
    response_body: str = ""
    created_at: datetime = timestamp()


# --- labels and defect reports --------------------------------------------------------


def new_public_token() -> str:
    """128 random bits, URL-safe: 22 characters, short enough for a small QR code."""
    return secrets.token_urlsafe(16)


DEFECT_TEXT_MAX = 1000


class DefectReport(SQLModel, table=True):
    """What someone found wrong with a batch. A report from the public page names no one:
    it keeps the text only (bounded), never a contact or an address."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    centre_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    text: str = Field(max_length=DEFECT_TEXT_MAX)
    source: DefectSource = word()
    created_at: datetime = timestamp(index=True)


# --- notifications --------------------------------------------------------------------


class Contact(SQLModel, table=True):
    """Where a person is told things: personal data. Only the coordinator and the person
    see it (the API masks it for anyone else) and it is never logged. The chat webhook
    carries a secret of its own and is stored sealed, as OctoPrint keys are."""

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    chat_url_sealed: str | None = Field(default=None, max_length=2000)
    language: str = Field(default="fr", max_length=2)
    # Opens the one-click unsubscribe link of every e-mail: it names the account, nothing else.
    unsubscribe_token: str = Field(default_factory=new_public_token, unique=True, max_length=32)
    # Minutes after "bed to clear" before a reminder; None: no reminder.
    bed_reminder_minutes: int | None = Field(default=60, ge=5, le=24 * 60)
    night_messages: bool = False  # messages at night too, outside the maker's hours
    updated_at: datetime = timestamp()


class NotificationPreference(SQLModel, table=True):
    """A person's channel for one kind of message; without a row, the kind's default."""

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    kind: MessageKind = word(primary_key=True)
    channel: Channel = word()


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the transaction of the event that causes it.

    A sender claims due rows (`claimed_until`, so that a crashed sender's claim lapses),
    sends them, and marks them sent; `dedup_key` makes the same event never queue twice.
    Repeats of a kind to one person within the grouping window go out as one message."""

    __table_args__ = (Index("ix_outboxmessage_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: MessageKind = word()
    channel: Channel = word()
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    link: str = Field(max_length=500)  # the web app's page the message is about
    dedup_key: str | None = Field(default=None, unique=True, max_length=200)
    status: OutboxStatus = word(OutboxStatus.PENDING)
    not_before: datetime = timestamp()  # quiet hours and reminders push it later
    attempts: int = 0
    next_attempt_at: datetime | None = optional_timestamp()
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = optional_timestamp()
    grouped_into: int | None = Field(default=None, foreign_key="outboxmessage.id")
    last_error: str | None = Field(default=None, max_length=500)  # in our words, no address
    created_at: datetime = timestamp()
    sent_at: datetime | None = optional_timestamp()
