"""Secrets stay secret: tokens are stored only as digests, OctoPrint API keys only sealed,
and neither a printer's token nor its OctoPrint API key ever comes back from the API or
shows in the service's log.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import JSON, Engine, String, Text, select
from sqlmodel import SQLModel

from orchestrator.core.sealing import SEALED_PREFIX
from orchestrator.database.tables import Printer
from tests.conftest import Network, bearer

API = "/api/v1"
OCTOPRINT_KEY = "OCTOPRINT-KEY-0123456789abcdef0123456789"
PRINTER = {"name": "MK3", "bed_x_mm": 250, "bed_y_mm": 210, "bed_z_mm": 210}


def make_secrets(client: TestClient, network: Network) -> tuple[list[str], list[int]]:
    """Accounts of every kind and printers of both kinds; returns the plaintext tokens."""
    tokens = [network.coordinator, network.maker, network.centre]
    signed_up = client.post(
        f"{API}/signup", json={"name": "Léa", "role": "maker", "invite_code": "abbeville-2020"}
    )
    assert signed_up.status_code == 201, signed_up.text
    tokens.append(signed_up.json()["token"])
    made = client.post(
        f"{API}/accounts",
        json={"name": "Clinique", "role": "health_centre"},
        headers=bearer(network.coordinator),
    )
    tokens.append(made.json()["token"])
    printer_ids = []
    for body in (
        PRINTER | {"octoprint_url": "http://127.0.0.1:5000", "octoprint_api_key": OCTOPRINT_KEY},
        PRINTER
        | {
            "connection_kind": "octoprint-mqtt",
            "mqtt_base_topic": "octoPrint/camille",
            "octoprint_url": "http://octoprint.camille.example:5001",
            "octoprint_api_key": OCTOPRINT_KEY,
        },
    ):
        created = client.post(f"{API}/printers", json=body, headers=bearer(network.maker))
        assert created.status_code == 201, created.text
        assert OCTOPRINT_KEY not in created.text
        tokens.append(created.json()["token"])
        printer_ids.append(created.json()["id"])
    return tokens, printer_ids


def test_tokens_are_stored_only_as_digests_and_keys_only_sealed(
    client: TestClient, network: Network, engine: Engine
) -> None:
    tokens, _ids = make_secrets(client, network)
    tokens.append(OCTOPRINT_KEY)
    scanned = 0
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for value in row:
                    text = value if isinstance(value, str) else json.dumps(value)
                    scanned += 1
                    leaked = [t for t in tokens if t in text or t.removeprefix("mkl_") in text]
                    assert not leaked, f"a plaintext secret is stored in {table.name}"
        keys = connection.execute(select(Printer.octoprint_api_key)).scalars().all()
    assert scanned > 20  # the scan did read the accounts and printers
    assert len(keys) == 2 and all(key.startswith(SEALED_PREFIX) for key in keys)


def get_paths(client: TestClient) -> list[str]:
    """Every GET operation of the OpenAPI, path parameters left as templates."""
    paths = client.get("/openapi.json").json()["paths"]
    return [path for path, operations in paths.items() if "get" in operations]


def test_no_response_and_no_log_line_carries_a_printer_credential(
    client: TestClient, network: Network, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens, printer_ids = make_secrets(client, network)
    printer_tokens = tokens[-2:]
    secrets = [OCTOPRINT_KEY, *printer_tokens]
    job = client.post(
        f"{API}/jobs",
        json={"part_key": "headband", "copies": 1, "printer_id": printer_ids[0]},
        headers=bearer(network.coordinator),
    )
    values = {"printer_id": printer_ids[0], "job_id": job.json()["id"], "key": "headband"}
    walked = 0
    for template in get_paths(client):
        names = re.findall(r"{(\w+)}", template)
        if any(name not in values for name in names):
            path = re.sub(r"{\w+}", "1", template)
        else:
            path = template.format(**values)
        for token in (network.coordinator, network.maker, *printer_tokens):
            response = client.get(path, headers=bearer(token))
            walked += 1
            assert response.status_code < 500, (path, response.text)
            for secret in secrets:
                assert secret not in response.text, f"GET {path} answers a printer's secret"
                assert secret not in json.dumps(dict(response.headers))
    assert walked > 60
    for secret in [*secrets, *tokens]:
        assert secret not in caplog.text, "a secret went into the service's log"
