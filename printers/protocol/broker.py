"""Where the MQTT broker is, and as whom to connect: for agents, simulators and the service."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


def check_broker_url(value: str) -> str:
    """An MQTT URL both the agent and the service accept: mqtt(s)://[user:password@]host[:port]."""
    parts = urlsplit(value)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError("must look like mqtt://host:1883 or mqtt://user:password@host:1883")
    return value


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
