"""What each message says, in French first and in English (pure).

Messages are written when they are sent, from the kind, the parameters queued with it
and the person's language, so a text corrected here reads right in every message still
waiting. Numbers and plurals follow the language's rules (Babel's CLDR data): "1 visière",
"40 visières", "1 234 pièces" in French; "1 face shield", "40 face shields" in English.

Several messages of one kind to one person go out as one: the subject counts them
("3 imprimantes ont fini") and the body gives one line each.

The parameters each kind reads (all optional: a missing one reads as a neutral word, never
as an error, because a message must not fail to be sent for a missing detail):

| kind | params |
|---|---|
| bed_to_clear | printer, part, quantity, item |
| bed_still_waiting | printer, minutes |
| printer_offline | printer |
| job_failed | printer, part, reason |
| parts_to_collect | quantity, item, part, when (ISO date-time of the collection round) |
| order_confirmed | order, quantity, item, date (ISO date it should arrive) |
| forecast_changed | order, date (new ISO date), late (bool) |
| out_for_delivery | order, quantity, item |
| confirm_receipt | order, quantity, item |
| supply_running_out | supply, short (units missing), date (ISO date it runs out) |
| job_flagged | job, part, printer, reason |
| silent_printer | printer or maker, days |
| daily_digest | printed, delivered, orders_open, failed (counts), lines (list of text) |

`item` is a word of `NOUNS` ("visor", "headband", "part", ...) so its plural is right;
any other text is written "text : 40" ("text: 40"), which reads right whatever it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeGuard

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from orchestrator.domain.vocabulary import MessageKind

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

# Countable words: (French one, French other, English one, English other).
NOUNS: dict[str, tuple[str, str, str, str]] = {
    "visor": ("visière", "visières", "face shield", "face shields"),
    "headband": ("serre-tête", "serre-têtes", "headband", "headbands"),
    "reinforcement": ("renfort", "renforts", "reinforcement", "reinforcements"),
    "hook": ("crochet", "crochets", "hook", "hooks"),
    "part": ("pièce", "pièces", "part", "parts"),
    "printer": ("imprimante", "imprimantes", "printer", "printers"),
    "order": ("commande", "commandes", "order", "orders"),
    "message": ("message", "messages", "message", "messages"),
    "day": ("jour", "jours", "day", "days"),
    "minute": ("minute", "minutes", "minute", "minutes"),
    "job": ("impression", "impressions", "print job", "print jobs"),
    "unit": ("unité", "unités", "unit", "units"),
}


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def plural_form(count: float, language: str) -> str:
    """CLDR's plural category: French says "0 visière" and "1,5 visière", English
    "0 face shields"."""
    return str(Locale.parse(language_of(language)).plural_form(count))


def number(value: float, language: str) -> str:
    return str(format_decimal(value, locale=language_of(language)))


def count_of(count: float, noun: str, language: str) -> str:
    """'40 visières', '1 face shield'; an unknown noun as 'noun : 40' (French spaces its
    colons)."""
    language = language_of(language)
    written = number(count, language)
    forms = NOUNS.get(noun)
    if forms is None:
        return f"{noun} : {written}" if language == "fr" else f"{noun}: {written}"
    one, other = forms[:2] if language == "fr" else forms[2:]
    return f"{written} {one if plural_form(count, language) == 'one' else other}"


def _date(value: Any, language: str) -> str:
    """An ISO date or date-time as a person reads it ('lundi 20 avril'); anything else as
    it is."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if len(str(value)) <= 10:
        return str(format_date(date.fromisoformat(str(value)), "EEEE d MMMM", locale=language))
    pattern = "EEEE d MMMM 'à' HH:mm" if language == "fr" else "EEEE d MMMM 'at' HH:mm"
    return str(format_datetime(moment, pattern, locale=language))


# What a product or part is counted as, by its key.
ITEM_OF_KEY = {
    "visor": "visor",
    "visor-reinforced": "visor",
    "headband": "headband",
    "reinforcement": "reinforcement",
    "amicroche": "hook",
}
SUPPLY_NAMES = {
    "film_sheet": ("les feuilles de film", "film sheets"),
    "elastic": ("les élastiques", "elastic"),
    "filament_g": ("le filament", "filament"),
}


def fields_of_event(event: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The texts' fields from what the event's trigger recorded (`services.jobs`,
    `services.orders`, `services.production`, `services.notify_sweeps`): names in the
    person's language, numbers as numbers, ids as "n° 12"."""
    fr = language == "fr"
    fields = dict(event)

    def numbered(value: object) -> str:
        return f"n° {value}" if fr else f"no. {value}"

    if "part" not in fields and (fields.get(f"part_{language}") or fields.get("part_key")):
        fields["part"] = fields.get(f"part_{language}") or fields.get("part_key")
    key = str(fields.get("product_key") or fields.get("part_key") or "")
    if "item" not in fields and key in ITEM_OF_KEY:
        fields["item"] = ITEM_OF_KEY[key]
    if "quantity" not in fields:
        fields["quantity"] = fields.get("copies", fields.get("parts"))
    if "order" not in fields and fields.get("order_id"):
        fields["order"] = numbered(fields["order_id"])
    if "job" not in fields and fields.get("job_id"):
        fields["job"] = numbered(fields["job_id"])
    if "date" not in fields:
        fields["date"] = fields.get("eta") or fields.get("needed_by")
    if "when" not in fields and fields.get("waiting_since"):
        fields["when"] = fields["waiting_since"]
    supply = SUPPLY_NAMES.get(str(event.get("item") or ""))
    if supply is not None and "supply" not in fields:
        fields["supply"] = supply[0 if fr else 1]
        if event.get("maker") and event.get("material"):  # filament at a maker's
            maker, material = event["maker"], event["material"]
            fields["supply"] = (
                f"le filament {material} de {maker}" if fr else f"{maker}'s {material} filament"
            )
        fields["item"] = "unit"
    if "short" not in fields:
        fields["short"] = fields.get("missing")
    fields.setdefault("printed", fields.get("parts_printed"))
    fields.setdefault("delivered", fields.get("visors_delivered"))
    return fields


class _Fields(dict[str, str]):
    """Format fields that never fail: a missing parameter reads as a neutral word."""

    def __init__(self, event: Mapping[str, Any], language: str) -> None:
        super().__init__()
        self.language = language
        params = fields_of_event(event, language)
        fr = language == "fr"
        defaults = {
            "printer": "votre imprimante" if fr else "your printer",
            "part": "la pièce" if fr else "the part",
            "order": "",
            "supply": "une fourniture" if fr else "a supply",
            "job": "",
            "maker": "",
            "reason": "",
        }
        for key, default in defaults.items():
            self[key] = str(params.get(key) or default)
        item = str(params.get("item") or "part")
        if "quantity" in params and _is_number(params["quantity"]):
            self["quantity"] = count_of(float(params["quantity"]), item, language)
        else:
            self["quantity"] = ""
        for key in ("minutes", "days", "short"):
            noun = {"minutes": "minute", "days": "day", "short": "unit"}[key]
            value = params.get(key)
            self[key] = count_of(float(value), noun, language) if _is_number(value) else ""
        self["date"] = _date(params["date"], language) if params.get("date") else ""
        self["when"] = _date(params["when"], language) if params.get("when") else ""
        self["late"] = "1" if params.get("late") else ""

    def __missing__(self, key: str) -> str:
        return ""


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _upper_first(text: str) -> str:
    """'votre commande C-12' as a sentence starts: only the first letter changes."""
    return text[:1].upper() + text[1:]


def _join(*parts: str) -> str:
    """Parts of a sentence, the empty ones left out."""
    return " ".join(part for part in parts if part)


# One line per message of a group: (language, fields) -> the line.
Line = Callable[[str, _Fields], str]


def _bed_to_clear(lang: str, f: _Fields) -> str:
    if lang == "fr":
        return _join(f"{f['printer']} a fini", f"({f['quantity']})" if f["quantity"] else "")
    return _join(f"{f['printer']} has finished", f"({f['quantity']})" if f["quantity"] else "")


def _bed_still_waiting(lang: str, f: _Fields) -> str:
    if lang == "fr":
        since = f" depuis {f['minutes']}" if f["minutes"] else ""
        return f"{f['printer']} attend qu'on libère son plateau{since}"
    since = f" for {f['minutes']}" if f["minutes"] else ""
    return f"{f['printer']} has been waiting{since} for its bed to be cleared"


def _printer_offline(lang: str, f: _Fields) -> str:
    return f"{f['printer']} " + ("ne répond plus" if lang == "fr" else "is not answering")


def _job_failed(lang: str, f: _Fields) -> str:
    reason = f" : {f['reason']}" if lang == "fr" else f": {f['reason']}"
    if lang == "fr":
        line = f"L'impression de {f['part']} a échoué sur {f['printer']}"
    else:
        line = f"Printing {f['part']} failed on {f['printer']}"
    return line + (reason if f["reason"] else "")


def _parts_to_collect(lang: str, f: _Fields) -> str:
    what = f["quantity"] or f["part"]
    if lang == "fr":
        when = f", tournée de ramassage {f['when']}" if f["when"] else ""
        return f"À ramasser : {what}{when}"
    when = f", collection round {f['when']}" if f["when"] else ""
    return f"Ready to be collected: {what}{when}"


def _order_ref(lang: str, f: _Fields) -> str:
    ref = f" {f['order']}" if f["order"] else ""
    return f"votre commande{ref}" if lang == "fr" else f"your order{ref}"


def _order_confirmed(lang: str, f: _Fields) -> str:
    what = f" ({f['quantity']})" if f["quantity"] else ""
    if lang == "fr":
        when = f", livraison prévue {f['date']}" if f["date"] else ""
        return f"{_upper_first(_order_ref(lang, f))}{what} est confirmée{when}"
    when = f", expected {f['date']}" if f["date"] else ""
    return f"{_upper_first(_order_ref(lang, f))}{what} is confirmed{when}"


def _forecast_changed(lang: str, f: _Fields) -> str:
    ref = _upper_first(_order_ref(lang, f))
    if lang == "fr":
        verb = "aura du retard" if f["late"] else "change de date"
        return _join(f"{ref} {verb}", f": nouvelle date {f['date']}" if f["date"] else "")
    verb = "will be late" if f["late"] else "has a new date"
    return ref + f" {verb}" + (f": now {f['date']}" if f["date"] else "")


def _out_for_delivery(lang: str, f: _Fields) -> str:
    what = f" ({f['quantity']})" if f["quantity"] else ""
    if lang == "fr":
        return f"{_upper_first(_order_ref(lang, f))}{what} est emballée et en route"
    return f"{_upper_first(_order_ref(lang, f))}{what} is packed and on its way"


def _confirm_receipt(lang: str, f: _Fields) -> str:
    what = f" ({f['quantity']})" if f["quantity"] else ""
    if lang == "fr":
        return f"Merci de confirmer la réception de {_order_ref(lang, f)}{what}"
    return f"Please confirm you received {_order_ref(lang, f)}{what}"


def _supply_running_out(lang: str, f: _Fields) -> str:
    if lang == "fr":
        short = f", il en manquera {f['short']}" if f["short"] else ""
        when = f" ({f['date']})" if f["date"] else ""
        return f"Bientôt en rupture : {f['supply']} pour les commandes en cours{short}{when}"
    short = f", {f['short']} short" if f["short"] else ""
    when = f" ({f['date']})" if f["date"] else ""
    return f"Running short: {f['supply']} for the open orders{short}{when}"


def _job_flagged(lang: str, f: _Fields) -> str:
    job = f" {f['job']}" if f["job"] else ""
    if lang == "fr":
        line = f"Impression{job} de {f['part']} signalée après son dernier essai"
    else:
        line = f"Print job{job} for {f['part']} flagged after its last attempt"
    return line + (f" ({f['reason']})" if f["reason"] else "")


def _silent_printer(lang: str, f: _Fields) -> str:
    who = f["maker"] if f["maker"] else f["printer"]
    since = f["days"]
    if lang == "fr":
        return f"{who} ne donne plus de nouvelles" + (f" depuis {since}" if since else "")
    return f"{who} has been silent" + (f" for {since}" if since else "")


def _daily_digest(lang: str, f: _Fields) -> str:
    return ""  # the digest writes its own lines (`_digest_lines`)


_LINES: dict[MessageKind, Line] = {
    MessageKind.BED_TO_CLEAR: _bed_to_clear,
    MessageKind.BED_STILL_WAITING: _bed_still_waiting,
    MessageKind.PRINTER_OFFLINE: _printer_offline,
    MessageKind.JOB_FAILED: _job_failed,
    MessageKind.PARTS_TO_COLLECT: _parts_to_collect,
    MessageKind.ORDER_CONFIRMED: _order_confirmed,
    MessageKind.FORECAST_CHANGED: _forecast_changed,
    MessageKind.OUT_FOR_DELIVERY: _out_for_delivery,
    MessageKind.CONFIRM_RECEIPT: _confirm_receipt,
    MessageKind.SUPPLY_RUNNING_OUT: _supply_running_out,
    MessageKind.JOB_FLAGGED: _job_flagged,
    MessageKind.SILENT_PRINTER: _silent_printer,
    MessageKind.DAILY_DIGEST: _daily_digest,
}

# Subjects: (French for one message, French for n, English for one, English for n). `{n}`
# is the count of messages; `{first}` the first message's line.
_SUBJECTS: dict[MessageKind, tuple[str, str, str, str]] = {
    MessageKind.BED_TO_CLEAR: (
        "Plateau à libérer : {printer} a fini",
        "{n} imprimantes ont fini : plateaux à libérer",
        "Bed to clear: {printer} has finished",
        "{n} printers have finished: beds to clear",
    ),
    MessageKind.BED_STILL_WAITING: (
        "Rappel : {printer} attend toujours",
        "Rappel : {n} imprimantes attendent toujours",
        "Reminder: {printer} is still waiting",
        "Reminder: {n} printers are still waiting",
    ),
    MessageKind.PRINTER_OFFLINE: (
        "{printer} ne répond plus",
        "{n} imprimantes ne répondent plus",
        "{printer} is offline",
        "{n} printers are offline",
    ),
    MessageKind.JOB_FAILED: (
        "Impression échouée sur {printer}",
        "{n} impressions ont échoué",
        "Print failed on {printer}",
        "{n} prints failed",
    ),
    MessageKind.PARTS_TO_COLLECT: (
        "Des pièces sont prêtes à ramasser",
        "Des pièces sont prêtes à ramasser ({n} lots)",
        "Parts ready to be collected",
        "Parts ready to be collected ({n} lots)",
    ),
    MessageKind.ORDER_CONFIRMED: (
        "Commande confirmée",
        "{n} commandes confirmées",
        "Order confirmed",
        "{n} orders confirmed",
    ),
    MessageKind.FORECAST_CHANGED: (
        "Nouvelle date de livraison",
        "Nouvelles dates de livraison ({n} commandes)",
        "New delivery date",
        "New delivery dates ({n} orders)",
    ),
    MessageKind.OUT_FOR_DELIVERY: (
        "Votre commande est en route",
        "{n} livraisons sont en route",
        "Your order is on its way",
        "{n} deliveries are on their way",
    ),
    MessageKind.CONFIRM_RECEIPT: (
        "Avez-vous bien reçu votre commande ?",
        "Avez-vous bien reçu vos {n} commandes ?",
        "Did your order arrive?",
        "Did your {n} orders arrive?",
    ),
    MessageKind.SUPPLY_RUNNING_OUT: (
        "Bientôt en rupture : {supply}",
        "{n} fournitures vont manquer",
        "Running short: {supply}",
        "{n} supplies are running out",
    ),
    MessageKind.JOB_FLAGGED: (
        "Une impression est signalée",
        "{n} impressions sont signalées",
        "A print job is flagged",
        "{n} print jobs are flagged",
    ),
    MessageKind.SILENT_PRINTER: (
        "Sans nouvelles de {who}",
        "Sans nouvelles de {n} imprimantes ou makers",
        "No news from {who}",
        "No news from {n} printers or makers",
    ),
    MessageKind.DAILY_DIGEST: (
        "Le point du jour",
        "Le point du jour",
        "Today's round-up",
        "Today's round-up",
    ),
}

_DIGEST_FIGURES = (
    ("printed", "pièces imprimées", "parts printed"),
    ("delivered", "visières livrées", "face shields delivered"),
    ("orders_open", "commandes en cours", "open orders"),
    ("failed", "impressions échouées", "failed prints"),
)


def _digest_lines(event: Mapping[str, Any], language: str) -> list[str]:
    params = fields_of_event(event, language)
    colon = " : " if language == "fr" else ": "  # French puts a space before a colon
    lines = []
    for key, french, english in _DIGEST_FIGURES:
        value = params.get(key)
        if _is_number(value):
            label = french if language == "fr" else english
            lines.append(f"{_upper_first(label)}{colon}{number(value, language)}")
    extra = params.get("lines")
    if isinstance(extra, list):
        lines.extend(str(line) for line in extra)
    return lines or ["Rien de neuf aujourd'hui" if language == "fr" else "Nothing new today"]


def _lines(kind: MessageKind, items: Sequence[Mapping[str, Any]], language: str) -> list[str]:
    if kind == MessageKind.DAILY_DIGEST:
        return [line for params in items for line in _digest_lines(params, language)]
    return [_upper_first(_LINES[kind](language, _Fields(params, language))) for params in items]


def _subject(kind: MessageKind, items: Sequence[Mapping[str, Any]], language: str) -> str:
    french_one, french_many, english_one, english_many = _SUBJECTS[kind]
    one, many = (french_one, french_many) if language == "fr" else (english_one, english_many)
    first = _Fields(items[0], language)
    who = first["maker"] or first["printer"]
    template = one if len(items) == 1 else many
    return _upper_first(
        template.format_map({**first, "n": number(len(items), language), "who": who})
    )


def render(
    kind: MessageKind,
    items: Sequence[Mapping[str, Any]],
    language: str | None,
    *,
    link_url: str,
    unsubscribe_url: str | None = None,
) -> Text:
    """The subject and body of one message, or of several of one kind grouped as one.

    `items` are the queued messages' parameters, oldest first. The body ends with the
    link to the page, and, for e-mail, the one-click unsubscribe link."""
    if not items:
        raise ValueError("a message needs at least one item")
    language = language_of(language)
    lines = _lines(kind, items, language)
    if len(lines) == 1:
        body = [lines[0] + ("." if not lines[0].endswith((".", "?", "!")) else "")]
    else:
        body = [f"- {line}" for line in lines]
    fr = language == "fr"
    body += ["", ("Voir sur makerline : " if fr else "See it on makerline: ") + link_url]
    if unsubscribe_url:
        body += [
            "",
            ("Ne plus recevoir ces messages : " if fr else "Stop these messages: ")
            + unsubscribe_url,
        ]
    return Text(subject=_subject(kind, items, language), body="\n".join(body) + "\n")


def short_text(
    kind: MessageKind, items: Sequence[Mapping[str, Any]], language: str | None, link_url: str
) -> str:
    """The message for an SMS: the subject, what it is about (a line per event), the link."""
    language = language_of(language)
    lines = _lines(kind, items, language)
    return "\n".join([_subject(kind, items, language), *lines, link_url])
