"""A person's sign-in, kept across reloads and tabs: their token sealed in a cookie.

The sign-in page (`server.py`) checks the token with the service, then gives the browser
a cookie holding the token sealed with Fernet: the browser keeps it but cannot read it,
no page script can (HttpOnly), no other site's page sends it (SameSite=Lax), and Fernet's
timestamp ends it after `MAKERLINE_BOARD_SESSION_HOURS` even if a browser keeps it
longer. The token never appears in an address. The app's script reads the cookie
Streamlit received with the page (`st.context.cookies`) and unseals it.

The sealing key is `MAKERLINE_BOARD_SECRET` (a Fernet key) when set, so that several
board processes share it; otherwise one generated on first start and kept in the file
`MAKERLINE_BOARD_SECRET_FILE` (mode 0600; `makerline board` puts it in the data folder).

Which addresses are the app's pages, and where a sign-in may lead back to, are decided
here too: both the server's middleware and the sign-in page ask.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken

SESSION_COOKIE = "makerline_session"
LANGUAGE_COOKIE = "makerline_language"
SIGNIN_PATH = "/signin"
SIGNOUT_PATH = "/signout"
LANGUAGE_PATH = "/language"

SECRET_VARIABLE = "MAKERLINE_BOARD_SECRET"
SECRET_FILE_VARIABLE = "MAKERLINE_BOARD_SECRET_FILE"
SESSION_HOURS_VARIABLE = "MAKERLINE_BOARD_SESSION_HOURS"
DEFAULT_SESSION_HOURS = 12.0
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

# A page's address is one path segment, as `st.Page(url_path=...)` makes it; anything
# with a dot or a second segment is one of Streamlit's files or routes.
PAGE_PATH = re.compile(r"/[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class SessionSeal:
    """Seals a token into a cookie's value and opens it again within its lifetime."""

    fernet: Fernet
    lifetime_seconds: int

    def seal(self, token: str) -> str:
        return self.fernet.encrypt(token.encode()).decode("ascii")

    def unseal(self, sealed: str | None) -> str | None:
        """The token, or None for no cookie, an expired one, or one not sealed here."""
        if not sealed:
            return None
        try:
            return self.fernet.decrypt(sealed.encode("ascii"), ttl=self.lifetime_seconds).decode()
        except (InvalidToken, UnicodeError):
            return None


def default_secret_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "makerline" / "board-secret"


def read_or_create_key(path: Path) -> bytes:
    """The Fernet key kept in `path`, made (readable by this user only) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key + b"\n")
    return key


def session_hours(environ: Mapping[str, str]) -> float:
    text = environ.get(SESSION_HOURS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_SESSION_HOURS
    try:
        hours = float(text)
    except ValueError:
        hours = 0.0
    if not 0 < hours <= 24 * 30:
        raise ValueError(f"{SESSION_HOURS_VARIABLE} must be a number of hours, up to 720")
    return hours


def seal_from(environ: Mapping[str, str]) -> SessionSeal:
    """The seal the environment sets: its key, and the sign-in's lifetime."""
    key = environ.get(SECRET_VARIABLE, "").strip().encode()
    if not key:
        key = read_or_create_key(Path(environ.get(SECRET_FILE_VARIABLE) or default_secret_file()))
    try:
        fernet = Fernet(key)
    except ValueError:
        raise ValueError(
            f"{SECRET_VARIABLE} must be a Fernet key: python3 -c 'from cryptography.fernet "
            "import Fernet; print(Fernet.generate_key().decode())'"
        ) from None
    return SessionSeal(fernet, round(session_hours(environ) * 3600))


@cache
def board_seal() -> SessionSeal:
    """This process's seal, read once from its environment."""
    return seal_from(os.environ)


def requested_page(path: str) -> str | None:
    """The page name a browser asks for by this address ("" for the home page), or None
    when the address is not a page's."""
    return path[1:] if PAGE_PATH.fullmatch(path) else None


def landing_path(requested: str | None, page_names: Collection[str]) -> str:
    """Where a sign-in leads: the app page asked for, or the person's home page. Nothing
    else, so that a link to the sign-in page cannot send a person to another site."""
    name = requested_page(requested or "")
    return f"/{name}" if name and name in page_names else "/"


def signin_address(next_path: str) -> str:
    """The sign-in page, bringing the person back to `next_path` afterwards."""
    if next_path == "/":
        return SIGNIN_PATH
    return f"{SIGNIN_PATH}?{urlencode({'next': next_path})}"


def page_load_redirect(
    path: str, sealed: str | None, seal: SessionSeal, page_names: Collection[str]
) -> str | None:
    """Where a browser loading `path` goes instead, or None to let Streamlit serve it.

    An address that is no page goes to the home page (Streamlit would say "Page not
    found", in English); a page asked for without a valid sign-in goes to the sign-in
    page, which brings the person back to it.
    """
    name = requested_page(path)
    if name is None or path in (SIGNIN_PATH, SIGNOUT_PATH):
        return None
    if name and name not in page_names:
        return "/"
    if seal.unseal(sealed) is None:
        return signin_address(path)
    return None


def is_https(scheme: str, forwarded_proto: str | None) -> bool:
    """Whether the browser reached the board over https, itself or through a proxy."""
    return scheme == "https" or (forwarded_proto or "").split(",")[0].strip() == "https"
