"""The one place where errors become HTTP answers, always as JSON
`{"detail": ..., "code": ..., "params": {...}}`.

`detail` is a sentence in English for API clients; `code` (stable, snake_case) and
`params` (the values the sentence names) let the web app say it in the reader's language.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from orchestrator.api.rate_limits import TooManyRequests
from orchestrator.domain.errors import DomainError, Unauthenticated

log = logging.getLogger(__name__)


class ErrorMessage(BaseModel):
    """Every refusal: a sentence that says why, and the same as a code with its values."""

    detail: str
    code: str
    params: dict[str, Any]


class FieldError(BaseModel):
    """One field that did not validate: where, why in English, pydantic's error type, and
    the bounds it names (`{"ge": 1}`, `{"max_length": 200}`) for a translated sentence."""

    loc: list[str | int]
    msg: str
    type: str
    ctx: dict[str, str | int | float] = {}


class UnprocessableMessage(BaseModel):
    """A 422 is either a sentence (a value the service cannot take, such as a broken STL)
    or FastAPI's list of the fields that did not validate (code `invalid_fields`)."""

    detail: str | list[FieldError]
    code: str
    params: dict[str, Any]


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

# The codes of the answers no DomainError gives: Starlette's own refusals by status, then
# the database's failures and FastAPI's validation.
HTTP_ERROR_CODES = {404: "unknown_address", 405: "method_not_allowed", 413: "body_too_large"}
OTHER_HTTP_ERROR = "request_refused"  # any other status Starlette refuses with
INVALID_FIELDS = "invalid_fields"
CONCURRENT_CHANGE = "concurrent_change"
VALUE_NOT_STORABLE = "value_not_storable"
DATABASE_UNAVAILABLE = "database_unavailable"
HANDLER_CODES = frozenset(
    {
        *HTTP_ERROR_CODES.values(),
        OTHER_HTTP_ERROR,
        INVALID_FIELDS,
        CONCURRENT_CHANGE,
        VALUE_NOT_STORABLE,
        DATABASE_UNAVAILABLE,
    }
)


def error_body(detail: Any, code: str, **params: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, "params": jsonable_encoder(params)}


def field_errors(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the input they were about: a 422 says which
    field and why, and never repeats what was sent (which may be huge, or not JSON).
    Of the context, only plain values (bounds, lengths) are kept."""
    return [
        {
            "loc": [part if isinstance(part, int) else str(part)[:100] for part in error["loc"]],
            "msg": str(error["msg"])[:MAX_MESSAGE_CHARS],
            "type": str(error["type"]),
            "ctx": {
                str(name): value if isinstance(value, int | float) else str(value)[:100]
                for name, value in (error.get("ctx") or {}).items()
                if isinstance(value, str | int | float) and not isinstance(value, bool)
            },
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
        return JSONResponse(
            error_body(error.message, error.code, **error.params),
            error.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body(field_errors(error.errors()), INVALID_FIELDS), 422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        detail = error.detail
        if error.status_code == 413:
            detail = "The request body is too large for this address; send less."
        code = HTTP_ERROR_CODES.get(error.status_code)
        body = (
            error_body(detail, code)
            if code
            else error_body(detail, OTHER_HTTP_ERROR, status=error.status_code)
        )
        return JSONResponse(body, error.status_code, headers=error.headers)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, error: IntegrityError) -> JSONResponse:
        log.info("integrity conflict: %s", error.orig)
        return JSONResponse(
            error_body(
                "This change conflicts with another one made at the same time, or "
                "refers to something that does not exist. Reload and try again.",
                CONCURRENT_CHANGE,
            ),
            409,
        )

    @app.exception_handler(DataError)
    async def data_error(_request: Request, error: DataError) -> JSONResponse:
        return JSONResponse(
            error_body(
                "A value is out of range or contains characters that cannot be stored.",
                VALUE_NOT_STORABLE,
            ),
            422,
        )

    @app.exception_handler(OperationalError)
    async def database_unavailable(_request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", error.orig)
        return JSONResponse(
            error_body(
                "The database is busy or unreachable. Try again in a moment.",
                DATABASE_UNAVAILABLE,
            ),
            503,
            headers={"Retry-After": "2"},
        )
