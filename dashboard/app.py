"""makerline's web app, served by `server.py` (run `makerline board`).

It reaches the service only over HTTP, at `MAKERLINE_API_URL`. A person signs in with
their token on the server's sign-in page (`server.py`); their role decides the pages
they get. French first (or the language chosen at sign-in), English on request.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import streamlit as st

from dashboard.account import PAGES, pages_for_role, remembered_language, resolve_account
from dashboard.i18n import LANGUAGE_KEY, LANGUAGE_NAMES, t
from dashboard.look import apply_look
from dashboard.session import LANGUAGE_PATH, SIGNOUT_PATH

HERE = Path(__file__).parent

# The sidebar's two forms post to the server, which answers with a cookie: sign-out clears
# the session's, the language switch keeps the language for the next reloads and tabs. A
# Streamlit widget could only change this tab. Their look is in `look.py`.


def language_form(current: str, page_path: str) -> str:
    buttons = "".join(
        f'<button class="sidebar-button" type="submit" name="language" value="{code}" '
        f'lang="{code}" aria-pressed="{str(code == current).lower()}">{escape(name)}</button>'
        for code, name in LANGUAGE_NAMES.items()
    )
    return (
        f'<form method="post" action="{LANGUAGE_PATH}">'
        f'<input type="hidden" name="next" value="{escape(page_path)}">'
        f'<fieldset class="language-switch"><legend>{escape(t("sidebar.language"))}</legend>'
        f"{buttons}</fieldset></form>"
    )


def sign_out_form() -> str:
    return (
        f'<form method="post" action="{SIGNOUT_PATH}">'
        f'<button class="sidebar-button" type="submit">{escape(t("sidebar.logout"))}</button>'
        "</form>"
    )


st.set_page_config(page_title="makerline", page_icon="🛡️", layout="wide")

if LANGUAGE_KEY not in st.session_state:
    st.session_state[LANGUAGE_KEY] = remembered_language()

account = resolve_account()
role = account["role"] if account else None
own_pages = pages_for_role(role)
pages = [
    st.Page(HERE / spec.file, title=t(spec.title_key), icon=spec.icon, url_path=spec.name)
    for spec in own_pages
]
home = pages[0]


def go_home() -> None:
    """A page of another role, opened by its address (a bookmark, a link shared): the
    person lands on their own home page rather than on Streamlit's "Page not found"."""
    st.switch_page(home)


pages += [
    st.Page(go_home, title=t(spec.title_key), url_path=spec.name, visibility="hidden")
    for spec in PAGES.values()
    if spec not in own_pages
]
navigation = st.navigation(pages)

with st.sidebar:
    st.html(language_form(st.session_state[LANGUAGE_KEY], "/" + navigation.url_path))
    if account is not None:
        st.markdown(t("sidebar.signed_in_as", name=account["name"]))
        st.caption(t(f"role.{account['role']}"))
        st.html(sign_out_form())

apply_look()
navigation.run()
