"""Preschool: pupils by age and sector, and the transition into 1AP (share of entrants who attended)."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import preschool as da
from dashboards.exports import Column, Kind, show_chart, show_table, typed_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, label_or_code, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, named_bars, style_figure, top_legend


def age_bars(by_age: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Preschool pupils per age, one bar per sector."""
    data = by_age.with_columns(
        pl.col("age").cast(pl.String),
        pl.col("sector").replace_strict(
            {s: t(f"preschool.sector.{s}", lang) for s in ("public", "private")}, default=pl.col("sector")
        ),
    )
    fig = px.bar(
        data, x="age", y="pupils", color="sector", barmode="group",
        labels={
            "age": t("preschool.chart.age", lang), "pupils": t("preschool.chart.pupils", lang), "sector": ""
        },
        color_discrete_sequence=["#2f6fb0", "#e08a2e"],
    )  # fmt: skip
    fig.update_layout(height=400, legend=top_legend(lang), xaxis={"type": "category"})
    return style_figure(
        mirror_axes(fig, lang), lang, t("preschool.chart.age_title", lang, year=isolate_ltr(year, lang))
    )


def type_bars(by_type: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """1AP entrants per kind of preschool attended."""
    title = t("preschool.chart.type_title", lang, year=isolate_ltr(year, lang))
    return named_bars(by_type, "entrants", t("preschool.chart.entrants", lang), lang, title, height=400)


def territory_table(territory: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    columns = [
        Column("preschool.col.code", "code"),
        Column("preschool.col.name", lambda r: label_or_code(r, lang)),
        Column("preschool.col.entrants", "entrants", "int"),
        Column("preschool.col.attended", "attended", "int"),
        Column("preschool.col.share", lambda r: percent_share(r["attended_share"]), "pct"),
    ]
    return typed_table(territory, columns, lang)


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    by_age = da.enrollment_by_age(year, scope=scope, **where)
    by_type = da.transition(year, scope=scope, **where)
    if by_age.is_empty() and by_type.is_empty():
        st.warning(t("preschool.no_data", lang))
        return
    entrants = int(by_type["entrants"].sum() or 0)
    attended = int(by_type["attended"].sum() or 0)
    share = 100 * attended / entrants if entrants else None
    kpi_metrics(
        [
            Kpi("preschool.kpi.pupils", fmt_int(int(by_age["pupils"].sum() or 0), lang)),
            Kpi("preschool.kpi.entrants", fmt_int(entrants, lang)),
            Kpi("preschool.kpi.share", fmt_pct(percent_share(share), lang)),
        ],
        lang,
        border=False,
    )
    left, right = st.columns(2)
    with left:
        show_chart(age_bars(by_age, lang, year), "preschool_age", lang, config=PLOTLY_CONFIG)
    with right:
        show_chart(type_bars(by_type, lang, year), "preschool_type", lang, config=PLOTLY_CONFIG)
    st.caption(t("preschool.note", lang))
    by = {"national": "region", "region": "province"}.get(filters.level, "school")
    territory = da.transition(year, by, scope=scope, **where)
    st.subheader(t("preschool.table.title", lang))
    table, kinds = territory_table(territory, lang)
    show_table(table, "preschool_territory", lang, kinds=kinds)


run_filtered_page("preschool.title", render, depth="school", caption="preschool.caption")
