"""The sign-in page as HTML: a form for the access token, in French or English.

The server (`server.py`) sends it as it is, before any of Streamlit's page loads, so it
works without JavaScript and carries no script at all (the security policy allows the
inline style). Written for older readers and phones: large text, a visible focus, strong
contrast, a label and a hint for the one field, and a problem said in words next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from dashboard.formatting import format_count, format_decimal
from dashboard.i18n import LANGUAGE_NAMES, translate
from dashboard.session import SIGNIN_PATH

STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 1.125rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1b1f24; background: #f3f4f6; }
header { display: flex; justify-content: flex-end; padding: 0.75rem 1rem; }
main { max-width: 34rem; margin: 1rem auto 3rem; padding: 1.5rem 1.5rem 2rem;
  background: #ffffff; border: 1px solid #9aa3ae; border-radius: 0.5rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 1rem; }
a { color: #1565c0; text-decoration: underline; text-underline-offset: 0.15em; }
label { display: block; font-weight: 700; margin-top: 1.25rem; }
.hint { margin: 0.25rem 0 0.5rem; color: #3d4651; }
input { display: block; width: 100%; padding: 0.6rem 0.75rem; font: inherit; color: inherit;
  background: #ffffff; border: 2px solid #5f6b7a; border-radius: 0.375rem; }
input[aria-invalid="true"] { border-color: #b3261e; }
button { margin-top: 1.25rem; padding: 0.65rem 1.5rem; font: inherit; font-weight: 700;
  color: #ffffff; background: #1565c0; border: 2px solid #1565c0; border-radius: 0.375rem;
  cursor: pointer; }
button:hover { background: #0d47a1; border-color: #0d47a1; }
a:focus-visible, input:focus-visible, button:focus-visible {
  outline: 3px solid #1b1f24; outline-offset: 3px; }
.problem { margin: 1rem 0 0; padding: 0.75rem 1rem; color: #8c1d18; background: #fdecea;
  border-left: 0.375rem solid #b3261e; border-radius: 0.25rem; }
.note { margin: 1.5rem 0 0; color: #3d4651; font-size: 1rem; }
"""


def language_switch_address(language: str, next_path: str) -> str:
    """This page again in `language`, still leading to `next_path`."""
    return f"{SIGNIN_PATH}?{urlencode({'lang': language, 'next': next_path})}"


def duration_in_hours(hours: float, language: str) -> str:
    number = (
        format_count(hours, language) if hours == int(hours) else format_decimal(hours, language)
    )
    return f"{number}\u00a0h"


def preload_links(assets: Sequence[str]) -> str:
    """Links that have the browser fetch the app's code while the person types, so the
    page they sign in to opens from its cache."""

    def link(asset: str) -> str:
        address = escape(asset)
        if asset.endswith(".js"):
            return f'<link rel="modulepreload" crossorigin href="{address}">'
        if asset.endswith(".woff2"):
            return f'<link rel="preload" as="font" type="font/woff2" crossorigin href="{address}">'
        return f'<link rel="preload" as="style" crossorigin href="{address}">'

    return "\n".join(link(asset) for asset in assets)


def signin_page(
    language: str,
    next_path: str,
    *,
    session_hours: float,
    problem: str | None = None,
    preload: Sequence[str] = (),
) -> str:
    """The page in `language`; `problem` (already in that language) says why the last
    try was refused. The form sends the token, the page to open next and the language;
    `preload` names the app's files (`/static/...`) to fetch meanwhile."""

    def say(key: str, **params: object) -> str:
        return escape(translate(language, key, **params))

    heading = translate(language, "login.title")
    title = translate(language, "signin.error_title", title=heading) if problem else heading
    other_languages = "".join(
        f'<a href="{escape(language_switch_address(code, next_path))}" lang="{code}" '
        f'hreflang="{code}">{escape(name)}</a>'
        for code, name in LANGUAGE_NAMES.items()
        if code != language
    )
    described_by = "token-hint problem" if problem else "token-hint"
    problem_block = f'<p class="problem" id="problem">{escape(problem)}</p>' if problem else ""
    invalid = ' aria-invalid="true" autofocus' if problem else ""
    return f"""<!doctype html>
<html lang="{escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" href="/favicon.png">
<style>{STYLE}</style>
{preload_links(preload)}
</head>
<body>
<header><nav aria-label="{say("signin.language")}">{other_languages}</nav></header>
<main>
<h1>{escape(heading)}</h1>
<p>{say("login.intro")}</p>
{problem_block}
<form method="post" action="{SIGNIN_PATH}">
<input type="hidden" name="next" value="{escape(next_path)}">
<input type="hidden" name="lang" value="{escape(language)}">
<label for="token">{say("login.token")}</label>
<p class="hint" id="token-hint">{say("login.token_help")}</p>
<input id="token" name="token" type="password" autocomplete="current-password"
 autocapitalize="off" spellcheck="false" aria-describedby="{described_by}"{invalid}>
<button type="submit">{say("login.submit")}</button>
</form>
<p class="note">{say("signin.duration", duration=duration_in_hours(session_hours, language))}</p>
</main>
</body>
</html>
"""
