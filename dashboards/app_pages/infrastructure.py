"""Infrastructure: rooms of the schools, their status, seats and weekly occupancy from the timetables."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import infrastructure as da
from dashboards.exports import show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, named_bars, style_figure, top_legend


def _share(part: int | None, whole: int | None) -> float | None:
    return (part or 0) / whole if whole else None


def occupancy_bars(frame: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Occupancy rate per region or province (horizontal bars)."""
    title = t("infra.chart.occupancy_title", lang, year=isolate_ltr(year, lang))
    axis = t("infra.chart.occupancy", lang)
    return named_bars(
        frame,
        "occupancy_rate",
        axis,
        lang,
        title,
        hover="%{y}: %{x:.1f} %",
        x_range=[0, 100],
        skip_missing=True,
    )


def room_type_bars(by_type: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """Stacked bars per room type: usable and out-of-service rooms."""
    usable, out = t("infra.status.usable", lang), t("infra.status.out_of_service", lang)
    long = pl.concat(
        [
            by_type.select(
                pl.coalesce(pl.col(f"label_{lang}"), pl.col("code")).alias("type"),
                pl.lit(usable).alias("status"),
                pl.col("usable_classrooms").alias("rooms"),
            ),
            by_type.select(
                pl.coalesce(pl.col(f"label_{lang}"), pl.col("code")).alias("type"),
                pl.lit(out).alias("status"),
                pl.col("out_of_service_classrooms").alias("rooms"),
            ),
        ]
    )
    fig = px.bar(
        long,
        x="type",
        y="rooms",
        color="status",
        barmode="stack",
        color_discrete_map={usable: "#2f6fb0", out: "#c0392b"},
        labels={"type": "", "rooms": t("infra.chart.rooms", lang), "status": ""},
    )
    fig.update_layout(height=420, legend=top_legend(lang), yaxis={"tickformat": ",d"})
    return style_figure(
        mirror_axes(fig, lang), lang, t("infra.chart.rooms_title", lang, year=isolate_ltr(year, lang))
    )


def detail_table(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The breakdown as display strings."""
    return pl.DataFrame(
        [
            {
                t("infra.col.code", lang): r["code"],
                t("infra.col.name", lang): r[f"label_{lang}"] or r["code"],
                t("infra.col.classrooms", lang): fmt_int(r["classrooms"], lang),
                t("infra.col.usable", lang): fmt_int(r["usable_classrooms"], lang),
                t("infra.col.out_of_service", lang): fmt_int(r["out_of_service_classrooms"], lang),
                t("infra.col.needs_repair", lang): fmt_int(r["needs_repair_classrooms"], lang),
                t("infra.col.prefabricated", lang): fmt_int(r["prefabricated_classrooms"], lang),
                t("infra.col.seats", lang): fmt_int(r["usable_seats"], lang),
                t("infra.col.occupancy", lang): fmt_pct(percent_share(r["occupancy_rate"]), lang),
            }
            for r in frame.iter_rows(named=True)
        ]
    )


def rooms_table(rooms: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("infra.col.room", lang): r["classroom_code"],
                t("infra.col.type", lang): r[f"type_{lang}"] or r["room_type"],
                t("infra.col.status", lang): r[f"status_{lang}"] or r["operating_status"],
                t("infra.col.capacity", lang): fmt_int(r["capacity"], lang),
                t("infra.col.building", lang): r["building_code"],
                t("infra.col.built_year", lang): "" if r["built_year"] is None else str(r["built_year"]),
                t("infra.col.occupancy", lang): fmt_pct(percent_share(r["occupancy_rate"]), lang),
            }
            for r in rooms.iter_rows(named=True)
        ]
    )


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    totals = da.summary(year, scope=scope, **where)
    if not totals["classrooms"]:
        st.warning(t("infra.no_data", lang))
        return
    kpi_metrics(
        [
            Kpi("infra.kpi.classrooms", fmt_int(totals["classrooms"], lang)),
            Kpi("infra.kpi.counted_classrooms", fmt_int(totals["counted_classrooms"], lang)),
            Kpi("infra.kpi.out_of_service", fmt_int(totals["out_of_service_classrooms"], lang)),
            Kpi(
                "infra.kpi.prefabricated",
                fmt_pct(_share(totals["prefabricated_classrooms"], totals["classrooms"]), lang),
            ),
            Kpi("infra.kpi.seats", fmt_int(totals["usable_seats"], lang)),
            Kpi("infra.kpi.occupancy", fmt_pct(percent_share(totals["occupancy_rate"]), lang)),
        ],
        lang,
        border=False,
    )
    by_type = da.breakdown(year, "room_type", scope=scope, **where)
    left, right = st.columns(2)
    with left:
        show_chart(room_type_bars(by_type, lang, year), "infra_types", lang, config=PLOTLY_CONFIG)
    by = "province" if filters.region else "region"
    territory = da.breakdown(year, by, scope=scope, **where) if filters.school is None else by_type
    with right:
        show_chart(occupancy_bars(territory, lang, year), "infra_occupancy", lang, config=PLOTLY_CONFIG)
    st.subheader(t("infra.table.title", lang))
    show_table(detail_table(territory, lang), "infrastructu_detail", lang)
    if filters.school:
        st.subheader(t("infra.table.rooms_title", lang))
        rooms = da.rooms(year, scope=scope, region=filters.region, school=filters.school)
        show_table(rooms_table(rooms, lang), "infrastructu_rooms", lang)


run_filtered_page("infra.title", render, depth="school", caption="infra.caption")
