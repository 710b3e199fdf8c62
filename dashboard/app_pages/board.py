"""The coordinator's production board: alerts and tiles, then the printers, the queue,
the orders and the trends (funnel and throughput) in tabs, each part refreshing itself
every few seconds.

What a browser waits for, and redraws at each refresh, is kept small: the summary is
one request; the names of parts, products and health centres, which seldom change, are
read together once a minute; and only the open tab is read, computed and sent, so the
charts are drawn only when their tab is open.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import board_views as views
from dashboard.account import signed_in_api
from dashboard.client import Api, ApiError, show_api_error
from dashboard.formatting import format_count, format_time, timezone_label
from dashboard.i18n import choice_key, current_language, t

REFRESH_SECONDS = 5
NAMES_SECONDS = 60
GRID_PAGE_SIZE = 50
QUEUE_SHOWN = 50
ALL_STATES = "all"

# Counts are whole: no 0.5 ticks, and no English "1,700" grouping on a French axis.
QUANTITY_AXIS = alt.Axis(format="d", tickMinStep=1, aria=False)

api = signed_in_api()


@st.cache_data(ttl=NAMES_SECONDS, show_spinner=False)
def reference_names(api: Api, language: str) -> views.Names:
    """The parts', products' and health centres' names, read together; a minute old at
    most. Raises the first ApiError met (an error is not kept)."""
    answers = api.get_many(
        {
            "parts": ("/parts", {}),
            "products": ("/products", {}),
            "centres": ("/accounts", {"role": "health_centre"}),
        }
    )
    for answer in answers.values():
        if isinstance(answer, ApiError):
            raise answer
    return views.Names(
        parts=views.part_names(answers["parts"], language),
        products=views.product_names(answers["products"], language),
        centres={centre["id"]: centre["name"] for centre in answers["centres"]},
    )


def names_or_error(language: str) -> views.Names | None:
    try:
        return reference_names(api, language)
    except ApiError as error:
        show_api_error(error)
        return None


# --- the summary ----------------------------------------------------------------------


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


def spoken_bars(chart: alt.Chart, title: str) -> alt.Chart:
    """The chart as a screen reader meets it, in the reader's language: its title, then
    each bar's sentence (the frame's `said`). Vega-Lite's own descriptions of the axes
    and legends are English ("X-axis titled…") and say nothing the bars do not."""
    return chart.encode(description="said:N").properties(description=title)


def funnel_chart(frame: pd.DataFrame) -> alt.Chart:
    steps = list(dict.fromkeys(frame["step"]))
    chart = (
        alt.Chart(frame)
        .mark_bar(ariaRoleDescription=t("chart.bar"))
        .encode(
            y=alt.Y("step:N", sort=steps, title=None, axis=alt.Axis(aria=False)),
            x=alt.X("quantity:Q", title=t("axis.quantity"), axis=QUANTITY_AXIS),
            color=alt.Color(
                "product:N", title=None, legend=alt.Legend(orient="bottom", aria=False)
            ),
            yOffset="product:N",
            tooltip=[
                alt.Tooltip("step:N", title=t("col.step")),
                alt.Tooltip("product:N", title=t("col.product")),
                alt.Tooltip("quantity:Q", title=t("axis.quantity"), format="d"),
            ],
        )
        .properties(height=300)
    )
    return spoken_bars(chart, t("board.funnel"))


def throughput_chart(frame: pd.DataFrame) -> alt.Chart:
    """One pair of bars a time slot, labelled by its start; labels that would overlap
    are left out, so a day of bars stays readable."""
    bars = list(dict.fromkeys(frame["bar"]))
    chart = (
        alt.Chart(frame)
        .mark_bar(ariaRoleDescription=t("chart.bar"))
        .encode(
            x=alt.X(
                "bar:O",
                sort=bars,
                title=t("board.axis.bar"),
                axis=alt.Axis(labelAngle=0, labelOverlap=True, aria=False),
            ),
            y=alt.Y("quantity:Q", title=t("axis.quantity"), axis=QUANTITY_AXIS),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", aria=False)),
            xOffset="series:N",
            tooltip=[
                alt.Tooltip("bar:O", title=t("board.axis.bar")),
                alt.Tooltip("series:N", title=t("col.series")),
                alt.Tooltip("quantity:Q", title=t("axis.quantity"), format="d"),
            ],
        )
        .properties(height=300)
    )
    return spoken_bars(chart, t("board.throughput"))


@st.fragment(run_every=REFRESH_SECONDS)
def summary_section() -> None:
    """Alerts and tiles: what the coordinator watches, every few seconds."""
    language = current_language()
    names = names_or_error(language)
    summary = api.get_or_show_error("/board")
    if summary is None or names is None:
        return
    st.caption(
        t("common.refreshed", time=format_time(summary["generated_at"]), seconds=REFRESH_SECONDS)
    )
    show_alerts(summary, language, names.parts)
    show_tiles(t("board.section.products"), views.product_kpis(summary, language), per_row=3)
    show_tiles(t("board.section.printers"), views.printer_kpis(summary, language))
    show_tiles(t("board.section.stages"), views.stage_kpis(summary, language))
    show_tiles(t("board.section.supplies"), views.supply_kpis(summary, language))


# --- the tabs -------------------------------------------------------------------------


def printer_grid(language: str, names: views.Names) -> None:
    """One page of the printer grid: never the whole fleet."""
    filter_column, page_column = st.columns([3, 1])
    with filter_column:
        state = st.selectbox(
            t("grid.state_filter"),
            options=[ALL_STATES, *views.PRINTER_STATES],
            format_func=lambda s: (
                t("grid.all_states") if s == ALL_STATES else t(f"printer_state.{s}")
            ),
            placeholder=t("grid.choose_state"),
            key=choice_key("grid_state"),
        )
    page = int(st.session_state.get("grid_page", 1))

    def read_page(page: int) -> Any:
        return api.get_or_show_error(
            "/board/printers",
            state=None if state == ALL_STATES else state,
            limit=GRID_PAGE_SIZE,
            offset=(page - 1) * GRID_PAGE_SIZE,
        )

    grid = read_page(page)
    if grid is None:
        return
    pages = max(1, math.ceil(grid["total"] / GRID_PAGE_SIZE))
    if page > pages:
        page = pages
        st.session_state["grid_page"] = page
        grid = read_page(page)
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
    frame = views.printer_grid_frame(grid, language, datetime.now(UTC), names.parts)
    column_config: dict[str, Any] = {
        t(f"col.{name}"): st.column_config.Column(t(f"col.{name}"), width=width)
        for name, width in views.PRINTER_GRID_WIDTHS.items()
    }
    column_config[t("col.progress")] = st.column_config.ProgressColumn(
        t("col.progress"),
        min_value=0,
        max_value=100,
        format="%.0f %%",
        width=views.PRINTER_GRID_WIDTHS["progress"],
    )
    st.dataframe(
        views.with_headers(frame, language),
        hide_index=True,
        width="stretch",
        key="printer_grid",
        column_config=column_config,
    )


def trends(language: str, _names: views.Names) -> None:
    """The funnel and the throughput: trends, in a tab of their own, since a chart costs
    the browser far more to draw than a figure (half a second of the board's first page
    on this machine). The summary comes from the client's cache, read by the tiles."""
    summary = api.get_or_show_error("/board")
    if summary is None:
        return
    funnel_column, throughput_column = st.columns(2)
    with funnel_column:
        st.subheader(t("board.funnel"))
        st.caption(t("board.funnel_caption"))
        st.altair_chart(funnel_chart(views.funnel_frame(summary, language)), width="stretch")
        table = views.funnel_table(summary, language)
        counts = {
            name: st.column_config.TextColumn(name, alignment="right") for name in table.columns[1:]
        }
        st.dataframe(table, hide_index=True, width="stretch", column_config=counts)
    with throughput_column:
        st.subheader(t("board.throughput"))
        bars = views.bar_width_words(summary["throughput_bar_minutes"], language)
        st.caption(t("board.throughput_caption", bars=bars))
        frame = views.throughput_frame(summary, language)
        st.altair_chart(throughput_chart(frame), width="stretch")


def job_queue(language: str, names: views.Names) -> None:
    """The next jobs in the order the dispatcher takes them."""
    queue = api.get_or_show_error("/board/queue", limit=QUEUE_SHOWN)
    if queue is None:
        return
    if not queue["jobs"]:
        st.info(t("queue.empty"))
        return
    total = format_count(queue["total"], language)
    st.caption(t("queue.count", count=len(queue["jobs"]), total=total))
    frame = views.queue_frame(queue["jobs"], language, names.parts)
    st.dataframe(
        views.with_headers(frame, language), hide_index=True, width="stretch", key="job_queue"
    )


def order_list(language: str, names: views.Names) -> None:
    show_closed = st.toggle(t("orders.show_closed"), key="orders_show_closed")
    orders = api.get_or_show_error("/orders", status=None if show_closed else "open")
    if orders is None:
        return
    if not orders:
        st.info(t("orders.empty"))
        return
    late = sum(1 for order in orders if order.get("late"))
    if late:
        st.warning(t("orders.late_count", count=late), icon="⏰")
    frame = views.order_frame(orders, language, names.products, names.centres)
    st.dataframe(
        views.with_headers(frame, language), hide_index=True, width="stretch", key="orders"
    )


@st.fragment(run_every=REFRESH_SECONDS, parallel=True)
def lists_section() -> None:
    """The tabs: only the open one is read and drawn, at each refresh and on a switch.
    On a page's first run it runs beside the summary (its reads are other ones)."""
    language = current_language()
    tabs = st.tabs(
        [t("board.printers"), t("board.queue"), t("board.orders"), t("board.trends")],
        key=choice_key("board_tab"),
        on_change="rerun",
    )
    names = names_or_error(language)
    if names is None:
        return
    for tab, show in zip(tabs, (printer_grid, job_queue, order_list, trends), strict=True):
        if tab.open:
            with tab:
                show(language, names)


st.title(t("board.title"))
st.caption(t("board.timezone", zone=timezone_label(current_language())))
summary_section()
lists_section()
