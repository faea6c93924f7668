"""National overview: pupils by region, province, cycle, sex, sector, area; trends; filters in the URL."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import enrollment as da
from dashboards.data_access import kpi
from dashboards.exports import Kind, show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, is_rtl, isolate_ltr, t
from dashboards.page_frame import run_filtered_page
from dashboards.ui import (
    PLOTLY_CONFIG,
    mirror_axes,
    provinces_geojson,
    regions_geojson,
    style_figure,
    top_legend,
    url_selectbox,
)

SEX_ORDER: tuple[str, ...] = ("F", "M")
SEX_COLORS: dict[str, str] = {"F": "#c2417a", "M": "#2f6fb0"}


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wrap_label(text: str, width: int = 14) -> str:
    """A long axis label on several lines (plotly ``<br>``), breaking between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


def region_map(by_region: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Choropleth of the regions, coloured by pupils."""
    frame = by_region.with_columns(pl.col(f"region_name_{lang}").alias("region_name"))
    fig = px.choropleth(
        frame,
        geojson=regions_geojson(),
        locations="region_code",
        featureidkey="properties.hcp_code",
        color="pupils",
        hover_name="region_name",
        hover_data={"region_code": False, "pupils": ":,d", "girls": ":,d"},
        color_continuous_scale="Blues",
        labels={
            "pupils": t("chart.pupils", lang),
            "girls": t("kpi.girls", lang),
            "region_code": t("col.region_code", lang),
        },
    )
    # mercator: with the default equirectangular projection, fitbounds leaves the country at half size
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_traces(marker_line_color="white", marker_line_width=0.8)
    colorbar: dict[str, object] = {"title": {"text": t("chart.pupils", lang)}}
    if is_rtl(lang):
        colorbar |= {"x": 0.0, "xanchor": "right"}
    fig.update_layout(height=560, coloraxis_colorbar=colorbar)
    return style_figure(fig, lang, t("chart.map_title", lang, year=isolate_ltr(year, lang)))


def cycle_sex_bars(by_cycle_sex: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Grouped bars: pupils by cycle (teaching order) and sex."""
    frame = (
        by_cycle_sex.group_by("cycle_code", "cycle_order", f"cycle_label_{lang}", "sex")
        .agg(pl.col("pupils").sum())
        .sort("cycle_order", "cycle_code", "sex")
        .with_columns(
            pl.col(f"cycle_label_{lang}").map_elements(wrap_label, return_dtype=pl.String).alias("cycle"),
            pl.col("sex")
            .replace_strict({s: t(f"sex.{s}", lang) for s in SEX_ORDER}, default=pl.col("sex"))
            .alias("sex_label"),
        )
    )
    cycle_order = frame.unique("cycle_code", maintain_order=True)["cycle"].to_list()
    fig = px.bar(
        frame,
        x="cycle",
        y="pupils",
        color="sex_label",
        barmode="group",
        category_orders={"cycle": cycle_order, "sex_label": [t(f"sex.{s}", lang) for s in SEX_ORDER]},
        color_discrete_map={t(f"sex.{s}", lang): SEX_COLORS[s] for s in SEX_ORDER},
        labels={
            "cycle": t("chart.cycle", lang),
            "pupils": t("chart.pupils", lang),
            "sex_label": t("chart.sex", lang),
        },
    )
    fig.update_layout(
        height=560, legend=top_legend(lang), xaxis={"title": {"text": ""}}, yaxis={"tickformat": ",d"}
    )
    fig.update_traces(hovertemplate="%{x}<br>%{fullData.name}: %{y:,d}<extra></extra>")
    return style_figure(
        mirror_axes(fig, lang), lang, t("chart.bar_title", lang, year=isolate_ltr(year, lang))
    )


def province_map(by_province: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Choropleth of the provinces and prefectures (those the frame holds), coloured by pupils."""
    frame = by_province.with_columns(pl.col(f"province_name_{lang}").alias("province_name"))
    fig = px.choropleth(
        frame,
        geojson=provinces_geojson(),
        locations="province_code",
        featureidkey="properties.hcp_code",
        color="pupils",
        hover_name="province_name",
        hover_data={"province_code": False, "pupils": ":,d", "girls": ":,d"},
        color_continuous_scale="Blues",
        labels={"pupils": t("chart.pupils", lang), "girls": t("kpi.girls", lang)},
    )
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_traces(marker_line_color="white", marker_line_width=0.5)
    colorbar: dict[str, object] = {"title": {"text": t("chart.pupils", lang)}}
    if is_rtl(lang):
        colorbar |= {"x": 0.0, "xanchor": "right"}
    fig.update_layout(height=560, coloraxis_colorbar=colorbar)
    return style_figure(fig, lang, t("chart.province_map_title", lang, year=isolate_ltr(year, lang)))


def sector_area_bars(by_sector_area: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Stacked bars: pupils by sector (public/private) and area (urban/rural), split by sex."""
    frame = by_sector_area.with_columns(
        (
            pl.col("sector").map_elements(lambda v: t(f"sector.{v}", lang), return_dtype=pl.String)
            + " · "
            + pl.col("area").map_elements(lambda v: t(f"area.{v}", lang), return_dtype=pl.String)
        ).alias("group"),
        pl.col("sex").map_elements(lambda v: t(f"sex.{v}", lang), return_dtype=pl.String).alias("sex_label"),
    )
    fig = px.bar(
        frame,
        x="group",
        y="pupils",
        color="sex_label",
        barmode="stack",
        color_discrete_map={t(f"sex.{s}", lang): SEX_COLORS[s] for s in SEX_ORDER},
        labels={"group": "", "pupils": t("chart.pupils", lang), "sex_label": t("chart.sex", lang)},
    )
    fig.update_layout(height=420, legend=top_legend(lang), yaxis={"tickformat": ",d"})
    return style_figure(
        mirror_axes(fig, lang), lang, t("chart.sector_area_title", lang, year=isolate_ltr(year, lang))
    )


def trend_lines(trend: pl.DataFrame, lang: str) -> go.Figure:
    """Pupils per school year and cycle (all loaded years)."""
    frame = (
        trend.group_by("school_year", "cycle_code", "cycle_order", f"cycle_label_{lang}")
        .agg(pl.col("pupils").sum())
        .sort("cycle_order", "school_year")
        .rename({f"cycle_label_{lang}": "cycle"})
    )
    fig = px.line(
        frame,
        x="school_year",
        y="pupils",
        color="cycle",
        markers=True,
        labels={"school_year": "", "pupils": t("chart.pupils", lang), "cycle": t("chart.cycle", lang)},
    )
    fig.update_layout(
        height=420, legend=top_legend(lang), xaxis={"type": "category"}, yaxis={"tickformat": ",d"}
    )
    return style_figure(mirror_axes(fig, lang), lang, t("chart.trend_title", lang))


def province_table(by_province: pl.DataFrame, lang: str) -> tuple[pl.DataFrame, dict[str, Kind]]:
    """The provinces with pupils, girls, boys and the girls' share, as display strings."""
    table = pl.DataFrame(
        [
            {
                t("col.province_code", lang): r["province_code"],
                t("col.province", lang): r[f"province_name_{lang}"],
                t("col.pupils", lang): r["pupils"],
                t("col.girls", lang): r["girls"],
                t("col.boys", lang): r["boys"],
                t("col.girls_share", lang): share(r["girls"], r["pupils"]),
            }
            for r in by_province.iter_rows(named=True)
        ]
    )
    kinds: dict[str, Kind] = {
        t("col.pupils", lang): "int",
        t("col.girls", lang): "int",
        t("col.boys", lang): "int",
        t("col.girls_share", lang): "pct",
    }
    return table, kinds


def region_table(by_region: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The regions with pupils, girls, boys and shares, as display strings (plus a total row)."""
    total = int(by_region["pupils"].sum())
    girls = int(by_region["girls"].sum())
    boys = int(by_region["boys"].sum())
    missing = t("overview.no_data_received", lang)
    rows = [
        {
            t("col.region_code", lang): r["region_code"],
            t("col.region", lang): r[f"region_name_{lang}"],
            t("col.pupils", lang): fmt_int(r["pupils"], lang),
            t("col.girls", lang): fmt_int(r["girls"], lang),
            t("col.boys", lang): fmt_int(r["boys"], lang),
            t("col.girls_share", lang): fmt_pct(share(r["girls"], r["pupils"]), lang),
            t("col.national_share", lang): fmt_pct(share(r["pupils"], total), lang),
        }
        if r["data_received"]
        else {
            t("col.region_code", lang): r["region_code"],
            t("col.region", lang): r[f"region_name_{lang}"],
            t("col.pupils", lang): missing,
            t("col.girls", lang): missing,
            t("col.boys", lang): missing,
            t("col.girls_share", lang): missing,
            t("col.national_share", lang): missing,
        }
        for r in by_region.iter_rows(named=True)
    ]
    rows.append(
        {
            t("col.region_code", lang): "",
            t("col.region", lang): t("table.total", lang),
            t("col.pupils", lang): fmt_int(total, lang),
            t("col.girls", lang): fmt_int(girls, lang),
            t("col.boys", lang): fmt_int(boys, lang),
            t("col.girls_share", lang): fmt_pct(share(girls, total), lang),
            t("col.national_share", lang): fmt_pct(share(total, total), lang),
        }
    )
    return pl.DataFrame(rows)


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    cycles = da.cycles()
    year = filters.school_year
    where = filters.query_kwargs()
    cycle_labels = dict(zip(cycles["cycle_code"].to_list(), cycles[f"label_{lang}"].to_list(), strict=True))
    left, _ = st.columns([1, 3])
    cycle: str | None = url_selectbox(
        t("filter.cycle", lang),
        [None, *cycle_labels],
        param="cycle",
        to_url=lambda c: c,
        format_func=lambda c: t("filter.all_cycles", lang) if c is None else cycle_labels.get(c, c),
        container=left,
    )
    st.caption(
        t(
            "overview.caption",
            lang,
            year=isolate_ltr(year, lang),
            cycle=t("filter.all_cycles", lang) if cycle is None else cycle_labels.get(cycle, cycle),
            version=version,
        )
    )

    by_region = da.pupils_by_region(year, cycle=cycle, scope=scope, **where)
    by_province = da.pupils_by_province(year, cycle=cycle, scope=scope, **where)
    by_cycle_sex = da.pupils_by_region_cycle_sex(year, scope=scope, **where)
    if cycle is not None:
        by_cycle_sex = by_cycle_sex.filter(pl.col("cycle_code") == cycle)
    total = int(by_region["pupils"].sum())
    girls = int(by_region["girls"].sum())
    boys = int(by_region["boys"].sum())

    k1, k2, k3, k4, k5 = st.columns(5)
    k1.metric(
        t("kpi.total_pupils", lang),
        fmt_int(total, lang),
        help=kpi.help_text("kpi.total_pupils", lang),
        border=True,
    )
    k2.metric(t("kpi.girls", lang), fmt_int(girls, lang), help=kpi.help_text("kpi.girls", lang), border=True)
    k3.metric(t("kpi.boys", lang), fmt_int(boys, lang), help=kpi.help_text("kpi.boys", lang), border=True)
    k4.metric(
        t("kpi.girls_share", lang),
        fmt_pct(share(girls, total), lang),
        help=kpi.help_text("kpi.girls_share", lang),
        border=True,
    )
    k5.metric(
        t("kpi.schools", lang),
        fmt_int(da.school_count(cycle=cycle, scope=scope, **where), lang),
        help=kpi.help_text("kpi.schools", lang),
        border=True,
    )
    if total == 0:
        st.warning(t("no_data_for_selection", lang))
    not_received = by_region.filter(~pl.col("data_received"))
    if not_received.height and not_received.height < by_region.height:
        names = ", ".join(not_received[f"region_name_{lang}"].to_list())
        st.warning(t("overview.regions_not_received", lang, n=not_received.height, regions=names))

    map_col, bar_col = st.columns([3, 2])
    with map_col:
        if not st.get_option("server.enableStaticServing"):  # plotly would then fetch its base map from a CDN
            st.warning(t("map.static_serving_off", lang))
        if filters.level == "national":
            regions_tab, provinces_tab = st.tabs([t("map.regions", lang), t("map.provinces", lang)])
            with regions_tab:
                show_chart(region_map(by_region, lang, year), "region_map", lang, config=PLOTLY_CONFIG)
            with provinces_tab:
                show_chart(province_map(by_province, lang, year), "province_map", lang, config=PLOTLY_CONFIG)
        else:
            show_chart(province_map(by_province, lang, year), "province_map", lang, config=PLOTLY_CONFIG)
    with bar_col:
        show_chart(cycle_sex_bars(by_cycle_sex, lang, year), "cycle_sex_bars", lang, config=PLOTLY_CONFIG)

    sector_col, trend_col = st.columns(2)
    with sector_col:
        by_sector_area = da.pupils_by_sector_area(year, cycle=cycle, scope=scope, **where)
        show_chart(
            sector_area_bars(by_sector_area, lang, year), "sector_area_bars", lang, config=PLOTLY_CONFIG
        )
    with trend_col:
        show_chart(
            trend_lines(da.pupils_trend(scope=scope, **where), lang), "trend", lang, config=PLOTLY_CONFIG
        )

    if filters.level == "national":
        st.subheader(t("table.title", lang))
        show_table(region_table(by_region, lang), "national_ove_region", lang)
    else:
        st.subheader(t("table.provinces_title", lang))
        table, kinds = province_table(by_province, lang)
        show_table(table, "overview_provinces", lang, kinds=kinds)


run_filtered_page("overview.title", render, depth="province")
