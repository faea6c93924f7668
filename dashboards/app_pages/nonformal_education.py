"""Non-formal education: beneficiaries of the second-chance programmes and their return to formal school."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import nonformal as da
from dashboards.exports import Column, Kind, show_chart, show_table, typed_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, label_or_code, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, named_bars


def bars(frame: pl.DataFrame, lang: str, title: str, colour: str) -> go.Figure:
    """Horizontal bars of beneficiaries per row of ``frame`` (programmes or outcomes)."""
    axis = t("nonformal.chart.beneficiaries", lang)
    return named_bars(frame, "beneficiaries", axis, lang, title, height=360, color=colour)


def territory_table(territory: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    columns = [
        Column("nonformal.col.code", "code"),
        Column("nonformal.col.name", lambda r: label_or_code(r, lang)),
        *(Column(f"nonformal.col.{c}", c, "int") for c in ("beneficiaries", "girls", "exits", "returned")),
        Column("nonformal.col.return_rate", lambda r: percent_share(r["return_rate"]), "pct"),
    ]
    return typed_table(territory, columns, lang)


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
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


run_filtered_page("nonformal.title", render, depth="school", caption="nonformal.caption")
