"""Quarantine and recall, for the coordinator: put suspect goods on hold (a batch, a job, a
printer's or a maker's output, a period), see what each hold holds, release or scrap it,
and see which centres received goods of it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import streamlit as st

from dashboard import board_views, hub_views
from dashboard.account import signed_in_api
from dashboard.client import ApiError, show_api_error
from dashboard.formatting import format_count, format_date, format_datetime, timezone_label
from dashboard.forms import (
    ask_for_missing,
    entered,
    forget_outcome,
    post_once,
    remember_outcome,
    remember_refusal,
    show_outcome,
    starting_values,
    submit,
)
from dashboard.i18n import choice_key, current_language, t

api = signed_in_api()
language = current_language()

SCOPES = ("batch", "job", "printer", "maker", "period")
NAMED_SCOPES = ("batch", "printer", "maker")


def target_names(answers: dict[str, Any]) -> dict[str, dict[int, str]]:
    """What a hold may be placed on, by scope, by id, as the coordinator knows it: batches
    by their label, printers and makers by name. (Jobs keep their number.)"""
    products = board_views.product_names(answers.get("products") or [], language)
    makers = {maker["id"]: hub_views.maker_label(maker) for maker in answers.get("makers") or []}
    return {
        "batch": {
            batch["id"]: hub_views.batch_label(batch, language, products)
            for batch in reversed(answers.get("batches") or [])
        },
        "printer": {
            printer["id"]: f"{printer['name']} — {makers.get(printer['maker_id'], '?')}"
            for printer in answers.get("printers") or []
        },
        "maker": makers,
    }


def hold_title(hold: dict, names: dict[str, dict[int, str]]) -> str:
    """ "Blocage n° 3 — maker « Camille » : 13 pièces bloquées (actif)"."""
    scope = hold["scope"]
    name = names.get(scope, {}).get(hold["target_id"])
    if scope == "period":
        target = t(
            "quarantine.scope.period_range",
            since=format_date(hold["since"], language),
            until=format_date(hold["until"], language),
        )
    elif scope in ("printer", "maker") and name:
        target = t(f"quarantine.scope.{scope}_named", name=name.split(" — ")[0])
    else:
        target = t(f"quarantine.scope.{scope}_id", id=hold["target_id"])
    return t(
        "quarantine.hold_title",
        id=hold["id"],
        target=target,
        count=hold["held"],
        status=t(f"quarantine.status.{hold['status']}"),
    )


def place_hold(names: dict[str, dict[int, str]]) -> None:
    show_outcome("hold")
    st.subheader(t("quarantine.place"))
    scope_key = choice_key("hold_scope")
    scope = st.selectbox(
        t("quarantine.scope"),
        SCOPES,
        format_func=lambda name: t(f"quarantine.scope.{name}"),
        placeholder=t("form.choose"),
        key=scope_key,
    )
    today = date.today()
    target_key = f"hold_target_{scope}"
    starting_values(
        "hold",
        {
            target_key: None,
            "hold_reason": "",
            "hold_since": today - timedelta(days=7),
            "hold_until": today,
        },
    )

    def send() -> None:
        scope = entered(scope_key)
        reason = entered("hold_reason") or ""
        payload: dict[str, object] = {"scope": scope}
        target: Any = None
        if scope == "period":
            payload |= {"since": str(entered("hold_since")), "until": str(entered("hold_until"))}
        elif scope in NAMED_SCOPES:
            target = entered(f"hold_target_{scope}")
            payload["id"] = target
        else:
            target = entered(f"hold_target_{scope}")
            payload["id"] = None if target is None else int(target)
        payload["reason"] = reason
        required = {} if scope == "period" else {t(f"quarantine.scope.{scope}_field"): target}
        required[t("quarantine.reason")] = reason.strip()
        if not ask_for_missing("hold", required):
            return
        submit(
            api,
            "hold",
            "/holds",
            payload,
            failure_heading=t("quarantine.failed"),
            describe=lambda hold: t(
                "quarantine.placed",
                id=hold["id"],
                held=format_count(hold["held"], language),
            ),
        )

    with st.form("hold", enter_to_submit=False):
        if scope == "period":
            st.date_input(
                t("quarantine.since"),
                min_value=today - timedelta(days=365),
                max_value=today,
                format="DD/MM/YYYY",
                key="hold_since",
            )
            st.date_input(
                t("quarantine.until"),
                min_value=today - timedelta(days=365),
                max_value=today,
                format="DD/MM/YYYY",
                key="hold_until",
            )
        elif scope in NAMED_SCOPES:
            choices: dict[int, str] = names[scope]
            st.selectbox(
                t(f"quarantine.scope.{scope}_field"),
                list(choices),
                format_func=lambda target_id: choices.get(target_id, str(target_id)),
                placeholder=t("form.choose"),
                key=target_key,
            )
        else:
            st.number_input(
                t(f"quarantine.scope.{scope}_field"),
                min_value=1,
                max_value=2_147_483_647,
                step=1,
                placeholder=t("form.type_number"),
                key=target_key,
            )
        st.text_input(t("quarantine.reason"), key="hold_reason", max_chars=500)
        st.form_submit_button(
            t("quarantine.submit"), key="hold_submit", type="primary", on_click=send
        )


def show_hold(hold: dict) -> None:
    detail = api.get_or_show_error(f"/holds/{hold['id']}")
    if detail is None:
        return
    st.caption(
        t(
            "quarantine.placed_at",
            time=format_datetime(detail["placed_at"], language),
            reason=detail["reason"],
        )
        + " "
        + t("form.times", zone=timezone_label(language))
    )
    if detail["scrap_reason"]:
        st.caption(t("quarantine.scrap_reason", reason=detail["scrap_reason"]))
    if detail["lines"]:
        st.dataframe(
            [
                {
                    t("quarantine.col.item"): hub_views.item_label(line["item"], language),
                    t("quarantine.col.from"): t(f"stage.{line['held_from']}"),
                    t("quarantine.col.quantity"): format_count(line["quantity"], language),
                }
                for line in detail["lines"]
            ],
            hide_index=True,
            key=f"hold_lines_{hold['id']}",
        )
    else:
        st.info(t("quarantine.nothing_held"))
    if detail["batch_ids"]:
        st.caption(
            t("quarantine.batches", batches=", ".join(f"n° {b}" for b in detail["batch_ids"]))
        )
    if detail["status"] == "active":
        act_on_hold(hold["id"])
    show_recall(hold["id"])


def act_on_hold(hold_id: int) -> None:
    """Release or scrap the hold, each from its button's `on_click`; a refusal is shown
    by the buttons, a success above the form, with the hold placed."""
    form = f"hold_{hold_id}"

    def act(action: str, payload: Any, done_key: str) -> None:
        forget_outcome(form)
        outcome = post_once(api, f"{action}_{hold_id}", f"/holds/{hold_id}/{action}", payload)
        if outcome.error is not None:
            remember_refusal(form, outcome.error, t("quarantine.failed"))
        else:
            remember_outcome("hold", t(done_key, id=hold_id))

    def release() -> None:
        act("release", None, "quarantine.released")

    def scrap() -> None:
        act("scrap", {"reason": entered(f"scrap_reason_{hold_id}") or ""}, "quarantine.scrapped")

    show_outcome(form)
    release_column, scrap_column = st.columns(2)
    release_column.button(
        t("quarantine.release"),
        key=f"release_{hold_id}",
        icon=":material/lock_open:",
        on_click=release,
    )
    with scrap_column:
        st.text_input(t("quarantine.scrap_why"), key=f"scrap_reason_{hold_id}", max_chars=500)
        st.button(
            t("quarantine.scrap"), key=f"scrap_{hold_id}", icon=":material/delete:", on_click=scrap
        )


def show_recall(hold_id: int) -> None:
    recall = api.get_or_show_error(f"/holds/{hold_id}/recall")
    if recall is None:
        return
    if not recall["centres"]:
        st.caption(t("quarantine.recall.none"))
        return
    st.markdown(t("quarantine.recall.title", count=recall["quantity"]))
    st.dataframe(
        [
            {
                t("quarantine.col.centre"): centre["centre_name"],
                t("quarantine.col.batch"): f"n° {line['batch_id']}",
                t("quarantine.col.order"): f"n° {line['order_id']}",
                t("quarantine.col.quantity"): format_count(line["quantity"], language),
            }
            for centre in recall["centres"]
            for line in centre["batches"]
        ],
        hide_index=True,
        key=f"recall_{hold_id}",
    )
    if recall["notified_at"]:
        st.caption(
            t("quarantine.recall.told", time=format_datetime(recall["notified_at"], language))
        )
    else:
        st.button(
            t("quarantine.recall.mark_told"),
            key=f"told_{hold_id}",
            on_click=mark_told,
            args=(hold_id,),
        )
        show_outcome(f"told_{hold_id}")


def mark_told(hold_id: int) -> None:
    """From the button's `on_click`: the page is drawn next, with the time it was told."""
    form = f"told_{hold_id}"
    forget_outcome(form)
    try:
        api.post(f"/holds/{hold_id}/recall/notified")
    except ApiError as error:
        remember_refusal(form, error)


st.title(t("page.quarantine"))
st.caption(t("quarantine.intro"))
answers = api.get_many(
    {name: (f"/{name}", {}) for name in ("holds", "batches", "printers", "makers", "products")}
)
for answer in answers.values():
    if isinstance(answer, ApiError):
        show_api_error(answer)
        st.stop()
names = target_names(answers)
place_hold(names)
st.subheader(t("quarantine.holds"))
if not answers["holds"]:
    st.info(t("quarantine.no_holds"))
for hold in answers["holds"]:
    with st.expander(hold_title(hold, names), expanded=hold["status"] == "active"):
        show_hold(hold)
