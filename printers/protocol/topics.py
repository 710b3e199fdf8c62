"""The MQTT topic names of the printer link, in one place.

Every topic lives under a configurable prefix (default `makerline`) so several
deployments can share one broker. Printers publish on their own `status` and `events`
topics and read their own `commands`; the broker's ACL (see `broker_auth`) is written
from the same names, so a topic and its access rule cannot drift apart.

The OctoPrint-MQTT plugin's own topics are named here too, for the printers ingested
without our agent. The plugin builds each one as its base topic and a sub-topic joined with
no separator (`baseTopic + "event/PrintDone"`), so a base is kept exactly as the maker copies
it from the plugin's settings, trailing slash or not, and joined the same way: `octoPrint/`
gives `octoPrint/event/PrintDone`, and `octoPrint` gives `octoPrintevent/PrintDone`, which
is what the plugin really publishes then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_PREFIX = "makerline"
# The plugin's own default, slash included.
DEFAULT_PLUGIN_BASE_TOPIC = "octoPrint/"

# A printer id becomes one topic level and part of an MQTT username: keep it to characters
# that are neither MQTT wildcards nor separators, and short enough for a client id.
PRINTER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TopicError(ValueError):
    """A prefix, printer id or topic that cannot be used on the printer link."""


class Channel(StrEnum):
    STATUS = "status"
    EVENTS = "events"
    COMMANDS = "commands"


def check_prefix(prefix: str) -> str:
    """Return the prefix without surrounding slashes, or raise if it cannot be a topic root."""
    cleaned = prefix.strip("/")
    if not cleaned or cleaned.startswith("$") or any(c in cleaned for c in "#+ \x00"):
        raise TopicError(f"topic prefix {prefix!r} must be plain text such as 'makerline'")
    return cleaned


def check_printer_id(printer_id: int | str) -> str:
    text = str(printer_id)
    if not PRINTER_ID_PATTERN.match(text):
        raise TopicError(f"printer id {text!r} must be 1-64 letters, digits, '_', '.' or '-'")
    return text


def printer_topic(printer_id: int | str, channel: Channel, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{check_prefix(prefix)}/printers/{check_printer_id(printer_id)}/{channel.value}"


def status_topic(printer_id: int | str, prefix: str = DEFAULT_PREFIX) -> str:
    return printer_topic(printer_id, Channel.STATUS, prefix)


def events_topic(printer_id: int | str, prefix: str = DEFAULT_PREFIX) -> str:
    return printer_topic(printer_id, Channel.EVENTS, prefix)


def commands_topic(printer_id: int | str, prefix: str = DEFAULT_PREFIX) -> str:
    return printer_topic(printer_id, Channel.COMMANDS, prefix)


def service_status_topic(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{check_prefix(prefix)}/service/status"


def all_printers_subscription(channel: Channel, prefix: str = DEFAULT_PREFIX) -> str:
    """The wildcard the service subscribes to for one channel of every printer."""
    return f"{check_prefix(prefix)}/printers/+/{channel.value}"


def service_subscriptions(prefix: str = DEFAULT_PREFIX) -> list[str]:
    """What the service listens to: every printer's status and events."""
    return [
        all_printers_subscription(Channel.STATUS, prefix),
        all_printers_subscription(Channel.EVENTS, prefix),
    ]


def shared_subscription(group: str, topic_filter: str) -> str:
    """An MQTT 5 shared subscription, so several service replicas split the traffic."""
    if not group or any(c in group for c in "/#+"):
        raise TopicError(f"shared subscription group {group!r} must be one plain topic level")
    return f"$share/{group}/{topic_filter}"


@dataclass(frozen=True)
class PrinterTopic:
    printer_id: str
    channel: Channel


def parse_printer_topic(topic: str, prefix: str = DEFAULT_PREFIX) -> PrinterTopic:
    """Split `{prefix}/printers/{id}/{channel}` back into its printer id and channel."""
    root = check_prefix(prefix)
    head = f"{root}/printers/"
    if not topic.startswith(head):
        raise TopicError(f"topic {topic!r} is not under {head!r}")
    levels = topic[len(head) :].split("/")
    if len(levels) != 2:
        raise TopicError(f"topic {topic!r} is not {head}<printer_id>/<channel>")
    printer_id, channel_name = levels
    try:
        channel = Channel(channel_name)
    except ValueError:
        raise TopicError(f"topic {topic!r} names an unknown channel {channel_name!r}") from None
    return PrinterTopic(printer_id=check_printer_id(printer_id), channel=channel)


# --- OctoPrint-MQTT plugin ------------------------------------------------------------

# The sub-topics of the plugin (0.8.16) that a printer may write: its events, its progress
# (`progress/printing`, and `progress/slicing` it also sends), its temperatures, and its
# last will. As topic filters, appended to the base.
PLUGIN_EVENTS = "event/"
PLUGIN_PROGRESS = "progress/"
PLUGIN_TEMPERATURE = "temperature/"
PLUGIN_LAST_WILL = "mqtt"
PLUGIN_WRITES = (
    f"{PLUGIN_EVENTS}#",
    f"{PLUGIN_PROGRESS}#",
    f"{PLUGIN_TEMPERATURE}#",
    PLUGIN_LAST_WILL,
)


def plugin_event_topic(base: str, event: str) -> str:
    return f"{base}{PLUGIN_EVENTS}{event}"


def plugin_progress_topic(base: str) -> str:
    return f"{base}{PLUGIN_PROGRESS}printing"


def plugin_temperature_topic(base: str, heater: str) -> str:
    return f"{base}{PLUGIN_TEMPERATURE}{heater}"


def plugin_last_will_topic(base: str) -> str:
    """`connected` / `disconnected`, plain text, retained: the plugin's birth and last will."""
    return f"{base}{PLUGIN_LAST_WILL}"


def plugin_subscriptions(base: str) -> list[str]:
    return [
        f"{base}{PLUGIN_EVENTS}+",
        plugin_progress_topic(base),
        f"{base}{PLUGIN_TEMPERATURE}+",
        plugin_last_will_topic(base),
    ]


def plugin_write_filters(base: str) -> list[str]:
    """The topic filters a plugin printer may write, and the service reads (the ACL)."""
    return [f"{base}{sub}" for sub in PLUGIN_WRITES]


def plugin_event_name(topic: str, base: str) -> str | None:
    """The event name of a plugin event topic, or None if the topic is not one."""
    return _last_level(topic, f"{base}{PLUGIN_EVENTS}")


def plugin_heater_name(topic: str, base: str) -> str | None:
    """The heater of a plugin temperature topic (`tool0`, `bed`...), or None."""
    return _last_level(topic, f"{base}{PLUGIN_TEMPERATURE}")


def _last_level(topic: str, head: str) -> str | None:
    if not topic.startswith(head):
        return None
    name = topic[len(head) :]
    return name if name and "/" not in name else None


def filters_overlap(first: str, second: str) -> bool:
    """Whether some topic matches both filters, for filters that are exact topics or end
    in `/#` (the only kinds an ACL here holds)."""

    def tree(topic_filter: str) -> str | None:
        return topic_filter[:-1] if topic_filter.endswith("/#") else None

    def under(topic: str, head: str) -> bool:  # "x/#" matches "x" itself too
        return topic.startswith(head) or topic == head[:-1]

    first_tree, second_tree = tree(first), tree(second)
    if first_tree is not None and second_tree is not None:
        return first_tree.startswith(second_tree) or second_tree.startswith(first_tree)
    if first_tree is not None:
        return under(second, first_tree)
    if second_tree is not None:
        return under(first, second_tree)
    return first == second
