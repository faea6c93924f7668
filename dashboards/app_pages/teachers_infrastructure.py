"""Teachers and infrastructure: pupils per teacher, class sizes (distribution by cycle) and classroom
occupancy, for the territory by cycle and one level below."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import resources as da
from dashboards.exports import fmt_decimal, show_chart, show_table
from dashboards.filters import Filters, cycle_filter
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure, top_legend

#: one colour per class-size band, smallest classes first (light to dark)
BAND_COLORS: tuple[str, ...] = ("#c6dbef", "#6baed6", "#2f6fb0", "#e8a33d", "#b5452f", "#67000d")
#: rows shown in a long table (the count of the rest is stated under it)
TABLE_ROWS = 50
CYCLE_PARAM = "res_cycle"


def band_label(row: dict[str, object], lang: str, *, isolate: bool = True) -> str:
    """A class-size band as ``21–30 élèves`` or ``46 élèves et plus``.

    In a table the range is a left-to-right isolate (without it, Arabic text shows ``30–21``); plotly
    draws its text left to right already, where the isolate marks would only show as boxes.
    """
    low = fmt_int(row["min_pupils"], lang)  # type: ignore[arg-type]
    if row["max_pupils"] is None:
        return t("resources.band.open", lang, low=low)
    high = fmt_int(row["max_pupils"], lang)  # type: ignore[arg-type]
    text = t("resources.band.range", lang, range=f"{low}–{high}")
    return text.replace(f"{low}–{high}", isolate_ltr(f"{low}–{high}", lang)) if isolate else text


def cycle_name(row: dict[str, object], lang: str) -> str:
    if row["cycle_code"] is None:
        return t("resources.all_cycles", lang)
    return str(row[f"cycle_label_{lang}"] or row["cycle_code"])


def class_size_chart(distribution: pl.DataFrame, lang: str) -> go.Figure:
    """Stacked shares of each cycle's classes per size band."""
    cycles = distribution.unique("cycle_code", maintain_order=True)
    names = [cycle_name(r, lang) for r in cycles.iter_rows(named=True)]
    bands = distribution.unique("band_code", maintain_order=True).sort("band_order")
    traces = []
    for index, band in enumerate(bands.iter_rows(named=True)):
        part = cycles.select("cycle_code").join(
            distribution.filter(pl.col("band_code") == band["band_code"]).select(
                "cycle_code", "share_of_classes", "classes"
            ),
            on="cycle_code",
            how="left",
        )
        traces.append(
            go.Bar(
                name=band_label(band, lang, isolate=False),
                x=names,
                y=part["share_of_classes"].fill_null(0).to_list(),
                customdata=part["classes"].fill_null(0).to_list(),
                marker_color=BAND_COLORS[index % len(BAND_COLORS)],
                hovertemplate="%{x}<br>%{fullData.name}: %{y:.1%} (%{customdata:,d})<extra></extra>",
            )
        )
    fig = go.Figure(traces)
    # the legend row below the bars: above them, a second row of bands would cover the title
    below = {"y": -0.3, "yanchor": "top", "title": {"text": t("resources.chart.band", lang)}}
    fig.update_layout(
        barmode="stack",
        height=480,
        legend=top_legend(lang) | below,
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )
    return style_figure(mirror_axes(fig, lang), lang, t("resources.chart.class_sizes", lang))


def ratio_chart(by_cycle: pl.DataFrame, lang: str) -> go.Figure:
    """Pupils per teacher, per class and per classroom, by cycle."""
    rows = by_cycle.filter(pl.col("cycle_code").is_not_null())
    names = [cycle_name(r, lang) for r in rows.iter_rows(named=True)]
    colors = {
        "pupils_per_teacher": "#2f6fb0",
        "pupils_per_class": "#3a8f5c",
        "pupils_per_classroom": "#e8a33d",
    }
    fig = go.Figure(
        [
            go.Bar(
                name=t(f"resources.col.{column}", lang),
                x=names,
                y=rows[column].to_list(),
                marker_color=color,
                hovertemplate="%{x}<br>%{fullData.name}: %{y:.1f}<extra></extra>",
            )
            for column, color in colors.items()
        ]
    )
    fig.update_layout(
        barmode="group",
        height=420,
        legend=top_legend(lang),
    )
    return style_figure(mirror_axes(fig, lang), lang, t("resources.chart.ratios", lang))


def ratio_columns(r: dict[str, object], lang: str) -> dict[str, str]:
    return {
        t("resources.col.schools", lang): fmt_int(r["schools"], lang),  # type: ignore[arg-type]
        t("resources.col.pupils", lang): fmt_int(r["pupils"], lang),  # type: ignore[arg-type]
        t("resources.col.teachers", lang): fmt_int(r["teachers"], lang),  # type: ignore[arg-type]
        t("resources.col.classes", lang): fmt_int(r["classes"], lang),  # type: ignore[arg-type]
        t("resources.col.classrooms", lang): fmt_int(r["classrooms"], lang),  # type: ignore[arg-type]
        t("resources.col.pupils_per_teacher", lang): fmt_decimal(r["pupils_per_teacher"], lang),  # type: ignore[arg-type]
        t("resources.col.pupils_per_class", lang): fmt_decimal(r["pupils_per_class"], lang),  # type: ignore[arg-type]
        t("resources.col.pupils_per_classroom", lang): fmt_decimal(r["pupils_per_classroom"], lang),  # type: ignore[arg-type]
    }


def cycle_table(by_cycle: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {t("resources.col.cycle", lang): cycle_name(r, lang), **ratio_columns(r, lang)}
            for r in by_cycle.iter_rows(named=True)
        ]
    )


def unit_table(units: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("resources.col.code", lang): r["unit_code"],
                t(f"resources.col.unit.{r['level']}", lang): r[f"unit_name_{lang}"],
                **ratio_columns(r, lang),
                t("resources.col.largest_class", lang): fmt_int(r["largest_class"], lang)
                if r["largest_class"] is not None
                else "–",
            }
            for r in units.iter_rows(named=True)
        ]
    )


def band_table(distribution: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Classes per band (rows) and cycle (columns), with the share of the cycle's classes."""
    rows = []
    for band in (
        distribution.unique("band_code", maintain_order=True).sort("band_order").iter_rows(named=True)
    ):
        row = {t("resources.col.band", lang): band_label(band, lang)}
        for r in distribution.filter(pl.col("band_code") == band["band_code"]).iter_rows(named=True):
            row[cycle_name(r, lang)] = (
                f"{fmt_int(r['classes'], lang)} ({fmt_pct(r['share_of_classes'] or 0.0, lang)})"
            )
        rows.append(row)
    return pl.DataFrame(rows)


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    by_cycle = da.resources_by_cycle(year, scope=scope, **where)
    if by_cycle.is_empty():
        st.warning(t("no_data_for_selection", lang))
        return
    total = by_cycle.filter(pl.col("cycle_code").is_null()).row(0, named=True)
    kpi_metrics(
        [
            Kpi("resources.col.pupils_per_teacher", fmt_decimal(total["pupils_per_teacher"], lang)),
            Kpi("resources.col.pupils_per_class", fmt_decimal(total["pupils_per_class"], lang)),
            Kpi("resources.col.pupils_per_classroom", fmt_decimal(total["pupils_per_classroom"], lang)),
            Kpi(
                "resources.col.largest_class",
                fmt_int(total["largest_class"], lang) if total["largest_class"] is not None else "–",
            ),
        ],
        lang,
    )

    left, right = st.columns(2)
    with left:
        show_chart(ratio_chart(by_cycle, lang), "ratio_chart", lang, config=PLOTLY_CONFIG)
    distribution = da.class_size_distribution(year, scope=scope, **where)
    with right:
        if distribution.is_empty():
            st.info(t("resources.no_classes", lang), icon=":material/info:")
        else:
            show_chart(class_size_chart(distribution, lang), "class_size_chart", lang, config=PLOTLY_CONFIG)
    st.subheader(t("resources.table.cycles", lang))
    show_table(cycle_table(by_cycle, lang), "teachers_inf_cycle", lang)
    if not distribution.is_empty():
        st.subheader(t("resources.table.bands", lang))
        show_table(band_table(distribution, lang), "teachers_inf_band", lang)

    st.subheader(t("resources.table.units", lang))
    cycle_labels = {
        r["cycle_code"]: cycle_name(r, lang)
        for r in by_cycle.iter_rows(named=True)
        if r["cycle_code"] is not None
    }
    cycle = cycle_filter(cycle_labels, lang, param=CYCLE_PARAM, all_key="resources.all_cycles")
    units = unit_table(da.resources_by_unit(year, cycle, scope=scope, **where), lang)
    show_table(units, "resources_units", lang, rows=TABLE_ROWS)
    if units.height > TABLE_ROWS:
        st.caption(
            t(
                "resources.table.first",
                lang,
                shown=fmt_int(TABLE_ROWS, lang),
                total=fmt_int(units.height, lang),
            )
        )
    st.caption(t("resources.note", lang))


run_filtered_page("resources.title", render, caption="resources.caption")
