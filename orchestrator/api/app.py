"""Builds the FastAPI application around one settings object and one engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from orchestrator.api.errors import install_error_handlers
from orchestrator.api.routes import accounts, board, catalogue, hub, jobs, orders, printers
from orchestrator.core.config import Settings
from orchestrator.db import make_engine
from orchestrator.link.commands import CommandPublisher

API_PREFIX = "/api/v1"

DESCRIPTION = """
makerline coordinates a fab-lab's network of volunteer makers printing protective gear
(face-shield visors, AMICROCHE hooks) for health centres.

Authenticate with `Authorization: Bearer <token>`. Roles: **coordinator**, **maker**,
**health_centre**. Errors are JSON `{"detail": ...}`.
"""


def serve_docs_offline(app: FastAPI) -> None:
    """/docs with Swagger UI's files served from the package, not from a CDN: fab-labs and
    this project's machines may have no internet."""
    assets = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5, OpenAPI 3.1
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="makerline API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.commands.close()


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="makerline",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    serve_docs_offline(app)
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.effective_database_url)
    app.state.commands = CommandPublisher(settings.mqtt_url, settings.mqtt_topic_prefix)
    install_error_handlers(app)

    @app.middleware("http")
    async def announce_changes(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """A successful change through the API wakes the orchestrators (new order,
        donation, printer...), so they plan at once instead of at their next pass."""
        response = await call_next(request)
        if request.method != "GET" and response.status_code < 400:
            app.state.commands.kick()
        return response

    for module in (accounts, printers, jobs, orders, hub, catalogue, board):
        app.include_router(module.router, prefix=API_PREFIX)
    return app
