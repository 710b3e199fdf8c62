"""The printer agent's settings: a TOML file, overridden by `MAKERLINE_AGENT_*` variables.

The file is where `makerline agent enrol` writes it and every other `makerline agent`
command reads it, unless `--config` says otherwise: `MAKERLINE_AGENT_CONFIG`, else
`$XDG_CONFIG_HOME/makerline/agent.toml` (`~/.config/makerline/agent.toml`). The agent's
state (outbox, control socket) defaults to `$XDG_STATE_HOME/makerline/printer-{id}`
(`~/.local/state/makerline/printer-{id}`): one folder per printer, found from any folder.

A wrong value stops start-up with an error naming the variable (or TOML key), so a maker
who mistypes the broker URL reads what is wrong rather than a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from printers.protocol.broker import BrokerAddress, broker_address, check_broker_url
from printers.protocol.broker_auth import printer_broker_password, printer_username
from printers.protocol.topics import DEFAULT_PREFIX, TopicError, check_prefix, check_printer_id

ENV_PREFIX = "MAKERLINE_AGENT_"
CONFIG_ENV = "MAKERLINE_AGENT_CONFIG"
CONTROL_SOCKET_NAME = "agent.sock"
STATE_DB_NAME = "agent.sqlite3"
MAX_SOCKET_PATH_BYTES = 107  # a Unix socket's path on Linux, its final NUL excluded
ENROL_HINT = (
    "enrol this printer first (makerline agent enrol --api-url ... --token ...: "
    "see makerline agent enrol --help), or pass --config FILE"
)


def default_config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """The agent's config unless `--config` names another: `MAKERLINE_AGENT_CONFIG`, else
    `$XDG_CONFIG_HOME/makerline/agent.toml`."""
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    return _xdg_home("XDG_CONFIG_HOME", ".config", environ) / "makerline" / "agent.toml"


def default_state_dir(printer_id: str, environ: Mapping[str, str] = os.environ) -> Path:
    """The printer's state folder unless the config names another: one per printer, so
    two agents of one maker never share an outbox or a socket."""
    state_home = _xdg_home("XDG_STATE_HOME", ".local/state", environ)
    return state_home / "makerline" / f"printer-{printer_id}"


def _xdg_home(variable: str, fallback: str, environ: Mapping[str, str]) -> Path:
    value = environ.get(variable, "")
    # The XDG rule: a relative path in these variables is invalid and ignored.
    return Path(value) if os.path.isabs(value) else Path.home() / fallback


class AgentSettingsError(RuntimeError):
    """Raised at start-up when a setting is wrong; its message names the variable."""


class GcodeLinkRefused(ValueError):
    """A start_job's G-code link the agent will not follow; the message says why."""


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


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
    # Fields are validated in order: printer_id is known here unless it was refused,
    # and then start-up stops with that error anyway.
    state_dir: Path = Field(
        default_factory=lambda data: default_state_dir(str(data.get("printer_id", ""))),
        validate_default=True,
    )
    gcode_max_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    api_url: str = Field(
        description="The service's API as its G-code links name it (its MAKERLINE_PUBLIC_URL). "
        "The printer's token is sent there only.",
    )
    api_local_url: str | None = Field(
        default=None,
        description="The same API at a nearer address, for an agent on the service's own "
        "network: links on api_url are then fetched from here.",
    )
    # Where the settings were read from, to name it in messages (None: the environment).
    _config_file: Path | None = PrivateAttr(default=None)

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

    @field_validator("api_url", "api_local_url")
    @classmethod
    def _http_api_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError(
                "must be the API's address alone, such as https://makerline.example.org"
            )
        return cls._http_url(value)

    @field_validator("state_dir")
    @classmethod
    def _room_for_the_control_socket(cls, value: Path) -> Path:
        length = len(os.fsencode(value / CONTROL_SOCKET_NAME))
        if length > MAX_SOCKET_PATH_BYTES:
            raise ValueError(
                f"is too deep: the control socket's path would be {length} bytes, over the "
                f"{MAX_SOCKET_PATH_BYTES} a Unix socket allows; choose a shorter folder"
            )
        return value

    # TopicError is a ValueError, so pydantic reports it against the variable.
    _plain_prefix = field_validator("topic_prefix")(check_prefix)

    def gcode_download_url(self, gcode_url: str, job_id: str) -> str:
        """Where to fetch a start_job's G-code with the printer's token: its link, on
        `api_local_url` when set. Raises `GcodeLinkRefused` unless the link is the job's own
        G-code on `api_url`: the token goes to the service's API and nowhere else."""
        link, api = urlsplit(gcode_url), urlsplit(self.api_url)
        expected_path = f"{api.path.rstrip('/')}/api/v1/jobs/{job_id}/gcode"
        try:
            same_origin = (link.scheme, link.hostname, _port(link)) == (
                api.scheme,
                api.hostname,
                _port(api),
            )
        except ValueError:  # a port that is not a number
            same_origin = False
        if not same_origin or link.username is not None or link.password is not None:
            raise GcodeLinkRefused("the G-code link is not on the service's API (api_url)")
        if link.path != expected_path:
            raise GcodeLinkRefused("the G-code link is not this job's G-code on the service")
        source = urlsplit(self.api_local_url) if self.api_local_url else api
        path = f"{source.path.rstrip('/')}/api/v1/jobs/{job_id}/gcode"
        return urlunsplit((source.scheme, source.netloc, path, link.query, ""))

    @property
    def broker(self) -> BrokerAddress:
        """Where and as whom to log in: user `printer-{id}` with the broker password derived
        from the printer's token (never the token itself), unless set otherwise."""
        return broker_address(
            self.broker_url,
            username=self.broker_username or printer_username(self.printer_id),
            password=self.broker_password or printer_broker_password(self.printer_token),
            explicit_username=self.broker_username is not None,
            explicit_password=self.broker_password is not None,
        )

    @property
    def source(self) -> str:
        """Where these settings came from, as a maker would look for them."""
        if self._config_file is None:
            return f"the {ENV_PREFIX}* variables"
        return str(self._config_file)

    @property
    def control_socket_path(self) -> Path:
        return self.state_dir / CONTROL_SOCKET_NAME

    @property
    def state_db_path(self) -> Path:
        return self.state_dir / STATE_DB_NAME


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
    """Read the settings from `config_file` (TOML, by default `default_config_path()`) and
    the environment, or explain why not.

    A missing default file is no error by itself: the environment alone may hold every
    setting (a container). Only when it does not does the message say to enrol first."""
    path = config_file if config_file is not None else default_config_path()
    found = path if path.is_file() else None
    if found is None and (config_file is not None or os.environ.get(CONFIG_ENV)):
        raise AgentSettingsError(f"agent config file {path} does not exist")

    class AgentSettingsFromFile(AgentSettings):
        model_config = SettingsConfigDict(toml_file=found)

    try:
        settings: AgentSettings = AgentSettingsFromFile(**overrides)
    except ValidationError as error:
        if found is None and not _agent_variables_set():
            raise AgentSettingsError(f"No agent config at {path}: {ENROL_HINT}.") from None
        problems = []
        for issue in error.errors():
            name = ".".join(str(part) for part in issue["loc"])
            problems.append(f"{ENV_PREFIX}{name.upper()} (or '{name}' in the file): {issue['msg']}")
        heading = (
            "Invalid agent settings"
            if found
            else f"No agent config at {path} ({ENROL_HINT}), and the variables are incomplete"
        )
        raise AgentSettingsError(heading + ":\n  " + "\n  ".join(problems)) from None
    settings._config_file = found
    return settings


def _agent_variables_set() -> bool:
    return any(name.startswith(ENV_PREFIX) and name != CONFIG_ENV for name in os.environ)
