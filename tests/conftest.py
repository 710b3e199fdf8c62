"""Shared fixtures: the same database-backed tests run on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (`MAKERLINE_TEST_POSTGRES_URL` to change it).
Each test session creates a throwaway database there and drops it at the end.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from orchestrator.api.app import create_app
from orchestrator.api.schemas import AccountCreate, PrinterCreate, PrinterWithCredentials
from orchestrator.core.config import Settings, load_settings
from orchestrator.database.engine import make_engine, migrate
from orchestrator.database.tables import Maker
from orchestrator.domain.vocabulary import Role
from orchestrator.production_line import ProductionLine
from orchestrator.services import accounts, catalogue, fleet
from tests.ports import free_port

pytest_plugins = ["tests.realparts"]

POSTGRES_ADMIN_URL = os.environ.get(
    "MAKERLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards; yields its URL."""
    name = f"makerline_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is needed at {POSTGRES_ADMIN_URL} ({error}). "
            "Start it, or set MAKERLINE_TEST_POSTGRES_URL."
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'makerline.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def migrated_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url = request.getfixturevalue(f"{request.param}_url")
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def empty_all_tables(engine: Engine) -> None:
    tables = [table.name for table in SQLModel.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    empty_all_tables(migrated_engine)
    with Session(migrated_engine) as session:
        catalogue.seed_catalogue(session=session)
        session.commit()
    return migrated_engine


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No broker by default (port 9 refuses at once): tests that need one start their own.
    port = free_port()
    return load_settings(
        data_dir=tmp_path,
        invite_code="abbeville-2020",
        mqtt_url="mqtt://127.0.0.1:9",
        port=port,
        public_url=f"http://127.0.0.1:{port}",
    )


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client


@dataclass
class Network:
    """A small network with one account of each role (and a second of each for isolation)."""

    coordinator: str
    maker: str
    other_maker: str
    centre: str
    other_centre: str
    maker_id: int
    other_maker_id: int
    centre_id: int
    other_centre_id: int


def makers_printer(
    session: Session, maker_name: str, printer_name: str, bed_mm: tuple[float, float, float]
) -> PrinterWithCredentials:
    """A new maker's printer, registered as the service does (token included)."""
    created = accounts.create_account(
        session=session, account_in=AccountCreate(name=maker_name, role=Role.MAKER)
    )
    maker = session.get(Maker, created.maker_id)
    assert maker is not None
    x, y, z = bed_mm
    return fleet.register_printer(
        session=session,
        maker=maker,
        printer_in=PrinterCreate(name=printer_name, bed_x_mm=x, bed_y_mm=y, bed_z_mm=z),
        settings=load_settings(),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def network(engine: Engine) -> Network:
    def make(role: Role, name: str) -> tuple[str, int]:
        created = accounts.create_account(
            session=session, account_in=AccountCreate(name=name, role=role)
        )
        return created.token, created.maker_id or created.id

    with Session(engine) as session:
        coordinator, _ = make(Role.COORDINATOR, "Fab-lab")
        maker, maker_id = make(Role.MAKER, "Camille")
        other_maker, other_maker_id = make(Role.MAKER, "Julien")
        centre, centre_id = make(Role.HEALTH_CENTRE, "CH Abbeville")
        other_centre, other_centre_id = make(Role.HEALTH_CENTRE, "EHPAD Les Jardins")
        session.commit()
    return Network(
        coordinator,
        maker,
        other_maker,
        centre,
        other_centre,
        maker_id,
        other_maker_id,
        centre_id,
        other_centre_id,
    )


@contextmanager
def running_uvicorn(app: object, port: int) -> Iterator[str]:
    """Serve an ASGI app with a real uvicorn in a thread; yields its URL once it answers."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(engine: Engine, settings: Settings) -> Iterator[str]:
    """The API served by a real uvicorn on the settings' port, for concurrent clients."""
    with running_uvicorn(create_app(settings, engine), settings.port) as url:
        yield url


@pytest.fixture
def orchestrator(engine: Engine, settings: Settings, live_server: str) -> Iterator[ProductionLine]:
    """A production line in this process, on the module's settings (its test broker)."""
    running = ProductionLine(settings=settings, engine=engine, name="test", sweep_seconds=0.5)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def maker_api(live_server: str, network: Network) -> Iterator[httpx.Client]:
    """The API over HTTP, as the network's maker."""
    with httpx.Client(
        base_url=f"{live_server}/api/v1", headers=bearer(network.maker), timeout=30
    ) as http:
        yield http
