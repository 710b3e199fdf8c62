"""The API's schemas: what requests carry in and what answers carry out, apart from the tables."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, field_validator
from sqlmodel import Field, SQLModel

from orchestrator.database.tables import (
    BED_XY_MM,
    BED_Z_MM,
    DEFECT_TEXT_MAX,
    HOLD_REASON_MAX,
    NOZZLE_MM,
    ROW_ID_MAX,
    AccountBase,
    BatchBase,
    DeliveryBase,
    DonationBase,
    HandInBase,
    MakerBase,
    OrderBase,
    PartBase,
    PrinterBase,
    ProductBase,
    StockBalance,
    check_base_topic,
    check_http_url,
    check_material,
    check_needed_by,
    check_recent_day,
    check_recent_moment,
    check_stated_reason,
    check_weekly_hours,
    row_id,
)
from orchestrator.domain import weekly_hours
from orchestrator.domain.eta import NoEta
from orchestrator.domain.vocabulary import (
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
)
from orchestrator.parts.catalogue import BomRole, Orientation
from orchestrator.parts.materials import Material
from orchestrator.parts.slicing import SlicingProblem

# --- accounts and makers --------------------------------------------------------------


class AccountPublic(AccountBase):
    id: int
    role: Role
    created_at: datetime


class AccountCreate(AccountBase):
    role: Role


class SignupRequest(AccountBase):
    role: Role = Role.MAKER
    invite_code: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=120)


class AccountWithToken(AccountPublic):
    """Returned once, at creation: the token is not stored and cannot be shown again."""

    token: str
    maker_id: int | None = None


class MakerPublic(MakerBase):
    id: int
    account_id: int
    created_at: datetime


# --- printers -------------------------------------------------------------------------


class PrinterCreate(PrinterBase):
    octoprint_api_key: str | None = Field(default=None, max_length=200, regex=r"^[!-~]+$")


class PrinterUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    bed_x_mm: float | None = Field(default=None, ge=BED_XY_MM[0], le=BED_XY_MM[1])
    bed_y_mm: float | None = Field(default=None, ge=BED_XY_MM[0], le=BED_XY_MM[1])
    bed_z_mm: float | None = Field(default=None, ge=BED_Z_MM[0], le=BED_Z_MM[1])
    nozzle_mm: float | None = Field(default=None, ge=NOZZLE_MM[0], le=NOZZLE_MM[1])
    material: str | None = Field(default=None, min_length=1, max_length=20)
    availability_hours: str | None = Field(default=None, max_length=weekly_hours.MAX_LENGTH)
    unattended_prints: bool | None = None
    connection_kind: ConnectionKind | None = None
    octoprint_url: str | None = Field(default=None, max_length=500)
    octoprint_api_key: str | None = Field(default=None, max_length=200, regex=r"^[!-~]+$")
    mqtt_base_topic: str | None = Field(
        default=None, max_length=200, description="The OctoPrint-MQTT plugin's Base Topic, as is."
    )

    _hours_window = field_validator("availability_hours")(check_weekly_hours)
    _base_topic = field_validator("mqtt_base_topic")(check_base_topic)
    _octoprint_url = field_validator("octoprint_url")(check_http_url)
    _material = field_validator("material")(check_material)

    @field_validator(
        "name",
        "bed_x_mm",
        "bed_y_mm",
        "bed_z_mm",
        "nozzle_mm",
        "material",
        "availability_hours",
        "unattended_prints",
        "connection_kind",
    )
    @classmethod
    def _not_emptied(cls, value: object) -> object:
        """Checked only when sent: a printer always has these. The plugin's fields may
        be emptied with null."""
        if value is None:
            raise ValueError("may not be null: leave it out to keep it")
        return value


class PrinterPublic(PrinterBase):
    """What any endpoint says of a printer: never its OctoPrint key or credentials."""

    id: int
    maker_id: int
    created_at: datetime


class PauseCreate(SQLModel):
    """A pause of one printer (`printer_id`), or of all a maker's printers: the maker's
    own when they send it without a printer, `maker_id`'s when the coordinator does.
    Without `starts_at` it starts now; without `ends_at` it lasts until resumed."""

    printer_id: int | None = Field(default=None, ge=1, le=ROW_ID_MAX)
    maker_id: int | None = Field(default=None, ge=1, le=ROW_ID_MAX)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    reason: str | None = Field(default=None, max_length=200)


class PausePublic(SQLModel):
    id: int
    printer_id: int | None
    maker_id: int | None
    starts_at: datetime
    ends_at: datetime | None
    reason: str | None
    created_at: datetime
    active: bool = Field(description="Whether the pause holds at the moment of the answer.")


class PrinterWithCredentials(PrinterPublic):
    """Returned once, at creation or rotation: the agent's token (its G-code downloads, and
    the base of its broker login) and the broker login itself, for the OctoPrint-MQTT
    plugin, whose password is derived from the token and never gives it back."""

    token: str
    mqtt_username: str
    mqtt_password: str


# --- catalogue ------------------------------------------------------------------------


class PartPublic(PartBase):
    id: int
    stl_sha256: str | None
    volume_mm3: float | None
    grams: float | None
    size_x_mm: float | None
    size_y_mm: float | None
    size_z_mm: float | None


class BomLinePublic(SQLModel):
    item: Item
    quantity: int


class ProductPublic(ProductBase):
    id: int
    bom: list[BomLinePublic]


# --- orders ---------------------------------------------------------------------------


class OrderCreate(OrderBase):
    product_key: str = Field(min_length=1, max_length=60)
    confirm_duplicate: bool = False

    _needed_by = field_validator("needed_by")(check_needed_by)


class SupplyShortage(SQLModel):
    """A supply an order waits for: `missing` more are needed to assemble what it lacks."""

    item: Item
    missing: int


class OrderPublic(OrderBase):
    id: int
    health_centre_id: int
    product_key: str
    status: OrderStatus
    packed: int
    delivered: int
    remaining: int = Field(description="Still to make and pack: quantity - packed - delivered.")
    created_at: datetime
    eta: datetime | None = Field(default=None, description="Forecast delivery time.")
    eta_earliest: datetime | None = Field(
        default=None, description="The forecast's range: delivery if plates print fast..."
    )
    eta_latest: datetime | None = Field(
        default=None, description="...and if they print slow, from the printers' spread."
    )
    late: bool = Field(default=False, description="The forecast misses needed_by.")
    eta_note: NoEta | None = Field(
        default=None,
        description="Why there is no forecast: awaiting_supplies (see held_back), "
        "awaiting_parts (its jobs are not planned yet) or no_printer_online (no printer "
        "online can take its plates).",
    )
    held_back: list[SupplyShortage] = Field(
        default_factory=list,
        description="The supplies on hand lack for this order, and how many are missing "
        "(after the more pressing orders took theirs).",
    )


# --- print jobs -----------------------------------------------------------------------


class JobCreate(SQLModel):
    """A job created by hand; the planner creates the others."""

    part_key: str = Field(min_length=1, max_length=60)
    copies: int = Field(gt=0, le=1000)
    printer_id: int | None = row_id(default=None)
    order_id: int | None = row_id(default=None)


class JobPublic(SQLModel):
    id: int
    part_key: str
    copies: int
    status: JobStatus
    printer_id: int | None
    order_id: int | None
    attempts: int
    needed_by: date | None
    flagged: bool
    last_reason: str | None
    estimated_seconds: float | None
    created_at: datetime
    started_at: datetime | None
    done_at: datetime | None


# --- the printer link -----------------------------------------------------------------


class PrinterStatusPublic(SQLModel):
    printer_id: int
    state: str
    job_id: str | None
    progress: float | None
    temperatures: dict[str, Any]
    last_seen_at: datetime
    offline_since: datetime | None


class PrinterEventPublic(SQLModel):
    id: int
    printer_id: int
    event_id: str
    kind: str
    job_id: str | None
    reason: str | None
    happened_at: datetime
    received_at: datetime


# --- the ledger -----------------------------------------------------------------------


class MovementPublic(SQLModel):
    id: int
    item: Item
    stage: Stage
    delta: int
    reason: str
    ref: str | None
    note: str | None
    actor_id: int | None
    at: datetime
    job_id: int | None
    maker_id: int | None
    batch_id: int | None
    order_id: int | None
    material: str | None
    hold_id: int | None = None  # the hold that moved it (quarantine and recall)
    held_from: Stage | None = None  # in quarantine: the stage it was taken from


# --- production records ---------------------------------------------------------------


class DonationCreate(DonationBase):
    pass


class DonationPublic(DonationBase):
    id: int
    received_at: datetime


class HandInCreate(HandInBase):
    pass


class HandInPublic(HandInBase):
    id: int
    maker_id: int
    declared_at: datetime
    collected_at: datetime | None


class CollectionCreate(SQLModel):
    maker_id: int = row_id()
    item: Item
    quantity: int = Field(gt=0, le=100_000)
    hand_in_id: int | None = row_id(default=None)


class QcCreate(SQLModel):
    item: Item
    passed: int = Field(default=0, ge=0, le=100_000)
    rejected: int = Field(default=0, ge=0, le=100_000)
    reason: str | None = Field(default=None, max_length=500)


class BatchCreate(BatchBase):
    product_key: str = Field(min_length=1, max_length=60)


class BatchPublic(BatchBase):
    id: int
    product_key: str
    assembled_at: datetime
    disinfection_method: DisinfectionMethod | None
    disinfected_at: datetime | None


class DisinfectionCreate(SQLModel):
    method: DisinfectionMethod
    disinfected_at: datetime | None = None

    _recent = field_validator("disinfected_at")(check_recent_moment)


class PackingCreate(SQLModel):
    order_id: int = row_id()
    quantity: int = Field(gt=0, le=100_000)


class DeliveryCreate(DeliveryBase):
    order_id: int = row_id()


class DeliveryBatch(SQLModel):
    """How many of a delivery's goods came from one batch (from the ledger)."""

    batch_id: int
    quantity: int


class DeliveryPublic(DeliveryBase):
    id: int
    number: int = Field(
        description="The delivery's number among its health centre's deliveries: "
        "1, 2, 3 in the order they were delivered."
    )
    order_id: int
    health_centre_id: int
    product_key: str
    delivered_at: datetime
    received_at: datetime | None
    batches: list[DeliveryBatch] = Field(
        default_factory=list, description="The batches the delivered goods came from."
    )


class TraceLine(SQLModel):
    item: Item
    quantity: int
    job_id: int | None
    maker_id: int | None
    maker_name: str | None
    printer_id: int | None
    printer_name: str | None


class BatchTrace(SQLModel):
    batch: BatchPublic
    parts: list[TraceLine]
    makers: list[str]
    orders: list[int]


# --- the board ------------------------------------------------------------------------


class FunnelStep(StrEnum):
    PRINTED = "printed"
    COLLECTED = "collected"
    QC_PASSED = "qc_passed"
    ASSEMBLED = "assembled"
    DISINFECTED = "disinfected"
    DELIVERED = "delivered"


class AlertKind(StrEnum):
    PRINTER_OFFLINE_DURING_JOB = "printer_offline_during_job"
    JOB_FAILED_TWICE = "job_failed_twice"
    SUPPLY_SHORT = "supply_short"  # the open orders need more than the hub holds
    SUPPLY_RUNNING_OUT = "supply_running_out"  # gone within days at the last week's rate
    ORDER_LATE = "order_late"
    PRINTER_CANNOT_PRINT = "printer_cannot_print"
    PART_CANNOT_BE_SLICED = "part_cannot_be_sliced"
    GOODS_IN_QUARANTINE = "goods_in_quarantine"  # goods held under an active hold
    FILAMENT_LOW = "filament_low"
    DEFECT_REPORTED = "defect_reported"


class ProductLine(SQLModel):
    item: Item
    ordered: int
    packed: int
    delivered: int
    remaining: int  # summed over the orders, each its ledger.remaining_need


class PrinterCounts(SQLModel):
    total: int
    online: int
    printing: int
    awaiting_clear: int
    idle: int
    offline: int


class FunnelCount(SQLModel):
    item: Item
    step: FunnelStep
    quantity: int


class SupplyOutlook(SQLModel):
    """One supply of the products' bills (film, elastic...): what the hub holds, how fast
    assembly uses it, and what the open orders still need."""

    item: Item
    on_hand: int
    used_per_day: float = Field(description="Over the last 7 days (or since the first use).")
    days_left: float | None = Field(description="At that rate; none if unused lately.")
    needed_for_open_orders: int
    missing: int = Field(description="Needed for the open orders beyond what is on hand.")


class ThroughputBucket(SQLModel):
    start: datetime
    printed: int
    delivered: int


class Alert(SQLModel):
    """One thing the coordinator should look at. `params` fills the board's sentence
    in the reader's language."""

    kind: AlertKind
    subject: str
    params: dict[str, str | int | float | None]
    since: datetime | None = None


class BoardSummary(SQLModel):
    generated_at: datetime
    products: list[ProductLine]
    printers: PrinterCounts
    jobs_by_status: dict[str, int]
    stock: list[StockBalance]
    funnel: list[FunnelCount]
    supplies: list[SupplyOutlook]
    throughput: list[ThroughputBucket] = Field(
        description="From the first bar with parts printed or goods delivered (in the "
        "hours asked for) to now; an hour at least, the last day when there are none."
    )
    throughput_bar_minutes: int = Field(description="Each bar's width: 5 minutes to a day.")
    alerts: list[Alert]


class PrinterRow(SQLModel):
    printer_id: int
    name: str
    maker_id: int
    maker_name: str
    material: str
    bed_x_mm: float
    bed_y_mm: float
    state: str
    progress: float | None
    job_id: int | None
    part_key: str | None
    last_seen_at: datetime | None
    offline_since: datetime | None
    paused: bool = Field(default=False, description="Under a pause now: it takes no new job.")


class PrinterGrid(SQLModel):
    total: int
    rows: list[PrinterRow]


class JobQueue(SQLModel):
    """The next queued jobs, in the order the dispatcher takes them."""

    total: int = Field(description="Jobs queued in all.")
    jobs: list[JobPublic]


# --- parts and plates -----------------------------------------------------------------


PART_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class PartUpload(SQLModel):
    """The form fields sent with an uploaded STL."""

    key: str = Field(min_length=1, max_length=60, regex=PART_KEY_PATTERN)
    name_fr: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    material: Material = "PETG"
    other_materials: tuple[Material, ...] = ()  # by preference, after `material`
    bom_role: BomRole
    orientation: Orientation = "flat"


class PlatePublic(SQLModel):
    """One printer profile in use, and a full plate of the part on it."""

    bed_x_mm: float
    bed_y_mm: float
    bed_z_mm: float
    nozzle_mm: float
    material: str
    printer_ids: list[int]
    copies_per_plate: int
    seconds: int | None = None
    grams: float | None = None
    problem: SlicingProblem | None = Field(
        default=None, description="Why this profile cannot print the part, when it cannot."
    )
    problem_since: datetime | None = None


# --- the hub --------------------------------------------------------------------------


class StockChange(SQLModel):
    """The ledger lines one operation appended."""

    movements: list[MovementPublic]


# --- filament where it is -------------------------------------------------------------

# A spool is a kilogram or so; a declaration or a shipment past 100 kg is a typo.
FILAMENT_GRAMS_MAX = 100_000


class FilamentDeclaration(SQLModel):
    """Spools a maker holds (grams > 0), or a correction of what they declared (grams < 0,
    with the reason: a spool used up elsewhere, a recount)."""

    material: str = Field(min_length=1, max_length=20, description="PLA, PETG, ABS...")
    grams: int = Field(ge=-FILAMENT_GRAMS_MAX, le=FILAMENT_GRAMS_MAX)
    reason: str | None = Field(default=None, max_length=200)

    _material = field_validator("material")(check_material)


class FilamentSent(SQLModel):
    """Spools the hub gives a maker, taken from the filament on hand in that material."""

    maker_id: int = row_id()
    material: str = Field(min_length=1, max_length=20)
    grams: int = Field(gt=0, le=FILAMENT_GRAMS_MAX)
    note: str | None = Field(default=None, max_length=200)

    _material = field_validator("material")(check_material)


class FilamentBalance(SQLModel):
    """A tracked maker's filament of one material."""

    maker_id: int
    maker_name: str
    material: str
    grams: int = Field(description="Held now, in the ledger.")
    in_flight_grams: int = Field(description="What the jobs on their printers will use.")
    left_grams: int = Field(description="Held, less the jobs in flight.")
    plate_grams: int | None = Field(default=None, description="Their usual plate.")
    plates_left: int | None = Field(default=None, description="Usual plates left after those.")
    short_grams: int = Field(
        default=0, description="Used beyond their stock since it was last topped up."
    )
    low: bool = False


# --- the service ----------------------------------------------------------------------


class Health(SQLModel):
    status: str
    version: str


# --- labels, defect reports and exports -----------------------------------------------


class BatchStatus(StrEnum):
    """Where a batch's goods are, as a carer holding one may be told."""

    IN_PROGRESS = "in_progress"  # assembled, not disinfected yet
    IN_STOCK = "in_stock"  # disinfected or packed, at the hub
    PARTLY_DELIVERED = "partly_delivered"
    DELIVERED = "delivered"
    ON_HOLD = "on_hold"  # quarantined: do not use


class PublicBatch(SQLModel):
    """What the batch's public page shows: the goods, never a person (no maker, no centre,
    no address)."""

    batch_id: int
    product_key: str
    product_name_fr: str
    product_name_en: str
    quantity: int
    assembled_at: datetime
    disinfected_at: datetime | None
    disinfection_method: DisinfectionMethod | None
    status: BatchStatus


def _trimmed_text(value: str) -> str:
    text = value.strip()
    if len(text) < 3:
        raise ValueError("say in a few words what is wrong with the batch")
    return text


class DefectReportCreate(SQLModel):
    """A health centre's report on a batch it was delivered."""

    batch_id: int = row_id()
    text: str = Field(min_length=3, max_length=DEFECT_TEXT_MAX)

    _text = field_validator("text")(_trimmed_text)


class DefectReportPublic(SQLModel):
    id: int
    batch_id: int
    source: DefectSource
    centre_id: int | None
    centre_name: str | None
    text: str
    created_at: datetime
    trace: BatchTrace


# --- quarantine and recall ------------------------------------------------------------


class HoldCreate(SQLModel):
    """What to hold: `id` names the batch, job, printer or maker; a period gives `since`
    and `until` (dates, within the last year) instead."""

    scope: HoldScope
    id: int | None = row_id(default=None, description="The batch, job, printer or maker.")
    since: date | None = Field(default=None, description="Period: the first day held.")
    until: date | None = Field(default=None, description="Period: the last day held.")
    reason: str = Field(min_length=3, max_length=HOLD_REASON_MAX)

    _since = field_validator("since")(check_recent_day)
    _until = field_validator("until")(check_recent_day)
    _reason = field_validator("reason")(check_stated_reason)


class HoldScrap(SQLModel):
    reason: str = Field(min_length=3, max_length=HOLD_REASON_MAX)

    _reason = field_validator("reason")(check_stated_reason)


class HeldLine(SQLModel):
    """Goods of one item in quarantine, by the stage they were taken from."""

    item: Item
    held_from: Stage
    quantity: int


class HeldLot(HeldLine):
    """One lot in quarantine: the job, maker, batch and order it still belongs to."""

    job_id: int | None
    maker_id: int | None
    batch_id: int | None
    order_id: int | None


class HoldPublic(SQLModel):
    id: int
    scope: HoldScope
    target_id: int | None
    since: date | None
    until: date | None
    reason: str
    status: HoldStatus
    placed_at: datetime
    closed_at: datetime | None
    scrap_reason: str | None
    recall_notified_at: datetime | None
    held: int = Field(description="Goods in quarantine under this hold now.")


class HoldDetail(HoldPublic):
    lines: list[HeldLine] = Field(description="What is held, per item and original stage.")
    lots: list[HeldLot]
    batch_ids: list[int] = Field(description="The batches the hold's scope reaches.")


class RecallBatch(SQLModel):
    batch_id: int
    order_id: int
    quantity: int
    delivery_ids: list[int]


class RecallCentre(SQLModel):
    centre_id: int
    centre_name: str
    quantity: int
    batches: list[RecallBatch]


class Recall(SQLModel):
    """The goods of a hold's scope already delivered: who has them, from which batches."""

    hold_id: int
    quantity: int
    centres: list[RecallCentre]
    notified_at: datetime | None = Field(
        description="When the centres were recorded as told (POST .../recall/notified)."
    )


# --- notifications: a person's addresses, their choices, the outbox -------------------

EMAIL_MAX = 254
PHONE_MAX = 20
CHAT_URL_MAX = 1000  # sealed, it still fits Contact.chat_url_sealed
BED_REMINDER_MINUTES = (5, 24 * 60)
# One '@', a local part without blanks, a domain of dotted labels: enough to catch a typo
# without refusing the addresses people really have. Delivery is the real test.
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{4,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
PHONE_SEPARATORS = re.compile(r"[\s.()-]")
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
FRENCH_NATIONAL = re.compile(r"^0[1-9][0-9]{8}$")


def check_email(value: str | None) -> str | None:
    """An e-mail address, kept as typed but for blanks around it; empty clears it."""
    if value is None or not value.strip():
        return None
    address = value.strip()
    if not EMAIL_PATTERN.match(address):
        raise ValueError("must be an e-mail address such as camille@example.org")
    return address


def check_phone(value: str | None) -> str | None:
    """A mobile number in international form (+33612345678). Spaces, dots and dashes are
    dropped, and a French number written the French way (06 12 34 56 78) gets its +33, as
    SMS gateways want; empty clears it. The message never repeats the number."""
    if value is None or not value.strip():
        return None
    digits = PHONE_SEPARATORS.sub("", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if FRENCH_NATIONAL.match(digits):
        digits = "+33" + digits[1:]
    if not E164.match(digits):
        raise ValueError("must be a phone number such as +33 6 12 34 56 78")
    return digits


def check_chat_url(value: str | None) -> str | None:
    """A chat webhook (Discord, Matrix, Slack, Telegram...): https, a host, no login and no
    '#'. Whether its host is an address the service may call is checked with the outbound
    policy when it is saved. Empty clears it."""
    if value is None or not value.strip():
        return None
    url = check_http_url(value)
    assert url is not None
    if not url.startswith("https://"):
        raise ValueError("must start with https://: a webhook carries its own secret")
    return url


class ContactUpdate(SQLModel):
    """What a person changes in their contact: a field left out is kept, null (or an empty
    text) clears it."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    phone: str | None = Field(default=None, max_length=PHONE_MAX)
    chat_url: str | None = Field(
        default=None,
        max_length=CHAT_URL_MAX,
        description="A chat webhook (https). It is stored sealed and never shown in full again.",
    )
    language: Literal["fr", "en"] | None = None
    bed_reminder_minutes: int | None = Field(
        default=None,
        ge=BED_REMINDER_MINUTES[0],
        le=BED_REMINDER_MINUTES[1],
        description="Minutes before a reminder that a bed is still to clear; null: none.",
    )
    night_messages: bool | None = Field(
        default=None, description="Messages at night too, outside your availability hours."
    )

    _email = field_validator("email")(check_email)
    _phone = field_validator("phone")(check_phone)
    _chat_url = field_validator("chat_url")(check_chat_url)


class ContactPublic(SQLModel):
    """A person's contact, as the person and the coordinator see it: the chat webhook only
    masked (its scheme and host), since its path is a secret that lets anyone post."""

    account_id: int
    email: str | None
    phone: str | None
    chat_url_masked: str | None
    language: str
    bed_reminder_minutes: int | None
    night_messages: bool
    updated_at: datetime | None


class NotificationChoice(SQLModel):
    kind: MessageKind
    channel: Channel
    default_channel: Channel
    chosen: bool = Field(description="False while the person keeps the default.")


class NotificationChoicesUpdate(SQLModel):
    """A channel per kind of message; kinds left out keep their channel."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    channels: dict[MessageKind, Channel] = Field(max_length=len(MessageKind))


class OutboxRow(SQLModel):
    """One message of the outbox, for the coordinator: to whom, how, and how it went."""

    id: int
    account_id: int
    account_name: str
    kind: MessageKind
    channel: Channel
    address: str | None = Field(description="Where it goes; a chat webhook only masked.")
    status: OutboxStatus
    attempts: int
    not_before: datetime
    created_at: datetime
    sent_at: datetime | None
    grouped_into: int | None
    last_error: str | None
    link: str


class OutboxPage(SQLModel):
    total: int
    rows: list[OutboxRow]
