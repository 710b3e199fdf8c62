"""The page a batch label's QR code opens, `/b/{token}`, and its defect form.

Anyone with a phone reaches it, without an account, so it is built like the other
anonymous doors: bounded (the text, the body), rate-limited per address, and it tells
nothing about people. It is plain server-rendered HTML with one inline style allowed by
its hash: no script, nothing loaded from elsewhere, readable on a small screen. French
first; English with `?lang=en` or a browser that prefers English.
"""

from __future__ import annotations

import base64
import hashlib
import math
import time
from dataclasses import dataclass
from html import escape
from typing import Annotated, Literal

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from orchestrator.api.deps import ClientDep, SessionDep
from orchestrator.api.routing import api_router
from orchestrator.database.tables import DEFECT_TEXT_MAX
from orchestrator.domain.errors import InvalidRequest, NotFound
from orchestrator.services import defects, labels

router = api_router(tags=["public"])

# Per address: reading is cheap and a ward may share one address, reporting is rarer.
PAGE_RATE = "120/minute"
REPORT_RATE = "5/hour;20/day"
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,32}$"

Language = Literal["fr", "en"]
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="The label's token.")]
LanguageQuery = Annotated[Language | None, Query(alias="lang")]

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:36rem;padding:1rem;"
    "line-height:1.45;color:#1b1b1b}h1{font-size:1.5rem;margin:.2rem 0}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .8rem}dt{color:#555}"
    "dd{margin:0;font-weight:600}.status{padding:.7rem;border-radius:.4rem;"
    "background:#e8f3ea;font-weight:700}.status.on_hold{background:#fbe3e3;color:#8a1111}"
    "textarea{width:100%;box-sizing:border-box;font:inherit;min-height:6rem}"
    "button{font:inherit;padding:.5rem 1rem;margin-top:.5rem}.note{color:#555;"
    "font-size:.9rem}.done{background:#e8eef9;padding:.7rem;border-radius:.4rem}"
    ".error{background:#fbe3e3;padding:.7rem;border-radius:.4rem}nav{text-align:right}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

TEXTS: dict[Language, dict[str, str]] = {
    "fr": {
        "title": "Lot n° {batch}",
        "product": "Produit",
        "quantity": "Quantité du lot",
        "assembled": "Assemblé le",
        "disinfected": "Désinfecté le",
        "not_disinfected": "pas encore",
        "method": "Méthode",
        "status.in_progress": "En préparation : pas encore désinfecté.",
        "status.in_stock": "Prêt, au fab-lab.",
        "status.partly_delivered": "En partie livré.",
        "status.delivered": "Livré.",
        "status.on_hold": "Lot en quarantaine : ne l'utilisez pas, mettez-le de côté.",
        "report": "Signaler un défaut",
        "report.label": "Qu'est-ce qui ne va pas ? (fissure, élastique, film…)",
        "report.note": (
            "Le signalement est anonyme : n'écrivez ni nom, ni adresse, ni téléphone. "
            "Le fab-lab l'examine et peut bloquer le lot."
        ),
        "report.send": "Envoyer",
        "report.done": "Merci : votre signalement sur ce lot a été transmis au fab-lab.",
        "report.too_short": "Dites en quelques mots ce qui ne va pas.",
        "report.too_many": "Trop de signalements depuis votre adresse ; réessayez dans {wait} s.",
        "too_many": "Trop de demandes depuis votre adresse ; réessayez dans {wait} s.",
        "unknown": "Cette étiquette ne correspond à aucun lot.",
        "switch": "English",
        "page_title": "Lot n° {batch} · makerline",
    },
    "en": {
        "title": "Batch no. {batch}",
        "product": "Product",
        "quantity": "Batch quantity",
        "assembled": "Assembled on",
        "disinfected": "Disinfected on",
        "not_disinfected": "not yet",
        "method": "Method",
        "status.in_progress": "Being prepared: not disinfected yet.",
        "status.in_stock": "Ready, at the fab-lab.",
        "status.partly_delivered": "Partly delivered.",
        "status.delivered": "Delivered.",
        "status.on_hold": "Batch on hold: do not use it, put it aside.",
        "report": "Report a defect",
        "report.label": "What is wrong? (crack, elastic, film…)",
        "report.note": (
            "Reports are anonymous: write no name, address or phone number. The fab-lab "
            "reviews it and may put the batch on hold."
        ),
        "report.send": "Send",
        "report.done": "Thank you: your report on this batch was passed to the fab-lab.",
        "report.too_short": "Say in a few words what is wrong.",
        "report.too_many": "Too many reports from your address; try again in {wait} s.",
        "too_many": "Too many requests from your address; try again in {wait} s.",
        "unknown": "This label matches no batch.",
        "switch": "Français",
        "page_title": "Batch no. {batch} · makerline",
    },
}


@dataclass
class PublicDoors:
    """Rate limits of the public page, in the same `limits` storage as the API's own."""

    limiter: MovingWindowRateLimiter
    rates: dict[str, list[RateLimitItem]]

    def wait_before(self, door: str, client: str) -> int | None:
        """Counts one knock; the seconds to wait when the allowance is used up."""
        for rate in self.rates[door]:
            if not self.limiter.test(rate, "public", door, client):
                reset_at = self.limiter.get_window_stats(rate, "public", door, client).reset_time
                return max(1, math.ceil(reset_at - time.time()))
        for rate in self.rates[door]:
            self.limiter.hit(rate, "public", door, client)
        return None


def doors_of(request: Request, name: str, rates: dict[str, str]) -> PublicDoors:
    """The app's doors called `name` ({door: rate}), made on first use over the
    service's rate-limit storage and kept on the app."""
    state = request.app.state
    doors: PublicDoors | None = getattr(state, name, None)
    if doors is None:
        storage = storage_from_string(state.settings.rate_limit_storage_url)
        limits = {door: parse_many(rate) for door, rate in rates.items()}
        doors = PublicDoors(MovingWindowRateLimiter(storage), limits)
        setattr(state, name, doors)
    return doors


def public_doors(request: Request) -> PublicDoors:
    return doors_of(request, "public_doors", {"page": PAGE_RATE, "report": REPORT_RATE})


def language_of(request: Request, asked: Language | None) -> Language:
    """`?lang=` first, then the browser's preference between French and English."""
    if asked is not None:
        return asked
    preferences = []
    for position, part in enumerate(request.headers.get("accept-language", "")[:200].split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            quality = 0.0
        preferences.append((-quality, position, tag.strip().lower()[:2]))
    for _quality, _position, tag in sorted(preferences):
        if tag in ("fr", "en"):
            return "en" if tag == "en" else "fr"
    return "fr"


def page(language: Language, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"},
    )


def message_page(language: Language, key: str, status_code: int, **params: object) -> HTMLResponse:
    text = TEXTS[language][key].format(**params)
    return page(language, "makerline", f'<p class="error">{escape(text)}</p>', status_code)


def batch_page(
    request: Request,
    session: SessionDep,
    token: str,
    language: Language,
    notice: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    try:
        batch = labels.batch_by_token(session=session, token=token)
    except NotFound:
        return message_page(language, "unknown", 404)
    facts = labels.public_batch(session=session, batch=batch)
    say = TEXTS[language]
    product = facts.product_name_fr if language == "fr" else facts.product_name_en
    method = (
        labels.METHOD_NAMES[language].get(facts.disinfection_method, facts.disinfection_method)
        if facts.disinfection_method
        else ""
    )
    other: Language = "en" if language == "fr" else "fr"
    rows = [
        (say["product"], product),
        (say["quantity"], str(facts.quantity)),
        (say["assembled"], labels.local_date(facts.assembled_at)),
        (
            say["disinfected"],
            labels.local_date(facts.disinfected_at) or say["not_disinfected"],
        ),
        *([(say["method"], method)] if method else []),
    ]
    details = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in rows)
    action = f"/b/{escape(token)}/defect?lang={language}"
    body = (
        f'<nav><a href="?lang={other}" hreflang="{other}">{say["switch"]}</a></nav>'
        f"<h1>{escape(say['title'].format(batch=facts.batch_id))}</h1>"
        f'<p class="status {facts.status.value}" id="status">'
        f"{escape(say['status.' + facts.status.value])}</p>"
        f"<dl>{details}</dl>{notice}"
        f"<h2>{escape(say['report'])}</h2>"
        f'<form method="post" action="{action}">'
        f'<label for="text">{escape(say["report.label"])}</label>'
        f'<textarea id="text" name="text" required minlength="3" '
        f'maxlength="{DEFECT_TEXT_MAX}"></textarea>'
        f'<p class="note">{escape(say["report.note"])}</p>'
        f'<button type="submit">{escape(say["report.send"])}</button></form>'
    )
    title = say["page_title"].format(batch=facts.batch_id)
    return page(language, title, body, status_code)


@router.get("/b/{token}", response_class=HTMLResponse)
def batch_public_page(
    token: Token,
    request: Request,
    session: SessionDep,
    client: ClientDep,
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """The batch's product, dates and status, and a form to report a defect. No account
    needed; no one's personal data shown."""
    language = language_of(request, lang)
    wait = public_doors(request).wait_before("page", client)
    if wait is not None:
        response = message_page(language, "too_many", 429, wait=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    return batch_page(request, session, token, language)


@router.post("/b/{token}/defect", response_class=HTMLResponse)
def report_defect_from_label(
    token: Token,
    request: Request,
    session: SessionDep,
    client: ClientDep,
    text: Annotated[str, Form(max_length=DEFECT_TEXT_MAX)],
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """An anonymous defect report on the batch: its text only is kept."""
    language = language_of(request, lang)
    say = TEXTS[language]
    wait = public_doors(request).wait_before("page", client)  # tokens are not guessed here
    if wait is not None:
        response = message_page(language, "too_many", 429, wait=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        batch = labels.batch_by_token(session=session, token=token)
    except NotFound:
        return message_page(language, "unknown", 404)
    wait = public_doors(request).wait_before("report", client)
    if wait is not None:
        notice = f'<p class="error">{escape(say["report.too_many"].format(wait=wait))}</p>'
        response = batch_page(request, session, token, language, notice, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        defects.report_from_public_page(session=session, batch=batch, text=text)
    except InvalidRequest:
        notice = f'<p class="error">{escape(say["report.too_short"])}</p>'
        return batch_page(request, session, token, language, notice, 400)
    session.commit()
    notice = f'<p class="done" id="reported">{escape(say["report.done"])}</p>'
    return batch_page(request, session, token, language, notice)
