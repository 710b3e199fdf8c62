"""The one place where errors become HTTP answers, always as JSON `{"detail": ...}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from orchestrator.errors import DomainError, Unauthenticated

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, error: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthenticated) else None
        return JSONResponse({"detail": error.message}, error.status_code, headers=headers)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, error: IntegrityError) -> JSONResponse:
        log.info("integrity conflict: %s", error.orig)
        return JSONResponse(
            {
                "detail": "This change conflicts with another one made at the same time, or "
                "refers to something that does not exist. Reload and try again."
            },
            409,
        )

    @app.exception_handler(DataError)
    async def data_error(_request: Request, error: DataError) -> JSONResponse:
        return JSONResponse(
            {"detail": "A value is out of range or contains characters that cannot be stored."},
            422,
        )

    @app.exception_handler(OperationalError)
    async def database_unavailable(_request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", error.orig)
        return JSONResponse(
            {"detail": "The database is busy or unreachable. Try again in a moment."},
            503,
            headers={"Retry-After": "2"},
        )
