"""Streamlit's own page and words in the reader's language: `<html lang>` says it, and
one script of ours, served by the board itself, translates Streamlit's English labels."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import streamlit
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dashboard.server import STREAMLIT_PAGE
from dashboard.session import LANGUAGE_COOKIE, SECRET_VARIABLE, board_seal
from dashboard.streamlit_words import (
    FILE_UPLOADER,
    FRENCH_PATTERNS,
    FRENCH_PREFIXES,
    FRENCH_WORDS,
    WORDS_SCRIPT_PATH,
    page_in_language,
    words_script,
)

STREAMLIT_CODE = Path(streamlit.__file__).parent / "static" / "static" / "js"
# Whole texts Streamlit builds from parts ("{count} options available."), so that its
# code never holds them as they are shown.
BUILT_BY_STREAMLIT = {"0 options available.", "1 option available.", "add icon"}


def french_for(text: str, within: str | None = None) -> str | None:
    """What the words script makes of a text Streamlit shows (inside `within`, a CSS
    selector of the elements around it), as `streamlit_words.js` looks it up."""
    if text in FRENCH_WORDS:
        return FRENCH_WORDS[text]
    for english, local in FRENCH_PREFIXES.items():
        if text.startswith(english):
            rest = text.removeprefix(english)
            return local + (french_for(rest, within) or rest)
    for pattern in FRENCH_PATTERNS:
        whole = re.fullmatch(pattern["english"], text)
        if whole and pattern["within"] in (None, within):
            return whole.expand(re.sub(r"\$(\d)", r"\\\1", pattern["local"]))
    return None


def table_in(script: str) -> dict[str, Any]:
    first_line = script.splitlines()[0]
    return json.loads(first_line.removeprefix("const STREAMLIT_WORDS = ").removesuffix(";"))


def test_the_page_says_its_language_and_loads_the_words_before_streamlit() -> None:
    page = page_in_language(STREAMLIT_PAGE.read_text(), "fr")

    assert '<html lang="fr">' in page
    assert 'lang="en"' not in page
    assert f'<script src="{WORDS_SCRIPT_PATH}?lang=fr" defer></script>' in page
    # Deferred scripts and modules run in order: the browser's language is French before
    # Streamlit's code reads it.
    assert page.index(WORDS_SCRIPT_PATH) < page.index('<script type="module"')


def test_the_script_carries_the_french_words_and_only_the_language_in_english() -> None:
    french = table_in(words_script("fr"))
    assert french["locale"] == "fr-FR"
    assert french["words"]["Main menu"] == "Menu principal"
    assert french["prefixes"]["Help for "] == "Aide : "
    assert all(english != local for english, local in FRENCH_WORDS.items())
    assert "MutationObserver" in words_script("fr")
    assert table_in(words_script("en")) == {
        "locale": "en-US",
        "words": {},
        "prefixes": {},
        "patterns": [],
    }


def test_every_word_is_one_streamlit_writes() -> None:
    """The words are Streamlit's own, letter for letter: after an upgrade that changes
    one, this fails rather than leaving the new English on French pages."""
    code = "\n".join(part.read_text() for part in STREAMLIT_CODE.glob("*.js"))
    missing = [
        english
        for english in FRENCH_WORDS.keys() - BUILT_BY_STREAMLIT
        if f"`{english}`" not in code and f'"{english}"' not in code
    ]
    assert not missing


@pytest.mark.parametrize(
    ("english", "within", "french"),
    [
        # The date field, which Streamlit keeps in American English.
        ("12 \N{EN DASH} December", None, "12 \N{EN DASH} décembre"),
        ("Selected Date: August 07, 2026", None, "Date sélectionnée : 07 août 2026"),
        ("month, Pour le", None, "mois, Pour le"),
        ("Choose date, décembre 2026", None, "Choisir une date, décembre 2026"),
        # The file uploader's sizes, written the French way there only.
        ("200MB per file", FILE_UPLOADER, "200 Mo par fichier"),
        ("39.1KB", FILE_UPLOADER, "39,1 Ko"),
        ("plan.stl, 1.2MB", FILE_UPLOADER, "plan.stl, 1,2 Mo"),
        ("39.1KB", None, None),
        ("Remove plan.stl", None, "Retirer plan.stl"),
        # Choice lists and number inputs.
        ("14 options available.", None, "14 choix disponibles."),
        # A chart's parts, as a screen reader hears them.
        ("rect mark container", None, "groupe d'éléments du graphique"),
        ("Visières, selected", None, "Visières, sélectionné"),
        (
            "Error: Number is outside the allowed range. "
            "Please enter a value between 1 and 100000.",
            None,
            "Erreur : Nombre hors limites : saisissez une valeur de 1 à 100000.",
        ),
    ],
)
def test_streamlit_texts_with_parts_that_vary_read_in_french(
    english: str, within: str | None, french: str | None
) -> None:
    assert french_for(english, within) == french


@dataclass
class Board:
    client: TestClient
    asked: list[Request] = field(default_factory=list)  # what reached Streamlit


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch) -> Iterator[Board]:
    """The board's routes and its page middleware; a stand-in serves Streamlit's page as
    Streamlit does, with a validator the browser would revalidate against."""
    monkeypatch.setenv(SECRET_VARIABLE, Fernet.generate_key().decode())
    board_seal.cache_clear()
    server: ModuleType = importlib.import_module("dashboard.server")
    asked: list[Request] = []

    async def streamlit(request: Request) -> HTMLResponse:
        asked.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return HTMLResponse(status_code=304)
        return HTMLResponse(STREAMLIT_PAGE.read_text(), headers={"ETag": '"v1"'})

    app = Starlette(
        routes=[*server.signin_routes(board_seal()), Route("/{path:path}", streamlit)],
        middleware=[Middleware(server.PageInReaderLanguage)],
    )
    with TestClient(app) as client:
        yield Board(client, asked)
    board_seal.cache_clear()


def test_every_page_load_is_whole_and_in_the_readers_language(board: Board) -> None:
    french = board.client.get("/hub", headers={"If-None-Match": '"v1"', "Accept-Encoding": "gzip"})

    assert french.status_code == 200  # never "not modified": the copy may be English
    assert '<html lang="fr">' in french.text
    assert french.headers["cache-control"] == "no-store"
    assert "etag" not in french.headers
    (asked,) = board.asked
    assert "accept-encoding" not in asked.headers and "if-none-match" not in asked.headers

    board.client.cookies.set(LANGUAGE_COOKIE, "en")
    english = board.client.get("/hub")
    assert '<html lang="en">' in english.text
    assert f"{WORDS_SCRIPT_PATH}?lang=en" in english.text

    script = board.client.get(WORDS_SCRIPT_PATH, params={"lang": "fr"})
    assert script.headers["content-type"].startswith("text/javascript")
    assert "Aller au contenu principal" in script.text
    assert "MutationObserver" in script.text
