"""Migrations: they build the schema the tables describe, on both databases, and undo it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from orchestrator.database.engine import alembic_config, make_engine, migrate
from tests.conftest import throwaway_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        with throwaway_postgres() as url:
            yield url


def test_migrations_match_the_tables_and_go_both_ways(fresh_database: str) -> None:
    url = fresh_database
    config = alembic_config(url)
    migrate(url)
    command.check(config)  # raises if the tables and the migrations disagree
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def test_a_plugin_base_topic_stored_the_old_way_keeps_its_topics(fresh_database: str) -> None:
    """Stored without its slash, a base meant `{base}/event/...`; the plugin joins with
    nothing, so migration 0004 gives it the slash it stood for."""
    url = fresh_database
    config = alembic_config(url)
    command.upgrade(config, "0003")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (name, role, token_hash, created_at) "
                "VALUES ('Camille', 'maker', 'h1', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO maker (account_id, display_name, created_at) "
                "VALUES (1, 'C', CURRENT_TIMESTAMP)"
            )
        )
        for number, kind, base in (
            (1, "octoprint-mqtt", "octoPrint/camille"),
            (2, "octoprint-mqtt", "octoPrint/"),
            (3, "agent", "unused"),
        ):
            connection.execute(
                text(
                    "INSERT INTO printer (name, bed_x_mm, bed_y_mm, bed_z_mm, nozzle_mm, "
                    "material, availability_hours, connection_kind, mqtt_base_topic, "
                    "maker_id, token_hash, created_at) VALUES (:name, 250, 210, 210, 0.4, "
                    "'PETG', '00:00-24:00', :kind, :base, 1, :hash, CURRENT_TIMESTAMP)"
                ),
                {"name": f"P{number}", "kind": kind, "base": base, "hash": f"t{number}"},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        bases = connection.execute(
            text("SELECT mqtt_base_topic FROM printer ORDER BY name")
        ).scalars()
        assert list(bases) == ["octoPrint/camille/", "octoPrint/", "unused"]
    engine.dispose()
