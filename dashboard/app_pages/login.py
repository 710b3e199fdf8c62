"""Signed out: what the app shows a session without a valid sign-in, such as one whose
token the service no longer accepts. Signing in is the sign-in page's job (`server.py`):
this page says why it is needed and leads there."""

from __future__ import annotations

from html import escape

import streamlit as st

from dashboard.account import LOGIN_ERROR_KEY
from dashboard.client import ApiError, show_api_error
from dashboard.i18n import t
from dashboard.session import SIGNIN_PATH

st.title(t("login.title"))

earlier_error = st.session_state.pop(LOGIN_ERROR_KEY, None)
if isinstance(earlier_error, ApiError):
    refused = earlier_error.status in (401, 403)
    show_api_error(earlier_error, heading=t("login.expired") if refused else None)

st.write(t("login.signed_out"))
st.html(f'<p><a class="signin-link" href="{SIGNIN_PATH}">{escape(t("login.submit"))}</a></p>')
