"""Migrations: they build the schema the tables describe, on both databases, and undo it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from orchestrator.db import alembic_config, migrate
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
