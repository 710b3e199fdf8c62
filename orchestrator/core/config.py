"""The service's settings: one object, read from `MAKERLINE_*` environment variables.

A wrong value stops start-up with an error that names the variable, so a volunteer who
mistypes `MAKERLINE_DATABASE_URL` reads which variable is wrong and why, not a traceback.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from printers.agent_config import check_broker_url
from printers.topics import check_prefix

ENV_PREFIX = "MAKERLINE_"
PLACEHOLDER_SECRET = "change-me"


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
    film_allowance: int = Field(
        default=0, ge=0, description="Headbands printed beyond the film on hand."
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

    # TopicError is a ValueError, so pydantic reports it against the variable.
    _plain_prefix = field_validator("mqtt_topic_prefix")(check_prefix)

    @model_validator(mode="after")
    def _safe_for_production(self) -> Settings:
        if self.environment == "production" and self.secret == PLACEHOLDER_SECRET:
            raise ValueError(f"{ENV_PREFIX}SECRET must be set to a real secret in production")
        if self.signup_mode == "invite" and not self.invite_code:
            raise ValueError(f"{ENV_PREFIX}INVITE_CODE must be set when signup_mode is 'invite'")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'makerline.db'}"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


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
