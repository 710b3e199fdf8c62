"""Who is signed in, and which pages their role gets.

The token lives only in this browser session's state; `GET /me` says whose it is. Each
role sees its own pages: the coordinator the board and the hub's work, a maker their
printers, a health centre its orders. Everyone else sees the sign-in page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.client import Api, ApiError

TOKEN_KEY = "token"
ACCOUNT_KEY = "account"
LOGIN_ERROR_KEY = "login_error"
LOGIN_INPUT_KEY = "login_token"


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
}

PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "coordinator": ("board", "hub"),
    "maker": ("maker",),
    "health_centre": ("centre",),
}


def pages_for_role(role: str | None) -> list[PageSpec]:
    """The pages a role may open, the first being its home; sign-in for anyone else."""
    return [PAGES[name] for name in PAGES_BY_ROLE.get(role or "", ("login",))]


def signed_in_account() -> dict[str, Any] | None:
    account: dict[str, Any] | None = st.session_state.get(ACCOUNT_KEY)
    return account


def sign_in(token: str) -> dict[str, Any]:
    """Ask the service whose token this is and remember both; ApiError if it refuses."""
    account: dict[str, Any] = Api(token).get_fresh("/me")
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACCOUNT_KEY] = account
    return account


def sign_out() -> None:
    for key in (TOKEN_KEY, ACCOUNT_KEY, LOGIN_INPUT_KEY):
        st.session_state.pop(key, None)


def resolve_account() -> dict[str, Any] | None:
    """The signed-in account. A token put in the session without its account (a test,
    a reload) is checked with the service first; a refused token signs the person out."""
    account = signed_in_account()
    token = st.session_state.get(TOKEN_KEY)
    if account is not None or not token:
        return account
    try:
        return sign_in(token)
    except ApiError as error:
        if error.status is not None and error.status in (401, 403):
            sign_out()
        st.session_state[LOGIN_ERROR_KEY] = error
        return None


def signed_in_api() -> Api:
    """The service as the signed-in person; stops the page if nobody is signed in."""
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        st.stop()
    return Api(token)
