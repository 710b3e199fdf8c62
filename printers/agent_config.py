"""The printer agent's settings: a TOML file, overridden by `MAKERLINE_AGENT_*` variables.

A wrong value stops start-up with an error naming the variable (or TOML key), so a maker
who mistypes the broker URL reads what is wrong rather than a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from printers.broker_auth import printer_username
from printers.topics import DEFAULT_PREFIX, TopicError, check_prefix, check_printer_id

ENV_PREFIX = "MAKERLINE_AGENT_"
CONTROL_SOCKET_NAME = "agent.sock"
STATE_DB_NAME = "agent.sqlite3"


def check_broker_url(value: str) -> str:
    """An MQTT URL both the agent and the service accept: mqtt(s)://[user:password@]host[:port]."""
    parts = urlsplit(value)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError("must look like mqtt://host:1883 or mqtt://user:password@host:1883")
    return value


class AgentSettingsError(RuntimeError):
    """Raised at start-up when a setting is wrong; its message names the variable."""


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    printer_id: str
    printer_token: str = Field(min_length=1)
    broker_url: str = "mqtt://127.0.0.1:1883"
    broker_username: str | None = None
    broker_password: str | None = None
    mqtt_protocol: Literal["3.1.1", "5"] = "3.1.1"
    keepalive_seconds: int = Field(default=30, ge=2, le=3600)
    octoprint_url: str = "http://127.0.0.1:5000"
    octoprint_api_key: str = Field(min_length=1)
    topic_prefix: str = DEFAULT_PREFIX
    status_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    state_dir: Path = Path("makerline-agent")
    gcode_max_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    api_url: str | None = Field(
        default=None,
        description="Where this agent reaches the service, when not at the address the "
        "service gives in its G-code links (an agent on the service's own network).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the environment, then the TOML file.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("printer_id", mode="before")
    @classmethod
    def _plain_printer_id(cls, value: Any) -> str:
        try:
            return check_printer_id(value)
        except TopicError as error:
            raise ValueError(str(error)) from None

    _mqtt_url = field_validator("broker_url")(check_broker_url)

    @field_validator("octoprint_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must look like http://127.0.0.1:5000")
        return value.rstrip("/")

    @field_validator("api_url")
    @classmethod
    def _http_api_url(cls, value: str | None) -> str | None:
        return None if value is None else cls._http_url(value)

    # TopicError is a ValueError, so pydantic reports it against the variable.
    _plain_prefix = field_validator("topic_prefix")(check_prefix)

    def gcode_source(self, gcode_url: str) -> str:
        """The G-code link as this agent must follow it: on `api_url` when set."""
        if self.api_url is None:
            return gcode_url
        link = urlsplit(gcode_url)
        local = urlsplit(self.api_url)
        return urlunsplit((local.scheme, local.netloc, link.path, link.query, ""))

    @property
    def broker(self) -> BrokerAddress:
        return broker_address(
            self.broker_url,
            username=self.broker_username or printer_username(self.printer_id),
            password=self.broker_password or self.printer_token,
            explicit_username=self.broker_username is not None,
            explicit_password=self.broker_password is not None,
        )

    @property
    def control_socket_path(self) -> Path:
        return self.state_dir / CONTROL_SOCKET_NAME

    @property
    def state_db_path(self) -> Path:
        return self.state_dir / STATE_DB_NAME


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def broker_address(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    explicit_username: bool = False,
    explicit_password: bool = False,
) -> BrokerAddress:
    """Where and as whom to connect: explicit credentials, else the URL's, else defaults."""
    parts = urlsplit(url)
    tls = parts.scheme == "mqtts"
    if parts.username and not explicit_username:
        username = unquote(parts.username)
    if parts.password and not explicit_password:
        password = unquote(parts.password)
    return BrokerAddress(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=username,
        password=password,
    )


def write_agent_config(path: Path, values: dict[str, str]) -> None:
    """Write an agent's TOML file, readable by its owner only: it holds the printer's
    token and OctoPrint's API key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # TOML basic strings are JSON strings.
    partial.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items()))
    partial.chmod(0o600)
    partial.replace(path)


def load_agent_settings(config_file: Path | None = None, **overrides: Any) -> AgentSettings:
    """Read the settings from `config_file` (TOML) and the environment, or explain why not."""
    if config_file is not None and not config_file.is_file():
        raise AgentSettingsError(f"agent config file {config_file} does not exist")

    class AgentSettingsFromFile(AgentSettings):
        model_config = SettingsConfigDict(toml_file=config_file)

    try:
        return AgentSettingsFromFile(**overrides)
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            name = ".".join(str(part) for part in issue["loc"])
            problems.append(f"{ENV_PREFIX}{name.upper()} (or '{name}' in the file): {issue['msg']}")
        raise AgentSettingsError("Invalid agent settings:\n  " + "\n  ".join(problems)) from None
