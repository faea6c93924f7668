"""Social support: beneficiaries of each programme and their attendance against the other pupils."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import social_support as da
from dashboards.exports import Column, Kind, show_chart, show_table, typed_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, label_or_code, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import (
    PLOTLY_CONFIG,
    grouped_bars,
    named_bars,
    paired_frame,
    url_selectbox,
)


def absence_bars(by_programme: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Grouped bars per programme: absence rate of beneficiaries and of the other pupils."""
    ben, oth = t("social.group.beneficiaries", lang), t("social.group.others", lang)
    series = {ben: "beneficiary_absence_rate", oth: "non_beneficiary_absence_rate"}
    frame = paired_frame(by_programme, lang, series, x="programme", y="rate", dtype=pl.Float64)
    return grouped_bars(
        frame,
        lang,
        t("social.chart.absence_title", lang, year=isolate_ltr(year, lang)),
        x="programme",
        y="rate",
        colors={ben: "#2f6fb0", oth: "#9aa5b1"},
        axis_title=t("social.chart.absence", lang),
        hover="%{x}<br>%{fullData.name}: %{y:.2f} %<extra></extra>",
    )


def share_bars(territory: pl.DataFrame, lang: str, year: str, programme: str) -> go.Figure:
    title = t("social.chart.share_title", lang, programme=programme, year=isolate_ltr(year, lang))
    axis = t("social.chart.share", lang)
    return named_bars(territory, "beneficiary_share", axis, lang, title, hover="%{y}: %{x:.1f} %")


def territory_table(territory: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    columns = [
        Column("social.col.code", "code"),
        Column("social.col.name", lambda r: label_or_code(r, lang)),
        Column("social.col.pupils", "pupils", "int"),
        Column("social.col.beneficiaries", "beneficiaries", "int"),
        Column("social.col.share", lambda r: percent_share(r["beneficiary_share"]), "pct"),
        Column(
            "social.col.absence_beneficiaries", lambda r: percent_share(r["beneficiary_absence_rate"]), "pct"
        ),
        Column(
            "social.col.absence_others", lambda r: percent_share(r["non_beneficiary_absence_rate"]), "pct"
        ),
    ]
    return typed_table(territory, columns, lang)


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    programmes = da.by_programme(year, scope=scope, **where)
    if programmes.is_empty() or not int(programmes["pupils"].max() or 0):
        st.warning(t("social.no_data", lang))
        return
    names = {r["code"]: label_or_code(r, lang) for r in programmes.iter_rows(named=True)}
    left, _ = st.columns([1, 3])
    programme = url_selectbox(
        t("social.filter.programme", lang),
        list(names),
        param="programme",
        to_url=lambda c: c,
        format_func=lambda c: names.get(c, c),
        container=left,
    )
    chosen = programmes.filter(pl.col("code") == programme).row(0, named=True)
    tayssir = programmes.filter(pl.col("code") == "TAYSSIR")
    amount = float(tayssir["amount_mad"][0] or 0) if tayssir.height else 0.0
    kpi_metrics(
        [
            Kpi(
                "social.kpi.beneficiaries",
                fmt_int(chosen["beneficiaries"], lang),
                label=t("social.kpi.beneficiaries", lang, programme=names[programme]),
            ),
            Kpi("social.kpi.share", fmt_pct(percent_share(chosen["beneficiary_share"]), lang)),
            Kpi("social.kpi.amount", fmt_int(amount, lang)),
        ],
        lang,
        border=False,
    )
    chart_left, chart_right = st.columns(2)
    with chart_left:
        show_chart(absence_bars(programmes, lang, year), "social_absence", lang, config=PLOTLY_CONFIG)
    by = "province" if filters.region else "region"
    territory = da.by_programme(year, by, programme, scope=scope, **where)
    with chart_right:
        show_chart(
            share_bars(territory, lang, year, names[programme]), "social_share", lang, config=PLOTLY_CONFIG
        )
    st.caption(t("social.note", lang))
    st.subheader(t("social.table.title", lang, programme=names[programme]))
    table, kinds = territory_table(territory, lang)
    show_table(table, "social_territory", lang, kinds=kinds)


run_filtered_page("social.title", render, depth="province", caption="social.caption")
