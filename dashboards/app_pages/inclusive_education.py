"""Inclusive education: pupils with disabilities by type and class setting, attendance and results."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import inclusive_education as da
from dashboards.data_access import kpi
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, t
from dashboards.page_frame import run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure, top_legend


def _pct(rate: float | None) -> float | None:
    return None if rate is None else rate / 100


def absence_bars(by_type: pl.DataFrame, lang: str, year: str) -> go.Figure:
    group, others = t("incl.series.group", lang), t("incl.series.others", lang)
    rows = []
    for r in by_type.filter(pl.col("absence_rate").is_not_null()).iter_rows(named=True):
        name = r[f"label_{lang}"] or r["code"]
        rows.append({"type": name, "series": group, "rate": r["absence_rate"]})
        rows.append({"type": name, "series": others, "rate": r["others_absence_rate"]})
    frame = pl.DataFrame(rows, schema={"type": pl.String, "series": pl.String, "rate": pl.Float64})
    fig = px.bar(
        frame,
        x="type",
        y="rate",
        color="series",
        barmode="group",
        color_discrete_map={group: "#2f6fb0", others: "#9aa5b1"},
        labels={"type": "", "rate": t("incl.chart.rate", lang), "series": ""},
    )
    fig.update_layout(height=440, legend=top_legend(lang))
    return style_figure(
        mirror_axes(fig, lang), lang, t("incl.chart.title", lang, year=isolate_ltr(year, lang))
    )


def detail_table(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    hidden = t("incl.suppressed", lang)
    return pl.DataFrame(
        [
            {
                t("incl.col.code", lang): r["code"],
                t("incl.col.name", lang): r[f"label_{lang}"] or r["code"],
                t("incl.col.pupils", lang): hidden if r["pupils"] is None else fmt_int(r["pupils"], lang),
                t("incl.col.plan", lang): hidden
                if r["with_individual_plan"] is None
                else fmt_int(r["with_individual_plan"], lang),
                t("incl.col.absence", lang): hidden
                if r["pupils"] is None
                else fmt_pct(_pct(r["absence_rate"]), lang),
                t("incl.col.pass", lang): hidden
                if r["pupils"] is None
                else fmt_pct(_pct(r["pass_mark_rate"]), lang),
            }
            for r in frame.iter_rows(named=True)
        ]
    )


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = {"region": filters.region, "province": filters.province}
    st.caption(t("incl.caption", lang, year=isolate_ltr(year, lang), version=version, min_cell=da.MIN_CELL))
    total = da.totals(year, scope=scope, **where)
    if total["pupils"] is None:
        st.warning(t("incl.no_data", lang))
        return
    by_type = da.inclusion(year, "disability_type", scope=scope, **where)
    by_setting = da.inclusion(year, "class_setting", scope=scope, **where)
    cols = st.columns(3)
    cols[0].metric(
        t("incl.kpi.pupils", lang),
        fmt_int(total["pupils"], lang),
        help=kpi.help_text("incl.kpi.pupils", lang),
    )
    cols[1].metric(
        t("incl.kpi.absence", lang, others=fmt_pct(_pct(total["others_absence_rate"]), lang)),
        fmt_pct(_pct(total["absence_rate"]), lang),
        help=kpi.help_text("incl.kpi.absence", lang),
    )
    cols[2].metric(
        t("incl.kpi.pass", lang, others=fmt_pct(_pct(total["others_pass_mark_rate"]), lang)),
        fmt_pct(_pct(total["pass_mark_rate"]), lang),
        help=kpi.help_text("incl.kpi.pass", lang),
    )
    st.plotly_chart(absence_bars(by_type, lang, year), config=PLOTLY_CONFIG, key="incl_absence")
    st.subheader(t("incl.table.title", lang))
    st.dataframe(detail_table(pl.concat([by_type, by_setting]), lang), hide_index=True)


run_filtered_page("incl.title", render, depth="province")
