"""The service's settings: one object, read from `MAKERLINE_*` environment variables.

A wrong value stops start-up with an error that names the variable, so a volunteer who
mistypes `MAKERLINE_DATABASE_URL` reads which variable is wrong and why, not a traceback.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from limits import parse_many
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from printers.protocol.broker import check_broker_url
from printers.protocol.topics import check_prefix

ENV_PREFIX = "MAKERLINE_"
PLACEHOLDER_SECRET = "change-me"
# In production every secret is refused when shorter than this, or when it reads like a
# placeholder in any case ("CHANGE-ME", "changeme", "secret", "password"...).
MIN_SECRET_LENGTH = 16
_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|changeit|replace[-_ ]?me|placeholder|example|secret|passw(or)?d|"
    r"^(x+|0+|1234.*|test|admin|default|todo|fixme)$",
    re.IGNORECASE,
)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Apprise's e-mail schemes (mailtos: TLS), and RaspiSMS over http or https (raspismss).
MAIL_SCHEMES = ("mailto", "mailtos")
SMS_SCHEMES = ("raspisms", "raspismss")


def weak_secret(value: str) -> str | None:
    """Why a secret is too weak for production, or None if it will do."""
    if not value:
        return "is empty"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if _PLACEHOLDER.search(value):
        return "looks like a placeholder"
    return None


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """'192.168.1.0/24, 10.0.0.5' into networks; raises ValueError naming a bad one."""
    networks = []
    for part in text.replace(";", ",").split(","):
        if part := part.strip():
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"{part!r} is not a network such as 192.168.1.0/24") from None
    return tuple(networks)


class SettingsError(RuntimeError):
    """Raised at start-up when a setting is wrong; its message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_topic_prefix: str = "makerline"
    secret: str = PLACEHOLDER_SECRET
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    board_port: int = Field(default=8501, ge=1, le=65535)
    board_secret: str = Field(
        default="",
        description="The Fernet key the web app seals its sign-in cookies with. Empty: one "
        "is made on first start and kept in <data_dir>/board-secret. Set it when several "
        "web app processes serve the same address.",
    )
    board_session_hours: float = Field(
        default=12,
        gt=0,
        le=24 * 30,
        description="How long a sign-in to the web app lasts in a browser.",
    )
    signup_mode: Literal["open", "invite"] = "open"
    invite_code: str = ""
    coordinator_token: str = ""
    duplicate_order_window_hours: int = Field(default=24, ge=0)
    max_job_attempts: int = Field(default=3, ge=1, le=20)
    offline_grace_seconds: float = Field(default=600, ge=0)
    start_ack_timeout_seconds: float = Field(default=60, gt=0)
    lost_print_seconds: float = Field(
        default=60,
        gt=0,
        description="A printing job is lost when its printer reports idle, without it, so long.",
    )
    status_flush_seconds: float = Field(default=1.0, gt=0, le=60)
    broker_auth_dir: Path | None = None
    timezone: str = "Europe/Paris"
    hub_delay_hours: float = Field(
        default=24, ge=0, description="Collection, QC, assembly and delivery after printing."
    )
    supply_allowance: int = Field(
        default=0,
        ge=0,
        description="Units of each supply (film, elastic...) the planner prints parts for "
        "beyond what the hub holds.",
    )
    allowed_private_networks: str = Field(
        default="",
        description="Networks the service may call although they are private, loopback or "
        "link-local: a fab-lab whose OctoPrint servers are on its own LAN sets "
        "'192.168.1.0/24'. Comma-separated.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="The largest request body the API reads (STL uploads have their own cap).",
    )
    rate_limit_storage_url: str = Field(
        default="memory://",
        description="Where rate-limit counters live: memory:// for one API process, "
        "redis://host:6379 for several.",
    )
    signup_rate_limit: str = "5/minute;20/hour"
    failed_invite_rate_limit: str = "5/15minutes"
    failed_token_rate_limit: str = "20/minute"
    account_write_rate_limit: str = Field(
        default="60/minute;1000/day",
        description="Changes a maker, a health centre or a printer may make (the "
        "coordinator is not limited).",
    )
    max_printers_per_maker: int = Field(default=25, ge=1, le=1000)
    web_url: str = Field(
        default="http://127.0.0.1:8501",
        max_length=500,
        description="The web app's address as people reach it: every message links to a "
        "page under it.",
    )
    mail_url: str = Field(
        default="",
        max_length=2000,
        description="The SMTP server messages are mailed through, as an Apprise URL: "
        "mailtos://user:password@smtp.example.org:587?from=makerline@fablab.fr. Empty: no "
        "e-mail is sent (the messages are marked failed, and the board shows why).",
    )
    sms_url: str = Field(
        default="",
        max_length=2000,
        description="A RaspiSMS gateway: raspismss://API_KEY@sms.example.org/raspisms "
        "(https) or raspisms://API_KEY@192.168.1.30 (http, on the fab-lab's LAN).",
    )
    notify_group_seconds: float = Field(
        default=60,
        ge=0,
        le=3600,
        description="Messages of one kind to one person queued within this long go out as one.",
    )
    notify_max_attempts: int = Field(default=5, ge=1, le=20)
    notify_retry_seconds: float = Field(
        default=30,
        gt=0,
        le=3600,
        description="The first retry's delay; each next one waits twice as long.",
    )
    silent_printer_days: int = Field(
        default=3,
        ge=1,
        le=60,
        description="The coordinator is told of a printer silent for this many days.",
    )
    forecast_change_hours: float = Field(
        default=24,
        ge=1,
        le=24 * 30,
        description="A centre is told when its order's forecast moves by more than this.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be a time zone such as 'Europe/Paris'") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return value

    _mqtt_url = field_validator("mqtt_url")(check_broker_url)

    @field_validator("board_secret")
    @classmethod
    def _fernet_key(cls, value: str) -> str:
        if value:
            try:
                Fernet(value)
            except ValueError:
                raise ValueError(
                    "must be a Fernet key: python3 -c 'from cryptography.fernet import "
                    "Fernet; print(Fernet.generate_key().decode())'"
                ) from None
        return value

    @field_validator("web_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an address such as https://makerline.fablab.fr")
        return value.rstrip("/")

    @field_validator("mail_url")
    @classmethod
    def _mail_server(cls, value: str) -> str:
        if value and (urlsplit(value).scheme not in MAIL_SCHEMES or not urlsplit(value).hostname):
            raise ValueError(
                "must be an Apprise mail URL such as "
                "mailtos://user:password@smtp.example.org:587?from=makerline@fablab.fr"
            )
        return value

    @field_validator("sms_url")
    @classmethod
    def _sms_gateway(cls, value: str) -> str:
        if value:
            parts = urlsplit(value)
            if parts.scheme not in SMS_SCHEMES or not parts.hostname or not parts.username:
                raise ValueError(
                    "must be a RaspiSMS gateway with its API key, such as "
                    "raspismss://API_KEY@sms.example.org/raspisms"
                )
        return value

    @field_validator("allowed_private_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator(
        "signup_rate_limit",
        "failed_invite_rate_limit",
        "failed_token_rate_limit",
        "account_write_rate_limit",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError("must be rates such as '5/minute;20/hour'") from None
        return value

    # TopicError is a ValueError, so pydantic reports it against the variable.
    _plain_prefix = field_validator("mqtt_topic_prefix")(check_prefix)

    @model_validator(mode="after")
    def _safe_for_production(self) -> Settings:
        if self.signup_mode == "invite" and not self.invite_code:
            raise ValueError(f"{ENV_PREFIX}INVITE_CODE must be set when signup_mode is 'invite'")
        if self.environment == "production":
            problems = [
                f"{name} {why}: set a long random value (python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
                for name, value in self.production_secrets().items()
                if (why := weak_secret(value))
            ]
            if problems:
                raise ValueError("in production, " + "; ".join(problems))
        return self

    def production_secrets(self) -> dict[str, str]:
        """Every secret production needs, by the variable that sets it."""
        return {
            f"{ENV_PREFIX}SECRET": self.secret,
            f"{ENV_PREFIX}COORDINATOR_TOKEN": self.coordinator_token,
            f"{ENV_PREFIX}INVITE_CODE": self.invite_code,
            f"the broker password in {ENV_PREFIX}MQTT_URL": unquote(
                urlsplit(self.mqtt_url).password or ""
            ),
        }

    @property
    def private_networks_allowed(self) -> tuple[IpNetwork, ...]:
        return parse_networks(self.allowed_private_networks)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'makerline.db'}"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def board_secret_file(self) -> Path:
        """Where the web app keeps the key it made, when `board_secret` is not set."""
        return self.data_dir / "board-secret"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one readable error."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            field = ".".join(str(part) for part in issue["loc"])
            name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
            problems.append(f"{name}: {issue['msg']}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
