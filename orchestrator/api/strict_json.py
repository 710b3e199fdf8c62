"""JSON request bodies read strictly: what Python's `json` lets through, the API refuses.

Python's parser takes `NaN`, `Infinity`, `1e999` (infinity again), integers of any length,
lone surrogates (`"\\udc00"`) and NUL characters. None of them is a value a person means;
each one either fails later, deep in the database driver or the JSON encoder (a 500), or
is stored on SQLite and refused on PostgreSQL. They are refused here instead, with a 422
that names the field and never repeats the input.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 30


@dataclass(frozen=True)
class JsonProblem:
    """Where the body is wrong (FastAPI's `loc`) and why, in the API's 422 shape."""

    loc: tuple[str | int, ...]
    msg: str
    type: str

    def as_error(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


class _Refused(ValueError):
    def __init__(self, msg: str, kind: str) -> None:
        super().__init__(msg)
        self.msg, self.kind = msg, kind


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a number the service accepts", "finite_number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("the number is too large", "finite_number")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused("the number is too large", "finite_number")
    return int(text)


def parse_strict_json(body: bytes) -> tuple[Any, JsonProblem | None]:
    """The parsed body, or the first problem found in it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, JsonProblem(("body",), "the body is not UTF-8 text", "json_invalid")
    try:
        value = json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except _Refused as refused:
        return None, JsonProblem(("body",), refused.msg, refused.kind)
    except RecursionError:
        return None, JsonProblem(("body",), "the body is nested too deeply", "json_invalid")
    except ValueError:
        return None, JsonProblem(("body",), "the body is not valid JSON", "json_invalid")
    return value, first_problem(value)


def first_problem(value: Any) -> JsonProblem | None:
    return next(_problems(value, ("body",), 0), None)


def _problems(value: Any, loc: tuple[str | int, ...], depth: int) -> Iterator[JsonProblem]:
    if depth > MAX_DEPTH:
        yield JsonProblem(loc, "the body is nested too deeply", "json_invalid")
    elif isinstance(value, str):
        if problem := text_problem(value):
            yield JsonProblem(loc, problem, "string_invalid")
    elif isinstance(value, dict):
        for key, item in value.items():
            if problem := text_problem(key):
                yield JsonProblem(loc, f"a field name {problem}", "string_invalid")
            yield from _problems(item, (*loc, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, (*loc, index), depth + 1)


def text_problem(text: str) -> str | None:
    """Why a piece of text cannot be stored, or None: NUL characters and lone surrogates
    are refused by PostgreSQL and by every UTF-8 encoder."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an invalid character (a lone surrogate)"
    return None
