"""The web app's server: Streamlit's ASGI app (`st.App`) around `app.py`, so that every
answer carries the security headers Streamlit's own server cannot be told to send.

`makerline board` runs `streamlit run dashboard/server.py`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import streamlit
import streamlit as st
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def inline_script_hashes(html: str) -> str:
    """CSP source expressions allowing exactly the page's own inline scripts."""
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    )


STREAMLIT_PAGE = Path(streamlit.__file__).parent / "static" / "index.html"

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


app = st.App(Path(__file__).parent / "app.py", middleware=[Middleware(SecurityHeaders)])
