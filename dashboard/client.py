"""The one way the app reaches the service: HTTP with the person's bearer token.

GET answers are cached for two seconds per (service, token, path, parameters), so that
the pages and the board's fragments, which ask the same questions every few seconds,
cost the service one request per question. Any POST clears that cache, so the next
read shows the change. Errors become `ApiError`; `show_api_error` prints the service's
own message (in English, as it comes) under a heading in the reader's language.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import streamlit as st

from dashboard.i18n import t

API_URL_VARIABLE = "MAKERLINE_API_URL"
DEFAULT_API_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
TIMEOUT = httpx.Timeout(15.0, connect=3.0)
CACHE_SECONDS = 2.0

Params = tuple[tuple[str, str], ...]


class ApiError(Exception):
    """A request the service refused (`status` 4xx/5xx) or that never got an answer
    (`status` None). `detail` is the service's message, or why it could not be reached."""

    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def api_base_url() -> str:
    return os.environ.get(API_URL_VARIABLE, DEFAULT_API_URL).rstrip("/")


def readable_detail(body: Any, fallback: str) -> str:
    """The message of an error body: FastAPI's `{"detail": "..."}`, or its list of
    validation errors as "field: message" lines."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:
        lines = []
        for error in detail:
            if not isinstance(error, dict):
                lines.append(str(error))
                continue
            where = ".".join(str(part) for part in error.get("loc", []) if part != "body")
            message = str(error.get("msg", error))
            lines.append(f"{where}: {message}" if where else message)
        return "\n".join(lines)
    if detail:
        return str(detail)
    return fallback


def as_params(params: dict[str, Any]) -> Params:
    """Query parameters as a sorted, hashable tuple, without the ones left unset."""
    return tuple(sorted((name, str(value)) for name, value in params.items() if value is not None))


@st.cache_resource(show_spinner=False)
def http_client(base_url: str) -> httpx.Client:
    """One pooled HTTP client per service URL, shared by every session."""
    return httpx.Client(base_url=base_url + API_PREFIX, timeout=TIMEOUT)


def send(
    method: str,
    base_url: str,
    token: str,
    path: str,
    *,
    params: Params = (),
    json: Any = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Send one request; the decoded JSON answer, or ApiError."""
    try:
        response = http_client(base_url).request(
            method,
            path,
            params=params,
            json=json,
            files=files,
            data=data,
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
        )
    except httpx.TimeoutException as error:
        raise ApiError(None, t("error.timeout_detail", url=base_url)) from error
    except httpx.HTTPError as error:
        reason = str(error) or type(error).__name__
        raise ApiError(None, t("error.unreachable_detail", url=base_url, reason=reason)) from error
    if response.status_code >= 400:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        fallback = response.text[:300] or response.reason_phrase
        raise ApiError(response.status_code, readable_detail(body, fallback))
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        raise ApiError(response.status_code, t("error.not_json")) from error


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=2000)
def cached_get(base_url: str, token: str, path: str, params: Params) -> Any:
    return send("GET", base_url, token, path, params=params)


@dataclass(frozen=True)
class Api:
    """The service as one signed-in person sees it."""

    token: str
    base_url: str = field(default_factory=api_base_url)

    def get(self, path: str, **params: Any) -> Any:
        """A GET answer, at most two seconds old."""
        return cached_get(self.base_url, self.token, path, as_params(params))

    def get_fresh(self, path: str, **params: Any) -> Any:
        return send("GET", self.base_url, self.token, path, params=as_params(params))

    def get_or_show_error(self, path: str, **params: Any) -> Any:
        """A GET answer, or None after showing why there is none."""
        try:
            return self.get(path, **params)
        except ApiError as error:
            show_api_error(error)
            return None

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Any:
        """POST and return the answer; the read cache is cleared either way."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        try:
            return send(
                "POST",
                self.base_url,
                self.token,
                path,
                params=as_params(params or {}),
                json=body,
                files=files,
                data=data,
                headers=headers,
            )
        finally:
            cached_get.clear()


MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>#|~$])")


def escape_markdown(text: str) -> str:
    """The service's message shown as it is, not read as Markdown."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def error_heading(error: ApiError) -> str:
    if error.status is None:
        return t("error.unreachable")
    if error.status >= 500:
        return t("error.server", status=error.status)
    return t("error.refused", status=error.status)


def show_api_error(error: ApiError, heading: str | None = None) -> None:
    """The service's message under a heading in the reader's language."""
    title = heading or error_heading(error)
    detail = escape_markdown(error.detail).replace("\n", "  \n")
    suffix = f" ({error.status})" if heading and error.status else ""
    st.error(f"**{title}{suffix}**  \n{detail}", icon="⚠️")
