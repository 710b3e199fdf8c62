"""Issue 13, point 4: requests are bounded, against the running service (a real uvicorn).

- a body over the cap is refused with 413 from its Content-Length, before it is sent;
- a request without a valid token is refused before its body is read, uploads included;
- a 422 names the field and never repeats the input;
- non-finite numbers, huge numbers, lone surrogates and NUL characters get 422, never a
  500, and the connection still serves the next request.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Network, bearer

API = "/api/v1"
SIGNUP = {"name": "Camille", "role": "maker"}
ORDER = {
    "product_key": "visor",
    "quantity": 40,
    "needed_by": (date.today() + timedelta(days=10)).isoformat(),
    "delivery_address": "1 rue de l'Hôpital, Abbeville",
}
PRINTER = {"name": "MK3S", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


def headers_only(base_url: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send a POST's headers and none of its announced body; return the status and the
    answer, which the server must give without waiting for the body."""
    parts = urlsplit(base_url)
    assert parts.hostname and parts.port
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = raw.recv(65536)
            assert chunk, "the server closed the connection without answering"
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += raw.recv(65536)
    return status, body


def test_a_huge_signup_is_refused_from_its_length_before_it_is_sent(live_server: str) -> None:
    status, body = headers_only(
        live_server,
        f"{API}/signup",
        {"Content-Type": "application/json", "Content-Length": str(300 * 1024 * 1024)},
    )
    assert status == 413
    # Starlette's own answer, sent before the body: "Content Too Large".
    assert b"too large" in body.lower()


def test_a_long_body_without_a_length_is_cut_off_at_the_cap(
    live_server: str, network: Network
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(64):
            yield b"A" * 65536  # 4 MiB in all, over the 1 MiB cap, sent chunked
        yield b'", "role": "maker"}'

    with httpx.Client(base_url=live_server) as http:
        answer = http.post(
            f"{API}/signup", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 413
    assert "too large" in answer.json()["detail"]


def test_an_upload_without_a_token_is_refused_before_its_body(live_server: str) -> None:
    # 40 MB is under the STL upload's own cap: only the missing token stops it.
    status, _ = headers_only(
        live_server,
        f"{API}/parts",
        {
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(40 * 1024 * 1024),
        },
    )
    assert status == 401
    status, _ = headers_only(
        live_server,
        f"{API}/parts",
        {
            "Authorization": "Bearer mkl_not-a-token",
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(40 * 1024 * 1024),
        },
    )
    assert status == 401


def test_a_body_without_a_valid_token_is_not_read(live_server: str) -> None:
    status, body = headers_only(
        live_server,
        f"{API}/orders",
        {
            "Authorization": "Bearer mkl_wrong",
            "Content-Type": "application/json",
            "Content-Length": "900000",
        },
    )
    assert status == 401
    assert "not valid" in json.loads(body)["detail"]


def test_a_422_names_the_field_and_does_not_repeat_the_input(live_server: str) -> None:
    name = "A" * 500_000  # under the body cap, far over the field's 200 characters
    with httpx.Client(base_url=live_server) as http:
        answer = http.post(f"{API}/signup", json=SIGNUP | {"name": name})
    assert answer.status_code == 422
    assert len(answer.content) < 2_000
    assert "AAAAAAAAAA" not in answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "name"]
    assert set(error) == {"loc", "msg", "type", "ctx"}
    assert error["ctx"] == {"max_length": 200}  # the schema's limit, never the input


HOSTILE_VALUES = {
    "overflowing float": (b'{"name": 1e999, "role": "maker"}', ["body"]),
    "NaN": (b'{"name": NaN, "role": "maker"}', ["body"]),
    "Infinity": (b'{"name": "x", "role": "maker", "city": -Infinity}', ["body"]),
    "huge integer": (b'{"name": "x", "role": "maker", "city": ' + b"9" * 5000 + b"}", ["body"]),
    "lone surrogate": (b'{"name": "\\udc00", "role": "maker"}', ["body", "name"]),
    "NUL character": (b'{"name": "Cam\\u0000ille", "role": "maker"}', ["body", "name"]),
    "NUL in a field name": (b'{"na\\u0000me": "x", "role": "maker"}', ["body"]),
    "deep nesting": (b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}", ["body"]),
    "not UTF-8": (b'{"name": "\xff\xfe", "role": "maker"}', ["body"]),
}


@pytest.mark.parametrize("hostile", list(HOSTILE_VALUES), ids=list(HOSTILE_VALUES))
def test_hostile_values_get_a_422_and_the_connection_lives_on(
    live_server: str, network: Network, hostile: str
) -> None:
    body, loc = HOSTILE_VALUES[hostile]
    json_headers = {"Content-Type": "application/json"}
    with httpx.Client(base_url=live_server) as http:
        for path, token in (
            (f"{API}/signup", None),
            (f"{API}/orders", network.centre),
            (f"{API}/printers", network.maker),
        ):
            headers = json_headers | (bearer(token) if token else {})
            answer = http.post(path, content=body, headers=headers)
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["detail"][0]["loc"] == loc
            # The same connection answers the next request.
            assert http.get(f"{API}/health").status_code == 200


def test_nul_characters_are_refused_on_sqlite_as_on_postgresql(
    live_server: str, network: Network
) -> None:
    """Beyond JSON bodies (a path, a form field), the database edge refuses NUL
    characters on SQLite as PostgreSQL does: 422, and nothing stored."""
    with httpx.Client(base_url=live_server, headers=bearer(network.coordinator)) as http:
        answer = http.get(f"{API}/parts/head%00band")
        assert answer.status_code == 422, answer.text
        assert http.get(f"{API}/parts/headband").status_code == 200


def test_a_real_order_and_printer_still_go_through(live_server: str, network: Network) -> None:
    with httpx.Client(base_url=live_server) as http:
        order = http.post(f"{API}/orders", json=ORDER, headers=bearer(network.centre))
        printer = http.post(f"{API}/printers", json=PRINTER, headers=bearer(network.maker))
    assert order.status_code == 201, order.text
    assert printer.status_code == 201, printer.text
