"""National overview: pupils by region, province, cycle, sex, sector, area; trends; filters in the URL."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import enrollment as da
from dashboards.data_access import territory_rates as rates
from dashboards.drill import breadcrumb, drill_chart, drill_table
from dashboards.exports import Kind, show_chart
from dashboards.filters import Filters, cycle_filter
from dashboards.i18n import fmt_int, fmt_pct, is_rtl, isolate_ltr, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.scope import Scope
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


#: the map's indicators (``dashboards.data_access.territory_rates.INDICATORS``) and their colour scales:
#: darker is more; red where more is worse, green where more is better
MAP_COLORS: dict[str, str] = {
    "pupils": "Blues",
    "dropout_rate": "Reds",
    "repetition_rate": "Oranges",
    "promotion_rate": "Greens",
    "chronic_absence_rate": "Reds",
    "pass_rate_3ac": "Greens",
    "pass_rate_bac": "Greens",
}
#: rates measured on the next school year (none for the last loaded year)
FLOW_INDICATORS: frozenset[str] = frozenset({"dropout_rate", "repetition_rate", "promotion_rate"})
_GEOJSON_LEVELS = {"region": regions_geojson, "province": provinces_geojson}
#: a region or province without a value for the indicator
NO_DATA_COLOR = "#e3e3e3"


def indicator_frame(
    indicator: str,
    level: str,
    filters: Filters,
    cycle: str | None,
    by_region: pl.DataFrame,
    by_province: pl.DataFrame,
) -> pl.DataFrame:
    """``unit_code, unit_name_fr, unit_name_ar, value`` (and ``numerator, denominator`` for a rate) of
    the map's indicator per unit of ``level``. Pupils by region and province are the page's own counts
    (every region, a region without data null; every province of the territory, 0 without pupils); the
    rest comes from ``territory_rates``."""
    if indicator == "pupils" and level in ("region", "province"):
        frame = by_region if level == "region" else by_province
        return frame.select(
            pl.col(f"{level}_code").alias("unit_code"),
            pl.col(f"{level}_name_fr").alias("unit_name_fr"),
            pl.col(f"{level}_name_ar").alias("unit_name_ar"),
            pl.col("pupils").cast(pl.Float64).alias("value"),
        )
    return rates.rate_by_unit(
        filters.school_year, indicator, cycle, scope=current_scope(), level=level, **filters.query_kwargs()
    )


def legend_title(indicator: str, lang: str) -> str:
    unit = "count" if rates.INDICATORS[indicator].unit == "count" else "share"
    return t("map.legend", lang, indicator=t(f"map.ind.{indicator}", lang), unit=t(f"map.unit.{unit}", lang))


def indicator_map(
    frame: pl.DataFrame,
    indicator: str,
    level: str,
    lang: str,
    year: str,
    *,
    units: pl.DataFrame | None = None,
) -> go.Figure:
    """Choropleth of the regions or provinces coloured by the indicator (from 0), its legend naming the
    indicator and its unit; each area carries its code (``customdata``) for the drill-down. The ``units``
    (``unit_code, unit_name_fr, unit_name_ar``) without a value are drawn grey, "no data", in a second
    trace."""
    share = rates.INDICATORS[indicator].unit == "share"
    label = t(f"map.ind.{indicator}", lang)
    frame = frame.with_columns(pl.col(f"unit_name_{lang}").alias("unit_name"))
    high = frame["value"].max()
    detail = share and "numerator" in frame.columns  # a rate: its numerator and denominator in the hover
    fig = px.choropleth(
        frame,
        geojson=_GEOJSON_LEVELS[level](),
        locations="unit_code",
        featureidkey="properties.hcp_code",
        color="value",
        hover_name="unit_name",
        custom_data=["unit_code", "numerator", "denominator"] if detail else ["unit_code"],
        color_continuous_scale=MAP_COLORS[indicator],
        range_color=(0, high if isinstance(high, (int, float)) and high > 0 else 1),
        labels={"value": label, "unit_code": t(f"col.{level}_code", lang)},
    )
    value_format = "%{z:.1%}" if share else "%{z:,d}"
    counts = "<br>%{customdata[1]:,d} / %{customdata[2]:,d}" if detail else ""
    fig.update_traces(
        hovertemplate=f"<b>%{{hovertext}}</b><br>{label}: {value_format}{counts}<extra></extra>",
        marker_line_color="white",
        marker_line_width=0.8 if level == "region" else 0.5,
    )
    shown = set(frame.filter(pl.col("value").is_not_null())["unit_code"].to_list())
    missing = units.filter(~pl.col("unit_code").is_in(list(shown))) if units is not None else None
    if missing is not None and missing.height:
        fig.add_trace(
            go.Choropleth(
                geojson=_GEOJSON_LEVELS[level](),
                locations=missing["unit_code"].to_list(),
                featureidkey="properties.hcp_code",
                z=[0] * missing.height,
                colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                showscale=False,
                hovertext=missing[f"unit_name_{lang}"].to_list(),
                customdata=missing["unit_code"].to_list(),
                hovertemplate=f"<b>%{{hovertext}}</b><br>{t('map.no_data', lang)}<extra></extra>",
                marker_line_color="white",
                marker_line_width=0.8 if level == "region" else 0.5,
                name=t("map.no_data", lang),
            )
        )
    # mercator: with the default equirectangular projection, fitbounds leaves the country at half size
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    colorbar: dict[str, object] = {
        "title": {"text": wrap_label(legend_title(indicator, lang), 18)},
        "tickformat": ".0%" if share else ",d",
    }
    if is_rtl(lang):
        colorbar |= {"x": 0.0, "xanchor": "right"}
    fig.update_layout(height=560, coloraxis_colorbar=colorbar)
    title = t(f"map.title.{level}", lang, indicator=label, year=isolate_ltr(year, lang))
    return style_figure(fig, lang, title)


def indicator_bars(frame: pl.DataFrame, indicator: str, lang: str, year: str) -> go.Figure:
    """The indicator per school (no school geometry: bars), each bar carrying its school code."""
    share = rates.INDICATORS[indicator].unit == "share"
    label = t(f"map.ind.{indicator}", lang)
    names = [f"{n} ({c})" for n, c in zip(frame[f"unit_name_{lang}"], frame["unit_code"], strict=True)]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=frame["value"].to_list(),
            customdata=frame["unit_code"].to_list(),
            marker_color="#2f6fb0",
            hovertemplate="%{x}<br>" + label + (": %{y:.1%}" if share else ": %{y:,d}") + "<extra></extra>",
        )
    )
    fig.update_layout(
        height=460,
        showlegend=False,
        yaxis={"tickformat": ".0%" if share else ",d", "title": {"text": legend_title(indicator, lang)}},
    )
    title = t("map.title.school", lang, indicator=label, year=isolate_ltr(year, lang))
    return style_figure(mirror_axes(fig, lang), lang, title)


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


def indicator_view(
    indicator: str,
    level: str,
    key: str,
    filters: Filters,
    cycle: str | None,
    frames: tuple[pl.DataFrame, pl.DataFrame],
    lang: str,
) -> None:
    """The chosen indicator per unit of ``level``: a map (regions, provinces) or bars (schools), a click
    away from each unit; ``frames`` are the pupils by region and by province."""
    by_region, by_province = frames
    year = filters.school_year
    frame = indicator_frame(indicator, level, filters, cycle, by_region, by_province)
    if indicator in FLOW_INDICATORS and frame["value"].is_null().all():
        st.info(t("map.flows_unknown", lang, year=isolate_ltr(year, lang)), icon=":material/info:")
        return
    if level == "school":
        fig = indicator_bars(frame, indicator, lang, year)
    else:
        units = indicator_frame("pupils", level, filters, cycle, by_region, by_province)
        fig = indicator_map(frame, indicator, level, lang, year, units=units)
    code_label, name_label = {
        "region": ("col.region_code", "col.region"),
        "province": ("col.province_code", "col.province"),
        "school": ("col.region_code", "filter.school"),
    }[level]
    export = frame.select(  # the chart's values per unit: a region without data stays empty, not 0
        pl.col("unit_code").alias(t(code_label, lang)),
        pl.col(f"unit_name_{lang}").alias(t(name_label, lang)),
        pl.col("value").alias(legend_title(indicator, lang)),
    )
    scope = current_scope()
    drill_chart(fig, key, lang, scope, filters, level=level, config=PLOTLY_CONFIG, data=export)  # type: ignore[arg-type]


def map_section(
    filters: Filters, cycle: str | None, frames: tuple[pl.DataFrame, pl.DataFrame], lang: str
) -> None:
    """The indicator chooser and its map: regions and provinces (tabs) nationally, a region's provinces,
    a province's schools (bars: no school geometry)."""
    if not st.get_option("server.enableStaticServing"):  # plotly would then fetch its base map from a CDN
        st.warning(t("map.static_serving_off", lang))
    indicator: str = url_selectbox(
        t("map.indicator", lang),
        list(rates.INDICATORS),
        param="indicator",
        to_url=lambda k: None if k == "pupils" else k,
        format_func=lambda k: t(f"map.ind.{k}", lang),
    )
    st.caption(t(f"map.def.{indicator}", lang))
    if filters.level == "national":
        regions_tab, provinces_tab = st.tabs([t("map.regions", lang), t("map.provinces", lang)])
        with regions_tab:
            indicator_view(indicator, "region", "region_map", filters, cycle, frames, lang)
        with provinces_tab:
            indicator_view(indicator, "province", "province_map", filters, cycle, frames, lang)
    elif filters.level == "region":
        indicator_view(indicator, "province", "province_map", filters, cycle, frames, lang)
    else:
        indicator_view(indicator, "school", "school_bars", filters, cycle, frames, lang)


def territory_table(
    filters: Filters, by_region: pl.DataFrame, by_province: pl.DataFrame, scope: Scope, lang: str
) -> None:
    """Pupils by region (nationally, with the total) or by province, a click away from each unit."""
    if filters.level == "national":
        st.subheader(t("table.title", lang))
        codes = [*by_region["region_code"].to_list(), None]  # the last row is the total
        table = region_table(by_region, lang)
        drill_table(table, "national_ove_region", lang, scope, filters, codes=codes, levels="region")
        return
    st.subheader(t("table.provinces_title", lang))
    table, kinds = province_table(by_province, lang)
    drill_table(
        table,
        "overview_provinces",
        lang,
        scope,
        filters,
        codes=by_province["province_code"].to_list(),
        levels="province",
        kinds=kinds,
    )


def headline(by_region: pl.DataFrame, cycle: str | None, scope: Scope, where: dict, lang: str) -> None:
    """Pupils, girls, boys, girls' share and schools of the selection; warnings for missing data."""
    total = int(by_region["pupils"].sum())
    girls = int(by_region["girls"].sum())
    boys = int(by_region["boys"].sum())
    kpi_metrics(
        [
            Kpi("kpi.total_pupils", fmt_int(total, lang)),
            Kpi("kpi.girls", fmt_int(girls, lang)),
            Kpi("kpi.boys", fmt_int(boys, lang)),
            Kpi("kpi.girls_share", fmt_pct(share(girls, total), lang)),
            Kpi("kpi.schools", fmt_int(da.school_count(cycle=cycle, scope=scope, **where), lang)),
        ],
        lang,
    )
    if total == 0:
        st.warning(t("no_data_for_selection", lang))
    not_received = by_region.filter(~pl.col("data_received"))
    if not_received.height and not_received.height < by_region.height:
        names = ", ".join(not_received[f"region_name_{lang}"].to_list())
        st.warning(t("overview.regions_not_received", lang, n=not_received.height, regions=names))


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    cycles = da.cycles()
    year = filters.school_year
    where = filters.query_kwargs()
    cycle_labels = dict(zip(cycles["cycle_code"].to_list(), cycles[f"label_{lang}"].to_list(), strict=True))
    cycle = cycle_filter(cycle_labels, lang, param="cycle", all_key="filter.all_cycles")
    st.caption(
        t(
            "overview.caption",
            lang,
            year=isolate_ltr(year, lang),
            cycle=t("filter.all_cycles", lang) if cycle is None else cycle_labels.get(cycle, cycle),
            version=version,
        )
    )
    breadcrumb(scope, filters, lang)

    by_region = da.pupils_by_region(year, cycle=cycle, scope=scope, **where)
    by_province = da.pupils_by_province(year, cycle=cycle, scope=scope, **where)
    by_cycle_sex = da.pupils_by_region_cycle_sex(year, scope=scope, **where)
    if cycle is not None:
        by_cycle_sex = by_cycle_sex.filter(pl.col("cycle_code") == cycle)
    headline(by_region, cycle, scope, where, lang)

    map_col, bar_col = st.columns([3, 2])
    with map_col:
        map_section(filters, cycle, (by_region, by_province), lang)
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
    territory_table(filters, by_region, by_province, scope, lang)


run_filtered_page("overview.title", render)
