"""The web app's server: Streamlit's ASGI app (`st.App`) around `app.py`, so that every
answer carries the security headers Streamlit's own server cannot be told to send, and
so that a person stays signed in across reloads and tabs.

Signing in happens here, before Streamlit: `GET /signin` is a plain HTML form (see
`signin_page.py`), `POST /signin` asks the service whose token it is and answers with
the sealed session cookie (`session.py`) and a redirect to the page asked for, and
`POST /signout` ends the session. A page loaded without a valid session cookie is sent
to the sign-in page, which brings the person back to it.

`makerline board` serves it: it runs `python -m dashboard`, which runs
`streamlit run dashboard/server.py`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

import httpx
import streamlit
import streamlit as st
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, translate
from dashboard.session import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_SECONDS,
    LANGUAGE_PATH,
    SESSION_COOKIE,
    SIGNIN_PATH,
    SIGNOUT_PATH,
    SessionSeal,
    board_seal,
    is_https,
    landing_path,
    page_load_redirect,
    requested_page,
)
from dashboard.signin_page import signin_page
from dashboard.streamlit_words import WORDS_SCRIPT_PATH, page_in_language, words_script


def inline_script_hashes(html: str) -> str:
    """CSP source expressions allowing exactly the page's own inline scripts."""
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    )


STREAMLIT_PAGE = Path(streamlit.__file__).parent / "static" / "index.html"
STREAMLIT_FILES = STREAMLIT_PAGE.parent / "static"
# What the sign-in page has the browser fetch while the person types, so that the page
# they sign in to opens from the browser's cache: the code and style Streamlit's page
# loads first, the icon font its style asks for, then the parts Streamlit loads only when
# a page first draws one of the elements makerline's pages use (Markdown, HTML, figures,
# tables, fields, choice lists, buttons, charts), each with every module it imports.
# Named by their stems: the file names carry Streamlit's build hash.
LATER_PARTS = (
    "remark-emoji", "lib", "Html", "Metric", "DataFrame", "Selectbox", "TextInput",
    "NumberInput", "DateInput", "TimeInput", "Checkbox", "Button", "TextArea", "Multiselect",
    "ArrowVegaLiteChart", "loadVegaEmbed", "embed", "vega-interpreter", "moment",
)  # fmt: skip
FIRST_PARTS = re.compile(r'(?:src|href)="\./(static/[^"]+\.(?:js|css|woff2))"')
ICON_FONT = "MaterialSymbols-Rounded"
STATIC_IMPORT = re.compile(r'(?:from|import)\s*"\./([^"]+\.js)"')


def with_static_imports(modules: list[Path]) -> list[Path]:
    """`modules` and every module they import statically, each once, in the order met:
    what the browser fetches before it can run them."""
    ordered: dict[Path, None] = {}
    for root in modules:
        waiting = [root]
        while waiting:
            module = waiting.pop(0)
            if module in ordered:
                continue
            ordered[module] = None
            waiting += [module.parent / name for name in STATIC_IMPORT.findall(module.read_text())]
    return list(ordered)


def streamlit_assets() -> tuple[str, ...]:
    """The addresses of what the app's pages load, first parts first (see LATER_PARTS)."""
    first = [
        STREAMLIT_PAGE.parent / part for part in FIRST_PARTS.findall(STREAMLIT_PAGE.read_text())
    ]
    fonts = sorted(STREAMLIT_FILES.glob(f"media/{ICON_FONT}.*.woff2"))
    later = [
        module for stem in LATER_PARTS for module in sorted(STREAMLIT_FILES.glob(f"js/{stem}.*.js"))
    ]
    styles = [
        style for stem in LATER_PARTS for style in sorted(STREAMLIT_FILES.glob(f"css/{stem}.*.css"))
    ]
    return tuple(
        "/" + asset.relative_to(STREAMLIT_PAGE.parent).as_posix()
        for asset in dict.fromkeys([*first, *fonts, *styles, *with_static_imports(later)])
    )


STREAMLIT_ASSETS = streamlit_assets()

# Everything the app loads comes from this server: no image, font or connection leaves
# it, so a name written as Markdown (`![](http://tracker/...)`) by a maker cannot make
# the coordinator's browser call out. Streamlit's page has one inline script, allowed by
# its hash, and inline styles.
BOARD_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; "
        f"script-src 'self' {inline_script_hashes(STREAMLIT_PAGE.read_text())}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BOARD_SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).parent
# The app's pages, by their addresses: each page's file is named as its address (see
# `account.PAGES`). Read from the folder so that this server, which runs before any
# session, imports none of the app's modules and their caches.
PAGES = frozenset(page.stem for page in (HERE / "app_pages").glob("[!_]*.py"))
NO_STORE = {"Cache-Control": "no-store"}
# Where a browser says a request comes from (`Sec-Fetch-Site`): only the board's own
# pages, or an address typed, may sign in or out. A client that says nothing is let in.
OWN_PAGES = frozenset({"same-origin", "none"})


class SignInRequired:
    """Sends a page load without a valid session cookie to the sign-in page, and an
    address that is no page of the app to the home page."""

    def __init__(self, app: ASGIApp, seal: SessionSeal) -> None:
        self.app = app
        self.seal = seal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            sealed = Request(scope).cookies.get(SESSION_COOKIE)
            destination = page_load_redirect(scope["path"], sealed, self.seal, PAGES)
            if destination is not None:
                response = RedirectResponse(destination, status_code=303, headers=NO_STORE)
                if sealed and destination.startswith(SIGNIN_PATH):
                    response.delete_cookie(SESSION_COOKIE, path="/")  # expired, or not ours
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# Request headers dropped for a page load, so that Streamlit sends the whole page, as is:
# not compressed, and not "304 Not Modified" (the browser's copy may be in another language).
WHOLE_PAGE_ONLY = frozenset({b"accept-encoding", b"if-none-match", b"if-modified-since"})


class PageInReaderLanguage:
    """Streamlit's page, served for one of the app's addresses, in the reader's language:
    `<html lang>` says it, and the page loads the script that puts Streamlit's own words
    in it (`streamlit_words.py`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if requested_page(scope["path"]) is None or scope["path"] in (SIGNIN_PATH, SIGNOUT_PATH):
            await self.app(scope, receive, send)
            return
        language = reader_language(Request(scope))
        plain = {
            **scope,
            "headers": [
                (name, value) for name, value in scope["headers"] if name not in WHOLE_PAGE_ONLY
            ],
        }
        start: Message = {}
        chunks: list[bytes] = []

        async def send_in_language(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(scope=start)
            if headers.get("content-type", "").startswith("text/html"):
                body = page_in_language(body.decode(), language).encode()
                headers["content-length"] = str(len(body))
                headers["cache-control"] = "no-store"  # the language may change
                for validator in ("etag", "last-modified"):
                    del headers[validator]
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(plain, receive, send_in_language)


def known_language(code: object) -> str | None:
    return code if isinstance(code, str) and code in LANGUAGE_NAMES else None


def reader_language(request: Request, chosen: object = None) -> str:
    """The language chosen now, else the one this browser chose before, else French."""
    return (
        known_language(chosen)
        or known_language(request.cookies.get(LANGUAGE_COOKIE))
        or DEFAULT_LANGUAGE
    )


def from_own_page(request: Request) -> bool:
    """Whether a sign-in or sign-out comes from the board's own page (or was typed), not
    from another site's form."""
    return request.headers.get("sec-fetch-site", "none") in OWN_PAGES


def over_https(request: Request) -> bool:
    return is_https(request.url.scheme, request.headers.get("x-forwarded-proto"))


def remember_language(response: Response, request: Request, language: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=over_https(request),
    )


def signin_answer(
    seal: SessionSeal,
    language: str,
    next_path: str,
    *,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    html = signin_page(
        language,
        next_path,
        session_hours=seal.lifetime_seconds / 3600,
        problem=problem,
        preload=STREAMLIT_ASSETS,
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


# Why a sign-in was refused: the answer's status, and the sentence's key and parameters.
Refusal = tuple[int, str, dict[str, object]]


def refusal(status: int, body: object, retry_after: str | None) -> Refusal:
    """The service's refusal of a token, as the sign-in page says it."""
    if status == 429:
        seconds = retry_after if retry_after and retry_after.isdigit() else "60"
        return 429, "signin.too_many", {"seconds": seconds}
    if status in (401, 403):
        code = body.get("code") if isinstance(body, dict) else None
        key = "signin.printer_token" if code == "printer_token_for_account" else "signin.refused"
        return 401, key, {}
    return 502, "signin.service_error", {"status": status}


async def token_refusal(token: str, client: str) -> Refusal | None:
    """Ask the service whose token this is (as the browser's address, so that its limit
    on wrong tokens counts each browser, not the board); None when it is someone's."""
    # Imported here, once the runtime runs: its read cache would warn at start-up.
    from dashboard.client import API_PREFIX, TIMEOUT, api_base_url

    try:
        async with httpx.AsyncClient(base_url=api_base_url() + API_PREFIX, timeout=TIMEOUT) as http:
            response = await http.get(
                "/me", headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": client}
            )
    except httpx.HTTPError as error:
        LOGGER.warning("sign-in: the service at %s did not answer: %r", api_base_url(), error)
        return 503, "signin.unreachable", {}
    if response.status_code == 200:
        return None
    try:
        body: object = response.json()
    except ValueError:
        body = None
    return refusal(response.status_code, body, response.headers.get("retry-after"))


async def signin_refusal(request: Request, token: str) -> Refusal | None:
    """Why this sign-in cannot be, or None when the token is someone's."""
    if not from_own_page(request):
        return 403, "signin.other_site", {}
    if not token:
        return 422, "login.empty", {}
    return await token_refusal(token, request.client.host if request.client else "unknown")


def signin_routes(seal: SessionSeal) -> list[Route]:
    """`GET /signin` (the form, `?lang=` to switch language), `POST /signin`,
    `POST /signout` and `POST /language` (the sidebar's language switch)."""

    async def show_form(request: Request) -> Response:
        chosen = known_language(request.query_params.get("lang"))
        language = reader_language(request, chosen)
        next_path = landing_path(request.query_params.get("next"), PAGES)
        response = signin_answer(seal, language, next_path)
        if chosen:
            remember_language(response, request, chosen)
        return response

    async def sign_in(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        language = reader_language(request, form.get("lang"))
        next_path = landing_path(str(form.get("next") or ""), PAGES)
        token = str(form.get("token") or "").strip()
        refused = await signin_refusal(request, token)
        if refused is not None:
            status, key, params = refused
            problem = translate(language, key, **params)
            return signin_answer(seal, language, next_path, problem=problem, status=status)
        response = RedirectResponse(next_path, status_code=303, headers=NO_STORE)
        response.set_cookie(
            SESSION_COOKIE,
            seal.seal(token),
            max_age=seal.lifetime_seconds,
            path="/",
            httponly=True,
            samesite="lax",
            secure=over_https(request),
        )
        remember_language(response, request, language)
        return response

    async def sign_out(request: Request) -> Response:
        language = reader_language(request)
        if not from_own_page(request):
            problem = translate(language, "signin.other_site")
            return signin_answer(seal, language, "/", problem=problem, status=403)
        response = RedirectResponse(SIGNIN_PATH, status_code=303, headers=NO_STORE)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    async def choose_language(request: Request) -> Response:
        """The sidebar's language switch: remembered by this browser, then the same page
        again, in that language."""
        form = await request.form(max_files=0, max_fields=5)
        # Not `lang`: the app's HTML sanitizer drops a field named as an element property.
        chosen = known_language(form.get("language"))
        next_path = landing_path(str(form.get("next") or ""), PAGES)
        if not from_own_page(request) or chosen is None:
            return RedirectResponse(next_path, status_code=303, headers=NO_STORE)
        response = RedirectResponse(next_path, status_code=303, headers=NO_STORE)
        remember_language(response, request, chosen)
        return response

    async def streamlit_words(request: Request) -> Response:
        language = known_language(request.query_params.get("lang")) or DEFAULT_LANGUAGE
        return Response(
            words_script(language),
            media_type="text/javascript",
            headers={"Cache-Control": "max-age=3600"},
        )

    return [
        Route(WORDS_SCRIPT_PATH, streamlit_words, methods=["GET"]),
        Route(SIGNIN_PATH, show_form, methods=["GET"]),
        Route(SIGNIN_PATH, sign_in, methods=["POST"]),
        Route(SIGNOUT_PATH, sign_out, methods=["POST"]),
        Route(LANGUAGE_PATH, choose_language, methods=["POST"]),
    ]


# `streamlit run` finds the app by reading this file: `app = st.App(...)` must stay literal.
SEAL = board_seal()
app = st.App(
    HERE / "app.py",
    routes=signin_routes(SEAL),
    middleware=[
        Middleware(SecurityHeaders),
        Middleware(SignInRequired, seal=SEAL),
        Middleware(PageInReaderLanguage),
    ],
)
