"""The domain's vocabulary: the enums of the data, and the named groups the rules use."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    MAKER = "maker"
    HEALTH_CENTRE = "health_centre"


class Item(StrEnum):
    HEADBAND = "headband"
    REINFORCEMENT = "reinforcement"
    AMICROCHE = "amicroche"
    FILM_SHEET = "film_sheet"
    ELASTIC = "elastic"
    FILAMENT_G = "filament_g"
    VISOR = "visor"


PRINTED_PARTS = frozenset({Item.HEADBAND, Item.REINFORCEMENT, Item.AMICROCHE})


SUPPLIES = frozenset({Item.FILM_SHEET, Item.ELASTIC, Item.FILAMENT_G})


class Stage(StrEnum):
    ON_HAND = "on_hand"  # supplies at the hub
    AT_MAKER = "at_maker"
    COLLECTED = "collected"
    QC_PASSED = "qc_passed"
    REJECTED = "rejected"
    ASSEMBLED = "assembled"
    DISINFECTED = "disinfected"
    PACKED = "packed"
    DELIVERED = "delivered"
    QUARANTINED = "quarantined"  # on hold: only a release or a scrap takes goods out


class Urgency(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class OrderStatus(StrEnum):
    OPEN = "open"
    DELIVERED = "delivered"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class JobStatus(StrEnum):
    QUEUED = "queued"
    ASSIGNED = "assigned"
    SENT = "sent"
    PRINTING = "printing"
    AWAITING_CLEAR = "awaiting_clear"
    DONE = "done"
    FAILED = "failed"
    LOST = "lost"
    CANCELLED = "cancelled"


class ConnectionKind(StrEnum):
    AGENT = "agent"
    OCTOPRINT_MQTT = "octoprint-mqtt"


class DisinfectionMethod(StrEnum):
    ALCOHOL_70 = "alcohol_70"
    BLEACH = "bleach"
    QUATERNARY_AMMONIUM = "quaternary_ammonium"
    UV = "uv"
    HEAT = "heat"


# The named groups of statuses. Each answers one question about a job.
BEFORE_PRINTING = frozenset({JobStatus.ASSIGNED, JobStatus.SENT})
"""Given to a printer, which has not started it yet."""


ON_PRINTER = BEFORE_PRINTING | {JobStatus.PRINTING}
"""Given to a printer, its parts not made yet: it can still fail or be lost."""


HOLDS_PRINTER = ON_PRINTER | {JobStatus.AWAITING_CLEAR}
"""Takes its printer's bed: a printer holds one such job at most (a unique index)."""


PARTS_TO_COME = ON_PRINTER | {JobStatus.QUEUED}
"""Its parts are still to be printed: the planner counts them as coming."""


FINISHED = frozenset({JobStatus.DONE, JobStatus.CANCELLED})
"""Nothing more will happen to it."""


PART_STAGES = (Stage.AT_MAKER, Stage.COLLECTED, Stage.QC_PASSED)
"""Printed parts on their way to assembly."""


FINISHED_STAGES = (Stage.ASSEMBLED, Stage.DISINFECTED)
"""Goods made and not packed yet: any order may still take them. Packed goods belong to
their order, and are counted in its `remaining_need` already."""


class HoldScope(StrEnum):
    """What a hold puts in quarantine: the goods made from a batch, a job, a printer's or
    a maker's jobs, or the jobs done and batches assembled in a period."""

    BATCH = "batch"
    JOB = "job"
    PRINTER = "printer"
    MAKER = "maker"
    PERIOD = "period"


class HoldStatus(StrEnum):
    ACTIVE = "active"  # its goods are in quarantine, and new goods of its scope go there
    RELEASED = "released"  # its goods went back to the stages they came from
    SCRAPPED = "scrapped"  # its goods left the stock


class DefectSource(StrEnum):
    PUBLIC = "public"  # the batch's public page, reached from its label: anonymous
    CENTRE = "centre"  # a signed-in health centre, about a batch it was delivered


class Channel(StrEnum):
    """How a person is told: through the service's channels (settings) to their address."""

    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"  # a chat webhook: Discord, Matrix, Slack, Telegram…
    NONE = "none"


class MessageKind(StrEnum):
    """What makerline tells people. Each kind goes to one role (`MESSAGE_ROLE`)."""

    # to a maker
    BED_TO_CLEAR = "bed_to_clear"
    BED_STILL_WAITING = "bed_still_waiting"
    PRINTER_OFFLINE = "printer_offline"
    JOB_FAILED = "job_failed"
    PARTS_TO_COLLECT = "parts_to_collect"
    # to a health centre
    ORDER_CONFIRMED = "order_confirmed"
    FORECAST_CHANGED = "forecast_changed"
    OUT_FOR_DELIVERY = "out_for_delivery"
    CONFIRM_RECEIPT = "confirm_receipt"
    # to the coordinator
    SUPPLY_RUNNING_OUT = "supply_running_out"
    JOB_FLAGGED = "job_flagged"
    SILENT_PRINTER = "silent_printer"
    DAILY_DIGEST = "daily_digest"


MESSAGE_ROLE = {
    **{
        kind: Role.MAKER
        for kind in (
            MessageKind.BED_TO_CLEAR,
            MessageKind.BED_STILL_WAITING,
            MessageKind.PRINTER_OFFLINE,
            MessageKind.JOB_FAILED,
            MessageKind.PARTS_TO_COLLECT,
        )
    },
    **{
        kind: Role.HEALTH_CENTRE
        for kind in (
            MessageKind.ORDER_CONFIRMED,
            MessageKind.FORECAST_CHANGED,
            MessageKind.OUT_FOR_DELIVERY,
            MessageKind.CONFIRM_RECEIPT,
        )
    },
    **{
        kind: Role.COORDINATOR
        for kind in (
            MessageKind.SUPPLY_RUNNING_OUT,
            MessageKind.JOB_FLAGGED,
            MessageKind.SILENT_PRINTER,
            MessageKind.DAILY_DIGEST,
        )
    },
}


class OutboxStatus(StrEnum):
    PENDING = "pending"  # to send at `not_before` or later
    SENDING = "sending"  # claimed by a sender until `claimed_until`
    SENT = "sent"
    GROUPED = "grouped"  # went out inside another message of the same kind
    FAILED = "failed"  # gave up after the last retry
    SKIPPED = "skipped"  # the person chose no channel, or has no address for it
