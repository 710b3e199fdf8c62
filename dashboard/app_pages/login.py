"""Sign in with the access token given at sign-up."""

from __future__ import annotations

import streamlit as st

from dashboard.account import LOGIN_ERROR_KEY, LOGIN_INPUT_KEY, sign_in
from dashboard.client import ApiError, show_api_error
from dashboard.i18n import t

st.title(t("login.title"))
st.write(t("login.intro"))

earlier_error = st.session_state.pop(LOGIN_ERROR_KEY, None)
if isinstance(earlier_error, ApiError):
    show_api_error(earlier_error, heading=t("login.expired") if earlier_error.status else None)

with st.form("login"):
    token = st.text_input(
        t("login.token"), type="password", key=LOGIN_INPUT_KEY, help=t("login.token_help")
    )
    submitted = st.form_submit_button(t("login.submit"), key="login_submit", type="primary")

if submitted:
    if not token.strip():
        st.warning(t("login.empty"))
    else:
        try:
            sign_in(token.strip())
        except ApiError as error:
            show_api_error(error, heading=t("login.refused"))
        else:
            st.rerun()
