"""Everyone's "My notifications" page: where they are told things (e-mail, phone, chat
webhook), in which language, and which way for each kind of message their role gets.

The chat webhook is never shown again once saved (the service keeps it sealed and answers
with its host only), so its field starts blank: blank keeps it, a new address replaces
it, and a box removes it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.account import signed_in_account, signed_in_api
from dashboard.client import ApiError, cached_get, send, show_api_error
from dashboard.forms import (
    clear_form,
    entered,
    remember_outcome,
    remember_refusal,
    show_outcome,
    starting_values,
)
from dashboard.i18n import LANGUAGE_NAMES, choice_key, current_language, t

CHANNELS = ("email", "sms", "chat", "none")
REMINDER_MINUTES = (5, 24 * 60)
DEFAULT_REMINDER = 60

api = signed_in_api()
language = current_language()
account = signed_in_account() or {}


def put(path: str, body: Any) -> Any:
    """PUT and return the answer; the read cache is cleared either way, so the page shows
    what the service kept."""
    try:
        return send("PUT", api.base_url, api.token, path, json=body)
    finally:
        cached_get.clear()


def save(path: str, body: Any, form: str, done_key: str, failed_key: str) -> None:
    """PUT a form's values, from its `on_click`, and keep what the service said."""
    try:
        put(path, body)
    except ApiError as error:
        remember_refusal(form, error, t(failed_key))
        return
    clear_form(form)
    remember_outcome(form, t(done_key))


def contact_form(contact: dict[str, Any]) -> None:
    st.subheader(t("notif.contact"))
    show_outcome("contact")
    masked = contact.get("chat_url_masked")
    is_maker = account.get("role") == "maker"
    # The webhook is never shown back: its field and the box that removes it start empty,
    # and are emptied again once saved.
    starting_values("contact", {"contact_chat": "", "contact_chat_remove": False})

    def send() -> None:
        body: dict[str, Any] = {}
        if is_maker:
            remind, delay = entered("contact_remind"), entered("contact_reminder_minutes")
            body["bed_reminder_minutes"] = int(delay) if remind else None
        body |= {
            "email": (entered("contact_email") or "").strip() or None,
            "phone": (entered("contact_phone") or "").strip() or None,
            "language": entered("contact_language"),
            "night_messages": entered("contact_night"),
        }
        chat_url = (entered("contact_chat") or "").strip()
        if chat_url:
            body["chat_url"] = chat_url
        elif bool(masked) and entered("contact_chat_remove"):
            body["chat_url"] = None
        save("/me/contact", body, "contact", "notif.contact_saved", "notif.contact_failed")

    with st.form("contact", enter_to_submit=False):
        st.text_input(
            t("notif.email"), value=contact.get("email") or "", max_chars=254, key="contact_email"
        )
        st.text_input(
            t("notif.phone"),
            value=contact.get("phone") or "",
            max_chars=20,
            help=t("notif.phone_help"),
            key="contact_phone",
        )
        if masked:
            st.caption(t("notif.chat_saved", url=masked))
        st.text_input(
            t("notif.chat"),
            max_chars=1000,
            type="password",
            help=t("notif.chat_help"),
            key="contact_chat",
        )
        if masked:
            st.checkbox(t("notif.chat_remove"), key="contact_chat_remove")
        languages = list(LANGUAGE_NAMES)
        st.selectbox(
            t("notif.language"),
            languages,
            index=languages.index(contact.get("language") or "fr"),
            format_func=LANGUAGE_NAMES.__getitem__,
            placeholder=t("form.choose"),
            key="contact_language",
        )
        if is_maker:
            minutes = contact.get("bed_reminder_minutes")
            st.checkbox(t("notif.reminder"), value=minutes is not None, key="contact_remind")
            st.number_input(
                t("notif.reminder_minutes"),
                min_value=REMINDER_MINUTES[0],
                max_value=REMINDER_MINUTES[1],
                value=minutes or DEFAULT_REMINDER,
                step=5,
                key="contact_reminder_minutes",
            )
        st.checkbox(
            t("notif.night"), value=bool(contact.get("night_messages")), key="contact_night"
        )
        st.form_submit_button(
            t("notif.contact_submit"), key="contact_submit", type="primary", on_click=send
        )


def missing_addresses(contact: dict[str, Any], choices: list[dict[str, Any]]) -> list[str]:
    """The channels chosen for some message without an address to send them to."""
    has_address = {
        "email": bool(contact.get("email")),
        "sms": bool(contact.get("phone")),
        "chat": bool(contact.get("chat_url_masked")),
    }
    used = {choice["channel"] for choice in choices}
    return [
        channel for channel in CHANNELS if channel in used and not has_address.get(channel, True)
    ]


def channels_form(contact: dict[str, Any], choices: list[dict[str, Any]]) -> None:
    st.subheader(t("notif.channels"))
    st.caption(t("notif.channels_intro"))
    show_outcome("channels")
    for channel in missing_addresses(contact, choices):
        st.warning(t("notif.missing_address", channel=t(f"channel.{channel}")), icon="✉️")
    keys = {choice["kind"]: choice_key(f"channel_{choice['kind']}") for choice in choices}

    def send() -> None:
        chosen = {kind: entered(key) for kind, key in keys.items()}
        save(
            "/me/notifications",
            {"channels": chosen},
            "channels",
            "notif.channels_saved",
            "notif.channels_failed",
        )

    with st.form("channels", enter_to_submit=False):
        for choice in choices:
            kind = choice["kind"]
            st.selectbox(
                t(f"message_kind.{kind}"),
                CHANNELS,
                index=CHANNELS.index(choice["channel"]),
                format_func=lambda channel: t(f"channel.{channel}"),
                placeholder=t("form.choose"),
                key=keys[kind],
            )
        st.form_submit_button(
            t("notif.channels_submit"), key="channels_submit", type="primary", on_click=send
        )


st.title(t("notif.title"))
st.caption(t("notif.intro"))
mine = api.get_many({"contact": ("/me/contact", {}), "choices": ("/me/notifications", {})})
for answer in mine.values():
    if isinstance(answer, ApiError):
        show_api_error(answer)
if not isinstance(mine["contact"], ApiError):
    contact_form(mine["contact"])
    if not isinstance(mine["choices"], ApiError):
        channels_form(mine["contact"], mine["choices"])
