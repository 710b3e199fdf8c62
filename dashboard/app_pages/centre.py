"""A health centre's page: place an order, follow its orders, confirm deliveries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import board_views, hub_views
from dashboard.account import signed_in_account, signed_in_api
from dashboard.client import ApiError, error_sentence, show_api_error
from dashboard.formatting import format_count, format_date, format_datetime, timezone_label
from dashboard.forms import (
    ask_for_missing,
    clear_form,
    entered,
    forget_outcome,
    post_once,
    remember_outcome,
    remember_refusal,
    show_outcome,
    starting_values,
)
from dashboard.i18n import choice_key, current_language, t

REFRESH_SECONDS = 5
DUPLICATE_KEY = "order_awaiting_confirmation"
# What is wrong with the last try (fields missing, refused), kept apart from the order placed
# before it, whose confirmation stays shown for a while (see `show_outcome`).
ORDER_PROBLEM = "order_problem"

api = signed_in_api()
language = current_language()
account = signed_in_account() or {}


def place_order(payload: dict[str, Any], product_names: dict[str, str]) -> None:
    """Send the order, from a button's `on_click`; a likely duplicate (409) waits for the
    centre's confirmation."""
    forget_outcome(ORDER_PROBLEM)
    outcome = post_once(api, "order", "/orders", payload)
    if outcome.error is None:
        order = outcome.answer
        st.session_state.pop(DUPLICATE_KEY, None)
        placed = t(
            "centre.placed",
            id=order["id"],
            goods=hub_views.goods(order["product_key"], order["quantity"], language, product_names),
            needed_by=format_date(order["needed_by"], language),
        )
        clear_form("order")
        remember_outcome("order", placed, *([t("hub.replayed")] if outcome.repeated else []))
    elif outcome.error.status == 409 and not payload.get("confirm_duplicate"):
        st.session_state[DUPLICATE_KEY] = {
            "payload": payload,
            "reason": error_sentence(outcome.error, language),
        }
    else:
        remember_refusal(ORDER_PROBLEM, outcome.error, t("centre.failed"))


def order_form(product_names: dict[str, str]) -> None:
    """The order form: product and quantity start empty, so that pressing "Commander"
    again after an order was placed sends nothing."""
    st.subheader(t("centre.new_order"))
    product_key_widget = choice_key("order_product")
    urgency_key_widget = choice_key("order_urgency")
    starting_values(
        "order",
        {
            product_key_widget: None,
            "order_quantity": None,
            "order_needed_by": date.today() + timedelta(days=7),
            urgency_key_widget: "normal",
            "order_address": account.get("address") or "",
            "order_note": "",
        },
    )

    def send() -> None:
        product_key, quantity = entered(product_key_widget), entered("order_quantity")
        needed_by, address = entered("order_needed_by"), entered("order_address") or ""
        if not ask_for_missing(
            ORDER_PROBLEM,
            {
                t("field.product"): product_key,
                t("field.quantity"): quantity,
                t("field.needed_by"): needed_by,
                t("field.address"): address.strip(),
            },
        ):
            return
        payload = {
            "product_key": product_key,
            "quantity": int(quantity or 0),
            "needed_by": needed_by.isoformat() if isinstance(needed_by, date) else None,
            "urgency": entered(urgency_key_widget) or "normal",
            "delivery_address": address,
            "note": entered("order_note") or None,
        }
        place_order(payload, product_names)

    with st.form("order", enter_to_submit=False):
        st.selectbox(
            t("field.product"),
            list(product_names),
            format_func=lambda key: product_names[key],
            placeholder=t("form.choose"),
            key=product_key_widget,
        )
        quantity_column, date_column, urgency_column = st.columns(3)
        quantity_column.number_input(
            t("field.quantity"),
            min_value=1,
            max_value=100_000,
            step=1,
            placeholder=t("form.type_number"),
            key="order_quantity",
        )
        date_column.date_input(
            t("field.needed_by"), min_value=date.today(), format="DD/MM/YYYY", key="order_needed_by"
        )
        urgency_column.selectbox(
            t("field.urgency"),
            hub_views.URGENCIES,
            format_func=lambda u: t(f"urgency.{u}"),
            placeholder=t("form.choose"),
            key=urgency_key_widget,
        )
        st.text_area(t("field.address"), key="order_address", max_chars=500)
        st.text_input(t("field.note"), key="order_note", max_chars=1000)
        st.form_submit_button(
            t("centre.order.submit"), key="order_submit", type="primary", on_click=send
        )
        show_outcome(ORDER_PROBLEM)


def confirm_duplicate(product_names: dict[str, str]) -> None:
    waiting = st.session_state.get(DUPLICATE_KEY)
    if not waiting:
        return

    def confirm() -> None:
        still_waiting = st.session_state.get(DUPLICATE_KEY)
        if still_waiting:
            place_order({**still_waiting["payload"], "confirm_duplicate": True}, product_names)

    def drop() -> None:
        st.session_state.pop(DUPLICATE_KEY, None)

    with st.container(border=True, key="duplicate-order"):
        st.warning(f"**{t('centre.duplicate')}**  \n{waiting['reason']}", icon="⚠️")
        confirm_column, drop_column = st.columns(2)
        confirm_column.button(
            t("centre.confirm_duplicate"), key="confirm_duplicate", type="primary", on_click=confirm
        )
        drop_column.button(t("centre.drop_duplicate"), key="drop_duplicate", on_click=drop)


@st.fragment(run_every=REFRESH_SECONDS)
def orders_and_deliveries(product_names: dict[str, str]) -> None:
    """The centre's orders, then its deliveries: those to confirm first, each with what it
    brought, and a button; then those received. Refreshed every few seconds on its own,
    and at once after a confirmation, without the rest of the page."""
    answers = api.get_many({"orders": ("/orders", {}), "deliveries": ("/deliveries", {})})
    st.subheader(t("centre.orders"))
    orders = answers["orders"]
    if isinstance(orders, ApiError):
        show_api_error(orders)
    elif not orders:
        st.info(t("centre.no_orders"))
    else:
        frame = board_views.order_frame(list(reversed(orders)), language, product_names)
        st.dataframe(
            board_views.with_headers(frame, language),
            hide_index=True,
            width="stretch",
            key="my_orders",
        )
    st.subheader(t("centre.deliveries"))
    show_outcome("receipt")
    deliveries = answers["deliveries"]
    if isinstance(deliveries, ApiError):
        show_api_error(deliveries)
        return
    if not deliveries:
        st.info(t("centre.no_deliveries"))
        return
    waiting = hub_views.deliveries_to_confirm(deliveries)
    if waiting:
        st.markdown(t("centre.deliveries.waiting", count=len(waiting)))
    for delivery in waiting:
        delivery_to_confirm(delivery, product_names)
    received = hub_views.deliveries_received(deliveries)
    if received:
        st.markdown(f"**{t('centre.deliveries.received')}**")
        frame = received_frame(received, product_names)
        st.dataframe(
            board_views.with_headers(frame, language),
            hide_index=True,
            width="stretch",
            key="received_deliveries",
        )
    st.caption(t("form.times", zone=timezone_label(language)))


def delivery_to_confirm(delivery: dict, product_names: dict[str, str]) -> None:
    with st.container(border=True, key=f"delivery-{delivery['id']}"):
        st.markdown(f"**{hub_views.delivery_heading(delivery, language, product_names)}**")
        st.caption(hub_views.delivery_details(delivery, language))
        st.button(
            t("centre.confirm_receipt", number=delivery["number"]),
            key=f"receipt_{delivery['id']}",
            icon=":material/inventory:",
            type="primary",
            on_click=confirm_receipt,
            args=(delivery,),
        )


def received_frame(deliveries: list[dict], product_names: dict[str, str]) -> pd.DataFrame:
    """The deliveries received, newest first, numbered as the centre counts them."""
    rows = [
        {
            "id": delivery["number"],
            "product": product_names.get(delivery["product_key"], delivery["product_key"]),
            "quantity": format_count(delivery["quantity"], language),
            "delivered_at": format_datetime(delivery["delivered_at"], language),
            "received_at": format_datetime(delivery["received_at"], language),
            "batches": ", ".join(
                t(
                    "centre.delivery.batch",
                    batch=line["batch_id"],
                    quantity=format_count(line["quantity"], language),
                )
                for line in delivery.get("batches") or []
            ),
            "order": delivery["order_id"],
        }
        for delivery in deliveries
    ]
    columns = ["id", "product", "quantity", "delivered_at", "received_at", "batches", "order"]
    return pd.DataFrame(rows, columns=columns)


def confirm_receipt(delivery: dict) -> None:
    """Confirm, from the button's `on_click`: the button is in the fragment, so only the
    deliveries are drawn again, since the rest of the page has not changed."""
    try:
        api.post(f"/deliveries/{delivery['id']}/receipt")
    except ApiError as error:
        remember_refusal("receipt", error)
        return
    remember_outcome("receipt", t("centre.receipt_done", number=delivery["number"]))


def defect_form(deliveries: list[dict]) -> None:
    """Report a defect on a batch the centre received; the fab-lab sees it with the
    batch's trace and may put the batch on hold."""
    st.subheader(t("centre.defect"))
    show_outcome("defect")
    received = {
        line["batch_id"]: delivery["number"]
        for delivery in deliveries
        for line in delivery.get("batches") or []
    }
    if not received:
        st.caption(t("centre.defect.none"))
        return
    starting_values("defect", {"defect_batch": None, "defect_text": ""})

    def send() -> None:
        batch_id, text = entered("defect_batch"), entered("defect_text") or ""
        if not ask_for_missing(
            "defect", {t("centre.defect.batch"): batch_id, t("centre.defect.text"): text}
        ):
            return
        try:
            report = api.post("/defects", {"batch_id": batch_id, "text": text})
        except ApiError as error:
            remember_refusal("defect", error)
            return
        clear_form("defect")
        remember_outcome(
            "defect", t("centre.defect.done", id=report["id"], batch=report["batch_id"])
        )

    with st.form("defect", enter_to_submit=False):
        st.selectbox(
            t("centre.defect.batch"),
            sorted(received, reverse=True),
            format_func=lambda b: t("centre.defect.batch_option", batch=b, delivery=received[b]),
            placeholder=t("form.choose"),
            key="defect_batch",
        )
        st.text_area(t("centre.defect.text"), max_chars=1000, key="defect_text")
        st.form_submit_button(t("centre.defect.submit"), key="defect_submit", on_click=send)


st.title(t("centre.title", name=account.get("name", "")))
show_outcome("order")
first = api.get_many({"products": ("/products", {}), "deliveries": ("/deliveries", {})})
products = first["products"]
if isinstance(products, ApiError):
    show_api_error(products)
    products = []
names = board_views.product_names(products, language)
order_form(names)
confirm_duplicate(names)
orders_and_deliveries(names)
delivered = first["deliveries"]
defect_form([] if isinstance(delivered, ApiError) else delivered)
