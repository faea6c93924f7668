"""Inclusive education: pupils with disabilities by type and class setting, attendance and results."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import inclusive_education as da
from dashboards.exports import Kind, show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, grouped_bars, paired_frame

SOURCE = "marts.agg_inclusive_education"


def absence_frame(by_type: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The data of the chart: per disability type, the group's absence rate and the other pupils'."""
    group, others = t("incl.series.group", lang), t("incl.series.others", lang)
    measured = by_type.filter(pl.col("absence_rate").is_not_null())
    series = {group: "absence_rate", others: "others_absence_rate"}
    return paired_frame(measured, lang, series, x="type", y="rate", dtype=pl.Float64)


def absence_bars(by_type: pl.DataFrame, lang: str, year: str) -> go.Figure:
    group, others = t("incl.series.group", lang), t("incl.series.others", lang)
    return grouped_bars(
        absence_frame(by_type, lang),
        lang,
        t("incl.chart.title", lang, year=isolate_ltr(year, lang)),
        x="type",
        y="rate",
        colors={group: "#2f6fb0", others: "#9aa5b1"},
        axis_title=t("incl.chart.rate", lang),
    )


def detail_table(frame: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    """Per type and setting: true counts and rates (shares), with the display kind of each column."""
    cols = {c: t(f"incl.col.{c}", lang) for c in ("code", "name", "pupils", "plan", "absence", "pass")}
    table = pl.DataFrame(
        {
            cols["code"]: frame["code"],
            cols["name"]: [r[f"label_{lang}"] or r["code"] for r in frame.iter_rows(named=True)],
            cols["pupils"]: frame["pupils"],
            cols["plan"]: frame["with_individual_plan"],
            cols["absence"]: frame["absence_rate"] / 100,
            cols["pass"]: frame["pass_mark_rate"] / 100,
        }
    )
    kinds: dict[str, Kind] = {
        cols["pupils"]: "int",
        cols["plan"]: "int",
        cols["absence"]: "pct",
        cols["pass"]: "pct",
    }
    return table, kinds


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = {"region": filters.region, "province": filters.province}
    total = da.totals(year, scope=scope, **where)
    if total["pupils"] is None:
        st.warning(t("incl.no_data", lang))
        return
    by_type = da.inclusion(year, "disability_type", scope=scope, **where)
    by_setting = da.inclusion(year, "class_setting", scope=scope, **where)
    kpi_metrics(
        [
            Kpi("incl.kpi.pupils", fmt_int(total["pupils"], lang)),
            Kpi(
                "incl.kpi.absence",
                fmt_pct(percent_share(total["absence_rate"]), lang),
                label=t(
                    "incl.kpi.absence",
                    lang,
                    others=fmt_pct(percent_share(total["others_absence_rate"]), lang),
                ),
            ),
            Kpi(
                "incl.kpi.pass",
                fmt_pct(percent_share(total["pass_mark_rate"]), lang),
                label=t(
                    "incl.kpi.pass", lang, others=fmt_pct(percent_share(total["others_pass_mark_rate"]), lang)
                ),
            ),
        ],
        lang,
        border=False,
    )
    chart_data = absence_frame(by_type, lang)  # rates in %, as the chart's axis
    show_chart(
        absence_bars(by_type, lang, year),
        "incl_absence",
        lang,
        data=chart_data.rename(
            {
                "type": t("incl.col.name", lang),
                "series": t("incl.chart.series", lang),
                "rate": t("incl.chart.rate", lang),
            }
        ),
        config=PLOTLY_CONFIG,
        kinds={t("incl.chart.rate", lang): "dec2"},
        source=SOURCE,
    )
    st.subheader(t("incl.table.title", lang))
    table, kinds = detail_table(pl.concat([by_type, by_setting]), lang)
    show_table(table, "incl_detail", lang, kinds=kinds, source=SOURCE, hide=[t("incl.col.code", lang)])


run_filtered_page("incl.title", render, depth="province", caption="incl.caption")
