"""Topic names, Mosquitto's password hash and ACL rendering, G-code file conventions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from printers.protocol.broker_auth import (
    BrokerAuthError,
    mosquitto_password_hash,
    mosquitto_password_matches,
    render_acl_file,
    render_password_file,
)
from printers.protocol.job_files import (
    estimated_print_seconds,
    gcode_filename,
    job_id_from_filename,
)
from printers.protocol.topics import (
    DEFAULT_PLUGIN_BASE_TOPIC,
    Channel,
    TopicError,
    commands_topic,
    filters_overlap,
    parse_printer_topic,
    plugin_event_name,
    plugin_event_topic,
    plugin_heater_name,
    plugin_last_will_topic,
    plugin_subscriptions,
    plugin_write_filters,
    service_status_topic,
    service_subscriptions,
    status_topic,
)


def test_topics_under_a_prefix_parse_back() -> None:
    topic = status_topic(7, prefix="lab/")

    parsed = parse_printer_topic(topic, prefix="lab")

    assert topic == "lab/printers/7/status"
    assert (parsed.printer_id, parsed.channel) == ("7", Channel.STATUS)
    assert commands_topic("a-1") == "makerline/printers/a-1/commands"
    assert service_status_topic() == "makerline/service/status"
    assert service_subscriptions() == [
        "makerline/printers/+/status",
        "makerline/printers/+/events",
    ]
    assert plugin_event_name("octoPrint/event/PrintDone", "octoPrint/") == "PrintDone"


@pytest.mark.parametrize(
    ("base", "event_topic", "will"),
    [
        # As the plugin's `_get_topic` builds them: base + sub-topic, no separator.
        ("octoPrint/", "octoPrint/event/PrintDone", "octoPrint/mqtt"),
        ("octoPrint", "octoPrintevent/PrintDone", "octoPrintmqtt"),
        (
            "octoPrint/camille-mk3/",
            "octoPrint/camille-mk3/event/PrintDone",
            "octoPrint/camille-mk3/mqtt",
        ),
    ],
)
def test_plugin_topics_are_the_base_and_the_sub_topic_joined_as_the_plugin_joins_them(
    base: str, event_topic: str, will: str
) -> None:
    assert plugin_event_topic(base, "PrintDone") == event_topic
    assert plugin_last_will_topic(base) == will
    assert plugin_event_name(event_topic, base) == "PrintDone"
    assert plugin_heater_name(f"{base}temperature/bed", base) == "bed"
    assert plugin_subscriptions(base) == [
        f"{base}event/+",
        f"{base}progress/printing",
        f"{base}temperature/+",
        will,
    ]
    assert plugin_write_filters(base) == [
        f"{base}event/#",
        f"{base}progress/#",
        f"{base}temperature/#",
        will,
    ]
    assert DEFAULT_PLUGIN_BASE_TOPIC == "octoPrint/"


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("octoPrint/", "octoPrint/", True),
        ("octoPrint/", "octoPrint/event/", True),  # its topics are inside the first's events
        ("octoPrint/", "octoPrint/camille/", False),  # octoPrint/camille/event/... is not
        ("octoPrint", "octoPrint/", False),  # octoPrintevent/... and octoPrint/event/...
        ("octoPrint/a", "octoPrint/ab/", False),
        ("shop", "shopevent/", True),  # shopevent/# holds shopevent/event/...
    ],
)
def test_two_plugin_bases_overlap_when_a_topic_is_in_both_grants(
    first: str, second: str, overlap: bool
) -> None:
    found = any(
        filters_overlap(a, b)
        for a in plugin_write_filters(first)
        for b in plugin_write_filters(second)
    )
    assert found is overlap
    assert filters_overlap("makerline/#", "makerline") and filters_overlap("a/b", "a/b")
    assert not filters_overlap("makerline/#", "makerlineevent/#")


@pytest.mark.parametrize(
    "topic",
    [
        "other/printers/1/status",
        "makerline/printers/1/status/x",
        "makerline/printers/1/nope",
        "makerline/printers/+/status",
    ],
)
def test_foreign_topics_are_refused(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_printer_topic(topic)


def test_wildcards_cannot_hide_in_ids_or_prefixes() -> None:
    with pytest.raises(TopicError):
        status_topic("#")
    with pytest.raises(TopicError):
        status_topic(1, prefix="a/+")


def test_password_hash_matches_mosquitto_passwd(tmp_path: Path) -> None:
    password_file = tmp_path / "pw"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(password_file), "alice", "s3cret"], check=True
    )
    stored = password_file.read_text().strip().split(":", 1)[1]
    salt_b64 = stored.split("$")[3]
    import base64

    assert mosquitto_password_hash("s3cret", base64.b64decode(salt_b64)) == stored
    assert mosquitto_password_matches("s3cret", stored)
    assert not mosquitto_password_matches("wrong", stored)
    ours = mosquitto_password_hash("token")
    assert ours.startswith("$7$101$") and mosquitto_password_matches("token", ours)


def test_password_and_acl_files() -> None:
    passwords = render_password_file([("service", mosquitto_password_hash("x"))])
    acl = render_acl_file([1, 2], "service", "makerline")

    assert passwords.startswith("service:$7$")
    assert "user printer-1\ntopic write makerline/printers/1/status\n" in acl
    assert "topic read makerline/printers/2/commands" in acl
    assert "user service\ntopic readwrite makerline/#" in acl
    with pytest.raises(BrokerAuthError):
        render_password_file([("bad:name", mosquitto_password_hash("x"))])


def test_job_file_names_and_estimates() -> None:
    assert job_id_from_filename(gcode_filename("42")) == "42"
    assert job_id_from_filename("folder/makerline-job-7.gcode") == "7"
    assert job_id_from_filename("benchy.gcode") is None
    gcode = b"G1 X1\n; estimated printing time (normal mode) = 1h 2m 3s\n"
    assert estimated_print_seconds(gcode) == 3723.0
    assert estimated_print_seconds(b"G1 X1\n") is None
