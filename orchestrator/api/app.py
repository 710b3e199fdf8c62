"""Builds the FastAPI application around one settings object and one engine."""

from __future__ import annotations

import base64
import hashlib
import re
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
from orchestrator.api.rate_limits import RateLimits
from orchestrator.api.routes import (
    accounts,
    board,
    catalogue,
    defects,
    exports,
    filament,
    hub,
    jobs,
    notifications,
    orders,
    pauses,
    printers,
    public,
    quarantine,
    unsubscribe,
)
from orchestrator.core.config import Settings
from orchestrator.database.engine import make_engine
from orchestrator.link.commands import CommandPublisher

API_PREFIX = "/api/v1"

DESCRIPTION = """
makerline coordinates a fab-lab's network of volunteer makers printing protective gear
(face-shield visors, AMICROCHE hooks) for health centres.

Authenticate with `Authorization: Bearer <token>`. Roles: **coordinator**, **maker**,
**health_centre**. Errors are JSON `{"detail": "<English sentence>", "code": "<stable
code>", "params": {...}}`; a 422 for malformed fields has `code: "invalid_fields"` and
`detail` as the list of fields.
"""


# What every answer says to a browser: don't guess types, don't be framed, don't leak
# the address. JSON answers may load nothing at all.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def docs_page() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="makerline API",
        swagger_js_url="/docs-assets/swagger-ui-bundle.js",
        swagger_css_url="/docs-assets/swagger-ui.css",
        swagger_favicon_url="/docs-assets/favicon.png",
    )


def docs_policy(page: HTMLResponse) -> str:
    """/docs's own policy: its files from here only, and the one inline script that starts
    Swagger UI, allowed by its hash rather than any inline script."""
    body = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", body, re.DOTALL)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    )


def serve_docs_offline(app: FastAPI) -> None:
    """/docs with Swagger UI's files served from the package, not from a CDN: fab-labs and
    this project's machines may have no internet."""
    assets = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5, OpenAPI 3.1
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")
    page = docs_page()
    policy = docs_policy(page)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page.body, headers={"Content-Security-Policy": policy})


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
        max_body_size=settings.max_body_bytes,
    )
    serve_docs_offline(app)
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.effective_database_url)
    app.state.commands = CommandPublisher(settings.mqtt_url, settings.mqtt_topic_prefix)
    app.state.rate_limits = RateLimits.from_settings(settings)
    install_error_handlers(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

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

    for module in (accounts, printers, pauses, jobs, orders, hub, catalogue, board, filament):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(defects.router, prefix=API_PREFIX)
    app.include_router(exports.router, prefix=API_PREFIX)
    app.include_router(quarantine.router, prefix=API_PREFIX)
    app.include_router(notifications.router, prefix=API_PREFIX)
    app.include_router(public.router)  # /b/{token}: the address on a batch's label
    app.include_router(unsubscribe.router)  # /unsubscribe/{token}: every e-mail's link
    return app
