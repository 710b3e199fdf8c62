"""The messages' texts (pure): plurals, numbers, both languages, grouped messages, and the
next moment a person may be told (quiet hours)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.domain.messages import count_of, render, short_text
from orchestrator.domain.quiet_hours import next_moment_to_tell
from orchestrator.domain.vocabulary import MessageKind

LINK = "https://makerline.example/maker"


@pytest.mark.parametrize(
    ("count", "noun", "language", "expected"),
    [
        (1, "visor", "fr", "1 visière"),
        (40, "visor", "fr", "40 visières"),
        (0, "visor", "fr", "0 visière"),  # French: 0 takes the singular
        (0, "visor", "en", "0 face shields"),
        (1, "visor", "en", "1 face shield"),
        (1234, "part", "fr", "1\u202f234 pièces"),
        (1234, "part", "en", "1,234 parts"),
        (3, "Serre-tête de visière", "fr", "Serre-tête de visière : 3"),
    ],
)
def test_counts_follow_each_language(count: int, noun: str, language: str, expected: str) -> None:
    assert count_of(count, noun, language) == expected


def test_every_kind_reads_in_both_languages_without_params() -> None:
    for kind in MessageKind:
        for language in ("fr", "en"):
            text = render(kind, [{}], language, link_url=LINK)
            assert text.subject and text.subject[0].isupper()
            assert LINK in text.body
            assert "{" not in text.subject + text.body


def test_one_bed_to_clear_in_french() -> None:
    text = render(
        MessageKind.BED_TO_CLEAR,
        [{"printer": "Prusa de Camille", "quantity": 1, "item": "visor"}],
        "fr",
        link_url=LINK,
        unsubscribe_url="https://api.example/unsubscribe/abc",
    )
    assert text.subject == "Plateau à libérer : Prusa de Camille a fini"
    assert text.body.startswith("Prusa de Camille a fini (1 visière).\n")
    assert "Ne plus recevoir ces messages : https://api.example/unsubscribe/abc" in text.body


def test_a_group_reads_as_one_message() -> None:
    items = [{"printer": f"Ender {n}", "quantity": 40, "item": "visor"} for n in (1, 2, 3)]
    french = render(MessageKind.BED_TO_CLEAR, items, "fr", link_url=LINK)
    assert french.subject == "3 imprimantes ont fini : plateaux à libérer"
    assert french.body.count("- Ender") == 3
    assert "- Ender 2 a fini (40 visières)" in french.body
    english = render(MessageKind.BED_TO_CLEAR, items, "en", link_url=LINK)
    assert english.subject == "3 printers have finished: beds to clear"
    assert "- Ender 3 has finished (40 face shields)" in english.body


def test_centre_messages_name_the_order_and_the_date() -> None:
    params = {"order": "C-12", "quantity": 40, "item": "visor", "date": "2020-04-20"}
    french = render(MessageKind.ORDER_CONFIRMED, [params], "fr", link_url=LINK)
    assert french.body.startswith(
        "Votre commande C-12 (40 visières) est confirmée, livraison prévue lundi 20 avril."
    )
    late = render(MessageKind.FORECAST_CHANGED, [{**params, "late": True}], "en", link_url=LINK)
    assert late.body.startswith("Your order C-12 will be late: now Monday 20 April.")
    sms = short_text(MessageKind.OUT_FOR_DELIVERY, [params], "fr", LINK)
    # An SMS says what it is about: subject, the order and what it holds, the link.
    assert sms == (
        "Votre commande est en route\n"
        f"Votre commande C-12 (40 visières) est emballée et en route\n{LINK}"
    )


def test_unknown_language_falls_back_to_french() -> None:
    text = render(MessageKind.PRINTER_OFFLINE, [{"printer": "Ender"}], "de", link_url=LINK)
    assert text.subject == "Ender ne répond plus"


def test_the_daily_digest_lists_its_figures() -> None:
    params = {"printed": 1200, "delivered": 800, "lines": ["EHPAD Les Jardins livré"]}
    text = render(MessageKind.DAILY_DIGEST, [params], "fr", link_url=LINK)
    assert "- Pièces imprimées : 1\u202f200" in text.body
    assert "- EHPAD Les Jardins livré" in text.body


PARIS = "Europe/Paris"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "windows", "expected"),
    [
        # 23:00 in Paris (summer, UTC+2) for hours 08:00-20:00: tomorrow 08:00 local.
        ("2020-04-20T21:00:00", ["08:00-20:00"], "2020-04-21T06:00:00"),
        # inside the hours: at once
        ("2020-04-20T10:00:00", ["08:00-20:00"], "2020-04-20T10:00:00"),
        # the union of two printers' hours
        ("2020-04-20T19:00:00", ["08:00-20:00", "18:00-23:00"], "2020-04-20T19:00:00"),
        # an overnight window, after midnight
        ("2020-04-20T02:00:00", ["22:00-06:00"], "2020-04-20T02:00:00"),
        # always open
        ("2020-04-20T01:00:00", ["00:00-00:00"], "2020-04-20T01:00:00"),
        ("2020-04-20T01:00:00", ["08:00-20:00", "00:00-24:00"], "2020-04-20T01:00:00"),
        # no printer yet: daytime
        ("2020-04-20T04:00:00", [], "2020-04-20T06:00:00"),
        # winter (UTC+1): 07:30 UTC is 08:30 local, inside
        ("2020-01-15T07:30:00", ["08:00-20:00"], "2020-01-15T07:30:00"),
        # weekly hours: Monday 20 April 2020, 23:00 local; next is Saturday 09:00
        ("2020-04-20T21:00:00", ["Sa,Su 09:00-22:00"], "2020-04-25T07:00:00"),
        # ... or Tuesday evening, from another printer of the same maker
        ("2020-04-20T21:00:00", ["Sa,Su 09:00-22:00", "Tu 18:00-23:00"], "2020-04-21T16:00:00"),
        # Friday night into Saturday: 01:00 on Saturday is still Friday's window
        ("2020-04-24T23:00:00", ["Fr 22:00-02:00"], "2020-04-24T23:00:00"),
        # the change to summer time (29 March 2020): 08:00 local is 06:00 UTC that day
        ("2020-03-29T03:00:00", ["08:00-20:00"], "2020-03-29T06:00:00"),
    ],
)
def test_next_moment_to_tell(now: str, windows: list[str], expected: str) -> None:
    assert next_moment_to_tell(utc(now), windows, PARIS) == utc(expected)


def test_night_messages_are_sent_at_once() -> None:
    late = utc("2020-04-20T21:00:00")
    assert next_moment_to_tell(late, ["08:00-20:00"], PARIS, night_messages=True) == late
