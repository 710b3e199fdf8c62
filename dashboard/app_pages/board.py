"""The coordinator's production board: tiles, alerts, funnel, throughput, printers,
queue and orders, each part refreshing itself every few seconds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import board_views as views
from dashboard.account import signed_in_api
from dashboard.client import Api
from dashboard.formatting import format_count, format_time
from dashboard.i18n import choice_key, current_language, t

REFRESH_SECONDS = 5
GRID_PAGE_SIZE = 50
QUEUE_SHOWN = 50

# Counts are whole: no 0.5 ticks, and no English "1,700" grouping on a French axis.
WHOLE_NUMBERS = alt.Axis(format="d", tickMinStep=1)

api = signed_in_api()


def show_tiles(title: str, tiles: list[views.Kpi], per_row: int = 4) -> None:
    st.subheader(title)
    for start in range(0, len(tiles), per_row):
        columns = st.columns(per_row)
        for column, tile in zip(columns, tiles[start : start + per_row], strict=False):
            with column, st.container(key=f"kpi-{tile.key}"):
                st.metric(tile.label, tile.value, help=tile.help, border=True)


def show_alerts(summary: dict, language: str, part_names: dict[str, str]) -> None:
    st.subheader(t("board.alerts"))
    if not summary["alerts"]:
        st.success(t("board.no_alerts"), icon="✅")
        return
    for alert in summary["alerts"]:
        sentence = views.alert_sentence(alert, language, part_names)
        if views.ALERT_SEVERITY.get(alert["kind"]) == "error":
            st.error(sentence, icon="🚨")
        else:
            st.warning(sentence, icon="⚠️")


def funnel_chart(frame: pd.DataFrame) -> alt.Chart:
    steps = list(dict.fromkeys(frame["step"]))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("step:N", sort=steps, title=None),
            x=alt.X("quantity:Q", title=t("axis.quantity"), axis=WHOLE_NUMBERS),
            color=alt.Color("product:N", title=None, legend=alt.Legend(orient="bottom")),
            yOffset="product:N",
            tooltip=["step", "product", "quantity"],
        )
        .properties(height=300)
    )


def throughput_chart(frame: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("hour:T", title=t("axis.hour"), axis=alt.Axis(format="%d/%m %H:%M")),
            y=alt.Y("quantity:Q", title=t("axis.quantity"), axis=WHOLE_NUMBERS),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
            xOffset="series:N",
            tooltip=[alt.Tooltip("hour:T", format="%d/%m %H:%M"), "series", "quantity"],
        )
        .properties(height=300)
    )


def catalogue_names(api: Api, language: str) -> tuple[dict[str, str], dict[str, str]]:
    """(part names, product names) by key, in the reader's language."""
    parts = api.get_or_show_error("/parts") or []
    products = api.get_or_show_error("/products") or []
    return views.part_names(parts, language), views.product_names(products, language)


@st.fragment(run_every=REFRESH_SECONDS)
def summary_section() -> None:
    language = current_language()
    summary = api.get_or_show_error("/board")
    if summary is None:
        return
    part_names, _ = catalogue_names(api, language)
    st.caption(
        t("common.refreshed", time=format_time(summary["generated_at"]), seconds=REFRESH_SECONDS)
    )
    show_alerts(summary, language, part_names)
    show_tiles(t("board.section.products"), views.product_kpis(summary, language), per_row=3)
    show_tiles(t("board.section.printers"), views.printer_kpis(summary, language))
    show_tiles(t("board.section.stages"), views.stage_kpis(summary, language))
    show_tiles(t("board.section.film"), views.film_kpis(summary, language))
    funnel_column, throughput_column = st.columns(2)
    with funnel_column:
        st.subheader(t("board.funnel"))
        st.caption(t("board.funnel_caption"))
        st.altair_chart(funnel_chart(views.funnel_frame(summary, language)), width="stretch")
        st.dataframe(views.funnel_table(summary, language), hide_index=True, width="stretch")
    with throughput_column:
        st.subheader(t("board.throughput"))
        st.caption(t("board.throughput_caption"))
        frame = views.throughput_frame(summary, language)
        st.altair_chart(throughput_chart(frame), width="stretch")


@st.fragment(run_every=REFRESH_SECONDS)
def printer_grid_section() -> None:
    """One page of the printer grid: never the whole fleet."""
    language = current_language()
    filter_column, page_column = st.columns([3, 1])
    with filter_column:
        state = st.selectbox(
            t("grid.state_filter"),
            options=[None, *views.PRINTER_STATES],
            format_func=lambda s: t("grid.all_states") if s is None else t(f"printer_state.{s}"),
            key=choice_key("grid_state"),
        )
    page = int(st.session_state.get("grid_page", 1))
    grid = api.get_or_show_error(
        "/board/printers", state=state, limit=GRID_PAGE_SIZE, offset=(page - 1) * GRID_PAGE_SIZE
    )
    if grid is None:
        return
    pages = max(1, math.ceil(grid["total"] / GRID_PAGE_SIZE))
    if page > pages:
        page = pages
        st.session_state["grid_page"] = page
        grid = api.get_or_show_error(
            "/board/printers", state=state, limit=GRID_PAGE_SIZE, offset=(page - 1) * GRID_PAGE_SIZE
        )
        if grid is None:
            return
    with page_column:
        st.number_input(t("grid.page"), min_value=1, max_value=pages, step=1, key="grid_page")
    if not grid["rows"]:
        st.info(t("grid.empty"))
        return
    first = (page - 1) * GRID_PAGE_SIZE + 1
    st.caption(
        t(
            "grid.count",
            first=format_count(first, language),
            last=format_count(first + len(grid["rows"]) - 1, language),
            total=format_count(grid["total"], language),
        )
    )
    frame = views.with_headers(
        views.printer_grid_frame(grid, language, datetime.now(UTC)), language
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="printer_grid",
        column_config={
            t("col.progress"): st.column_config.ProgressColumn(
                t("col.progress"), min_value=0, max_value=100, format="%.0f %%"
            )
        },
    )


@st.fragment(run_every=REFRESH_SECONDS)
def queue_section() -> None:
    """The next jobs in the order the dispatcher takes them."""
    language = current_language()
    summary = api.get_or_show_error("/board")
    jobs = api.get_or_show_error("/jobs", status="queued", limit=QUEUE_SHOWN)
    if summary is None or jobs is None:
        return
    if not jobs:
        st.info(t("queue.empty"))
        return
    total = summary["jobs_by_status"].get("queued", len(jobs))
    st.caption(
        t(
            "queue.count",
            shown=format_count(len(jobs), language),
            total=format_count(total, language),
        )
    )
    part_names, _ = catalogue_names(api, language)
    frame = views.with_headers(views.queue_frame(jobs, language, part_names), language)
    st.dataframe(frame, hide_index=True, width="stretch", key="job_queue")


@st.fragment(run_every=REFRESH_SECONDS)
def orders_section() -> None:
    language = current_language()
    show_closed = st.toggle(t("orders.show_closed"), key="orders_show_closed")
    orders = api.get_or_show_error("/orders", status=None if show_closed else "open")
    centres = api.get_or_show_error("/accounts", role="health_centre") or []
    if orders is None:
        return
    if not orders:
        st.info(t("orders.empty"))
        return
    late = sum(1 for order in orders if order.get("late"))
    if late:
        st.warning(t("orders.late_count", count=late), icon="⏰")
    _, product_names = catalogue_names(api, language)
    centre_names = {centre["id"]: centre["name"] for centre in centres}
    frame = views.with_headers(
        views.order_frame(orders, language, product_names, centre_names), language
    )
    st.dataframe(frame, hide_index=True, width="stretch", key="orders")


st.title(t("board.title"))
summary_section()
printers_tab, queue_tab, orders_tab = st.tabs(
    [t("board.printers"), t("board.queue"), t("board.orders")]
)
with printers_tab:
    printer_grid_section()
with queue_tab:
    queue_section()
with orders_tab:
    orders_section()
