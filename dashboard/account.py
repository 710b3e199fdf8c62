"""Who is signed in, and which pages their role gets.

The person's token comes sealed in the session cookie the sign-in page gave their
browser (`session.py`); the tests put it in the session's state instead. `GET /me` says
whose it is. Each role sees its own pages: the coordinator the board, the hub's work and
the messages sent, a maker their printers, a health centre its orders; and everyone
signed in chooses how they are told things. Anyone else is asked to sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.client import Api, ApiError, api_base_url
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES
from dashboard.session import LANGUAGE_COOKIE, SESSION_COOKIE, board_seal

TOKEN_KEY = "token"
ACCOUNT_KEY = "account"
LOGIN_ERROR_KEY = "login_error"
ACCOUNT_CACHE_SECONDS = 60


@dataclass(frozen=True)
class PageSpec:
    name: str
    file: str  # relative to dashboard/
    title_key: str
    icon: str


PAGES = {
    "login": PageSpec("login", "app_pages/login.py", "page.login", ":material/login:"),
    "board": PageSpec("board", "app_pages/board.py", "page.board", ":material/monitoring:"),
    "hub": PageSpec("hub", "app_pages/hub.py", "page.hub", ":material/inventory_2:"),
    "maker": PageSpec("maker", "app_pages/maker.py", "page.maker", ":material/print:"),
    "centre": PageSpec("centre", "app_pages/centre.py", "page.centre", ":material/local_hospital:"),
    "quarantine": PageSpec(
        "quarantine", "app_pages/quarantine.py", "page.quarantine", ":material/block:"
    ),
    "messages": PageSpec("messages", "app_pages/messages.py", "page.messages", ":material/outbox:"),
    "notifications": PageSpec(
        "notifications",
        "app_pages/notifications.py",
        "page.notifications",
        ":material/notifications:",
    ),
}

PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "coordinator": ("board", "hub", "quarantine", "messages", "notifications"),
    "maker": ("maker", "notifications"),
    "health_centre": ("centre", "notifications"),
}


def pages_for_role(role: str | None) -> list[PageSpec]:
    """The pages a role may open, the first being its home; sign-in for anyone else."""
    return [PAGES[name] for name in PAGES_BY_ROLE.get(role or "", ("login",))]


def cookie(name: str) -> str | None:
    """A cookie the browser sent when it opened the app. (AppTest's stand-in for the
    browser answers with mocks: those are no cookie.)"""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) and value else None


def session_token() -> str | None:
    """The token of the person using this browser: unsealed from the session cookie it
    opened the app with (None once the sign-in has run its time), else the one a test put
    in the session's state."""
    sealed = cookie(SESSION_COOKIE)
    if sealed:
        return board_seal().unseal(sealed)
    token: str | None = st.session_state.get(TOKEN_KEY) or None
    return token


def remembered_language() -> str:
    """The language this browser chose on the sign-in page, else French."""
    language = cookie(LANGUAGE_COOKIE)
    return language if language in LANGUAGE_NAMES else DEFAULT_LANGUAGE


@st.cache_data(ttl=ACCOUNT_CACHE_SECONDS, show_spinner=False, max_entries=1000)
def account_of(base_url: str, token: str) -> dict[str, Any]:
    """`GET /me` for a token, asked at most once a minute however many tabs are open;
    ApiError (not cached) if the service refuses it."""
    account: dict[str, Any] = Api(token, base_url).get_fresh("/me")
    return account


def signed_in_account() -> dict[str, Any] | None:
    account: dict[str, Any] | None = st.session_state.get(ACCOUNT_KEY)
    return account


def resolve_account() -> dict[str, Any] | None:
    """The signed-in account, kept in the session's state for the pages, or None. Why
    the service refused the token is kept for the sign-in message (`login.py`)."""
    st.session_state.pop(ACCOUNT_KEY, None)
    token = session_token()
    if not token:
        return None
    try:
        account = account_of(api_base_url(), token)
    except ApiError as error:
        if error.status in (401, 403):
            st.session_state.pop(TOKEN_KEY, None)
        st.session_state[LOGIN_ERROR_KEY] = error
        return None
    st.session_state[ACCOUNT_KEY] = account
    return account


def signed_in_api() -> Api:
    """The service as the signed-in person; stops the page if nobody is signed in."""
    token = session_token()
    if not token:
        st.stop()
    return Api(token)
