"""Payload models: valid messages round-trip, anything else is one PayloadError."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printers.protocol.payloads import (
    ERROR_STATES,
    CommandPayload,
    EventPayload,
    PayloadError,
    PrinterState,
    ServiceStatus,
    StatusPayload,
    encode_payload,
    parse_payload,
)

MODELS = [StatusPayload, EventPayload, CommandPayload, ServiceStatus]
SHA = "a" * 64


def test_status_round_trips_and_the_will_is_minimal() -> None:
    status = StatusPayload(state="printing", job_id=42, progress=12.5, seq=3, ts=1.0)

    assert parse_payload(StatusPayload, encode_payload(status)) == status
    assert status.job_id == "42"
    assert json.loads(encode_payload(StatusPayload(state=PrinterState.OFFLINE))) == {
        "v": 1,
        "state": "offline",
        "temperatures": {},
    }
    assert PrinterState.ERROR in ERROR_STATES and PrinterState.IDLE not in ERROR_STATES


def test_unknown_fields_are_ignored_but_a_new_version_is_refused() -> None:
    parsed = parse_payload(StatusPayload, b'{"v":1,"state":"idle","future_field":1}')

    assert parsed.state == PrinterState.IDLE
    with pytest.raises(PayloadError, match="v"):
        parse_payload(StatusPayload, b'{"v":2,"state":"idle"}')


@pytest.mark.parametrize(
    ("model", "raw", "reason"),
    [
        (StatusPayload, b'{"state":"idle","progress":101}', "progress"),
        (StatusPayload, b'{"state":"idle","seq":-1}', "seq"),
        (StatusPayload, b'{"state":"melting"}', "state"),
        (EventPayload, b'{"event_id":"","kind":"PrintDone","ts":1}', "event_id"),
        (EventPayload, b'{"event_id":"' + b"x" * 65 + b'","kind":"PrintDone","ts":1}', "event_id"),
        (EventPayload, b'{"event_id":"e1","kind":"Exploded","ts":1}', "kind"),
        (CommandPayload, b'{"command_id":"c1","kind":"start_job","job_id":"j"}', "start_job"),
        (
            CommandPayload,
            b'{"command_id":"c1","kind":"start_job","job_id":"j",'
            b'"gcode_url":"ftp://x/y","sha256":"' + SHA.encode() + b'"}',
            "gcode_url",
        ),
        (ServiceStatus, b'{"state":"maybe"}', "state"),
        (StatusPayload, b"[1,2]", "StatusPayload"),
        (StatusPayload, b"\xff\xfe", "StatusPayload"),
        (StatusPayload, b" " * 70000, "exceeds"),
    ],
)
def test_malformed_payloads_say_what_is_wrong(model, raw, reason) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse_payload(model, raw)


def test_a_complete_start_job_parses() -> None:
    raw = (
        b'{"v":1,"command_id":"c1","kind":"start_job","job_id":7,'
        b'"gcode_url":"http://127.0.0.1:8000/api/jobs/7/gcode","sha256":"' + SHA.encode() + b'"}'
    )

    command = parse_payload(CommandPayload, raw)

    assert command.job_id == "7" and command.sha256 == SHA


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=2048), index=st.integers(0, len(MODELS) - 1))
def test_fuzzed_bytes_raise_only_payload_error(raw: bytes, index: int) -> None:
    with contextlib.suppress(PayloadError):
        parse_payload(MODELS[index], raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "v",
                "state",
                "job_id",
                "progress",
                "seq",
                "ts",
                "event_id",
                "kind",
                "command_id",
                "gcode_url",
                "sha256",
                "temperatures",
                "reason",
            ]
        ),
        json_values,
    ),
    index=st.integers(0, len(MODELS) - 1),
)
def test_fuzzed_json_objects_raise_only_payload_error(body: dict, index: int) -> None:
    with contextlib.suppress(PayloadError):
        parse_payload(MODELS[index], json.dumps(body).encode())
