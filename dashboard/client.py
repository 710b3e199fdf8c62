"""The one way the app reaches the service: HTTP with the person's bearer token.

GET answers are cached for two seconds per (service, token, path, parameters), so that
the pages and the board's fragments, which ask the same questions every few seconds,
cost the service one request per question. Any POST, PATCH or DELETE clears that cache,
so the next read shows the change. Errors become `ApiError`; `show_api_error` says in
the reader's language what the service refused: its error `code` and `params` name a
sentence of the catalogue (`apierror.<code>`), never the service's English `detail`.
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from dashboard.formatting import format_count, format_date, format_datetime, format_decimal
from dashboard.i18n import FRENCH, current_language, t, translate

API_URL_VARIABLE = "MAKERLINE_API_URL"
DEFAULT_API_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
TIMEOUT = httpx.Timeout(15.0, connect=3.0)
CACHE_SECONDS = 2.0
MAX_PARALLEL_GETS = 6

Params = tuple[tuple[str, str], ...]


class ApiError(Exception):
    """A request the service refused (`status` 4xx/5xx) or that never got an answer
    (`status` None). `detail` is the service's message in English, or why it could not
    be reached; `code` and `params` are the service's refusal as the catalogue names it
    (`apierror.<code>`), and `fields` the fields a 422 `invalid_fields` lists."""

    def __init__(
        self,
        status: int | None,
        detail: str,
        code: str | None = None,
        params: dict[str, Any] | None = None,
        fields: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.code = code
        self.params = params or {}
        self.fields = fields or []

    @classmethod
    def from_body(cls, status: int, body: Any, fallback: str) -> ApiError:
        """The error an answer's JSON body describes (`{"detail", "code", "params"}`)."""
        detail = readable_detail(body, fallback)
        if not isinstance(body, dict):
            return cls(status, detail)
        code = body.get("code") if isinstance(body.get("code"), str) else None
        params = body.get("params") if isinstance(body.get("params"), dict) else {}
        raw = body.get("detail")
        fields = [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
        return cls(status, detail, code, params, fields)


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
        raise ApiError.from_body(response.status_code, body, fallback)
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

    def get_many(self, requests: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        """Several GETs at once, each as `get` (through the same two-second cache):
        {name: (path, params)} -> {name: answer, or the ApiError it met}. Independent
        reads then cost the slowest of them, not their sum."""
        if not requests:
            return {}
        context = get_script_run_ctx()

        def fetch(path: str, params: dict[str, Any]) -> Any:
            if context is not None:  # the reader's session: cache, language
                add_script_run_ctx(threading.current_thread(), context)
            try:
                return self.get(path, **params)
            except ApiError as error:
                return error

        workers = min(MAX_PARALLEL_GETS, len(requests))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="api-get") as pool:
            futures = {
                name: pool.submit(fetch, path, params) for name, (path, params) in requests.items()
            }
            return {name: future.result() for name, future in futures.items()}

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

    def patch(self, path: str, body: Any) -> Any:
        """PATCH (it sets values: no idempotency key needed) and return the answer; the
        read cache is cleared either way."""
        try:
            return send("PATCH", self.base_url, self.token, path, json=body)
        finally:
            cached_get.clear()

    def delete(self, path: str) -> None:
        """DELETE; the read cache is cleared either way."""
        try:
            send("DELETE", self.base_url, self.token, path)
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


# The params that are words of a vocabulary, by the prefix of their keys; a list param
# is a list of such words.
VOCABULARY_OF_PARAM = {
    "item": "item",
    "supplies": "item",
    "stage": "stage",
    "role": "role",
    "roles": "role",
    "job_status": "job_status",
    "order_status": "order_status",
    "hold_status": "quarantine.status",
    "product": "product",
    "problem": "slicing_problem",
    "stl_problem": "apierror.stl_problem",
    "scope": "apierror.scope",
    "door": "apierror.door",
    "message_kinds": "message_kind",
}
# Numbers that name something (order 1204), written without a thousands separator.
NUMBER_PARAMS = frozenset(
    {"order", "job", "printer", "maker", "account", "hold", "batch", "delivery", "hand_in"}
    | {"part", "target", "centre", "status"}
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")


def readable_param(name: str, value: Any, language: str) -> str:
    """A param of a refusal as the reader reads it: a word of the vocabulary in their
    language, a number or a moment the locale's way."""
    if isinstance(value, list):
        return ", ".join(readable_param(name, part, language) for part in value)
    if name in VOCABULARY_OF_PARAM:
        key = f"{VOCABULARY_OF_PARAM[name]}.{value}"
        return translate(language, key) if key in FRENCH else str(value)
    if isinstance(value, bool) or name in NUMBER_PARAMS:
        return str(value)
    if isinstance(value, int):
        return format_count(value, language)
    if isinstance(value, float):
        return format_decimal(value, language)
    if isinstance(value, str) and ISO_DATETIME.fullmatch(value):
        return format_datetime(value, language)
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return format_date(value, language)
    return str(value)


def field_name(location: list[Any], language: str) -> str:
    """The field a validation error is about, by its label in the app's forms."""
    names = [str(part) for part in location if part not in ("body", "query", "path")]
    if not names:
        return translate(language, "field.body")
    labels = [
        translate(language, f"field.{name}") if f"field.{name}" in FRENCH else name
        for name in names
        if not name.isdigit()
    ]
    return " / ".join(labels) or names[-1]


def field_reason(error: dict[str, Any], language: str) -> str:
    """Why a field was refused, from pydantic's error type and its context; a field with
    a sentence of its own for that type (`validation.<type>.<field>`) says it."""
    key = f"validation.{error.get('type')}"
    names = [str(part) for part in error.get("loc", []) if not str(part).isdigit()]
    if names and f"{key}.{names[-1]}" in FRENCH:
        return translate(language, f"{key}.{names[-1]}")
    context = error.get("ctx")
    if not isinstance(context, dict):
        context = {}
    if key not in FRENCH:
        return translate(language, "validation.other")
    values = {name: readable_param(name, value, language) for name, value in context.items()}
    return translate(language, key, **values)


def error_sentence(error: ApiError, language: str) -> str:
    """What the service refused, in `language`: the catalogue's sentence for its code,
    the 422 fields one per line, or a sentence for its status when the code is new."""
    if error.status is None:
        return error.detail  # written by the app itself, in the reader's language
    if error.code == "invalid_fields" and error.fields:
        lines = [
            translate(
                language,
                "validation.line",
                field=field_name(list(field.get("loc", [])), language),
                reason=field_reason(field, language),
            )
            for field in error.fields
        ]
        return "\n".join([translate(language, "apierror.invalid_fields"), *lines])
    key = f"apierror.{error.code}"
    if error.code and key in FRENCH:
        params = {
            name: readable_param(name, value, language) for name, value in error.params.items()
        }
        return translate(language, key, **params)
    status_key = f"error.status.{error.status}"
    return translate(language, status_key if status_key in FRENCH else "error.status.other")


def show_api_error(error: ApiError, heading: str | None = None) -> None:
    """What the service refused, under a heading, in the reader's language."""
    title = heading or error_heading(error)
    sentence = escape_markdown(error_sentence(error, current_language())).replace("\n", "  \n")
    suffix = f" ({error.status})" if heading and error.status else ""
    st.error(f"**{title}{suffix}**  \n{sentence}", icon="⚠️")
