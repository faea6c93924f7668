"""Non-formal education: beneficiaries of the second-chance programmes and their return to formal school."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import nonformal as da
from dashboards.exports import Kind, show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, label_or_code, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure


def bars(frame: pl.DataFrame, lang: str, title: str, colour: str) -> go.Figure:
    """Horizontal bars of beneficiaries per row of ``frame`` (programmes or outcomes)."""
    data = frame.with_columns(pl.coalesce(pl.col(f"label_{lang}"), pl.col("code")).alias("name"))
    fig = px.bar(
        data, x="beneficiaries", y="name", orientation="h",
        labels={"beneficiaries": t("nonformal.chart.beneficiaries", lang), "name": ""},
    )  # fmt: skip
    fig.update_layout(height=360)
    fig.update_traces(marker_color=colour, hovertemplate="%{y}: %{x}<extra></extra>")
    return style_figure(mirror_axes(fig, lang, horizontal=True), lang, title)


def territory_table(territory: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    table = pl.DataFrame(
        [
            {
                t("nonformal.col.code", lang): r["code"],
                t("nonformal.col.name", lang): label_or_code(r, lang),
                t("nonformal.col.beneficiaries", lang): r["beneficiaries"],
                t("nonformal.col.girls", lang): r["girls"],
                t("nonformal.col.exits", lang): r["exits"],
                t("nonformal.col.returned", lang): r["returned"],
                t("nonformal.col.return_rate", lang): percent_share(r["return_rate"]),
            }
            for r in territory.iter_rows(named=True)
        ]
    )
    kinds: dict[str, Kind] = {
        t("nonformal.col.beneficiaries", lang): "int",
        t("nonformal.col.girls", lang): "int",
        t("nonformal.col.exits", lang): "int",
        t("nonformal.col.returned", lang): "int",
        t("nonformal.col.return_rate", lang): "pct",
    }
    return table, kinds


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    st.caption(t("nonformal.caption", lang, year=isolate_ltr(year, lang), version=version))
    programmes = da.beneficiaries(year, scope=scope, **where)
    if programmes.is_empty():
        st.warning(t("nonformal.no_data", lang))
        return
    total = int(programmes["beneficiaries"].sum())
    exits, returned = int(programmes["exits"].sum()), int(programmes["returned"].sum())
    kpi_metrics(
        [
            Kpi("nonformal.kpi.beneficiaries", fmt_int(total, lang)),
            Kpi("nonformal.kpi.returned", fmt_int(returned, lang)),
            Kpi("nonformal.kpi.return_rate", fmt_pct(returned / exits if exits else None, lang)),
        ],
        lang,
        border=False,
    )
    outcomes = da.beneficiaries(year, "outcome", scope=scope, **where)
    shown = isolate_ltr(year, lang)
    left, right = st.columns(2)
    with left:
        title = t("nonformal.chart.programme_title", lang, year=shown)
        show_chart(bars(programmes, lang, title, "#2f6fb0"), "nf_programme", lang, config=PLOTLY_CONFIG)
    with right:
        title = t("nonformal.chart.outcome_title", lang, year=shown)
        show_chart(bars(outcomes, lang, title, "#3c8d5a"), "nf_outcome", lang, config=PLOTLY_CONFIG)
    st.caption(t("nonformal.note", lang))
    by = {"national": "region", "region": "province"}.get(filters.level, "school")
    territory = da.beneficiaries(year, by, scope=scope, **where)
    st.subheader(t("nonformal.table.title", lang))
    table, kinds = territory_table(territory, lang)
    show_table(table, "nonformal_territory", lang, kinds=kinds)


run_filtered_page("nonformal.title", render, depth="school")
