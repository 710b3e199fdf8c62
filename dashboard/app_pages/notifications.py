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
from dashboard.forms import clear_form, remember_outcome, show_outcome, starting_values
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
    try:
        put(path, body)
    except ApiError as error:
        show_api_error(error, heading=t(failed_key))
        return
    clear_form(form)
    remember_outcome(form, t(done_key))
    st.rerun()


def contact_form(contact: dict[str, Any]) -> None:
    st.subheader(t("notif.contact"))
    show_outcome("contact")
    masked = contact.get("chat_url_masked")
    # The webhook is never shown back: its field and the box that removes it start empty,
    # and are emptied again once saved.
    starting_values("contact", {"contact_chat": "", "contact_chat_remove": False})
    with st.form("contact", enter_to_submit=False):
        email = st.text_input(
            t("notif.email"), value=contact.get("email") or "", max_chars=254, key="contact_email"
        )
        phone = st.text_input(
            t("notif.phone"),
            value=contact.get("phone") or "",
            max_chars=20,
            help=t("notif.phone_help"),
            key="contact_phone",
        )
        if masked:
            st.caption(t("notif.chat_saved", url=masked))
        chat_url = st.text_input(
            t("notif.chat"),
            max_chars=1000,
            type="password",
            help=t("notif.chat_help"),
            key="contact_chat",
        )
        remove_chat = bool(masked) and st.checkbox(
            t("notif.chat_remove"), key="contact_chat_remove"
        )
        languages = list(LANGUAGE_NAMES)
        message_language = st.selectbox(
            t("notif.language"),
            languages,
            index=languages.index(contact.get("language") or "fr"),
            format_func=LANGUAGE_NAMES.__getitem__,
            placeholder=t("form.choose"),
            key="contact_language",
        )
        body: dict[str, Any] = {}
        if account.get("role") == "maker":
            minutes = contact.get("bed_reminder_minutes")
            remind = st.checkbox(
                t("notif.reminder"), value=minutes is not None, key="contact_remind"
            )
            delay = st.number_input(
                t("notif.reminder_minutes"),
                min_value=REMINDER_MINUTES[0],
                max_value=REMINDER_MINUTES[1],
                value=minutes or DEFAULT_REMINDER,
                step=5,
                key="contact_reminder_minutes",
            )
            body["bed_reminder_minutes"] = int(delay) if remind else None
        night = st.checkbox(
            t("notif.night"), value=bool(contact.get("night_messages")), key="contact_night"
        )
        if st.form_submit_button(t("notif.contact_submit"), key="contact_submit", type="primary"):
            body |= {
                "email": email.strip() or None,
                "phone": phone.strip() or None,
                "language": message_language,
                "night_messages": night,
            }
            if chat_url.strip():
                body["chat_url"] = chat_url.strip()
            elif remove_chat:
                body["chat_url"] = None
            save("/me/contact", body, "contact", "notif.contact_saved", "notif.contact_failed")


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
    with st.form("channels", enter_to_submit=False):
        chosen: dict[str, str] = {}
        for choice in choices:
            kind = choice["kind"]
            chosen[kind] = st.selectbox(
                t(f"message_kind.{kind}"),
                CHANNELS,
                index=CHANNELS.index(choice["channel"]),
                format_func=lambda channel: t(f"channel.{channel}"),
                placeholder=t("form.choose"),
                key=choice_key(f"channel_{kind}"),
            )
        if st.form_submit_button(t("notif.channels_submit"), key="channels_submit", type="primary"):
            save(
                "/me/notifications",
                {"channels": chosen},
                "channels",
                "notif.channels_saved",
                "notif.channels_failed",
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
