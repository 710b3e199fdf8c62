"""The "Pauses et vacances" section, drawn alike on a maker's page and on the hub's: the
pauses under way or to come, a button that ends or cancels each, and a form that pauses
a target now or for dates. What may be paused, and the name of each, is the page's to
say (`pause_views.maker_targets`, `pause_views.coordinator_targets`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import board_views, pause_views
from dashboard.client import Api, ApiError
from dashboard.formatting import local_timezone
from dashboard.forms import (
    ask_for_missing,
    entered,
    remember_outcome,
    remember_refusal,
    show_outcome,
    starting_values,
    submit,
)
from dashboard.i18n import choice_key, current_language, t
from dashboard.pause_views import Target

FIRST_DAY_AHEAD = timedelta(days=365)  # the service takes a pause that starts within a year
LAST_DAY_AHEAD = timedelta(days=730)  # and lasts a year at most


@dataclass(frozen=True)
class PauseSection:
    """One page's section: `form` names its form and prefixes its widgets' keys, so that
    each page keeps its own; `targets` are what it may pause, labelled; `first_choice` is
    the target chosen when the form starts (None: the coordinator picks one)."""

    form: str
    targets: dict[Target, str]
    first_choice: Target | None
    intro: str
    target_field: str


def draw_pause_section(api: Api, section: PauseSection, pauses: list[dict] | None) -> None:
    """The section. `pauses` as `GET /pauses` gave them; None when it refused, after the
    page showed why."""
    st.caption(section.intro)
    show_outcome(section.form)
    language = current_language()
    if pauses:
        frame = pause_views.pauses_frame(pauses, section.targets, language)
        st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")
        end_pause_buttons(api, section, pauses)
    elif pauses is not None:
        st.info(t("maker.pauses.none"))
    pause_form(api, section)


def end_pause_buttons(api: Api, section: PauseSection, pauses: list[dict]) -> None:
    """A button per pause: resume now one under way, cancel one to come."""
    language = current_language()
    for pause in pauses:
        label = pause_views.pause_label(pause, section.targets, language)
        st.button(
            label,
            key=f"end_{section.form}_{pause['id']}",
            icon=":material/play_arrow:",
            on_click=end_pause,
            args=(api, section, pause),
        )


def end_pause(api: Api, section: PauseSection, pause: dict[str, Any]) -> None:
    """An end-pause button's `on_click`: what it did is kept for `show_outcome`."""
    what = pause_views.paused_what(pause, section.targets, current_language())
    try:
        api.delete(f"/pauses/{pause['id']}")
    except ApiError as error:
        remember_refusal(section.form, error)
    else:
        remember_outcome(section.form, t("maker.pause.ended", what=what))


def forget_gone_target(key: str, targets: dict[Target, str]) -> None:
    """A target chosen earlier that is no longer offered (a printer removed since) gives
    way to the form's first choice."""
    if key in st.session_state and st.session_state[key] not in targets:
        del st.session_state[key]


def pause_form(api: Api, section: PauseSection) -> None:
    """Pause a target from a first day (now when none, or today) to a last day (until
    resumed when none), with a reason."""
    form, targets = section.form, section.targets
    target_key = choice_key(f"{form}_target")
    forget_gone_target(target_key, targets)
    starting_values(
        form,
        {
            target_key: section.first_choice,
            f"{form}_first_day": None,
            f"{form}_last_day": None,
            f"{form}_reason": "",
        },
    )
    zone = local_timezone()
    today = datetime.now(zone).date()

    def send() -> None:
        target = entered(target_key)
        if not ask_for_missing(form, {section.target_field: target}) or target is None:
            return
        today = datetime.now(zone).date()  # when sent, which may be a day after drawn
        starts_at, ends_at = pause_views.pause_moments(
            entered(f"{form}_first_day"), entered(f"{form}_last_day"), today, zone
        )
        what = targets[target]
        submit(
            api,
            form,
            "/pauses",
            {
                **pause_views.pause_target(target),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "reason": entered(f"{form}_reason") or None,
            },
            failure_heading=t("hub.failed"),
            describe=lambda _pause: t("maker.pause.done", what=what),
        )

    with st.form(form, enter_to_submit=False):
        st.selectbox(
            section.target_field,
            list(targets),
            format_func=targets.__getitem__,
            placeholder=t("form.choose"),
            key=target_key,
        )
        first_column, last_column = st.columns(2)
        first_column.date_input(
            t("field.pause_first_day"),
            min_value=today,
            max_value=today + FIRST_DAY_AHEAD,
            format="DD/MM/YYYY",
            key=f"{form}_first_day",
        )
        last_column.date_input(
            t("field.pause_last_day"),
            min_value=today,
            max_value=today + LAST_DAY_AHEAD,
            format="DD/MM/YYYY",
            key=f"{form}_last_day",
        )
        st.text_input(t("field.pause_reason"), key=f"{form}_reason", max_chars=200)
        st.form_submit_button(
            t("maker.pause.submit"), key=f"{form}_submit", type="primary", on_click=send
        )
