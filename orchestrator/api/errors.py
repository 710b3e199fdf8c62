"""The one place where errors become HTTP answers, always as JSON `{"detail": ...}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from orchestrator.api.rate_limits import TooManyRequests
from orchestrator.errors import DomainError, Unauthenticated

log = logging.getLogger(__name__)


class ErrorMessage(BaseModel):
    """Every refusal: a sentence that says why."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class UnprocessableMessage(BaseModel):
    """A 422 is either a sentence (a value the service cannot take, such as a broken STL)
    or FastAPI's list of the fields that did not validate."""

    detail: str | list[FieldError]


def _documented(model: type[BaseModel], description: str) -> dict[str, Any]:
    # JSON named outright: a route answering CSV still refuses in JSON.
    return {"model": model, "description": description, "content": {"application/json": {}}}


# Declared on every router, so that the OpenAPI lists the answers the API really gives.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented(ErrorMessage, "The request makes no sense"),
    401: _documented(ErrorMessage, "No valid token"),
    403: _documented(ErrorMessage, "The wrong role, or someone else's data"),
    404: _documented(ErrorMessage, "Not found"),
    409: _documented(ErrorMessage, "The stock or the state forbids it"),
    413: _documented(ErrorMessage, "The request body is too large"),
    422: _documented(UnprocessableMessage, "A malformed request or value"),
    429: _documented(ErrorMessage, "Too many attempts from this address: wait, then retry"),
    503: _documented(ErrorMessage, "The database or the broker is unreachable for a moment"),
}


MAX_MESSAGE_CHARS = 300


def field_errors(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the input they were about: a 422 says which
    field and why, and never repeats what was sent (which may be huge, or not JSON)."""
    return [
        {
            "loc": [part if isinstance(part, int) else str(part)[:100] for part in error["loc"]],
            "msg": str(error["msg"])[:MAX_MESSAGE_CHARS],
            "type": str(error["type"]),
        }
        for error in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, error: DomainError) -> JSONResponse:
        headers = None
        if isinstance(error, Unauthenticated):
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(error, TooManyRequests):
            headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse({"detail": error.message}, error.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": field_errors(error.errors())}, 422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        detail = error.detail
        if error.status_code == 413:
            detail = "The request body is too large for this address; send less."
        return JSONResponse({"detail": detail}, error.status_code, headers=error.headers)

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
