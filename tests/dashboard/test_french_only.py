"""A French page shows no English: every page, for every role, is searched for the English
catalogue's sentences, the service's English refusals and Streamlit's own English
placeholders. A refusal provoked on a French page reads in French."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from google.protobuf.message import Message as Proto
from streamlit.testing.v1 import AppTest

from dashboard.account import pages_for_role
from dashboard.i18n import ENGLISH, FRENCH, Message
from tests.conftest import Network
from tests.dashboard.conftest import OpenApp, Service, no_exception, texts

ORCHESTRATOR = Path(__file__).resolve().parents[2] / "orchestrator"
SHORTEST = 4  # "Role", "Name": shorter pieces are too often parts of French words
SHORTEST_SENTENCE = 15  # of the service's English sentences, searched piece by piece
# Fields of Streamlit's messages that hold no text a person reads.
NOT_SHOWN = {"id", "form_id", "key", "data", "spec", "url", "icon", "type", "format"}
# Elements whose browser side writes English of its own when the page gives no text.
PLACEHOLDER_OF_EMPTY = {"selectbox": "Choose an option", "multiselect": "Choose options"}


def literal_pieces(message: Message) -> Iterator[str]:
    """The words of a sentence between its blanks: "{count} order(s) late." gives
    "order(s) late."."""
    forms = [message] if isinstance(message, str) else list(message.values())
    for form in forms:
        for literal, _name, _spec, _conversion in string.Formatter().parse(form):
            piece = literal.strip(" \n:;,.()—-«»*_#'\"")
            # One word in lower case ("headband") is as often a key shown as it is.
            if " " not in piece and piece.islower():
                continue
            if len(piece) >= SHORTEST and re.search(r"[A-Za-z]{3}", piece):
                yield piece


def french_texts() -> str:
    """All the French catalogue, to recognise words both languages share (Maker, Message)."""
    return "\n".join(
        form
        for message in FRENCH.values()
        for form in ([message] if isinstance(message, str) else message.values())
    )


def english_only_pieces() -> list[str]:
    """The pieces of English sentences that no French sentence also says."""
    french = french_texts()
    pieces = {
        piece
        for key, message in ENGLISH.items()
        if message != FRENCH.get(key)
        for piece in literal_pieces(message)
    }
    return sorted(piece for piece in pieces if not contains(french, piece))


def service_sentences() -> list[str]:
    """The literal pieces of the service's English refusals (first argument of every
    `raise SomeError("...")` in the orchestrator), long enough to be unmistakable."""
    pieces: set[str] = set()
    for path in ORCHESTRATOR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            if not any(keyword.arg == "code" for keyword in node.exc.keywords) or not node.exc.args:
                continue
            for constant in ast.walk(node.exc.args[0]):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    piece = constant.value.strip(" :;,.'")
                    if len(piece) >= SHORTEST_SENTENCE:
                        pieces.add(piece)
    return sorted(pieces)


def contains(text: str, piece: str) -> bool:
    """`piece` as whole words of `text`, not inside a longer word."""
    return re.search(rf"(?<![\w]){re.escape(piece)}(?![\w])", text) is not None


def proto_strings(proto: Proto) -> Iterator[str]:
    """Every text an element's message carries: body, label, help, placeholder, options."""
    for field, value in proto.ListFields():
        if field.name in NOT_SHOWN:
            continue
        values = [value] if isinstance(value, str | bytes | int | float | Proto) else value
        for item in values:
            if isinstance(item, str):
                yield item
            elif isinstance(item, Proto):
                yield from proto_strings(item)


def shown_texts(app: AppTest) -> list[str]:
    """What the page shows: the texts of every element and block, and every table's
    headers and cells."""
    found: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Proto):
            found.extend(proto_strings(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    for frame in [*app.dataframe, *app.table]:
        value = frame.value
        found.extend(str(column) for column in value.columns)
        found.extend(str(cell) for cell in value.to_numpy().ravel() if not pd.isna(cell))
    return found


def streamlit_english(app: AppTest) -> list[str]:
    """Streamlit's browser-side English: an empty choice list given no placeholder."""
    return [
        f"{kind} {widget.label!r}: {english!r}"
        for kind, english in PLACEHOLDER_OF_EMPTY.items()
        for widget in getattr(app, kind)
        if widget.options and not widget.proto.placeholder.strip() and shows_nothing(widget)
    ]


def shows_nothing(widget: Any) -> bool:
    """Nothing chosen, so the placeholder shows (None may be a choice with its label)."""
    if widget.type == "multiselect":
        return not widget.value
    if widget.value is not None:
        return False
    try:
        label = str(widget.format_func(None))
    except Exception:  # a label function that knows no None: None is no choice here
        return True
    return label not in widget.options


def english_on(app: AppTest, where: str) -> list[str]:
    texts_shown = shown_texts(app)
    english = english_only_pieces() + service_sentences()
    found = [
        f"{where}: {piece!r} in {text[:120]!r}"
        for text in texts_shown
        for piece in english
        if contains(text, piece)
    ]
    return found + [f"{where}: {problem}" for problem in streamlit_english(app)]


@pytest.fixture
def busy_network(service: Service, network: Network) -> Network:
    """Something on every page: a delivery to each centre, a printer, a hold."""
    service.delivered_hooks(replace(network, centre=network.other_centre), 2)
    batch_id, _delivery_id = service.delivered_hooks(network, 4)
    service.order(network.centre, "visor", 40)
    service.post(
        network.coordinator, "/holds", {"scope": "batch", "id": batch_id, "reason": "Fissures"}
    )
    return network


@pytest.mark.parametrize("role", ["coordinator", "maker", "health_centre"])
def test_no_english_on_any_french_page(open_app: OpenApp, busy_network: Network, role: str) -> None:
    token = {
        "coordinator": busy_network.coordinator,
        "maker": busy_network.maker,
        "health_centre": busy_network.centre,
    }[role]
    app = open_app(token)
    found: list[str] = []
    for spec in pages_for_role(role):
        app.switch_page(spec.file).run()
        no_exception(app)
        found += english_on(app, f"{role} {spec.name}")
    assert found == [], "\n".join(found)


def test_the_search_finds_english_on_an_english_page(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    """The search is not blind: the same page in English is full of what it looks for."""
    pieces = english_only_pieces()
    assert "Expected date changed or late" in pieces
    assert "Maker" not in pieces  # the same word in French
    assert "does not exist. Known products" in service_sentences()
    service.order(network.centre, "visor", 30)
    app = open_app(network.centre)
    app.session_state["language"] = "en"
    app.run()
    found = english_on(app, "centre in English")
    assert len(found) > 10
    assert any("'Delivery address'" in line for line in found)


def test_a_refusal_on_a_french_page_reads_in_french(
    open_app: OpenApp, service: Service, network: Network
) -> None:
    service.order(network.centre, "visor", 30)
    app = open_app(network.centre)
    app.selectbox(key="order_product-fr").set_value("visor")
    app.number_input(key="order_quantity").set_value(30)
    app.selectbox(key="order_urgency-fr").set_value("critical")
    app.text_area(key="order_address").input("43 rue de l'Isle, 80100 Abbeville")
    app.button(key="order_submit").click().run()

    no_exception(app)
    warning = texts(app.warning)
    assert "Cette commande ressemble à un doublon : la commande n°" in warning
    assert "(Visières, quantité 30)" in warning
    assert "duplicate" not in warning
    found = english_on(app, "centre, duplicate")
    assert found == [], "\n".join(found)

    coordinator = open_app(network.coordinator)
    coordinator.switch_page("app_pages/hub.py").run()
    coordinator.selectbox(key="qc_item-fr").set_value("reinforcement")
    coordinator.number_input(key="qc_passed").set_value(5)
    coordinator.button(key="qc_submit").click().run()

    refusal = texts(coordinator.error)
    assert "Pas assez de « Renforts » à l'étape « Collectées » : il en faut 5" in refusal
    assert "Not enough" not in refusal
    found = english_on(coordinator, "hub, not enough stock")
    assert found == [], "\n".join(found)
