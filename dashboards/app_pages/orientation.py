"""Orientation: first wishes against streams granted at the end of 3AC and of the common core."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import orientation as da
from dashboards.exports import Kind, show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, label_or_code, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import (
    PLOTLY_CONFIG,
    grouped_bars,
    named_bars,
    paired_frame,
    url_selectbox,
)

LEVELS = ("3AC", "TC")


def demand_bars(streams: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Grouped bars per stream: first wishes and streams granted."""
    wished, granted = t("orient.series.wished", lang), t("orient.series.granted", lang)
    series = {wished: "first_wishes", granted: "streams_granted"}
    frame = paired_frame(streams, lang, series, x="stream", y="pupils", dtype=pl.Int64)
    return grouped_bars(
        frame,
        lang,
        t("orient.chart.title", lang, year=isolate_ltr(year, lang)),
        x="stream",
        y="pupils",
        colors={wished: "#9aa5b1", granted: "#2f6fb0"},
        axis_title=t("orient.chart.pupils", lang),
        yaxis={"tickformat": ",d"},
    )


def satisfaction_bars(territory: pl.DataFrame, lang: str, year: str) -> go.Figure:
    title = t("orient.chart.satisfaction_title", lang, year=isolate_ltr(year, lang))
    axis = t("orient.chart.satisfaction", lang)
    return named_bars(
        territory,
        "first_wish_satisfaction_rate",
        axis,
        lang,
        title,
        hover="%{y}: %{x:.1f} %",
        x_range=[0, 100],
        skip_missing=True,
    )


def stream_table(streams: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    """Per stream: wishes, decisions and the first-wish satisfaction rate (a share), with column kinds."""
    col = {c: t(f"orient.col.{c}", lang) for c in (
        "code", "stream", "first_wishes", "granted", "first_wishes_granted", "satisfaction", "not_oriented"
    )}  # fmt: skip
    table = pl.DataFrame(
        {
            col["code"]: streams["code"],
            col["stream"]: [label_or_code(r, lang) for r in streams.iter_rows(named=True)],
            col["first_wishes"]: streams["first_wishes"],
            col["granted"]: streams["streams_granted"],
            col["first_wishes_granted"]: streams["first_wishes_granted"],
            col["satisfaction"]: streams["first_wish_satisfaction_rate"].cast(pl.Float64) / 100,
            col["not_oriented"]: streams["first_wishes_not_oriented"],
        }
    )
    kinds: dict[str, Kind] = {col[c]: "int" for c in (
        "first_wishes", "granted", "first_wishes_granted", "not_oriented"
    )}  # fmt: skip
    kinds[col["satisfaction"]] = "pct"
    return table, kinds


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    left, _ = st.columns([2, 3])
    level = url_selectbox(
        t("orient.filter.level", lang),
        list(LEVELS),
        param="level",
        to_url=lambda c: c,
        format_func=lambda c: t(f"orient.level.{c}", lang),
        container=left,
    )
    streams = da.demand_and_places(year, level, scope=scope, **where)
    pupils = int(streams["first_wishes"].sum() or 0) if streams.height else 0
    if not pupils:
        st.warning(t("orient.no_data", lang))
        return
    satisfied = int(streams["first_wishes_granted"].sum())
    not_oriented = int(streams["first_wishes_not_oriented"].sum())
    kpi_metrics(
        [
            Kpi("orient.kpi.pupils", fmt_int(pupils, lang)),
            Kpi("orient.kpi.first_wish", fmt_pct(satisfied / pupils, lang)),
            Kpi("orient.kpi.not_oriented", fmt_int(not_oriented, lang)),
        ],
        lang,
        border=False,
    )
    chart_left, chart_right = st.columns(2)
    with chart_left:
        show_chart(demand_bars(streams, lang, year), "orient_demand", lang, config=PLOTLY_CONFIG)
    by = "province" if filters.region else "region"
    territory = da.demand_and_places(year, level, by, scope=scope, **where)
    with chart_right:
        show_chart(
            satisfaction_bars(territory, lang, year), "orient_satisfaction", lang, config=PLOTLY_CONFIG
        )
    st.subheader(t("orient.table.title", lang))
    table, kinds = stream_table(streams, lang)
    show_table(table, "orientation_streams", lang, kinds=kinds, hide=[t("orient.col.code", lang)])


run_filtered_page("orient.title", render, depth="province", caption="orient.caption")
