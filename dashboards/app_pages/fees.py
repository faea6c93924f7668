"""Fees and contributions: expected, collected and transferred amounts, by contribution and territory."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import fees as da
from dashboards.exports import show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure, top_legend, url_selectbox


def fee_name(row: dict, lang: str) -> str:
    return row[f"label_{lang}"] or row["fee_code"]


def amounts_chart(by_fee: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Grouped bars per contribution: expected, collected (against the schedules) and transferred."""
    names = [fee_name(r, lang) for r in by_fee.iter_rows(named=True)]
    series = {
        "expected": ("expected_mad", "#9aa5b1"),
        "collected": ("collected_against_expected_mad", "#2f6fb0"),
        "transferred": ("transferred_mad", "#3a8f5c"),
    }
    fig = go.Figure(
        [
            go.Bar(
                name=t(f"fees.series.{key}", lang),
                x=names,
                y=by_fee[column].fill_null(0).to_list(),
                marker_color=color,
                hovertemplate="%{x}<br>%{fullData.name}: %{y:,.0f} MAD<extra></extra>",
            )
            for key, (column, color) in series.items()
        ]
    )
    fig.update_layout(
        barmode="group",
        height=420,
        legend=top_legend(lang),
        yaxis={"title": {"text": t("fees.chart.amount", lang)}},
    )
    return style_figure(
        mirror_axes(fig, lang), lang, t("fees.chart.by_fee", lang, year=isolate_ltr(year, lang))
    )


def rate_chart(units: pl.DataFrame, lang: str, year: str, fee: str) -> go.Figure:
    """Horizontal bars: the collection rate of each unit of the territory."""
    fig = go.Figure(
        go.Bar(
            x=units["collection_rate"].to_list(),
            y=units[f"unit_name_{lang}"].to_list(),
            orientation="h",
            marker_color="#2f6fb0",
            hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
        )
    )
    fig.update_layout(
        height=max(320, 28 * units.height + 120),
        xaxis={"range": [0, 100], "title": {"text": t("fees.chart.rate", lang)}},
    )
    title = t("fees.chart.by_unit", lang, fee=fee, year=isolate_ltr(year, lang))
    return style_figure(mirror_axes(fig, lang, horizontal=True), lang, title)


def _amounts(r: dict, lang: str) -> dict[str, str]:
    return {
        t("fees.col.schools", lang): fmt_int(r["schools"], lang),
        t("fees.col.payers", lang): fmt_int(r["payers"], lang),
        t("fees.col.expected", lang): fmt_int(r["expected_mad"], lang),
        t("fees.col.collected", lang): fmt_int(r["collected_mad"], lang),
        t("fees.col.transferred", lang): fmt_int(r["transferred_mad"], lang),
        t("fees.col.rate", lang): fmt_pct(percent_share(r["collection_rate"]), lang),
    }


def fee_table(by_fee: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("fees.col.fee", lang): fee_name(r, lang),
                t("fees.col.recipient", lang): r[f"recipient_label_{lang}"] or r["recipient_code"] or "–",
                **_amounts(r, lang),
            }
            for r in by_fee.iter_rows(named=True)
        ]
    )


def unit_table(units: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("fees.col.code", lang): r["unit_code"],
                t("fees.col.name", lang): r[f"unit_name_{lang}"],
                **_amounts(r, lang),
            }
            for r in units.iter_rows(named=True)
        ]
    )


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    by_fee = da.collection_by_fee(year, scope=scope, **where)
    if by_fee.is_empty():
        st.warning(t("fees.no_data", lang))
        return
    expected = float(by_fee["expected_mad"].fill_null(0).sum())
    collected = float(by_fee["collected_against_expected_mad"].sum())
    kpi_metrics(
        [
            Kpi("fees.kpi.expected", fmt_int(expected, lang)),
            Kpi("fees.kpi.collected", fmt_int(float(by_fee["collected_mad"].sum()), lang)),
            Kpi("fees.kpi.rate", fmt_pct(collected / expected if expected else None, lang)),
            Kpi("fees.kpi.transferred", fmt_int(float(by_fee["transferred_mad"].sum()), lang)),
        ],
        lang,
    )
    names = {r["fee_code"]: fee_name(r, lang) for r in by_fee.iter_rows(named=True)}
    left, _ = st.columns([1, 3])
    fee: str | None = url_selectbox(
        t("fees.filter.fee", lang),
        [None, *names],
        param="fee",
        to_url=lambda c: c,
        format_func=lambda c: t("fees.all_fees", lang) if c is None else names.get(c, c),
        container=left,
    )
    fee_label = t("fees.all_fees", lang) if fee is None else names.get(fee, fee)
    units = da.collection_by_unit(year, fee, scope=scope, **where)
    chart_left, chart_right = st.columns(2)
    with chart_left:
        show_chart(amounts_chart(by_fee, lang, year), "fees_amounts", lang, config=PLOTLY_CONFIG)
    with chart_right:
        show_chart(rate_chart(units, lang, year, fee_label), "fees_rates", lang, config=PLOTLY_CONFIG)
    st.subheader(t("fees.table.fees", lang))
    show_table(fee_table(by_fee, lang), "fees_fee", lang)
    st.subheader(t("fees.table.units", lang, fee=fee_label))
    show_table(unit_table(units, lang), "fees_unit", lang)
    st.caption(t("fees.note", lang))


run_filtered_page("fees.title", render, depth="school", caption="fees.caption")
