"""National overview: pupils by region, cycle and sex for one school year (filters kept in the URL)."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import NoPublishedWarehouse, published_warehouse
from dashboards.data_access import enrollment as da
from dashboards.i18n import fmt_int, fmt_pct, is_rtl, isolate_ltr, t
from dashboards.ui import PLOTLY_CONFIG, current_lang, regions_geojson, style_figure, url_selectbox

SEX_ORDER: tuple[str, ...] = ("F", "M")
SEX_COLORS: dict[str, str] = {"F": "#c2417a", "M": "#2f6fb0"}


def no_published_data() -> None:
    """The bilingual message shown when nothing is published yet."""
    st.info(f"{t('no_published_data', 'fr')}\n\n{t('no_published_data', 'ar')}", icon=":material/info:")


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
    rtl = is_rtl(lang)
    fig.update_layout(
        height=560,
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right" if rtl else "left",
            "x": 1.0 if rtl else 0.0,
            "title": {"text": ""},
        },
        xaxis={"autorange": "reversed" if rtl else True, "title": {"text": ""}},
        yaxis={"side": "right" if rtl else "left", "tickformat": ",d"},
    )
    fig.update_traces(hovertemplate="%{x}<br>%{fullData.name}: %{y:,d}<extra></extra>")
    return style_figure(fig, lang, t("chart.bar_title", lang, year=isolate_ltr(year, lang)))


def region_table(by_region: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The regions with pupils, girls, boys and shares, as display strings (plus a total row)."""
    total = int(by_region["pupils"].sum())
    girls = int(by_region["girls"].sum())
    boys = int(by_region["boys"].sum())
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


def main() -> None:
    lang = current_lang()
    scope = current_scope()
    st.title(t("overview.title", lang))

    published = published_warehouse()
    if published is None:
        no_published_data()
        return
    try:
        years = da.school_years(scope=scope)
        cycles = da.cycles()
    except NoPublishedWarehouse:  # unpublished between the two reads
        no_published_data()
        return
    if not years:
        st.warning(t("no_data_for_selection", lang))
        return

    cycle_labels = dict(zip(cycles["cycle_code"].to_list(), cycles[f"label_{lang}"].to_list(), strict=True))
    left, right, _ = st.columns([1, 1, 2])
    year = url_selectbox(
        t("filter.school_year", lang),
        years,
        param="year",
        to_url=lambda y: y,
        format_func=lambda y: y,
        container=left,
    )
    cycle: str | None = url_selectbox(
        t("filter.cycle", lang),
        [None, *cycle_labels],
        param="cycle",
        to_url=lambda c: c,
        format_func=lambda c: t("filter.all_cycles", lang) if c is None else cycle_labels.get(c, c),
        container=right,
    )
    st.caption(
        t(
            "overview.caption",
            lang,
            year=isolate_ltr(year, lang),
            cycle=t("filter.all_cycles", lang) if cycle is None else cycle_labels.get(cycle, cycle),
            version=published.version,
        )
    )

    by_region = da.pupils_by_region(year, cycle=cycle, scope=scope)
    by_cycle_sex = da.pupils_by_region_cycle_sex(year, scope=scope)
    if cycle is not None:
        by_cycle_sex = by_cycle_sex.filter(pl.col("cycle_code") == cycle)
    total = int(by_region["pupils"].sum())
    girls = int(by_region["girls"].sum())
    boys = int(by_region["boys"].sum())

    k1, k2, k3, k4, k5 = st.columns(5)
    k1.metric(t("kpi.total_pupils", lang), fmt_int(total, lang), border=True)
    k2.metric(t("kpi.girls", lang), fmt_int(girls, lang), border=True)
    k3.metric(t("kpi.boys", lang), fmt_int(boys, lang), border=True)
    k4.metric(t("kpi.girls_share", lang), fmt_pct(share(girls, total), lang), border=True)
    k5.metric(
        t("kpi.schools", lang),
        fmt_int(da.school_count(cycle=cycle, scope=scope), lang),
        help=t("kpi.schools_help", lang),
        border=True,
    )
    if total == 0:
        st.warning(t("no_data_for_selection", lang))

    map_col, bar_col = st.columns([3, 2])
    with map_col:
        if not st.get_option("server.enableStaticServing"):  # plotly would then fetch its base map from a CDN
            st.warning(t("map.static_serving_off", lang))
        st.plotly_chart(region_map(by_region, lang, year), config=PLOTLY_CONFIG, key="region_map")
    with bar_col:
        st.plotly_chart(cycle_sex_bars(by_cycle_sex, lang, year), config=PLOTLY_CONFIG, key="cycle_sex_bars")

    st.subheader(t("table.title", lang))
    st.table(region_table(by_region, lang), hide_index=True)


main()
