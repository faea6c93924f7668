"""Social support: beneficiaries of each programme and their attendance against the other pupils."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import social_support as da
from dashboards.exports import Kind, show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, label_or_code, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure, top_legend, url_selectbox


def absence_bars(by_programme: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Grouped bars per programme: absence rate of beneficiaries and of the other pupils."""
    ben, oth = t("social.group.beneficiaries", lang), t("social.group.others", lang)
    rows = []
    for r in by_programme.iter_rows(named=True):
        name = label_or_code(r, lang)
        rows.append({"programme": name, "group": ben, "rate": r["beneficiary_absence_rate"]})
        rows.append({"programme": name, "group": oth, "rate": r["non_beneficiary_absence_rate"]})
    frame = pl.DataFrame(rows, schema={"programme": pl.String, "group": pl.String, "rate": pl.Float64})
    fig = px.bar(
        frame,
        x="programme",
        y="rate",
        color="group",
        barmode="group",
        color_discrete_map={ben: "#2f6fb0", oth: "#9aa5b1"},
        labels={"programme": "", "rate": t("social.chart.absence", lang), "group": ""},
    )
    fig.update_layout(height=440, legend=top_legend(lang))
    fig.update_traces(hovertemplate="%{x}<br>%{fullData.name}: %{y:.2f} %<extra></extra>")
    return style_figure(
        mirror_axes(fig, lang), lang, t("social.chart.absence_title", lang, year=isolate_ltr(year, lang))
    )


def share_bars(territory: pl.DataFrame, lang: str, year: str, programme: str) -> go.Figure:
    data = territory.with_columns(pl.coalesce(pl.col(f"label_{lang}"), pl.col("code")).alias("name"))
    fig = px.bar(
        data, x="beneficiary_share", y="name", orientation="h",
        labels={"beneficiary_share": t("social.chart.share", lang), "name": ""},
    )  # fmt: skip
    fig.update_layout(height=max(320, 32 * data.height + 120))
    fig.update_traces(marker_color="#2f6fb0", hovertemplate="%{y}: %{x:.1f} %<extra></extra>")
    title = t("social.chart.share_title", lang, programme=programme, year=isolate_ltr(year, lang))
    return style_figure(mirror_axes(fig, lang, horizontal=True), lang, title)


def territory_table(territory: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    table = pl.DataFrame(
        [
            {
                t("social.col.code", lang): r["code"],
                t("social.col.name", lang): label_or_code(r, lang),
                t("social.col.pupils", lang): r["pupils"],
                t("social.col.beneficiaries", lang): r["beneficiaries"],
                t("social.col.share", lang): percent_share(r["beneficiary_share"]),
                t("social.col.absence_beneficiaries", lang): percent_share(r["beneficiary_absence_rate"]),
                t("social.col.absence_others", lang): percent_share(r["non_beneficiary_absence_rate"]),
            }
            for r in territory.iter_rows(named=True)
        ]
    )
    kinds: dict[str, Kind] = {
        t("social.col.pupils", lang): "int",
        t("social.col.beneficiaries", lang): "int",
        t("social.col.share", lang): "pct",
        t("social.col.absence_beneficiaries", lang): "pct",
        t("social.col.absence_others", lang): "pct",
    }
    return table, kinds


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    st.caption(t("social.caption", lang, year=isolate_ltr(year, lang), version=version))
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


run_filtered_page("social.title", render, depth="province")
