"""Builds the FastAPI application around one settings object and one engine."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from orchestrator.api.errors import install_error_handlers
from orchestrator.api.routes import accounts, catalogue, hub, jobs, orders, printers
from orchestrator.core.config import Settings
from orchestrator.db import make_engine

API_PREFIX = "/api/v1"

DESCRIPTION = """
makerline coordinates a fab-lab's network of volunteer makers printing protective gear
(face-shield visors, AMICROCHE hooks) for health centres.

Authenticate with `Authorization: Bearer <token>`. Roles: **coordinator**, **maker**,
**health_centre**. Errors are JSON `{"detail": ...}`.
"""


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="makerline",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.effective_database_url)
    install_error_handlers(app)
    for module in (accounts, printers, jobs, orders, hub, catalogue):
        app.include_router(module.router, prefix=API_PREFIX)
    return app
