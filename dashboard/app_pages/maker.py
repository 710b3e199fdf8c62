"""A maker's page: register printers, follow them and their jobs, confirm a cleared bed,
declare the filament they hold, and declare parts handed in to the hub."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import streamlit as st

from dashboard import board_views, filament_views, hub_views, pause_views
from dashboard.account import signed_in_api
from dashboard.client import ApiError, show_api_error
from dashboard.formatting import format_count, timezone_label
from dashboard.forms import (
    ask_for_missing,
    clear_form,
    entered,
    forget_outcome,
    remember_outcome,
    remember_refusal,
    show_outcome,
    starting_values,
    submit,
)
from dashboard.i18n import choice_key, current_language, t
from dashboard.pause_section import PauseSection, draw_pause_section

REFRESH_SECONDS = 5
# The jobs table shows the newest ones only: redrawn every few seconds, a maker's whole
# history would cost their browser more than it tells them.
JOBS_SHOWN = 100
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
        st.button(
            t("maker.credentials.dismiss"), key="credentials_dismiss", on_click=forget_credentials
        )


def forget_credentials() -> None:
    st.session_state.pop(CREDENTIALS_KEY, None)


# A new printer's form as it starts, and again once a printer is registered: whole
# millimetres for the bed, a nozzle picked from the usual sizes (shown "0,4 mm"); its
# hours start as `hours_starting_values` says.
PRINTER_FORM: dict[str, Any] = {
    "printer_name": "",
    "printer_bed_x": 220,
    "printer_bed_y": 220,
    "printer_bed_z": 250,
    "printer_nozzle": 0.4,
    "printer_material": hub_views.MATERIALS[0],
    "printer_base_topic": "",
    "printer_octoprint_url": "",
    "printer_octoprint_key": "",
}


def bed_input(column: Any, label_key: str, key: str) -> None:
    column.number_input(t(label_key), min_value=1, max_value=2000, step=1, key=key)


def hours_starting_values(prefix: str) -> dict[str, Any]:
    """The hours fields of a form (widget keys starting with `prefix`) as it starts:
    around the clock on every day, an evening window ready for when the maker unticks
    it, no weekly hours typed."""
    return {
        f"{prefix}_always": True,
        f"{prefix}_from": time(20, 0),
        f"{prefix}_to": time(8, 0),
        choice_key(f"{prefix}_days"): list(hub_views.WEEKDAYS),
        f"{prefix}_weekly": "",
        f"{prefix}_unattended": False,
    }


def hours_fields(prefix: str) -> None:
    """Draw the hours fields of a form (widget keys starting with `prefix`): around the
    clock, or a window on chosen days, or weekly hours typed out, and whether a print
    may run on past them (`entered_hours` reads them)."""
    st.checkbox(t("availability.always_field"), key=f"{prefix}_always")
    from_column, to_column = st.columns(2)
    from_column.time_input(
        t("availability.from"), key=f"{prefix}_from", help=t("availability.help"), step=900
    )
    to_column.time_input(t("availability.to"), key=f"{prefix}_to", step=900)
    st.multiselect(
        t("availability.days"),
        hub_views.WEEKDAYS,
        format_func=lambda day: hub_views.day_label(day, language),
        placeholder=t("availability.days_placeholder"),
        help=t("availability.days_help"),
        key=choice_key(f"{prefix}_days"),
    )
    st.text_input(
        t("availability.weekly"),
        key=f"{prefix}_weekly",
        max_chars=hub_views.HOURS_MAX_LENGTH,
        placeholder=t("availability.weekly_placeholder"),
        help=t("availability.weekly_help"),
    )
    st.checkbox(
        t("availability.unattended_field"),
        key=f"{prefix}_unattended",
        help=t("availability.unattended_help"),
    )


def entered_hours(prefix: str) -> tuple[str, bool]:
    """What the hours fields of a form hold (see `hours_fields`), as its `on_click` reads
    them: the hours to send, and whether a print may run on past them."""
    hours = hub_views.availability_window(
        entered(f"{prefix}_from"),
        entered(f"{prefix}_to"),
        bool(entered(f"{prefix}_always")),
        entered(choice_key(f"{prefix}_days")) or [],
        entered(f"{prefix}_weekly") or "",
    )
    return hours, bool(entered(f"{prefix}_unattended")) and hours != hub_views.ALWAYS


CREDENTIAL_FIELDS = ("id", "name", "connection_kind", "token", "mqtt_username", "mqtt_password")


def register_printer() -> None:
    connection_key = choice_key("printer_connection")
    starting_values(
        "printer",
        {
            **PRINTER_FORM,
            **hours_starting_values("printer"),
            connection_key: hub_views.CONNECTION_KINDS[0],
        },
    )

    def send() -> None:
        name = entered("printer_name") or ""
        if not ask_for_missing("printer", {t("field.printer_name"): name.strip()}):
            return
        hours, unattended = entered_hours("printer")
        payload = {
            "name": name,
            "bed_x_mm": int(entered("printer_bed_x")),
            "bed_y_mm": int(entered("printer_bed_y")),
            "bed_z_mm": int(entered("printer_bed_z")),
            "nozzle_mm": entered("printer_nozzle"),
            "material": entered("printer_material"),
            "availability_hours": hours,
            "unattended_prints": unattended,
            "connection_kind": entered(connection_key),
            "mqtt_base_topic": entered("printer_base_topic") or None,
            "octoprint_url": entered("printer_octoprint_url") or None,
            "octoprint_api_key": entered("printer_octoprint_key") or None,
        }
        # No idempotency key: the service never keeps a new printer's token for a replay.
        try:
            printer = api.post("/printers", payload)
        except ApiError as error:
            remember_refusal("printer", error, t("hub.failed"))
        else:
            forget_outcome("printer")
            st.session_state[CREDENTIALS_KEY] = {key: printer[key] for key in CREDENTIAL_FIELDS}
            clear_form("printer")

    with st.expander(t("maker.register"), icon=":material/add:"):
        show_outcome("printer")
        with st.form("printer", enter_to_submit=False):
            st.text_input(t("field.printer_name"), key="printer_name", max_chars=120)
            x_column, y_column, z_column = st.columns(3)
            bed_input(x_column, "field.bed_x", "printer_bed_x")
            bed_input(y_column, "field.bed_y", "printer_bed_y")
            bed_input(z_column, "field.bed_z", "printer_bed_z")
            nozzle_column, material_column = st.columns(2)
            nozzle_column.selectbox(
                t("field.nozzle"),
                hub_views.NOZZLES_MM,
                format_func=lambda size: hub_views.nozzle_label(size, language),
                placeholder=t("form.choose"),
                key="printer_nozzle",
            )
            material_column.selectbox(
                t("field.material"),
                hub_views.MATERIALS,
                placeholder=t("form.choose"),
                key="printer_material",
            )
            hours_fields("printer")
            st.selectbox(
                t("field.connection"),
                hub_views.CONNECTION_KINDS,
                format_func=lambda kind: t(f"connection.{kind}"),
                placeholder=t("form.choose"),
                key=connection_key,
            )
            st.caption(t("maker.plugin_fields"))
            st.text_input(
                t("field.mqtt_base_topic"),
                key="printer_base_topic",
                help=t("field.mqtt_base_topic.help"),
            )
            st.text_input(
                t("field.octoprint_url"),
                key="printer_octoprint_url",
                help=t("field.octoprint_url.help"),
            )
            st.text_input(
                t("field.octoprint_api_key"),
                type="password",
                key="printer_octoprint_key",
                help=t("field.octoprint_api_key.help"),
            )
            st.form_submit_button(
                t("maker.register.submit"), key="printer_submit", type="primary", on_click=send
            )


def clear_bed(printer: dict[str, Any]) -> None:
    """A clear-bed button's `on_click`."""
    try:
        api.post(f"/printers/{printer['id']}/clear-bed")
    except ApiError as error:
        remember_refusal("clear_bed", error)
    else:
        remember_outcome("clear_bed", t("maker.clear_bed_done", name=printer["name"]))


def clear_bed_buttons(waiting: list[dict]) -> None:
    show_outcome("clear_bed")
    for printer in waiting:
        st.button(
            t("maker.clear_bed", name=printer["name"]),
            key=f"clear_bed_{printer['id']}",
            help=t("maker.clear_bed_help"),
            type="primary",
            icon=":material/check_circle:",
            on_click=clear_bed,
            args=(printer,),
        )


Reads = dict[str, tuple[str, dict[str, Any]]]
FRAGMENT_READS: Reads = {
    "printers": ("/printers", {}),
    "statuses": ("/printers/status", {}),
    "jobs": ("/jobs", {}),
    "parts": ("/parts", {}),
}
PAGE_READS: Reads = {
    **FRAGMENT_READS,
    "filament": ("/makers/me/filament", {}),
    "hand_ins": ("/hand-ins", {}),
    "pauses": ("/pauses", {}),
}


def answer_or_show(answers: dict[str, Any], name: str) -> Any:
    """One of `get_many`'s answers, or None after showing why there is none."""
    answer = answers[name]
    if isinstance(answer, ApiError):
        show_api_error(answer)
        return None
    return answer


@st.fragment(run_every=REFRESH_SECONDS)
def printers_and_jobs() -> None:
    """The maker's printers and jobs, read together and refreshed every few seconds."""
    answers = api.get_many(FRAGMENT_READS)
    printers = answer_or_show(answers, "printers")
    statuses = answer_or_show(answers, "statuses")
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
    jobs = answer_or_show(answers, "jobs")
    if jobs is None:
        return
    if not jobs:
        st.info(t("maker.no_jobs"))
        return
    parts = answer_or_show(answers, "parts") or []
    if len(jobs) > JOBS_SHOWN:
        st.caption(
            t("maker.jobs.recent", count=JOBS_SHOWN, total=format_count(len(jobs), language))
        )
    frame = hub_views.job_frame(
        list(reversed(jobs))[:JOBS_SHOWN],
        language,
        board_views.part_names(parts, language),
        {printer["id"]: printer["name"] for printer in printers},
    )
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")
    st.caption(t("form.times", zone=timezone_label(language)))


def hand_in_parts(answers: dict[str, Any]) -> None:
    st.subheader(t("maker.hand_in"))
    show_outcome("hand_in")
    item_key = choice_key("hand_in_item")
    starting_values("hand_in", {item_key: None, "hand_in_qty": None, "hand_in_note": ""})

    def send() -> None:
        item, quantity = entered(item_key), entered("hand_in_qty")
        if not ask_for_missing("hand_in", {t("field.item"): item, t("field.quantity"): quantity}):
            return
        submit(
            api,
            "hand_in",
            "/hand-ins",
            {"item": item, "quantity": int(quantity or 0), "note": entered("hand_in_note") or None},
            failure_heading=t("hub.failed"),
            describe=lambda declared: t(
                "maker.hand_in.done",
                id=declared["id"],
                goods=hub_views.goods(declared["item"], declared["quantity"], language),
            ),
        )

    with st.form("hand_in", enter_to_submit=False):
        st.selectbox(
            t("field.item"),
            hub_views.PRINTED_ITEMS,
            format_func=lambda item: hub_views.item_label(item, language),
            placeholder=t("form.choose"),
            key=item_key,
        )
        st.number_input(
            t("field.quantity"),
            min_value=1,
            step=1,
            placeholder=t("form.type_number"),
            key="hand_in_qty",
        )
        st.text_input(t("field.note"), key="hand_in_note", max_chars=500)
        st.form_submit_button(
            t("maker.hand_in.submit"), key="hand_in_submit", type="primary", on_click=send
        )
    st.subheader(t("maker.hand_ins"))
    hand_ins = answer_or_show(answers, "hand_ins")
    if hand_ins is None:
        return
    if not hand_ins:
        st.info(t("maker.no_hand_ins"))
        return
    frame = hub_views.hand_in_frame(list(reversed(hand_ins)), language)
    st.dataframe(board_views.with_headers(frame, language), hide_index=True, width="stretch")


def my_filament(answers: dict[str, Any]) -> None:
    """Their filament per material, a warning when it runs low, and a spool to declare
    (or a correction). Their printers get only the jobs it covers."""
    st.subheader(t("maker.filament"))
    st.caption(t("maker.filament.intro"))
    show_outcome("filament")
    lines = answer_or_show(answers, "filament")
    if lines is not None:
        for sentence in filament_views.warnings(lines, language, own=True):
            st.warning(sentence, icon=":material/warning:")
        if lines:
            frame = filament_views.balance_frame(lines, language)
            st.dataframe(
                board_views.with_headers(frame, language),
                hide_index=True,
                width="stretch",
                key="my_filament",
            )
        else:
            st.info(t("maker.filament.none"))
    starting_values(
        "filament",
        {
            "filament_material": hub_views.MATERIALS[0],
            "filament_grams": 1_000,
            "filament_reason": "",
        },
    )

    def send() -> None:
        material, grams = entered("filament_material"), int(entered("filament_grams"))
        submit(
            api,
            "filament",
            "/makers/me/filament",
            {"material": material, "grams": grams, "reason": entered("filament_reason") or None},
            failure_heading=t("hub.failed"),
            describe=lambda _change: t(
                "maker.filament.done",
                grams=format_count(grams, language),
                material=material,
            ),
        )

    with st.form("filament", enter_to_submit=False):
        material_column, grams_column = st.columns(2)
        material_column.selectbox(
            t("field.material"),
            hub_views.MATERIALS,
            placeholder=t("form.choose"),
            key="filament_material",
        )
        grams_column.number_input(
            t("field.filament_grams"),
            min_value=-100_000,
            max_value=100_000,
            step=50,
            key="filament_grams",
            help=t("field.filament_grams.help"),
        )
        st.text_input(t("field.filament_reason"), key="filament_reason", max_chars=200)
        st.form_submit_button(
            t("maker.filament.submit"), key="filament_submit", type="primary", on_click=send
        )


def printer_hours(answers: dict[str, Any]) -> None:
    """Change when a registered printer may print: the same hours fields as a new
    printer's, sent as a PATCH of its hours."""
    printers = answers["printers"] if not isinstance(answers["printers"], ApiError) else []
    if not printers:
        return
    st.subheader(t("maker.hours"))
    st.caption(t("maker.hours.intro"))
    show_outcome("hours")
    names = {printer["id"]: printer["name"] for printer in printers}
    if st.session_state.get("hours_printer") not in names:  # first draw, or deleted since
        st.session_state.pop("hours_printer", None)
    starting_values("hours", {"hours_printer": printers[0]["id"], **hours_starting_values("hours")})

    def send() -> None:
        hours, unattended = entered_hours("hours")
        submit(
            api,
            "hours",
            f"/printers/{entered('hours_printer')}",
            {"availability_hours": hours, "unattended_prints": unattended},
            failure_heading=t("hub.failed"),
            describe=lambda printer: t(
                "maker.hours.done",
                printer=printer["name"],
                hours=hub_views.availability_text(
                    printer["availability_hours"], language, printer["unattended_prints"]
                ),
            ),
            method="PATCH",
        )

    with st.form("hours", enter_to_submit=False):
        st.selectbox(
            t("field.hours_printer"),
            list(names),
            format_func=lambda printer_id: names[printer_id],
            key="hours_printer",
        )
        hours_fields("hours")
        st.form_submit_button(
            t("maker.hours.submit"), key="hours_submit", type="primary", on_click=send
        )


def pauses_and_holidays(answers: dict[str, Any]) -> None:
    """Pause a printer, or all of them, now or for dates; see the pauses under way and to
    come, and end or cancel one."""
    st.subheader(t("maker.pauses"))
    printers = answers["printers"] if not isinstance(answers["printers"], ApiError) else []
    section = PauseSection(
        form="pause",
        targets=pause_views.maker_targets(printers, language),
        first_choice=pause_views.ALL_PRINTERS,
        intro=t("maker.pauses.intro"),
        target_field=t("field.pause_target"),
    )
    draw_pause_section(api, section, answer_or_show(answers, "pauses"))


st.title(t("maker.title"))
show_new_credentials()
register_printer()
# Everything the page shows, read at once; the fragment's first run finds it cached.
everything = api.get_many(PAGE_READS)
printers_and_jobs()
printer_hours(everything)
pauses_and_holidays(everything)
my_filament(everything)
hand_in_parts(everything)
