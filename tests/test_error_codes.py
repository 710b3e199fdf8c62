"""Every refusal the API can give carries a stable code and its params, and the web app
has a sentence for each code, in French and in English, with those params as blanks."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import get_args

from fastapi.testclient import TestClient

from dashboard.client import VOCABULARY_OF_PARAM
from dashboard.i18n import ENGLISH, FRENCH, Message
from orchestrator.api.errors import HANDLER_CODES, OTHER_HTTP_ERROR
from orchestrator.api.rate_limits import Door
from orchestrator.domain.vocabulary import (
    HoldScope,
    HoldStatus,
    Item,
    JobStatus,
    MessageKind,
    OrderStatus,
    Role,
    Stage,
)
from orchestrator.parts.analysis import RejectionCode
from orchestrator.parts.slicing import SlicingProblem
from tests.conftest import Network, bearer

ORCHESTRATOR = Path(__file__).resolve().parents[1] / "orchestrator"
API = "/api/v1"


@dataclass(frozen=True)
class Refusal:
    """One place that refuses: its code and the names of the params it gives."""

    where: str
    code: str | None
    params: frozenset[str]


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(ORCHESTRATOR.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def called_name(call: ast.Call) -> str | None:
    """`NotFound` of `NotFound(...)` and of `errors.NotFound(...)`."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def is_super_init(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and called_name(func.value) == "super"
    )


def refusal_of(call: ast.Call, where: str) -> Refusal:
    """The code (a literal, or None) and the param names of an error's construction."""
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    assert None not in keywords, f"{where}: params spread with ** cannot be checked"
    code = keywords.get("code")
    literal = code.value if isinstance(code, ast.Constant) and isinstance(code.value, str) else None
    return Refusal(where, literal, frozenset(name for name in keywords if name and name != "code"))


def domain_error_classes(trees: list[tuple[Path, ast.Module]]) -> dict[str, ast.ClassDef]:
    """DomainError and every class that derives from it, anywhere in the orchestrator."""
    classes = {
        node.name: node
        for _, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    found = {"DomainError"}
    grew = True
    while grew:
        grew = False
        for name, node in classes.items():
            bases = {
                base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                for base in node.bases
            }
            if name not in found and bases & found:
                found.add(name)
                grew = True
    return {name: classes[name] for name in found}


def fixed_refusal(node: ast.ClassDef, where: str) -> Refusal | None:
    """The code a class gives itself in its own `__init__`, if it names one."""
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and is_super_init(child):
            code = next((kw.value for kw in child.keywords if kw.arg == "code"), None)
            if isinstance(code, ast.Constant):
                return refusal_of(child, where)
    return None


def scanned_refusals() -> list[Refusal]:
    trees = list(modules())
    classes = domain_error_classes(trees)
    fixed = {name: fixed_refusal(node, name) for name, node in classes.items()}
    refusals = [refusal for refusal in fixed.values() if refusal is not None]
    for path, tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            name = called_name(node.exc)
            if name not in classes:
                continue
            where = f"{path.relative_to(ORCHESTRATOR.parent)}:{node.lineno}"
            if fixed[name] is None:
                refusals.append(refusal_of(node.exc, where))
    return refusals


def placeholders(message: Message) -> set[str]:
    forms = [message] if isinstance(message, str) else list(message.values())
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def test_every_refusal_in_the_orchestrator_names_a_code() -> None:
    refusals = scanned_refusals()
    assert len(refusals) > 90
    assert [refusal.where for refusal in refusals if refusal.code is None] == []
    assert all(refusal.code == refusal.code.lower() for refusal in refusals if refusal.code)


def test_every_code_has_a_sentence_in_both_languages_with_its_params() -> None:
    refusals = scanned_refusals() + [
        Refusal(
            "orchestrator/api/errors.py",
            code,
            frozenset({"status"} if code == OTHER_HTTP_ERROR else set()),
        )
        for code in HANDLER_CODES
    ]
    problems = []
    for refusal in refusals:
        key = f"apierror.{refusal.code}"
        for language, catalogue in (("fr", FRENCH), ("en", ENGLISH)):
            if key not in catalogue:
                problems.append(f"{refusal.where}: no {language} sentence {key}")
            elif placeholders(catalogue[key]) != refusal.params:
                blanks = sorted(placeholders(catalogue[key]))
                problems.append(
                    f"{refusal.where}: {language} {key} has blanks {blanks}, "
                    f"the code gives {sorted(refusal.params)}"
                )
    assert problems == []


def test_every_word_a_refusal_names_is_translated() -> None:
    words = {
        "item": list(Item),
        "stage": list(Stage),
        "role": list(Role),
        "job_status": list(JobStatus),
        "order_status": list(OrderStatus),
        "hold_status": list(HoldStatus),
        "problem": list(SlicingProblem),
        "stl_problem": list(get_args(RejectionCode)),
        "scope": list(HoldScope),
        "door": list(Door),
        "message_kinds": list(MessageKind),
    }
    missing = [
        f"{VOCABULARY_OF_PARAM[param]}.{word}"
        for param, vocabulary in words.items()
        for word in vocabulary
        for catalogue in (FRENCH, ENGLISH)
        if f"{VOCABULARY_OF_PARAM[param]}.{word}" not in catalogue
    ]
    assert missing == []


ORDER = {
    "product_key": "visor",
    "quantity": 40,
    "needed_by": (date.today() + timedelta(days=5)).isoformat(),
    "urgency": "high",
    "delivery_address": "CH Abbeville, service des urgences",
}


def test_the_api_answers_carry_the_code_and_its_params(
    client: TestClient, network: Network
) -> None:
    centre = bearer(network.centre)
    first = client.post(f"{API}/orders", json=ORDER, headers=centre).json()
    duplicate = client.post(f"{API}/orders", json=ORDER, headers=centre)
    assert duplicate.status_code == 409
    body = duplicate.json()
    assert body["code"] == "duplicate_order"
    assert body["params"]["order"] == first["id"]
    assert body["params"]["quantity"] == 40
    assert body["params"]["product"] == "visor"
    assert body["params"]["placed_at"].startswith(date.today().isoformat()[:4])
    assert "confirm_duplicate" in body["detail"]  # the English sentence stays for clients

    missing = client.get(f"{API}/orders/987654", headers=bearer(network.coordinator)).json()
    assert missing == {
        "detail": "Order 987654 does not exist.",
        "code": "order_not_found",
        "params": {"order": 987654},
    }

    signed_out = client.get(f"{API}/orders")
    assert signed_out.status_code == 401
    assert signed_out.json()["code"] == "token_missing"

    wrong_role = client.post(f"{API}/orders", json=ORDER, headers=bearer(network.maker))
    assert wrong_role.status_code == 403
    assert wrong_role.json()["code"] == "role_not_allowed"
    assert wrong_role.json()["params"]["role"] == "maker"
    assert "maker" not in wrong_role.json()["params"]["roles"]

    invalid = client.post(f"{API}/orders", json=ORDER | {"quantity": 0}, headers=centre)
    assert invalid.status_code == 422
    body = invalid.json()
    assert body["code"] == "invalid_fields"
    assert body["params"] == {}
    (field,) = body["detail"]
    assert field["loc"] == ["body", "quantity"]
    assert field["type"] == "greater_than"
    assert field["ctx"] == {"gt": 0}

    nowhere = client.get(f"{API}/no-such-page", headers=centre)
    assert nowhere.status_code == 404
    assert nowhere.json()["code"] == "unknown_address"


def test_the_openapi_documents_code_and_params(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"detail", "code", "params"} <= set(schemas["ErrorMessage"]["required"])
    assert {"detail", "code", "params"} <= set(schemas["UnprocessableMessage"]["required"])
