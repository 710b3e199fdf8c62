"""makerline's web app: run with `streamlit run dashboard/app.py` (or `makerline board`).

It reaches the service only over HTTP, at `MAKERLINE_API_URL`. A person signs in with
their token; their role decides the pages they get. French first, English on request.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.account import pages_for_role, resolve_account, sign_out
from dashboard.i18n import LANGUAGE_KEY, LANGUAGE_NAMES, t

HERE = Path(__file__).parent

st.set_page_config(page_title="makerline", page_icon="🛡️", layout="wide")

st.sidebar.radio(
    t("sidebar.language"),
    options=list(LANGUAGE_NAMES),
    format_func=LANGUAGE_NAMES.__getitem__,
    key=LANGUAGE_KEY,
    horizontal=True,
)

account = resolve_account()
role = account["role"] if account else None
pages = [
    st.Page(HERE / spec.file, title=t(spec.title_key), icon=spec.icon, url_path=spec.name)
    for spec in pages_for_role(role)
]
navigation = st.navigation(pages)

if account is not None:
    with st.sidebar:
        st.markdown(t("sidebar.signed_in_as", name=account["name"]))
        st.caption(t(f"role.{account['role']}"))
        if st.button(t("sidebar.logout"), key="logout", icon=":material/logout:"):
            sign_out()
            st.rerun()

navigation.run()
