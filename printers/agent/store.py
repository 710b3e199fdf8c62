"""The agent's durable memory: an SQLite file in its state directory.

It holds the event outbox (an event is deleted only once the broker acknowledged it, so a
killed agent re-sends it after restart), the status sequence number (so it keeps growing
across restarts), the job the printer is on, and the command ids already carried out.
Only the agent's main thread touches it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path

from printers.octoprint.tracking import PrintMemory

REMEMBERED_COMMANDS = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS done_commands (
    command_id TEXT PRIMARY KEY,
    done_at REAL NOT NULL
);
"""


class AgentStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        # WAL plus synchronous=FULL: a committed event survives the agent being killed.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- outbox ---

    def add_to_outbox(self, event_id: str, topic: str, payload: bytes) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO outbox (event_id, topic, payload, created_at) "
            "VALUES (?, ?, ?, ?)",
            (event_id, topic, payload, time.time()),
        )

    def remove_from_outbox(self, event_id: str) -> None:
        self._db.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,))

    def outbox(self) -> list[tuple[str, str, bytes]]:
        rows = self._db.execute(
            "SELECT event_id, topic, payload FROM outbox ORDER BY created_at, rowid"
        )
        return [(event_id, topic, bytes(payload)) for event_id, topic, payload in rows]

    # --- status sequence ---

    def next_seq(self) -> int:
        current = int(self._fact("seq") or "0")
        self._set_fact("seq", str(current + 1))
        return current + 1

    # --- print memory ---

    def load_memory(self) -> PrintMemory:
        raw = self._fact("memory")
        return PrintMemory(**json.loads(raw)) if raw else PrintMemory()

    def save_memory(self, memory: PrintMemory) -> None:
        self._set_fact("memory", json.dumps(asdict(memory)))

    # --- commands ---

    def command_done(self, command_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM done_commands WHERE command_id = ?", (command_id,)
        ).fetchone()
        return row is not None

    def mark_command_done(self, command_id: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO done_commands (command_id, done_at) VALUES (?, ?)",
            (command_id, time.time()),
        )
        self._db.execute(
            "DELETE FROM done_commands WHERE command_id NOT IN "
            "(SELECT command_id FROM done_commands ORDER BY done_at DESC LIMIT ?)",
            (REMEMBERED_COMMANDS,),
        )

    def _fact(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM facts WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_fact(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO facts (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
