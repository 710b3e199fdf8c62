"""The hub's work, recorded by the coordinator: donations, collections, quality control,
assembly, disinfection, packing, deliveries, new parts, traceability, stock, filament,
and the printers' pauses and holidays."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import board_views, filament_views, hub_views, pause_views
from dashboard.account import signed_in_api
from dashboard.client import ApiError, http_client, show_api_error
from dashboard.formatting import format_count, format_datetime, format_size, timezone_label
from dashboard.forms import (
    ask_for_missing,
    clear_form,
    entered,
    remember_not_sent,
    remember_outcome,
    remember_refusal,
    show_outcome,
    starting_values,
    submit,
)
from dashboard.i18n import choice_key, current_language, t
from dashboard.pause_section import PauseSection, draw_pause_section

api = signed_in_api()
language = current_language()


def item_label(item: str) -> str:
    return hub_views.item_label(item, language)


def quantity_input(key: str, label_key: str = "field.quantity", minimum: int = 1) -> None:
    """A whole number, shown without decimals; empty (None) until typed when its form
    starts it so (see `starting_values`); read it with `whole(entered(key))`."""
    st.number_input(
        t(label_key), min_value=minimum, step=1, placeholder=t("form.type_number"), key=key
    )


def whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def choice(label_key: str, options: Any, key: str, **kwargs: Any) -> Any:
    """A selectbox whose empty state asks, in the reader's language, to choose."""
    return st.selectbox(t(label_key), options, placeholder=t("form.choose"), key=key, **kwargs)


def movements_recorded(change: dict) -> str:
    return t("hub.movements.done", count=len(change["movements"]))


def record_donation() -> None:
    show_outcome("donation")
    item_key = choice_key("donation_item")
    starting_values(
        "donation",
        {
            "donation_donor": "",
            item_key: None,
            "donation_quantity": None,
            "donation_material": None,
            "donation_note": "",
        },
    )

    def send() -> None:
        donor, item = entered("donation_donor") or "", entered(item_key)
        quantity = whole(entered("donation_quantity"))
        if not ask_for_missing(
            "donation",
            {t("field.donor"): donor.strip(), t("field.item"): item, t("field.quantity"): quantity},
        ):
            return
        payload = {
            "donor": donor,
            "item": item,
            "quantity": quantity,
            "material": entered("donation_material"),
            "note": entered("donation_note") or None,
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
                goods=hub_views.goods(donation["item"], donation["quantity"], language),
            ),
        )

    with st.form("donation", enter_to_submit=False):
        st.text_input(t("field.donor"), key="donation_donor", max_chars=200)
        choice("field.item", hub_views.SUPPLY_ITEMS, item_key, format_func=item_label)
        quantity_input("donation_quantity")
        choice("field.filament_material", hub_views.MATERIALS, "donation_material")
        st.text_input(t("field.note"), key="donation_note", max_chars=500)
        st.form_submit_button(
            t("hub.donation.submit"), key="donation_submit", type="primary", on_click=send
        )


def record_collection(makers: list[dict], hand_ins: list[dict]) -> None:
    if not makers:
        st.info(t("hub.no_makers"))
        return
    maker_names = {maker["id"]: hub_views.maker_label(maker) for maker in makers}
    pending = {h["id"]: h for h in hub_views.pending_hand_ins(hand_ins)}

    hand_in_key = choice_key("collection_hand_in")
    item_key = choice_key("collection_item")

    def prefill_from_hand_in() -> None:
        hand_in = pending.get(st.session_state.get(hand_in_key))
        if hand_in is not None:
            st.session_state["collection_maker"] = hand_in["maker_id"]
            st.session_state[item_key] = hand_in["item"]
            st.session_state["collection_quantity"] = hand_in["quantity"]

    show_outcome("collection")
    starting_values(
        "collection",
        {hand_in_key: None, "collection_maker": None, item_key: None, "collection_quantity": None},
    )

    def send() -> None:
        maker_id, item = entered("collection_maker"), entered(item_key)
        quantity = whole(entered("collection_quantity"))
        if not ask_for_missing(
            "collection",
            {t("field.maker"): maker_id, t("field.item"): item, t("field.quantity"): quantity},
        ):
            return
        payload = {
            "maker_id": maker_id,
            "item": item,
            "quantity": quantity,
            "hand_in_id": entered(hand_in_key),
        }
        submit(
            api,
            "collection",
            "/collections",
            payload,
            failure_heading=t("hub.failed"),
            describe=movements_recorded,
        )

    st.selectbox(
        t("field.hand_in"),
        [None, *pending],
        format_func=lambda i: (
            t("field.no_hand_in")
            if i is None
            else hub_views.hand_in_label(pending[i], language, maker_names)
        ),
        key=hand_in_key,
        on_change=prefill_from_hand_in,
    )
    with st.form("collection", enter_to_submit=False):
        choice("field.maker", list(maker_names), "collection_maker", format_func=maker_names.get)
        choice("field.item", hub_views.PRINTED_ITEMS, item_key, format_func=item_label)
        quantity_input("collection_quantity")
        st.form_submit_button(
            t("hub.collection.submit"), key="collection_submit", type="primary", on_click=send
        )


def record_qc() -> None:
    show_outcome("qc")
    item_key = choice_key("qc_item")
    starting_values("qc", {item_key: None, "qc_passed": 0, "qc_rejected": 0, "qc_reason": ""})

    def send() -> None:
        item = entered(item_key)
        if not ask_for_missing("qc", {t("field.item"): item}):
            return
        payload = {
            "item": item,
            "passed": whole(entered("qc_passed")) or 0,
            "rejected": whole(entered("qc_rejected")) or 0,
            "reason": entered("qc_reason") or None,
        }
        submit(
            api,
            "qc",
            "/qc",
            payload,
            failure_heading=t("hub.failed"),
            describe=movements_recorded,
        )

    with st.form("qc", enter_to_submit=False):
        choice("field.item", hub_views.PRINTED_ITEMS, item_key, format_func=item_label)
        passed_column, rejected_column = st.columns(2)
        with passed_column:
            quantity_input("qc_passed", "field.passed", minimum=0)
        with rejected_column:
            quantity_input("qc_rejected", "field.rejected", minimum=0)
        st.text_input(t("field.reason"), key="qc_reason", max_chars=500)
        st.form_submit_button(t("hub.qc.submit"), key="qc_submit", type="primary", on_click=send)


def assemble_batch(products: list[dict], product_names: dict[str, str]) -> None:
    show_outcome("batch")
    product_key_widget = choice_key("batch_product")
    starting_values("batch", {product_key_widget: None, "batch_quantity": None})

    def send() -> None:
        product_key = entered(product_key_widget)
        quantity = whole(entered("batch_quantity"))
        if not ask_for_missing(
            "batch", {t("field.product"): product_key, t("field.quantity"): quantity}
        ):
            return
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
                goods=hub_views.goods(
                    batch["product_key"], batch["quantity"], language, product_names
                ),
            ),
        )

    with st.form("batch", enter_to_submit=False):
        choice(
            "field.product",
            [product["key"] for product in products],
            product_key_widget,
            format_func=product_names.get,
        )
        quantity_input("batch_quantity")
        st.form_submit_button(
            t("hub.batch.submit"), key="batch_submit", type="primary", on_click=send
        )


def record_disinfection(batches: list[dict], product_names: dict[str, str]) -> None:
    show_outcome("disinfection")
    waiting = {batch["id"]: batch for batch in hub_views.batches_to_disinfect(batches)}
    if not waiting:
        st.info(t("hub.disinfection.none"))
        return
    batch_key = choice_key("disinfection_batch")
    method_key = choice_key("disinfection_method")
    starting_values(
        "disinfection", {batch_key: None, method_key: None, "disinfection_day": date.today()}
    )

    def send() -> None:
        batch_id, method = entered(batch_key), entered(method_key)
        day = entered("disinfection_day")
        if not ask_for_missing(
            "disinfection",
            {t("field.batch"): batch_id, t("field.method"): method, t("field.disinfected_on"): day},
        ):
            return
        payload = {
            "method": method,
            "disinfected_at": hub_views.disinfected_at(day, date.today()),
        }
        submit(
            api,
            "disinfection",
            f"/batches/{batch_id}/disinfection",
            payload,
            failure_heading=t("hub.failed"),
            describe=lambda batch: t("hub.disinfection.done", id=batch["id"]),
        )

    with st.form("disinfection", enter_to_submit=False):
        choice(
            "field.batch",
            list(waiting),
            batch_key,
            format_func=lambda i: hub_views.batch_label(waiting[i], language, product_names),
        )
        choice(
            "field.method",
            hub_views.DISINFECTION_METHODS,
            method_key,
            format_func=lambda m: t(f"method.{m}"),
        )
        st.date_input(
            t("field.disinfected_on"),
            max_value=date.today(),
            format="DD/MM/YYYY",
            key="disinfection_day",
        )
        st.form_submit_button(
            t("hub.disinfection.submit"), key="disinfection_submit", type="primary", on_click=send
        )


def order_choice(key: str, orders: dict[int, dict], labels: dict[int, str]) -> None:
    """The order a step's form is for, by its widget's key (read it with `entered`)."""
    choice("field.order", list(orders), key, format_func=labels.get)


def pack_for_order(orders: dict[int, dict], labels: dict[int, str]) -> None:
    show_outcome("packing")
    if not orders:
        st.info(t("hub.no_open_orders"))
        return
    order_key = choice_key("packing_order")
    starting_values("packing", {order_key: None, "packing_quantity": None})

    def send() -> None:
        order_id = entered(order_key)
        quantity = whole(entered("packing_quantity"))
        if not ask_for_missing(
            "packing", {t("field.order"): order_id, t("field.quantity"): quantity}
        ):
            return
        payload = {"order_id": order_id, "quantity": quantity}
        submit(
            api,
            "packing",
            "/packings",
            payload,
            failure_heading=t("hub.failed"),
            describe=movements_recorded,
        )

    with st.form("packing", enter_to_submit=False):
        order_choice(order_key, orders, labels)
        quantity_input("packing_quantity")
        st.form_submit_button(
            t("hub.packing.submit"), key="packing_submit", type="primary", on_click=send
        )


def deliver(orders: dict[int, dict], labels: dict[int, str]) -> None:
    show_outcome("delivery")
    if not orders:
        st.info(t("hub.nothing_packed"))
        return
    order_key = choice_key("delivery_order")
    starting_values("delivery", {order_key: None, "delivery_quantity": None, "delivery_note": ""})

    def send() -> None:
        order_id = entered(order_key)
        quantity = whole(entered("delivery_quantity"))
        if not ask_for_missing(
            "delivery", {t("field.order"): order_id, t("field.quantity"): quantity}
        ):
            return
        payload = {
            "order_id": order_id,
            "quantity": quantity,
            "note": entered("delivery_note") or None,
        }
        submit(
            api,
            "delivery",
            "/deliveries",
            payload,
            failure_heading=t("hub.failed"),
            describe=lambda delivery: t(
                "hub.delivery.done",
                goods=hub_views.goods(
                    delivery["product_key"], delivery["quantity"], language, product_names
                ),
                order=delivery["order_id"],
                centre=centre_names.get(delivery["health_centre_id"], "—"),
                number=delivery["number"],
            ),
        )

    with st.form("delivery", enter_to_submit=False):
        order_choice(order_key, orders, labels)
        quantity_input("delivery_quantity")
        st.text_input(t("field.note"), key="delivery_note", max_chars=500)
        st.form_submit_button(
            t("hub.delivery.submit"), key="delivery_submit", type="primary", on_click=send
        )


PART_UPLOADS = "part_uploads"


def add_part(parts: list[dict]) -> None:
    """A new part from an STL file. The uploader cannot be emptied through the session,
    so each part added gives the next one a new uploader (its key counts the parts)."""
    st.write(t("hub.part.intro"))
    show_outcome("part")
    role_key = choice_key("part_bom_role")
    starting_values(
        "part",
        {
            "part_key": "",
            "part_name_fr": "",
            "part_name_en": "",
            role_key: None,
            "part_material": hub_views.MATERIALS[0],
            "part_orientation": hub_views.ORIENTATIONS[0],
        },
    )
    uploads = st.session_state.setdefault(PART_UPLOADS, 0)
    upload_key = f"part_file-{uploads}"

    def send() -> None:
        upload, key = entered(upload_key), entered("part_key") or ""
        bom_role = entered(role_key)
        if (
            not ask_for_missing(
                "part",
                {
                    t("field.stl_file"): upload,
                    t("field.part_key"): key.strip(),
                    t("field.bom_role"): bom_role,
                },
            )
            or upload is None
        ):
            return
        fields = {
            "key": key,
            "name_fr": entered("part_name_fr") or "",
            "name_en": entered("part_name_en") or "",
            "bom_role": bom_role,
            "material": entered("part_material"),
            "orientation": entered("part_orientation"),
        }
        upload_part(upload.name, upload.getvalue(), fields)

    with st.form("part", enter_to_submit=False):
        st.file_uploader(t("field.stl_file"), type=["stl"], key=upload_key)
        st.text_input(t("field.part_key"), key="part_key", max_chars=60)
        st.text_input(t("field.name_fr"), key="part_name_fr", max_chars=200)
        st.text_input(t("field.name_en"), key="part_name_en", max_chars=200)
        role_column, material_column, orientation_column = st.columns(3)
        with role_column:
            choice("field.bom_role", hub_views.PRINTED_ITEMS, role_key, format_func=item_label)
        with material_column:
            choice("field.material", hub_views.MATERIALS, "part_material")
        with orientation_column:
            choice(
                "field.orientation",
                hub_views.ORIENTATIONS,
                "part_orientation",
                format_func=lambda name: hub_views.orientation_label(name, language),
            )
        st.form_submit_button(
            t("hub.part.submit"), key="part_submit", type="primary", on_click=send
        )
    st.subheader(t("hub.parts"))
    frame = hub_views.part_frame(parts, language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def upload_part(filename: str, content: bytes, fields: dict[str, str]) -> None:
    """Send a new part from the part form's `on_click`; on success, empty the form and
    give the next part a new uploader."""
    try:
        part = api.post("/parts", files={"file": (filename, content, "model/stl")}, data=fields)
    except ApiError as error:
        remember_refusal("part", error, t("hub.failed"))
        return
    clear_form("part")
    st.session_state[PART_UPLOADS] = st.session_state.get(PART_UPLOADS, 0) + 1
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


def trace_batches(batches: list[dict], product_names: dict[str, str]) -> None:
    if not batches:
        st.info(t("hub.trace.none"))
        treasurer_exports()
        return
    st.write(t("hub.trace.intro"))
    by_id = {batch["id"]: batch for batch in reversed(batches)}
    batch_id = choice(
        "field.batch",
        list(by_id),
        choice_key("trace_batch"),
        format_func=lambda i: hub_views.batch_label(by_id[i], language, product_names),
    )
    if batch_id is None:
        return
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
    st.caption(t("form.times", zone=timezone_label(language)))
    labels_and_defects(batch_id)
    treasurer_exports()


# --- labels, defect reports and exports -----------------------------------------------


@st.cache_data(ttl=30, show_spinner=False, max_entries=50)
def downloaded(token: str, path: str, params: tuple[tuple[str, str], ...] = ()) -> bytes | None:
    """A file the service makes (a PDF, a CSV), as bytes; None when it refuses."""
    response = http_client(api.base_url).get(
        path, params=params, headers={"Authorization": f"Bearer {token}"}
    )
    return response.content if response.status_code == 200 else None


def labels_and_defects(batch_id: int) -> None:
    """The batch's label sheet, then every defect report with the makers of its batch and
    a button that puts the batch on hold (the quarantine's `POST /holds`)."""
    show_outcome("trace")
    pdf = downloaded(api.token, f"/batches/{batch_id}/labels.pdf")
    if pdf is not None:
        st.download_button(
            t("hub.labels.download", batch=batch_id),
            pdf,
            file_name=f"lot-{batch_id}-etiquettes.pdf",
            mime="application/pdf",
            key="labels_pdf",
            icon=":material/qr_code_2:",
        )
    st.subheader(t("hub.defects"))
    reports = api.get_or_show_error("/defects") or []
    if not reports:
        st.caption(t("hub.defects.none"))
    for report in reports[:20]:
        source = (
            t("hub.defects.source.public")
            if report["source"] == "public"
            else t("hub.defects.source.centre", centre=report.get("centre_name") or "?")
        )
        with st.container(border=True, key=f"defect-{report['id']}"):
            st.markdown(
                t(
                    "hub.defects.line",
                    id=report["id"],
                    batch=report["batch_id"],
                    source=source,
                    when=format_datetime(report["created_at"], language),
                )
            )
            st.text(report["text"])
            makers = ", ".join(report["trace"]["makers"]) or "—"
            st.caption(t("hub.defects.makers", makers=makers))
            st.button(
                t("hub.defects.hold", batch=report["batch_id"]),
                key=f"hold_from_defect_{report['id']}",
                icon=":material/block:",
                on_click=hold_batch,
                args=(report,),
            )


def hold_batch(report: dict) -> None:
    """Put a defect report's batch on hold, from its button's `on_click`; what the service
    said is shown where the trace is drawn (`show_outcome("trace")`)."""
    reason = t("hub.defects.hold_reason", id=report["id"])
    body = {"scope": "batch", "id": report["batch_id"], "reason": reason}
    try:
        hold = api.post("/holds", body)
    except ApiError as error:
        if error.status == 404:
            remember_not_sent("trace", t("hub.defects.no_holds"))
            return
        remember_refusal("trace", error)
        return
    remember_outcome("trace", t("hub.defects.held", batch=report["batch_id"], hold=hold["id"]))


def treasurer_exports() -> None:
    """CSV files for the treasurer over a period: deliveries with their batches, donations,
    and each maker's contribution."""
    st.subheader(t("hub.exports"))
    today = date.today()
    since_column, until_column = st.columns(2)
    since = since_column.date_input(
        t("hub.exports.since"),
        value=date(today.year, 1, 1),
        min_value=date(2020, 1, 1),
        max_value=today,
        format="DD/MM/YYYY",
        key="export_since",
    )
    until = until_column.date_input(
        t("hub.exports.until"),
        value=today,
        min_value=date(2020, 1, 1),
        max_value=today,
        format="DD/MM/YYYY",
        key="export_until",
    )
    if not isinstance(since, date) or not isinstance(until, date):
        return
    period = (("since", since.isoformat()), ("until", until.isoformat()))
    columns = st.columns(3)
    for column, name in zip(columns, ("deliveries", "donations", "contributions"), strict=True):
        data = downloaded(api.token, f"/exports/{name}.csv", period)
        if data is None:
            column.caption(t(f"hub.exports.{name}") + " — " + t("error.refused", status=400))
            continue
        column.download_button(
            t(f"hub.exports.{name}"),
            data,
            file_name=f"{name}_{since.isoformat()}_{until.isoformat()}.csv",
            mime="text/csv",
            key=f"export_{name}",
            icon=":material/download:",
        )


def show_stock(stock: list[dict]) -> None:
    st.caption(t("hub.stock_intro"))
    frame = board_views.stock_frame(stock, language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def send_filament(makers: list[dict], lines: list[dict]) -> None:
    """Spools sent to a maker (from the filament on hand), and every tracked maker's
    filament, with a warning for those running low."""
    st.caption(t("hub.filament.intro"))
    if not makers:
        st.info(t("hub.no_makers"))
        return
    maker_names = {maker["id"]: hub_views.maker_label(maker) for maker in makers}
    show_outcome("filament_sent")
    starting_values(
        "filament_sent",
        {
            "filament_sent_maker": None,
            "filament_sent_material": hub_views.MATERIALS[0],
            "filament_sent_grams": None,
            "filament_sent_note": "",
        },
    )

    def send() -> None:
        maker_id, material = entered("filament_sent_maker"), entered("filament_sent_material")
        grams = whole(entered("filament_sent_grams"))
        if not ask_for_missing(
            "filament_sent",
            {t("hub.filament.maker"): maker_id, t("field.filament_grams"): grams},
        ):
            return
        payload = {
            "maker_id": maker_id,
            "material": material,
            "grams": grams,
            "note": entered("filament_sent_note") or None,
        }
        submit(
            api,
            "filament_sent",
            "/filament/sent",
            payload,
            failure_heading=t("hub.failed"),
            describe=lambda _change: t(
                "hub.filament.done",
                grams=format_count(grams, language),
                material=material,
                maker=maker_names.get(maker_id, "—"),
            ),
        )

    with st.form("filament_sent", enter_to_submit=False):
        choice(
            "hub.filament.maker",
            list(maker_names),
            "filament_sent_maker",
            format_func=maker_names.get,
        )
        choice("field.material", hub_views.MATERIALS, "filament_sent_material")
        quantity_input("filament_sent_grams", "field.filament_grams")
        st.text_input(t("field.note"), key="filament_sent_note", max_chars=200)
        st.form_submit_button(
            t("hub.filament.submit"), key="filament_sent_submit", type="primary", on_click=send
        )
    st.subheader(t("hub.filament.balances"))
    for sentence in filament_views.warnings(lines, language, own=False):
        st.warning(sentence, icon=":material/warning:")
    if not lines:
        st.info(t("hub.filament.none"))
        return
    frame = filament_views.balance_frame(lines, language, with_maker=True)
    st.dataframe(
        board_views.with_headers(frame, language),
        hide_index=True,
        width="stretch",
        key="makers_filament",
    )


def pauses_and_holidays(makers: list[dict], printers: list[dict], pauses: list[dict]) -> None:
    """Every pause under way or to come, each ended or cancelled by a button; and a pause
    of any maker's printer, or of all a maker's printers, now or for dates."""
    if not makers:
        st.info(t("hub.no_makers"))
        return
    section = PauseSection(
        form="hub_pause",
        targets=pause_views.coordinator_targets(makers, printers, language),
        first_choice=None,
        intro=t("hub.pauses.intro"),
        target_field=t("field.pause_target_any"),
    )
    draw_pause_section(api, section, pauses)


def load_all(
    reads: dict[str, tuple[str, dict[str, Any]]], problems: DeltaGenerator
) -> dict[str, Any]:
    """Every GET answer the page needs, read at once; the page stops after showing why,
    in `problems`, when the service refuses one."""
    answers = api.get_many(reads)
    for answer in answers.values():
        if isinstance(answer, ApiError):
            with problems:
                show_api_error(answer)
            st.stop()
    return answers


st.title(t("hub.title"))
st.caption(t("hub.intro"))
problems = st.container()  # where a refused read is said, above the tabs

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
            "filament",
            "pauses",
        )
    ]
)
# The first tab reads nothing: it is drawn, with what its last sending said, before the
# page waits for the service's answers that the other tabs need.
with tabs[0]:
    record_donation()

answers = load_all(
    {
        "makers": ("/makers", {}),
        "products": ("/products", {}),
        "parts": ("/parts", {}),
        "batches": ("/batches", {}),
        "open_orders": ("/orders", {"status": "open"}),
        "centres": ("/accounts", {"role": "health_centre"}),
        "hand_ins": ("/hand-ins", {}),
        "stock": ("/stock", {}),
        "filament": ("/filament", {}),
        "printers": ("/printers", {}),
        "pauses": ("/pauses", {}),
    },
    problems,
)
makers, products, parts, batches, open_orders, centres, hand_ins = (
    answers[name]
    for name in ("makers", "products", "parts", "batches", "open_orders", "centres", "hand_ins")
)
product_names = board_views.product_names(products, language)
centre_names = {centre["id"]: centre["name"] for centre in centres}


def order_choices(step: str, orders: list[dict]) -> tuple[dict[int, dict], dict[int, str]]:
    """The orders a step's form offers, by id, and their labels."""
    by_id = {order["id"]: order for order in orders}
    labels = {
        order["id"]: hub_views.order_label(order, language, product_names, centre_names, step)
        for order in orders
    }
    return by_id, labels


with tabs[1]:
    record_collection(makers, hand_ins)
with tabs[2]:
    record_qc()
with tabs[3]:
    assemble_batch(products, product_names)
with tabs[4]:
    record_disinfection(batches, product_names)
with tabs[5]:
    pack_for_order(*order_choices("packing", hub_views.orders_to_pack(open_orders)))
with tabs[6]:
    deliver(*order_choices("delivery", hub_views.orders_to_deliver(open_orders)))
with tabs[7]:
    add_part(parts)
with tabs[8]:
    trace_batches(batches, product_names)
with tabs[9]:
    show_stock(answers["stock"])
with tabs[10]:
    send_filament(makers, answers["filament"])
with tabs[11]:
    pauses_and_holidays(makers, answers["printers"], answers["pauses"])
