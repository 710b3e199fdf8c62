"""The sign-in that lasts: the token sealed in a cookie for a set time, the addresses a
sign-in may lead to, and the sign-in page and its middleware, served by Starlette's test
client against the live API (a stand-in answers where Streamlit would serve the page)."""

from __future__ import annotations

import importlib
import stat
import time
from collections.abc import Iterator
from html import escape
from pathlib import Path
from types import ModuleType

import pytest
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dashboard.account import PAGES
from dashboard.i18n import ENGLISH, FRENCH
from dashboard.session import (
    LANGUAGE_COOKIE,
    SECRET_FILE_VARIABLE,
    SECRET_VARIABLE,
    SESSION_COOKIE,
    SESSION_HOURS_VARIABLE,
    SessionSeal,
    board_seal,
    landing_path,
    page_load_redirect,
    read_or_create_key,
    seal_from,
)
from tests.conftest import Network

TOKEN = "mkl_a-token"
HOUR = 3600


@pytest.fixture
def seal() -> SessionSeal:
    return SessionSeal(Fernet(Fernet.generate_key()), 12 * HOUR)


def test_a_sealed_token_opens_only_here_and_only_for_its_lifetime(seal: SessionSeal) -> None:
    sealed = seal.seal(TOKEN)

    assert TOKEN not in sealed
    assert seal.unseal(sealed) == TOKEN
    thirteen_hours_ago = int(time.time()) - 13 * HOUR
    expired = seal.fernet.encrypt_at_time(TOKEN.encode(), thirteen_hours_ago).decode()
    assert seal.unseal(expired) is None
    other_board = SessionSeal(Fernet(Fernet.generate_key()), 12 * HOUR)
    assert other_board.unseal(sealed) is None
    assert seal.unseal(sealed[:-4] + "AAAA") is None
    assert seal.unseal("not a sealed token é") is None
    assert seal.unseal(None) is None


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "board-secret"

    key = read_or_create_key(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_key(path) == key
    Fernet(key)  # a Fernet key


def test_the_environment_sets_the_key_and_the_lifetime(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    sealed = seal_from({SECRET_VARIABLE: key}).seal(TOKEN)
    assert seal_from({SECRET_VARIABLE: key}).unseal(sealed) == TOKEN
    assert seal_from({SECRET_VARIABLE: key}).lifetime_seconds == 12 * HOUR
    assert seal_from({SECRET_VARIABLE: key, SESSION_HOURS_VARIABLE: "0.5"}).lifetime_seconds == 1800

    from_file = seal_from({SECRET_FILE_VARIABLE: str(tmp_path / "board-secret")})
    assert from_file.unseal(sealed) is None
    assert (tmp_path / "board-secret").exists()

    with pytest.raises(ValueError, match=SECRET_VARIABLE):
        seal_from({SECRET_VARIABLE: "change-me"})
    for hours in ("0", "-1", "many", "1000"):
        with pytest.raises(ValueError, match=SESSION_HOURS_VARIABLE):
            seal_from({SECRET_VARIABLE: key, SESSION_HOURS_VARIABLE: hours})


@pytest.mark.parametrize(
    ("asked", "landing"),
    [
        ("/hub", "/hub"),
        ("/maker", "/maker"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("/no-such-page", "/"),
        ("https://elsewhere.example/hub", "/"),
        ("//elsewhere.example/hub", "/"),
        ("/\\elsewhere.example", "/"),
        ("/hub/../../elsewhere", "/"),
        ("/hub?next=https://elsewhere.example", "/"),
        ("hub", "/"),
    ],
)
def test_a_sign_in_leads_only_to_one_of_the_apps_pages(asked: str | None, landing: str) -> None:
    assert landing_path(asked, PAGES) == landing


@pytest.mark.parametrize(
    ("path", "signed_in", "redirect"),
    [
        ("/", False, "/signin"),
        ("/hub", False, "/signin?next=%2Fhub"),
        ("/hub", True, None),
        ("/", True, None),
        ("/no-such-page", True, "/"),
        ("/no-such-page", False, "/"),
        ("/signin", False, None),
        ("/_stcore/health", False, None),
        ("/_stcore/stream", False, None),
        ("/static/js/index.js", False, None),
        ("/favicon.png", False, None),
        ("/media/chart.png", False, None),
    ],
)
def test_a_page_load_without_a_sign_in_goes_to_the_sign_in_page(
    seal: SessionSeal, path: str, signed_in: bool, redirect: str | None
) -> None:
    sealed = seal.seal(TOKEN) if signed_in else None
    assert page_load_redirect(path, sealed, seal, PAGES) == redirect


# --- the server's routes ---------------------------------------------------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """`dashboard.server`, imported with a key of its own (no key file is written)."""
    monkeypatch.setenv(SECRET_VARIABLE, Fernet.generate_key().decode())
    board_seal.cache_clear()
    yield importlib.import_module("dashboard.server")
    board_seal.cache_clear()


def test_the_server_knows_the_apps_pages(server: ModuleType) -> None:
    assert set(PAGES) == server.PAGES
    assert all(Path(spec.file).stem == name for name, spec in PAGES.items())


def test_a_preloaded_module_brings_what_it_imports_once_each(
    server: ModuleType, tmp_path: Path
) -> None:
    modules = {
        "Table.a1.js": 'import{t as e}from"./grid.b2.js";import"./style.c3.js";'
        "const l=()=>import(`./editor.d4.js`);",
        "grid.b2.js": 'import{x}from "./style.c3.js";export{x as t};',
        "style.c3.js": "export const x=1;",
        "editor.d4.js": 'import"./grid.b2.js";',
    }
    for name, text in modules.items():
        (tmp_path / name).write_text(text)

    found = server.with_static_imports([tmp_path / "Table.a1.js", tmp_path / "grid.b2.js"])

    # A dynamic import (`import(...)`) is fetched only when its code runs: it is left out.
    assert [path.name for path in found] == ["Table.a1.js", "grid.b2.js", "style.c3.js"]
    # What the sign-in page asks for: Streamlit's first files, then a table's parts.
    assets = list(server.STREAMLIT_ASSETS)
    first_code = next(i for i, asset in enumerate(assets) if "/js/index." in asset)
    table_code = next(i for i, asset in enumerate(assets) if "/js/DataFrame." in asset)
    assert first_code < table_code
    assert len(assets) == len(set(assets))


@pytest.fixture
def board(
    server: ModuleType, seal: SessionSeal, live_server: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The sign-in routes and middleware as the board serves them, against the live API;
    where Streamlit would serve a page, a stand-in says which."""
    monkeypatch.setenv("MAKERLINE_API_URL", live_server)

    async def streamlit(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"Streamlit serves {request.url.path}")

    app = Starlette(
        routes=[*server.signin_routes(seal), Route("/{path:path}", streamlit)],
        middleware=[
            Middleware(server.SecurityHeaders),
            Middleware(server.SignInRequired, seal=seal),
        ],
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def sign_in(board: TestClient, token: str, **fields: str) -> object:
    return board.post("/signin", data={"token": token, "next": "/hub", **fields})


def english_in(text: str) -> list[str]:
    """Sentences of the English catalogue (not shared with French) found in a text."""
    return [
        sentence
        for key, sentence in ENGLISH.items()
        if isinstance(sentence, str) and len(sentence) > 12 and sentence != FRENCH.get(key)
        if escape(sentence) in text
    ]


def test_a_bookmarked_page_asks_for_the_token_then_opens(
    board: TestClient, seal: SessionSeal, network: Network
) -> None:
    asked = board.get("/hub")
    assert (asked.status_code, asked.headers["location"]) == (303, "/signin?next=%2Fhub")

    form = board.get(asked.headers["location"])
    assert form.status_code == 200
    assert '<html lang="fr">' in form.text
    assert '<input type="hidden" name="next" value="/hub">' in form.text
    # While the person types, the browser fetches the app's code from this server.
    assert '<link rel="modulepreload" crossorigin href="/static/js/index.' in form.text
    assert '<label for="token">Jeton d&#x27;accès</label>' in form.text
    assert "<script" not in form.text
    assert "form-action 'self'" in form.headers["content-security-policy"]
    assert form.headers["cache-control"] == "no-store"

    signed_in = board.post("/signin", data={"token": network.coordinator, "next": "/hub"})
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/hub")
    cookie = signed_in.headers.get_list("set-cookie")[0]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Max-Age=43200", "Path=/", "SameSite=lax"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert network.coordinator not in cookie
    assert seal.unseal(board.cookies[SESSION_COOKIE]) == network.coordinator

    page = board.get("/hub")
    assert (page.status_code, page.text) == (200, "Streamlit serves /hub")

    signed_out = board.post("/signout")
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/signin")
    assert f'{SESSION_COOKIE}=""; ' in signed_out.headers["set-cookie"]
    assert "Max-Age=0" in signed_out.headers["set-cookie"]
    assert SESSION_COOKIE not in board.cookies
    assert board.get("/hub").headers["location"] == "/signin?next=%2Fhub"


def test_over_https_the_cookie_is_secure(board: TestClient, network: Network) -> None:
    answer = board.post(
        "/signin",
        data={"token": network.maker, "next": "/maker"},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert answer.headers["location"] == "/maker"
    assert all("Secure" in cookie for cookie in answer.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    ("token", "status", "key"),
    [
        ("mkl_not-a-real-token", 401, "signin.refused"),
        ("   ", 422, "login.empty"),
    ],
)
def test_a_refused_token_shows_the_form_again_with_the_reason_in_french(
    board: TestClient, token: str, status: int, key: str
) -> None:
    answer = sign_in(board, token)

    assert answer.status_code == status
    assert f'<p class="problem" id="problem">{escape(FRENCH[key])}</p>' in answer.text
    assert "<title>Erreur : Connexion à makerline</title>" in answer.text
    assert 'aria-describedby="token-hint problem" aria-invalid="true"' in answer.text
    assert "not-a-real-token" not in answer.text  # never sent back
    assert english_in(answer.text) == []
    assert SESSION_COOKIE not in board.cookies


def test_the_sign_in_page_speaks_english_when_asked_and_remembers_it(board: TestClient) -> None:
    english = board.get("/signin", params={"lang": "en", "next": "/centre"})

    assert '<html lang="en">' in english.text
    assert "<h1>Sign in to makerline</h1>" in english.text
    assert '<a href="/signin?lang=fr&amp;next=%2Fcentre" lang="fr" hreflang="fr">' in english.text
    assert board.cookies[LANGUAGE_COOKIE] == "en"
    assert '<html lang="en">' in board.get("/signin").text
    refused = sign_in(board, "mkl_not-a-real-token", lang="en")
    assert escape(ENGLISH["signin.refused"]) in refused.text


def test_the_sidebars_language_switch_is_remembered_and_leads_back(board: TestClient) -> None:
    answer = board.post("/language", data={"language": "en", "next": "/hub"})

    assert (answer.status_code, answer.headers["location"]) == (303, "/hub")
    assert board.cookies[LANGUAGE_COOKIE] == "en"
    assert '<html lang="en">' in board.get("/signin").text
    unknown = board.post("/language", data={"language": "de", "next": "https://elsewhere.example"})
    assert (unknown.headers["location"], board.cookies[LANGUAGE_COOKIE]) == ("/", "en")
    board.post("/language", data={"language": "fr"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert board.cookies[LANGUAGE_COOKIE] == "en"


def test_another_sites_form_can_neither_sign_in_nor_out(
    board: TestClient, network: Network
) -> None:
    cross_site = {"Sec-Fetch-Site": "cross-site"}

    answer = board.post(
        "/signin", data={"token": network.coordinator, "next": "/hub"}, headers=cross_site
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in board.cookies

    sign_in(board, network.coordinator)
    assert board.post("/signout", headers=cross_site).status_code == 403
    assert SESSION_COOKIE in board.cookies


def test_a_service_that_does_not_answer_is_said_so(
    board: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAKERLINE_API_URL", "http://127.0.0.1:9")  # discard: nobody answers

    answer = sign_in(board, "mkl_any")

    assert answer.status_code == 503
    assert escape(FRENCH["signin.unreachable"]) in answer.text


def test_the_services_refusals_become_our_sentences(server: ModuleType) -> None:
    assert server.refusal(429, {"code": "too_many_requests"}, "42") == (
        429,
        "signin.too_many",
        {"seconds": "42"},
    )
    assert server.refusal(401, {"code": "printer_token_for_account"}, None)[1] == (
        "signin.printer_token"
    )
    assert server.refusal(401, {"code": "token_invalid"}, None)[1] == "signin.refused"
    assert server.refusal(401, None, None)[1] == "signin.refused"
    assert server.refusal(500, None, None) == (502, "signin.service_error", {"status": 500})


def test_an_expired_or_forged_cookie_is_dropped_on_the_way_to_the_sign_in_page(
    board: TestClient, seal: SessionSeal
) -> None:
    expired = seal.fernet.encrypt_at_time(TOKEN.encode(), int(time.time()) - 13 * HOUR)
    board.cookies.set(SESSION_COOKIE, expired.decode())

    answer = board.get("/board")

    assert answer.headers["location"] == "/signin?next=%2Fboard"
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"]
