"""A health centre's page: place an order, follow its orders, confirm deliveries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import streamlit as st

from dashboard import board_views, hub_views
from dashboard.account import signed_in_account, signed_in_api
from dashboard.client import ApiError, show_api_error
from dashboard.formatting import format_count, format_date
from dashboard.forms import post_once, remember_outcome, show_outcome
from dashboard.i18n import choice_key, current_language, t

REFRESH_SECONDS = 5
DUPLICATE_KEY = "order_awaiting_confirmation"

api = signed_in_api()
language = current_language()
account = signed_in_account() or {}


def product_choices() -> dict[str, str]:
    products = api.get_or_show_error("/products") or []
    return board_views.product_names(products, language)


def place_order(payload: dict[str, Any], product_names: dict[str, str]) -> None:
    """Send the order; a likely duplicate (409) waits for the centre's confirmation."""
    outcome = post_once(api, "order", "/orders", payload)
    if outcome.error is None:
        order = outcome.answer
        st.session_state.pop(DUPLICATE_KEY, None)
        placed = t(
            "centre.placed",
            id=order["id"],
            quantity=format_count(order["quantity"], language),
            product=product_names.get(order["product_key"], order["product_key"]).lower(),
            needed_by=format_date(order["needed_by"], language),
        )
        remember_outcome("order", placed, *([t("hub.replayed")] if outcome.repeated else []))
        st.rerun()
    elif outcome.error.status == 409 and not payload.get("confirm_duplicate"):
        st.session_state[DUPLICATE_KEY] = {"payload": payload, "detail": outcome.error.detail}
    else:
        show_api_error(outcome.error, heading=t("centre.failed"))


def order_form(product_names: dict[str, str]) -> None:
    st.subheader(t("centre.new_order"))
    keys: list[str] = list(product_names)
    with st.form("order"):
        product_key = st.selectbox(
            t("field.product"),
            keys,
            format_func=lambda key: product_names[key],
            key=choice_key("order_product"),
        )
        quantity_column, date_column, urgency_column = st.columns(3)
        quantity = quantity_column.number_input(
            t("field.quantity"),
            min_value=1,
            max_value=100_000,
            value=50,
            step=1,
            key="order_quantity",
        )
        needed_by = date_column.date_input(
            t("field.needed_by"),
            value=date.today() + timedelta(days=7),
            min_value=date.today(),
            format="DD/MM/YYYY",
            key="order_needed_by",
        )
        urgency = urgency_column.selectbox(
            t("field.urgency"),
            hub_views.URGENCIES,
            format_func=lambda u: t(f"urgency.{u}"),
            key=choice_key("order_urgency"),
        )
        address = st.text_area(
            t("field.address"),
            value=account.get("address") or "",
            key="order_address",
            max_chars=500,
        )
        note = st.text_input(t("field.note"), key="order_note", max_chars=1000)
        if st.form_submit_button(t("centre.order.submit"), key="order_submit", type="primary"):
            payload = {
                "product_key": product_key,
                "quantity": int(quantity),
                "needed_by": needed_by.isoformat() if isinstance(needed_by, date) else None,
                "urgency": urgency,
                "delivery_address": address,
                "note": note or None,
            }
            place_order(payload, product_names)


def confirm_duplicate(product_names: dict[str, str]) -> None:
    waiting = st.session_state.get(DUPLICATE_KEY)
    if not waiting:
        return
    with st.container(border=True, key="duplicate-order"):
        st.warning(f"**{t('centre.duplicate')}**  \n{waiting['detail']}", icon="⚠️")
        confirm_column, drop_column = st.columns(2)
        if confirm_column.button(
            t("centre.confirm_duplicate"), key="confirm_duplicate", type="primary"
        ):
            place_order({**waiting["payload"], "confirm_duplicate": True}, product_names)
        if drop_column.button(t("centre.drop_duplicate"), key="drop_duplicate"):
            st.session_state.pop(DUPLICATE_KEY, None)
            st.rerun()


@st.fragment(run_every=REFRESH_SECONDS)
def orders_and_deliveries(product_names: dict[str, str]) -> None:
    st.subheader(t("centre.orders"))
    orders = api.get_or_show_error("/orders")
    if orders is not None and not orders:
        st.info(t("centre.no_orders"))
    elif orders:
        newest_first = list(reversed(orders))
        frame = board_views.order_frame(newest_first, language, product_names)
        st.dataframe(
            board_views.with_headers(frame, language),
            hide_index=True,
            width="stretch",
            key="my_orders",
        )
    st.subheader(t("centre.deliveries"))
    deliveries = api.get_or_show_error("/deliveries")
    if deliveries is None:
        return
    if not deliveries:
        st.info(t("centre.no_deliveries"))
        return
    for delivery in deliveries:
        if delivery.get("received_at"):
            continue
        if st.button(
            t("centre.confirm_receipt", id=delivery["id"]),
            key=f"receipt_{delivery['id']}",
            icon=":material/inventory:",
        ):
            confirm_receipt(delivery["id"])
    frame = hub_views.delivery_frame(list(reversed(deliveries)), language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def confirm_receipt(delivery_id: int) -> None:
    try:
        api.post(f"/deliveries/{delivery_id}/receipt")
    except ApiError as error:
        show_api_error(error)
        return
    remember_outcome("order", t("centre.receipt_done", id=delivery_id))
    st.rerun()


st.title(t("centre.title", name=account.get("name", "")))
show_outcome("order")
names = product_choices()
order_form(names)
confirm_duplicate(names)
orders_and_deliveries(names)
