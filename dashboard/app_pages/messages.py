"""The coordinator's "Sent messages" page: the outbox, newest first, with each message's
person, channel, address, status, attempts and last error.

Only the coordinator opens it: the service answers 403 to anyone else, since it shows
people's addresses. A message that failed after its retries shows here; production went
on without it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import board_views
from dashboard.account import signed_in_api
from dashboard.formatting import format_count, format_datetime, timezone_label
from dashboard.i18n import choice_key, current_language, t

REFRESH_SECONDS = 10
PAGE_SIZE = 200
STATUSES = ("pending", "sending", "sent", "grouped", "failed", "skipped")
MESSAGE_KINDS = (
    "bed_to_clear",
    "bed_still_waiting",
    "printer_offline",
    "job_failed",
    "parts_to_collect",
    "order_confirmed",
    "forecast_changed",
    "out_for_delivery",
    "confirm_receipt",
    "supply_running_out",
    "job_flagged",
    "silent_printer",
    "daily_digest",
)
ALL = ""

api = signed_in_api()
language = current_language()


def outbox_frame(rows: list[dict[str, Any]], language: str) -> pd.DataFrame:
    """One line per message, in the reader's words; dates in the fab-lab's time zone."""
    return pd.DataFrame(
        [
            {
                "queued_at": format_datetime(row["created_at"], language),
                "person": row["account_name"],
                "message_kind": t(f"message_kind.{row['kind']}"),
                "channel": t(f"channel.{row['channel']}"),
                "address": row.get("address") or "—",
                "status": t(f"outbox_status.{row['status']}"),
                "attempts": format_count(row["attempts"], language),
                "not_before": format_datetime(row["not_before"], language),
                "sent_at": format_datetime(row.get("sent_at"), language),
                "last_error": row.get("last_error") or "",
            }
            for row in rows
        ],
        columns=[
            "queued_at",
            "person",
            "message_kind",
            "channel",
            "address",
            "status",
            "attempts",
            "not_before",
            "sent_at",
            "last_error",
        ],
    )


@st.fragment(run_every=REFRESH_SECONDS)
def outbox(status: str, kind: str) -> None:
    page = api.get_or_show_error(
        "/notifications", status=status or None, kind=kind or None, limit=PAGE_SIZE
    )
    if page is None:
        return
    if not page["rows"]:
        st.info(t("messages.none"))
        return
    st.caption(
        t(
            "messages.count",
            count=len(page["rows"]),
            total=format_count(page["total"], language),
        )
        + " "
        + t("form.times", zone=timezone_label(language))
    )
    frame = outbox_frame(page["rows"], language)
    st.dataframe(
        board_views.with_headers(frame, language), hide_index=True, width="stretch", key="outbox"
    )


st.title(t("messages.title"))
st.caption(t("messages.intro"))
status_column, kind_column = st.columns(2)
chosen_status = status_column.selectbox(
    t("messages.status"),
    (ALL, *STATUSES),
    format_func=lambda status: t(f"outbox_status.{status}") if status else t("messages.all"),
    placeholder=t("form.choose"),
    key=choice_key("outbox_status"),
)
chosen_kind = kind_column.selectbox(
    t("messages.kind"),
    (ALL, *MESSAGE_KINDS),
    format_func=lambda kind: t(f"message_kind.{kind}") if kind else t("messages.all"),
    placeholder=t("form.choose"),
    key=choice_key("outbox_kind"),
)
outbox(chosen_status, chosen_kind)
