"""The versioned message bodies of the printer link, and the one way to parse them.

Every payload carries `v` (now `1`). Models ignore unknown fields rather than forbid them:
agents run on volunteers' machines and are upgraded at their pace, so a newer service may
add an optional field without breaking older agents and vice versa. A change that old
readers must not misread bumps `v`, and `Literal[1]` then rejects it loudly.

`parse_payload` is the only entry point for bytes from the broker: whatever arrives, it
returns a model or raises `PayloadError`, so a message loop can log the topic and go on.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

PROTOCOL_VERSION: Literal[1] = 1
MAX_PAYLOAD_BYTES = 64 * 1024
# The largest MQTT packet either broker takes: a payload at the cap plus its topic and
# headers. Mosquitto's `max_packet_size` and the embedded broker both use it.
MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 1024


class PayloadError(ValueError):
    """Bytes from the broker that are not a valid payload; the message says why."""


class PrinterState(StrEnum):
    OFFLINE = "offline"
    IDLE = "idle"
    PRINTING = "printing"
    PAUSED = "paused"
    AWAITING_CLEAR = "awaiting_clear"
    ERROR = "error"


# States in which a printer can neither take a job nor be trusted to finish one.
ERROR_STATES: frozenset[PrinterState] = frozenset({PrinterState.OFFLINE, PrinterState.ERROR})


class EventKind(StrEnum):
    PRINT_STARTED = "PrintStarted"
    PRINT_DONE = "PrintDone"
    PRINT_FAILED = "PrintFailed"
    PRINT_CANCELLED = "PrintCancelled"
    BED_CLEARED = "BedCleared"


# A print that ended in one of these leaves something on the bed to take off.
PRINT_END_EVENTS: frozenset[EventKind] = frozenset(
    {EventKind.PRINT_DONE, EventKind.PRINT_FAILED, EventKind.PRINT_CANCELLED}
)


class CommandKind(StrEnum):
    START_JOB = "start_job"
    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"
    CLEAR_BED = "clear_bed"


def _int_as_text(value: Any) -> Any:
    # The service's database ids are integers; on the wire every id is text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Identifier = Annotated[
    str,
    BeforeValidator(_int_as_text),
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"),
]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Reason = Annotated[str, StringConstraints(max_length=500)]
HttpUrlText = Annotated[
    str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s/]+(/\S*)?$")
]
UnixSeconds = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]


def now() -> float:
    return time.time()


class LinkPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = PROTOCOL_VERSION


class Temperature(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    actual: float | None = Field(default=None, ge=-300, le=1000, allow_inf_nan=False)
    target: float | None = Field(default=None, ge=-300, le=1000, allow_inf_nan=False)


HeaterName = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class StatusPayload(LinkPayload):
    """A printer's state, retained on its status topic.

    `seq` grows with every status an agent publishes, across restarts, so a reader keeps
    only the newest. The broker's last will carries no `seq` and no `ts`: it is the broker
    speaking when the agent vanished, and always applies.
    """

    state: PrinterState
    job_id: Identifier | None = None
    progress: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    temperatures: dict[HeaterName, Temperature] = Field(default_factory=dict, max_length=16)
    seq: int | None = Field(default=None, ge=0, le=2**63 - 1)
    ts: UnixSeconds | None = None


class EventPayload(LinkPayload):
    """Something that happened once on a printer; `event_id` makes redelivery harmless."""

    event_id: Identifier
    kind: EventKind
    job_id: Identifier | None = None
    reason: Reason | None = None
    ts: UnixSeconds


class CommandPayload(LinkPayload):
    """An order from the service to one printer; `command_id` makes redelivery harmless."""

    command_id: Identifier
    kind: CommandKind
    job_id: Identifier | None = None
    gcode_url: HttpUrlText | None = None
    sha256: Sha256Hex | None = None
    ts: UnixSeconds | None = None

    @model_validator(mode="after")
    def _start_job_is_complete(self) -> CommandPayload:
        if self.kind == CommandKind.START_JOB:
            missing = [
                name for name in ("job_id", "gcode_url", "sha256") if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"start_job needs {', '.join(missing)}")
        return self


class ServiceStatus(LinkPayload):
    state: Literal["online", "offline"]
    ts: UnixSeconds | None = None


Payload = TypeVar("Payload", bound=LinkPayload)


def parse_payload(model: type[Payload], raw: bytes | bytearray) -> Payload:
    """Parse broker bytes into `model`, or raise `PayloadError` saying what is wrong."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(raw)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise PayloadError(_describe(model, error)) from None
    except (ValueError, RecursionError) as error:
        raise PayloadError(f"not a {model.__name__}: {error}") from None


def encode_payload(payload: LinkPayload) -> bytes:
    return payload.model_dump_json(exclude_none=True).encode()


def _describe(model: type[BaseModel], error: ValidationError) -> str:
    problems = []
    for issue in error.errors()[:3]:
        where = ".".join(str(part) for part in issue["loc"]) or "payload"
        problems.append(f"{where}: {issue['msg']}")
    more = error.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"not a valid {model.__name__}: " + "; ".join(problems) + suffix
