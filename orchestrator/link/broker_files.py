"""Mosquitto's password and ACL files, written from the registered printers.

Each printer's user (`printer-{id}`) may write only its own status and events and read
only its own commands; the service's user reads and writes everything under the prefix.
A printer that runs the OctoPrint-MQTT plugin instead of our agent may write only the
plugin's topics under its own base topic, joined as the plugin joins them
(`{base}event/#`, `{base}progress/#`, `{base}temperature/#`, `{base}mqtt`), and read
nothing; the service reads those. One without a usable base topic of its own (see
`plugin_routes`) gets no grant at all. Mosquitto reads the files at start and on SIGHUP.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from orchestrator.core.config import Settings
from orchestrator.database.tables import Printer
from orchestrator.domain.errors import InvalidRequest
from orchestrator.domain.vocabulary import ConnectionKind
from orchestrator.link.plugin_printers import (
    plugin_routes,
    render_plugin_acl,
    render_service_plugin_reads,
)
from printers.protocol.broker import broker_address
from printers.protocol.broker_auth import (
    mosquitto_password_hash,
    printer_username,
    render_acl_file,
    render_password_file,
)

PASSWORD_FILE = "passwd"
ACL_FILE = "acl"


@dataclass(frozen=True)
class BrokerFiles:
    password_file: Path
    acl_file: Path
    printers: int


def write_broker_files(session: Session, settings: Settings, out_dir: Path) -> BrokerFiles:
    service = broker_address(settings.mqtt_url)
    if not service.username or not service.password:
        raise InvalidRequest(
            "MAKERLINE_MQTT_URL must carry the service's credentials "
            "(mqtt://service:password@host:1883) to write the broker's files.",
            code="mqtt_url_needs_credentials",
        )
    printers = list(
        session.exec(
            select(Printer)
            .where(col(Printer.mqtt_password_hash).is_not(None))
            .order_by(col(Printer.id))
        )
    )
    entries = [(service.username, mosquitto_password_hash(service.password))]
    entries += [(printer_username(p.id or 0), p.mqtt_password_hash or "") for p in printers]
    out_dir.mkdir(parents=True, exist_ok=True)
    files = BrokerFiles(out_dir / PASSWORD_FILE, out_dir / ACL_FILE, len(printers))
    write_readable(files.password_file, render_password_file(entries))
    agents = [
        p.id
        for p in printers
        if p.id is not None and p.connection_kind != ConnectionKind.OCTOPRINT_MQTT
    ]
    routes, _skipped = plugin_routes(printers, settings.mqtt_topic_prefix)
    acl = render_acl_file(agents, service.username, settings.mqtt_topic_prefix)
    if routes:
        acl += "\n" + render_plugin_acl(routes.values(), printer_username)
        acl += f"\nuser {service.username}\n" + render_service_plugin_reads(routes.values())
    write_readable(files.acl_file, acl)
    return files


def write_readable(path: Path, text: str) -> None:
    """Replace a file atomically. Mosquitto runs as its own user, often in another
    container, so the file must be readable by others: it holds salted PBKDF2 hashes,
    never a token."""
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    partial.chmod(0o644)
    os.replace(partial, path)


def refresh_broker_files(session: Session, settings: Settings) -> BrokerFiles | None:
    """Rewrite the files after a printer change, when `MAKERLINE_BROKER_AUTH_DIR` is set."""
    if settings.broker_auth_dir is None:
        return None
    return write_broker_files(session, settings, settings.broker_auth_dir)
