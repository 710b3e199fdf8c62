"""The database: engine, sessions, migrations at start-up, and the ledger's lock.

SQLite is the embedded default, PostgreSQL the production database. The ledger needs
writers that touch the same stock to run one after the other:
- on SQLite every transaction starts with `BEGIN IMMEDIATE`, which takes the single write
  lock at once, so a balance read inside a transaction cannot be stale;
- on PostgreSQL `lock_stock` takes a transaction-scoped advisory lock per (item, stage),
  always in sorted order so that two writers cannot deadlock.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _serialise_sqlite_writers(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _serialise_sqlite_writers(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_nul(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        # PostgreSQL refuses NUL characters in text; SQLite would store them. Refuse them
        # here too, so that both databases keep (and refuse) the same data.
        if any("\x00" in value for value in _strings(parameters)):
            raise DataError(statement, None, ValueError("text cannot contain NUL (0x00)"))


def _strings(parameters: Any) -> Iterator[str]:
    """Every text value in a statement's parameters, however the driver nests them."""
    if isinstance(parameters, str):
        yield parameters
    elif isinstance(parameters, dict):
        for value in parameters.values():
            yield from _strings(value)
    elif isinstance(parameters, list | tuple):
        for value in parameters:
            yield from _strings(value)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def hour_of(session: Session, column: Any) -> Any:
    """The hour a timestamp column falls in, computed by the database for GROUP BY."""
    if is_postgres(session):
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def as_utc_hour(value: datetime | str) -> datetime:
    """Read back `hour_of`: PostgreSQL gives a datetime, SQLite a string."""
    hour = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return hour.replace(tzinfo=UTC) if hour.tzinfo is None else hour.astimezone(UTC)


def lock_id(name: str) -> int:
    digest = hashlib.sha256(f"makerline:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_names(session: Session, names: Iterable[str]) -> None:
    """Serialise the transactions that take the same named locks, until they end."""
    if not is_postgres(session):
        return  # BEGIN IMMEDIATE already holds SQLite's only write lock.
    for number in sorted({lock_id(name) for name in names}):
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": number})


@contextmanager
def one_at_a_time(engine: Engine, name: str) -> Iterator[None]:
    """Hold a named lock across processes while the block runs (PostgreSQL: a session
    advisory lock on a connection of its own; SQLite has a single writer anyway).

    Unlike `lock_names`, it is taken before the caller's transaction starts, so that
    transaction's snapshot includes whatever the previous holder committed."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": lock_id(name)})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id(name)})
            connection.commit()


def read_one_snapshot(session: Session) -> None:
    """Make every read of this transaction see the same moment, as a planner needs: under
    PostgreSQL's default READ COMMITTED, an event committed between reading the stock and
    reading the jobs would make its parts vanish from both. Call it before any query.
    (SQLite's BEGIN IMMEDIATE already gives one snapshot.)"""
    if is_postgres(session):
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def lock_stock(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """Serialise writers of the given (item, stage) balances."""
    lock_names(session, (f"stock:{item}:{stage}" for item, stage in keys))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def alembic_config(url: str) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def wait_for_database(engine: Engine, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def migrate(url: str) -> None:
    """Bring the schema to the newest migration (what `prestart` does in the template)."""
    engine = make_engine(url)
    try:
        wait_for_database(engine)
    finally:
        engine.dispose()
    command.upgrade(alembic_config(url), "head")
