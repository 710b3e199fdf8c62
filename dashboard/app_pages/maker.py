"""A maker's page: register printers, follow them and their jobs, confirm a cleared bed,
and declare parts handed in to the hub."""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from dashboard import board_views, hub_views
from dashboard.account import signed_in_api
from dashboard.client import ApiError, show_api_error
from dashboard.formatting import format_count
from dashboard.forms import show_outcome, submit
from dashboard.i18n import choice_key, current_language, t

REFRESH_SECONDS = 5
CREDENTIALS_KEY = "new_printer_credentials"

api = signed_in_api()
language = current_language()


def show_new_credentials() -> None:
    """The new printer's credentials, until the maker says they copied them: its token, for
    the agent's config; or, for a printer run by the OctoPrint-MQTT plugin, its broker login
    for the plugin's settings. The plugin writes that password into OctoPrint's log, so it
    is derived from the token and never the token itself, which is not shown then."""
    credentials = st.session_state.get(CREDENTIALS_KEY)
    if not credentials:
        return
    plugin = credentials["connection_kind"] == "octoprint-mqtt"
    with st.container(border=True, key="new-printer-credentials"):
        st.success(t("maker.registered", name=credentials["name"], id=credentials["id"]))
        if plugin:
            st.warning(t("maker.credentials.plugin_warning"), icon="🔑")
        else:
            st.warning(t("maker.credentials.warning"), icon="🔑")
            st.caption(t("maker.credentials.token"))
            st.code(credentials["token"], language=None)
        st.caption(t("maker.credentials.mqtt_username"))
        st.code(credentials["mqtt_username"], language=None)
        if plugin:
            st.caption(t("maker.credentials.mqtt_password"))
            st.code(credentials["mqtt_password"], language=None)
        if st.button(t("maker.credentials.dismiss"), key="credentials_dismiss"):
            st.session_state.pop(CREDENTIALS_KEY, None)
            st.rerun()


def register_printer() -> None:
    with st.expander(t("maker.register"), icon=":material/add:"), st.form("printer"):
        name = st.text_input(t("field.printer_name"), key="printer_name", max_chars=120)
        x_column, y_column, z_column = st.columns(3)
        bed_x = x_column.number_input(t("field.bed_x"), 1.0, 2000.0, 220.0, key="printer_bed_x")
        bed_y = y_column.number_input(t("field.bed_y"), 1.0, 2000.0, 220.0, key="printer_bed_y")
        bed_z = z_column.number_input(t("field.bed_z"), 1.0, 2000.0, 250.0, key="printer_bed_z")
        nozzle_column, material_column = st.columns(2)
        nozzle = nozzle_column.number_input(
            t("field.nozzle"), 0.1, 2.0, 0.4, step=0.1, key="printer_nozzle"
        )
        material = material_column.selectbox(
            t("field.material"), hub_views.MATERIALS, key="printer_material"
        )
        from_column, to_column = st.columns(2)
        start = from_column.time_input(t("field.hours_from"), time(0, 0), key="printer_from")
        end = to_column.time_input(t("field.hours_to"), time(0, 0), key="printer_to")
        connection = st.selectbox(
            t("field.connection"),
            hub_views.CONNECTION_KINDS,
            format_func=lambda kind: t(f"connection.{kind}"),
            key=choice_key("printer_connection"),
        )
        st.caption(t("maker.plugin_fields"))
        base_topic = st.text_input(
            t("field.mqtt_base_topic"),
            key="printer_base_topic",
            help=t("field.mqtt_base_topic.help"),
        )
        octoprint_url = st.text_input(
            t("field.octoprint_url"),
            key="printer_octoprint_url",
            help=t("field.octoprint_url.help"),
        )
        api_key = st.text_input(
            t("field.octoprint_api_key"),
            type="password",
            key="printer_octoprint_key",
            help=t("field.octoprint_api_key.help"),
        )
        if st.form_submit_button(t("maker.register.submit"), key="printer_submit", type="primary"):
            payload = {
                "name": name,
                "bed_x_mm": bed_x,
                "bed_y_mm": bed_y,
                "bed_z_mm": bed_z,
                "nozzle_mm": nozzle,
                "material": material,
                "availability_hours": hub_views.availability_window(start, end),
                "connection_kind": connection,
                "mqtt_base_topic": base_topic or None,
                "octoprint_url": octoprint_url or None,
                "octoprint_api_key": api_key or None,
            }
            try:
                printer = api.post("/printers", payload)
            except ApiError as error:
                show_api_error(error, heading=t("hub.failed"))
            else:
                st.session_state[CREDENTIALS_KEY] = {
                    key: printer[key]
                    for key in (
                        "id",
                        "name",
                        "connection_kind",
                        "token",
                        "mqtt_username",
                        "mqtt_password",
                    )
                }
                st.rerun()


def clear_bed_buttons(waiting: list[dict]) -> None:
    for printer in waiting:
        if st.button(
            t("maker.clear_bed", name=printer["name"]),
            key=f"clear_bed_{printer['id']}",
            help=t("maker.clear_bed_help"),
            type="primary",
            icon=":material/check_circle:",
        ):
            try:
                api.post(f"/printers/{printer['id']}/clear-bed")
            except ApiError as error:
                show_api_error(error)
            else:
                st.success(t("maker.clear_bed_done", name=printer["name"]))


@st.fragment(run_every=REFRESH_SECONDS)
def printers_and_jobs() -> None:
    printers = api.get_or_show_error("/printers")
    statuses = api.get_or_show_error("/printers/status")
    if printers is None or statuses is None:
        return
    st.subheader(t("maker.printers"))
    if not printers:
        st.info(t("maker.no_printers"))
        return
    clear_bed_buttons(hub_views.printers_awaiting_clear(printers, statuses))
    frame = hub_views.my_printers_frame(printers, statuses, language, datetime.now(UTC))
    st.dataframe(
        board_views.with_headers(frame, language),
        hide_index=True,
        width="stretch",
        key="my_printers",
        column_config={
            t("col.progress"): st.column_config.ProgressColumn(
                t("col.progress"), min_value=0, max_value=100, format="%.0f %%"
            )
        },
    )
    st.subheader(t("maker.jobs"))
    jobs = api.get_or_show_error("/jobs")
    if jobs is None:
        return
    if not jobs:
        st.info(t("maker.no_jobs"))
        return
    parts = api.get_or_show_error("/parts") or []
    newest_first = list(reversed(jobs))
    frame = hub_views.job_frame(newest_first, language, board_views.part_names(parts, language))
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def hand_in_parts() -> None:
    st.subheader(t("maker.hand_in"))
    show_outcome("hand_in")
    with st.form("hand_in"):
        item = st.selectbox(
            t("field.item"),
            hub_views.PRINTED_ITEMS,
            format_func=lambda item: hub_views.item_label(item, language),
            key=choice_key("hand_in_item"),
        )
        quantity = int(
            st.number_input(t("field.quantity"), min_value=1, value=1, step=1, key="hand_in_qty")
        )
        note = st.text_input(t("field.note"), key="hand_in_note", max_chars=500)
        if st.form_submit_button(t("maker.hand_in.submit"), key="hand_in_submit", type="primary"):
            submit(
                api,
                "hand_in",
                "/hand-ins",
                {"item": item, "quantity": quantity, "note": note or None},
                failure_heading=t("hub.failed"),
                describe=lambda declared: t(
                    "maker.hand_in.done",
                    id=declared["id"],
                    quantity=format_count(declared["quantity"], language),
                    item=hub_views.item_label(declared["item"], language).lower(),
                ),
            )
    st.subheader(t("maker.hand_ins"))
    hand_ins = api.get_or_show_error("/hand-ins")
    if hand_ins is None:
        return
    if not hand_ins:
        st.info(t("maker.no_hand_ins"))
        return
    frame = hub_views.hand_in_frame(list(reversed(hand_ins)), language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


st.title(t("maker.title"))
show_new_credentials()
register_printer()
printers_and_jobs()
hand_in_parts()
