"""The one-click unsubscribe link of every e-mail, `/unsubscribe/{token}`.

The e-mail's `List-Unsubscribe` header names this address, with `List-Unsubscribe-Post:
List-Unsubscribe=One-Click`, so a mail client may unsubscribe with one POST and no page
(RFC 8058). A person who clicks the link in the mail's text gets a small page with one
button, which sends the same POST: a GET changes nothing, so a link scanner that opens
every link unsubscribes nobody.

Unsubscribing turns every kind of message the person gets by e-mail to none, and keeps
SMS and chat. Like the batch page it is outside /api/v1, needs no account, is rate-limited
per address, is plain HTML without script, and says nothing about the person: not their
name, not their address. French first; English with `?lang=en` or a browser that prefers it.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import Form, Path, Request
from fastapi.responses import HTMLResponse

from orchestrator.api.deps import ClientDep, SessionDep
from orchestrator.api.routes.public import (
    TOKEN_PATTERN,
    Language,
    LanguageQuery,
    PublicDoors,
    doors_of,
    language_of,
    page,
)
from orchestrator.api.routing import api_router
from orchestrator.domain.errors import NotFound
from orchestrator.services import contacts

router = api_router(tags=["public"])

# Per address. Mail providers send one-click POSTs from a few servers for many people,
# so the allowance is generous; the tokens (128 random bits) are not to be guessed anyway.
PAGE_RATE = "60/minute"
UNSUBSCRIBE_RATE = "30/minute;600/hour"
ONE_CLICK = "One-Click"

Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="The e-mail's token.")]

TEXTS: dict[Language, dict[str, str]] = {
    "fr": {
        "title": "Se désabonner des e-mails",
        "intro": (
            "Vous ne recevrez plus aucun e-mail de makerline. Les SMS et les messages de "
            "discussion que vous avez choisis continuent."
        ),
        "button": "Me désabonner",
        "later": "Vous pourrez revenir sur ce choix dans makerline, page « Mes notifications ».",
        "done": "C'est fait : vous ne recevrez plus d'e-mails de makerline.",
        "already": "Vous étiez déjà désabonné·e des e-mails de makerline.",
        "unknown": "Ce lien de désabonnement ne correspond à personne.",
        "bad_request": "Demande incomplète : utilisez le bouton de la page.",
        "too_many": "Trop de demandes depuis votre adresse ; réessayez dans {wait} s.",
        "switch": "English",
    },
    "en": {
        "title": "Unsubscribe from e-mails",
        "intro": (
            "You will get no more e-mails from makerline. The text messages and chat "
            "messages you chose carry on."
        ),
        "button": "Unsubscribe me",
        "later": 'You can change this in makerline, on the "My notifications" page.',
        "done": "Done: you will get no more e-mails from makerline.",
        "already": "You were already unsubscribed from makerline's e-mails.",
        "unknown": "This unsubscribe link matches no one.",
        "bad_request": "Incomplete request: use the button on the page.",
        "too_many": "Too many requests from your address; try again in {wait} s.",
        "switch": "Français",
    },
}


def unsubscribe_doors(request: Request) -> PublicDoors:
    return doors_of(
        request,
        "unsubscribe_doors",
        {"unsubscribe-page": PAGE_RATE, "unsubscribe": UNSUBSCRIBE_RATE},
    )


def message(
    language: Language, key: str, status_code: int, css: str, **params: object
) -> HTMLResponse:
    say = TEXTS[language]
    body = (
        f'<h1>{escape(say["title"])}</h1><p class="{css}" id="{key}">'
        + escape(say[key].format(**params))
        + "</p>"
    )
    return page(language, say["title"], body, status_code)


def too_many(language: Language, wait: int) -> HTMLResponse:
    response = message(language, "too_many", 429, "error", wait=wait)
    response.headers["Retry-After"] = str(wait)
    return response


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    token: Token,
    request: Request,
    session: SessionDep,
    client: ClientDep,
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """A page with one button that unsubscribes from e-mails. Opening it changes nothing."""
    language = language_of(request, lang)
    wait = unsubscribe_doors(request).wait_before("unsubscribe-page", client)
    if wait is not None:
        return too_many(language, wait)
    try:
        contacts.contact_by_unsubscribe_token(session, token)
    except NotFound:
        return message(language, "unknown", 404, "error")
    say = TEXTS[language]
    other: Language = "en" if language == "fr" else "fr"
    body = (
        f'<nav><a href="?lang={other}" hreflang="{other}">{say["switch"]}</a></nav>'
        f"<h1>{escape(say['title'])}</h1><p>{escape(say['intro'])}</p>"
        f'<form method="post" action="/unsubscribe/{escape(token)}?lang={language}">'
        f'<input type="hidden" name="List-Unsubscribe" value="{ONE_CLICK}">'
        f'<button type="submit" id="unsubscribe">{escape(say["button"])}</button></form>'
        f'<p class="note">{escape(say["later"])}</p>'
    )
    return page(language, say["title"], body)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(
    token: Token,
    request: Request,
    session: SessionDep,
    client: ClientDep,
    one_click: Annotated[str | None, Form(alias="List-Unsubscribe", max_length=20)] = None,
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """RFC 8058 one-click unsubscribe (body `List-Unsubscribe=One-Click`): every kind of
    message sent by e-mail turns to none; SMS and chat stay. Doing it twice is harmless."""
    language = language_of(request, lang)
    wait = unsubscribe_doors(request).wait_before("unsubscribe", client)
    if wait is not None:
        return too_many(language, wait)
    if one_click != ONE_CLICK:
        return message(language, "bad_request", 400, "error")
    try:
        contact = contacts.contact_by_unsubscribe_token(session, token)
    except NotFound:
        return message(language, "unknown", 404, "error")
    changed = contacts.unsubscribe_from_email(session=session, contact=contact)
    session.commit()
    return message(language, "done" if changed else "already", 200, "done")
