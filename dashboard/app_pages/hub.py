"""The hub's work, recorded by the coordinator: donations, collections, quality control,
assembly, disinfection, packing, deliveries, new parts, traceability and stock."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from dashboard import board_views, hub_views
from dashboard.account import signed_in_api
from dashboard.client import ApiError, show_api_error
from dashboard.formatting import format_count, format_size
from dashboard.forms import remember_outcome, show_outcome, submit
from dashboard.i18n import choice_key, current_language, t

api = signed_in_api()
language = current_language()


def item_label(item: str) -> str:
    return hub_views.item_label(item, language)


def quantity_input(key: str, label_key: str = "field.quantity", minimum: int = 1) -> int:
    st.session_state.setdefault(key, minimum)
    return int(st.number_input(t(label_key), min_value=minimum, step=1, key=key))


def movements_recorded(change: dict) -> str:
    return t("hub.movements.done", count=len(change["movements"]))


def record_donation() -> None:
    show_outcome("donation")
    with st.form("donation"):
        donor = st.text_input(t("field.donor"), key="donation_donor", max_chars=200)
        item = st.selectbox(
            t("field.item"),
            hub_views.SUPPLY_ITEMS,
            format_func=item_label,
            key=choice_key("donation_item"),
        )
        quantity = quantity_input("donation_quantity")
        material = st.selectbox(
            t("field.filament_material"),
            [None, *hub_views.MATERIALS],
            format_func=lambda m: "—" if m is None else m,
            key="donation_material",
        )
        note = st.text_input(t("field.note"), key="donation_note", max_chars=500)
        if st.form_submit_button(t("hub.donation.submit"), key="donation_submit", type="primary"):
            payload = {
                "donor": donor,
                "item": item,
                "quantity": quantity,
                "material": material,
                "note": note or None,
            }
            submit(
                api,
                "donation",
                "/donations",
                payload,
                failure_heading=t("hub.failed"),
                describe=lambda donation: t(
                    "hub.donation.done",
                    id=donation["id"],
                    quantity=format_count(donation["quantity"], language),
                    item=item_label(donation["item"]).lower(),
                ),
            )


def record_collection(makers: list[dict], hand_ins: list[dict]) -> None:
    if not makers:
        st.info(t("hub.no_makers"))
        return
    maker_names = {maker["id"]: hub_views.maker_label(maker) for maker in makers}
    pending = {h["id"]: h for h in hub_views.pending_hand_ins(hand_ins)}

    def prefill_from_hand_in() -> None:
        hand_in = pending.get(st.session_state.get(choice_key("collection_hand_in")))
        if hand_in is not None:
            st.session_state["collection_maker"] = hand_in["maker_id"]
            st.session_state[choice_key("collection_item")] = hand_in["item"]
            st.session_state["collection_quantity"] = hand_in["quantity"]

    show_outcome("collection")
    hand_in_id = st.selectbox(
        t("field.hand_in"),
        [None, *pending],
        format_func=lambda i: (
            t("field.no_hand_in")
            if i is None
            else hub_views.hand_in_label(pending[i], language, maker_names)
        ),
        key=choice_key("collection_hand_in"),
        on_change=prefill_from_hand_in,
    )
    with st.form("collection"):
        maker_id = st.selectbox(
            t("field.maker"),
            list(maker_names),
            format_func=maker_names.__getitem__,
            key="collection_maker",
        )
        item = st.selectbox(
            t("field.item"),
            hub_views.PRINTED_ITEMS,
            format_func=item_label,
            key=choice_key("collection_item"),
        )
        quantity = quantity_input("collection_quantity")
        if st.form_submit_button(
            t("hub.collection.submit"), key="collection_submit", type="primary"
        ):
            payload = {
                "maker_id": maker_id,
                "item": item,
                "quantity": quantity,
                "hand_in_id": hand_in_id,
            }
            submit(
                api,
                "collection",
                "/collections",
                payload,
                failure_heading=t("hub.failed"),
                describe=movements_recorded,
            )


def record_qc() -> None:
    show_outcome("qc")
    with st.form("qc"):
        item = st.selectbox(
            t("field.item"),
            hub_views.PRINTED_ITEMS,
            format_func=item_label,
            key=choice_key("qc_item"),
        )
        passed_column, rejected_column = st.columns(2)
        with passed_column:
            passed = quantity_input("qc_passed", "field.passed", minimum=0)
        with rejected_column:
            rejected = quantity_input("qc_rejected", "field.rejected", minimum=0)
        reason = st.text_input(t("field.reason"), key="qc_reason", max_chars=500)
        if st.form_submit_button(t("hub.qc.submit"), key="qc_submit", type="primary"):
            payload = {
                "item": item,
                "passed": passed,
                "rejected": rejected,
                "reason": reason or None,
            }
            submit(
                api,
                "qc",
                "/qc",
                payload,
                failure_heading=t("hub.failed"),
                describe=movements_recorded,
            )


def assemble_batch(products: list[dict], product_names: dict[str, str]) -> None:
    show_outcome("batch")
    with st.form("batch"):
        product_key = st.selectbox(
            t("field.product"),
            [product["key"] for product in products],
            format_func=product_names.__getitem__,
            key=choice_key("batch_product"),
        )
        quantity = quantity_input("batch_quantity")
        if st.form_submit_button(t("hub.batch.submit"), key="batch_submit", type="primary"):
            payload = {"product_key": product_key, "quantity": quantity}
            submit(
                api,
                "batch",
                "/batches",
                payload,
                failure_heading=t("hub.failed"),
                describe=lambda batch: t(
                    "hub.batch.done",
                    id=batch["id"],
                    quantity=format_count(batch["quantity"], language),
                    product=product_names.get(batch["product_key"], batch["product_key"]).lower(),
                ),
            )


def record_disinfection(batches: list[dict], product_names: dict[str, str]) -> None:
    show_outcome("disinfection")
    waiting = {batch["id"]: batch for batch in hub_views.batches_to_disinfect(batches)}
    if not waiting:
        st.info(t("hub.disinfection.none"))
        return
    with st.form("disinfection"):
        batch_id = st.selectbox(
            t("field.batch"),
            list(waiting),
            format_func=lambda i: hub_views.batch_label(waiting[i], language, product_names),
            key=choice_key("disinfection_batch"),
        )
        method = st.selectbox(
            t("field.method"),
            hub_views.DISINFECTION_METHODS,
            format_func=lambda m: t(f"method.{m}"),
            key=choice_key("disinfection_method"),
        )
        day = st.date_input(
            t("field.disinfected_on"),
            value=date.today(),
            max_value=date.today(),
            format="DD/MM/YYYY",
            key="disinfection_day",
        )
        if st.form_submit_button(
            t("hub.disinfection.submit"), key="disinfection_submit", type="primary"
        ):
            payload = {
                "method": method,
                "disinfected_at": hub_views.disinfected_at(day, date.today()),
            }
            path = f"/batches/{batch_id}/disinfection"
            submit(
                api,
                "disinfection",
                path,
                payload,
                failure_heading=t("hub.failed"),
                describe=lambda batch: t("hub.disinfection.done", id=batch["id"]),
            )


def order_choice(form: str, orders: dict[int, dict], labels: dict[int, str]) -> int:
    chosen: int = st.selectbox(
        t("field.order"),
        list(orders),
        format_func=labels.__getitem__,
        key=choice_key(f"{form}_order"),
    )
    return chosen


def pack_for_order(orders: dict[int, dict], labels: dict[int, str]) -> None:
    show_outcome("packing")
    if not orders:
        st.info(t("hub.no_open_orders"))
        return
    with st.form("packing"):
        order_id = order_choice("packing", orders, labels)
        quantity = quantity_input("packing_quantity")
        if st.form_submit_button(t("hub.packing.submit"), key="packing_submit", type="primary"):
            payload = {"order_id": order_id, "quantity": quantity}
            submit(
                api,
                "packing",
                "/packings",
                payload,
                failure_heading=t("hub.failed"),
                describe=movements_recorded,
            )


def deliver(orders: dict[int, dict], labels: dict[int, str]) -> None:
    show_outcome("delivery")
    if not orders:
        st.info(t("hub.no_open_orders"))
        return
    with st.form("delivery"):
        order_id = order_choice("delivery", orders, labels)
        quantity = quantity_input("delivery_quantity")
        note = st.text_input(t("field.note"), key="delivery_note", max_chars=500)
        if st.form_submit_button(t("hub.delivery.submit"), key="delivery_submit", type="primary"):
            payload = {"order_id": order_id, "quantity": quantity, "note": note or None}
            submit(
                api,
                "delivery",
                "/deliveries",
                payload,
                failure_heading=t("hub.failed"),
                describe=lambda delivery: t(
                    "hub.delivery.done",
                    id=delivery["id"],
                    quantity=format_count(delivery["quantity"], language),
                    order=delivery["order_id"],
                ),
            )


def add_part(parts: list[dict]) -> None:
    st.write(t("hub.part.intro"))
    show_outcome("part")
    with st.form("part"):
        upload = st.file_uploader(t("field.stl_file"), type=["stl"], key="part_file")
        key = st.text_input(t("field.part_key"), key="part_key", max_chars=60)
        name_fr = st.text_input(t("field.name_fr"), key="part_name_fr", max_chars=200)
        name_en = st.text_input(t("field.name_en"), key="part_name_en", max_chars=200)
        role_column, material_column, orientation_column = st.columns(3)
        with role_column:
            bom_role = st.selectbox(
                t("field.bom_role"),
                hub_views.PRINTED_ITEMS,
                format_func=item_label,
                key=choice_key("part_bom_role"),
            )
        with material_column:
            material = st.selectbox(t("field.material"), hub_views.MATERIALS, key="part_material")
        with orientation_column:
            orientation = st.selectbox(
                t("field.orientation"), hub_views.ORIENTATIONS, key="part_orientation"
            )
        if st.form_submit_button(t("hub.part.submit"), key="part_submit", type="primary"):
            if upload is None:
                st.warning(t("hub.part.no_file"))
            else:
                fields = {
                    "key": key,
                    "name_fr": name_fr,
                    "name_en": name_en,
                    "bom_role": bom_role,
                    "material": material,
                    "orientation": orientation,
                }
                upload_part(upload.name, upload.getvalue(), fields)
    st.subheader(t("hub.parts"))
    frame = hub_views.part_frame(parts, language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def upload_part(filename: str, content: bytes, fields: dict[str, str]) -> None:
    try:
        part = api.post("/parts", files={"file": (filename, content, "model/stl")}, data=fields)
    except ApiError as error:
        show_api_error(error, heading=t("hub.failed"))
        return
    remember_outcome(
        "part",
        t(
            "hub.part.done",
            part=part["key"],
            grams=format_count(part["grams"] or 0, language),
            size=format_size(
                *(round(part[axis] or 0) for axis in ("size_x_mm", "size_y_mm", "size_z_mm"))
            ),
        ),
    )
    st.rerun()


def trace_batches(batches: list[dict], product_names: dict[str, str]) -> None:
    if not batches:
        st.info(t("hub.trace.none"))
        return
    st.write(t("hub.trace.intro"))
    by_id = {batch["id"]: batch for batch in reversed(batches)}
    batch_id = st.selectbox(
        t("field.batch"),
        list(by_id),
        format_func=lambda i: hub_views.batch_label(by_id[i], language, product_names),
        key=choice_key("trace_batch"),
    )
    trace = api.get_or_show_error(f"/batches/{batch_id}/trace")
    if trace is None:
        return
    st.markdown(t("hub.trace.makers", makers=", ".join(trace["makers"]) or "—"))
    if trace["orders"]:
        st.markdown(t("hub.trace.orders", orders=", ".join(f"{o}" for o in trace["orders"])))
    else:
        st.caption(t("hub.trace.no_orders"))
    frame = hub_views.trace_frame(trace, language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def show_stock(stock: list[dict]) -> None:
    st.caption(t("hub.stock_intro"))
    frame = board_views.stock_frame(stock, language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def load(path: str, **params: Any) -> Any:
    """A GET answer; the page stops after showing why when the service refuses."""
    try:
        return api.get(path, **params)
    except ApiError as error:
        show_api_error(error)
        st.stop()


st.title(t("hub.title"))
st.caption(t("hub.intro"))

makers = load("/makers")
products = load("/products")
parts = load("/parts")
batches = load("/batches")
open_orders = hub_views.orders_still_needing(load("/orders", status="open"))
centres = load("/accounts", role="health_centre")
hand_ins = load("/hand-ins")
product_names = board_views.product_names(products, language)
centre_names = {centre["id"]: centre["name"] for centre in centres}
orders_by_id = {order["id"]: order for order in open_orders}
order_labels = {
    order["id"]: hub_views.order_label(order, language, product_names, centre_names)
    for order in open_orders
}

tabs = st.tabs(
    [
        t(f"hub.tab.{name}")
        for name in (
            "donation",
            "collection",
            "qc",
            "batch",
            "disinfection",
            "packing",
            "delivery",
            "part",
            "trace",
            "stock",
        )
    ]
)
with tabs[0]:
    record_donation()
with tabs[1]:
    record_collection(makers, hand_ins)
with tabs[2]:
    record_qc()
with tabs[3]:
    assemble_batch(products, product_names)
with tabs[4]:
    record_disinfection(batches, product_names)
with tabs[5]:
    pack_for_order(orders_by_id, order_labels)
with tabs[6]:
    deliver(orders_by_id, order_labels)
with tabs[7]:
    add_part(parts)
with tabs[8]:
    trace_batches(batches, product_names)
with tabs[9]:
    show_stock(load("/stock"))
