"""Absence monitoring, the directorates' daily tool: today's and this week's rates with a drill-down
region → province → school → class (following the URL filters), spikes, chronic absentees, recording gaps,
and the directorates' absence alerts (open alerts to acknowledge, e-mail subscription)."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.alert_panel import alerts_section
from dashboards.auth import current_scope
from dashboards.data_access import absences as da
from dashboards.data_access.enrollment import level_label
from dashboards.drill import breadcrumb, drill_chart
from dashboards.drill import drill_table as show_drill_table
from dashboards.exports import Kind, show_chart, show_pages, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_date, fmt_int, fmt_pct, isolate_ltr, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.scope import Scope
from dashboards.ui import PLOTLY_CONFIG, axis_dates, mirror_axes, style_figure, top_legend

#: rows shown in a long table (the count of the rest is stated under it)
TABLE_ROWS = 50
TODAY_COLOR = "#b5452f"
WEEK_COLOR = "#e8a33d"


def fmt_day(day: date | None, lang: str) -> str:
    """A date as ``29/11/2026`` (both languages read it left to right), by Babel."""
    return fmt_date(day, lang)


def first_rows(table: pl.DataFrame, key: str, lang: str) -> None:
    """A long table: its first rows, then how many there are."""
    show_table(table, key, lang, rows=TABLE_ROWS)
    if table.height > TABLE_ROWS:
        st.caption(
            t("absence.table.first", lang, shown=fmt_int(TABLE_ROWS, lang), total=fmt_int(table.height, lang))
        )


def by_unit_chart(units: pl.DataFrame, lang: str, level: str) -> go.Figure:
    """Today's and this week's rate per unit, as horizontal bars (a unit's name, twelve regions' Arabic
    names included, reads on one line); each bar carries its unit's code (the drill-down)."""
    names = units[f"unit_name_{lang}"].to_list()
    codes = units["unit_code"].to_list()
    fig = go.Figure(
        [
            go.Bar(
                name=t(f"absence.series.{series}", lang),
                y=names,
                x=units[f"rate_{series}"].to_list(),  # no bar (not 0) where no data was received
                orientation="h",
                customdata=codes,
                marker_color=color,
                hovertemplate="%{y}<br>%{x:.1%}<extra></extra>",
            )
            for series, color in (("today", TODAY_COLOR), ("week", WEEK_COLOR))
        ]
    )
    fig.update_layout(
        barmode="group",
        height=max(460, 34 * len(names) + 140),
        legend=top_legend(lang),
        xaxis={"tickformat": ".0%", "title": {"text": t("absence.chart.rate", lang)}},
    )
    title = t("absence.chart.by_unit", lang, level=t(f"absence.level.{level}", lang))
    return style_figure(mirror_axes(fig, lang, horizontal=True), lang, title)


def daily_chart(daily: pl.DataFrame, lang: str, year: str) -> go.Figure:
    """The territory's absence rate per school day (ratio of sums over its classes)."""
    fig = go.Figure(
        go.Scatter(
            x=daily["calendar_date"].to_list(),
            y=daily["rate"].to_list(),
            mode="lines",
            name=t("absence.chart.rate", lang),
            line={"color": TODAY_COLOR},
            hovertemplate="%{x|%d/%m/%Y}<br>%{y:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=460,
        showlegend=False,
        xaxis={"title": {"text": t("absence.chart.date", lang)}},
        yaxis={"tickformat": ".0%", "rangemode": "tozero"},
    )
    axis_dates(fig, daily["calendar_date"].to_list(), lang)  # month names of the language, not plotly's
    return style_figure(
        mirror_axes(fig, lang), lang, t("absence.chart.daily", lang, year=isolate_ltr(year, lang))
    )


def drill_table(units: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("absence.col.code", lang): r["unit_code"],
                t("absence.col.name", lang): r[f"unit_name_{lang}"],
                t("absence.col.enrolled_today", lang): t("absence.no_data_received", lang)
                if r["enrolled_today"] is None
                else fmt_int(r["enrolled_today"], lang),
                t("absence.col.absent_today", lang): "–"
                if r["absent_today"] is None
                else fmt_int(r["absent_today"], lang),
                t("absence.col.rate_today", lang): fmt_pct(r["rate_today"], lang),
                t("absence.col.rate_week", lang): fmt_pct(r["rate_week"], lang),
            }
            for r in units.iter_rows(named=True)
        ]
    )


def spikes_table(spikes: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("absence.col.date", lang): fmt_day(r["calendar_date"], lang),
                t("absence.col.code", lang): r["unit_code"],
                t("absence.col.name", lang): r[f"unit_name_{lang}"],
                t("absence.col.absent", lang): fmt_int(r["absent"], lang),
                t("absence.col.rate", lang): fmt_pct(r["rate"], lang),
                t("absence.col.usual_rate", lang): fmt_pct(r["usual_rate"], lang),
                t("absence.col.threshold", lang): fmt_pct(r["threshold"], lang),
            }
            for r in spikes.iter_rows(named=True)
        ]
    )


def chronic_table(chronic: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("absence.col.code", lang): r["school_code"],
                t("absence.col.school", lang): r[f"school_name_{lang}"],
                t("absence.col.classified", lang): fmt_int(r["pupils_classified"], lang),
                t("absence.col.chronic", lang): fmt_int(r["chronically_absent"], lang),
                t("absence.col.chronic_rate", lang): fmt_pct(r["chronic_rate"], lang),
                t("absence.col.band_at_risk", lang): fmt_int(r["band_at_risk"], lang),
                t("absence.col.band_moderate", lang): fmt_int(r["band_moderate"], lang),
                t("absence.col.band_severe", lang): fmt_int(r["band_severe"], lang),
                t("absence.col.longest_streak", lang): fmt_int(r["longest_streak"], lang),
            }
            for r in chronic.iter_rows(named=True)
        ]
    )


def pupils_table(pupils: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The chronic absentees as a table of raw values (numbers stay numbers in the downloads): the Massar
    code when the data access gives it (school and directorate roles), else the pseudonymous key."""
    followup = "student_code" in pupils.columns
    identity = (
        {t("absence.col.massar_code", lang): pupils["student_code"]}
        if followup
        else {t("absence.col.student_key", lang): pupils["student_key"]}
    )
    return pl.DataFrame(
        {
            **identity,
            t("absence.col.school_code", lang): pupils["school_code"],
            t("absence.col.school", lang): pupils[f"school_name_{lang}"],
            t("absence.col.class", lang): pupils["class_code"],
            t("absence.col.level", lang): [level_label(c, lang) for c in pupils["level_code"]],
            t("absence.col.absent_days", lang): pupils["absent_days"],
            t("absence.col.enrolled_days", lang): pupils["enrolled_school_days"],
            t("absence.col.absence_rate", lang): pupils["absence_rate"],
            t("absence.col.band", lang): [t(f"absence.band.{b}", lang) for b in pupils["attendance_band"]],
            t("absence.col.longest_streak", lang): pupils["longest_absence_streak"],
        },
        schema_overrides={t("absence.col.level", lang): pl.String, t("absence.col.band", lang): pl.String},
    )


def pupil_kinds(lang: str) -> dict[str, Kind]:
    return {
        t("absence.col.absent_days", lang): "int",
        t("absence.col.enrolled_days", lang): "int",
        t("absence.col.absence_rate", lang): "pct",
        t("absence.col.longest_streak", lang): "int",
    }


def chronic_pupils(pupils: pl.DataFrame, lang: str) -> None:
    """Every chronic absentee of the territory, a page at a time; the downloads hold the whole list."""
    followup = "student_code" in pupils.columns
    title = "absence.pupils.title_followup" if followup else "absence.pupils.title"
    st.markdown(f"**{t(title, lang)}**")
    total = pupils.height
    caption = "absence.pupils.caption_followup" if followup else "absence.pupils.caption"
    st.caption(t(caption, lang, total=fmt_int(total, lang)))
    if followup and total and pupils["student_code"].null_count() == total:
        st.warning(t("absence.pupils.no_codes", lang))
    show_pages(pupils_table(pupils, lang), "absence_moni_pupils", lang, kinds=pupil_kinds(lang))


def recording_table(gaps: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("absence.col.code", lang): r["school_code"],
                t("absence.col.school", lang): r[f"school_name_{lang}"],
                t("absence.col.status", lang): r[f"status_{lang}"],
                t("absence.col.classes", lang): fmt_int(r["classes"], lang),
                t("absence.col.classes_recorded", lang): fmt_int(r["classes_recorded"], lang),
                t("absence.col.recording_share", lang): fmt_pct(r["recorded_class_share"] / 100, lang),
            }
            for r in gaps.iter_rows(named=True)
        ]
    )


def status_table(counts: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("absence.col.status", lang): r[f"status_{lang}"],
                t("absence.col.schools", lang): fmt_int(r["schools"], lang),
            }
            for r in counts.iter_rows(named=True)
        ]
    )


def silent_table(classes: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("absence.col.school", lang): r["school_code"],
                t("absence.col.class", lang): r["class_code"],
                t("absence.col.level", lang): level_label(r["level_code"], lang),
                t("absence.col.pupils", lang): fmt_int(r["pupils_enrolled"], lang),
            }
            for r in classes.iter_rows(named=True)
        ]
    )


def headline(daily: pl.DataFrame, loaded: pl.DataFrame, counts: dict[str, int], lang: str) -> None:
    """Today's and this week's rates and absentees (ratios of sums over the territory's classes), and the
    day's spikes, unrecorded schools and chronic absentees (``counts``)."""
    day, week_start = loaded["day"][0], loaded["week_start"][0]
    today = daily.filter(pl.col("calendar_date") == day)
    week = daily.filter(pl.col("calendar_date") >= week_start)
    enrolled_today, absent_today = int(today["enrolled"].sum()), int(today["absent"].sum())
    enrolled_week, absent_week = int(week["enrolled"].sum()), int(week["absent"].sum())
    kpi_metrics(
        [
            Kpi(
                "absence.kpi.rate_today",
                fmt_pct(absent_today / enrolled_today if enrolled_today else None, lang),
            ),
            Kpi(
                "absence.kpi.rate_week", fmt_pct(absent_week / enrolled_week if enrolled_week else None, lang)
            ),
            Kpi("absence.kpi.absent_today", fmt_int(absent_today, lang)),
            *(Kpi(f"absence.kpi.{key}", fmt_int(n, lang)) for key, n in counts.items()),
        ],
        lang,
        per_row=3,
    )


def drill_section(
    units: pl.DataFrame, level: str, day: date, scope: Scope, filters: Filters, lang: str
) -> None:
    """The rates of each unit one level below, a click away from each unit."""
    st.subheader(t("absence.drill.title", lang, level=t(f"absence.level.{level}", lang)))
    if level != "class":
        st.caption(t("absence.drill.hint", lang))
    codes = units["unit_code"].to_list()
    table = drill_table(units, lang)
    show_drill_table(table, "absence_moni_drill", lang, scope, filters, codes=codes, levels=level)  # type: ignore[arg-type]
    missing = units.filter(pl.col("enrolled_today").is_null()).height
    if missing:
        st.caption(t("absence.no_data_units", lang, count=fmt_int(missing, lang), day=fmt_day(day, lang)))


def spikes_section(spikes: pl.DataFrame, lang: str) -> None:
    st.subheader(t("absence.spikes.title", lang))
    st.caption(
        t(
            "absence.spikes.rule",
            lang,
            recent=da.SPIKE_RECENT_DAYS,
            window=da.SPIKE_WINDOW,
            k=fmt_int(da.SPIKE_K, lang),
            min_absent=da.SPIKE_MIN_ABSENT,
            min_days=da.SPIKE_MIN_DAYS,
        )
    )
    if spikes.height:
        first_rows(spikes_table(spikes, lang), "absence_spikes", lang)
    else:
        st.info(t("absence.spikes.none", lang))


def chronic_section(chronic: pl.DataFrame, year: str, scope: Scope, filters: Filters, lang: str) -> None:
    st.subheader(t("absence.chronic.title", lang))
    st.caption(t("absence.chronic.rule", lang))
    if chronic.height:
        first_rows(chronic_table(chronic, lang), "absence_chronic", lang)
        chronic_pupils(da.chronic_absentees(year, scope=scope, **filters.query_kwargs()), lang)
    else:
        st.info(t("absence.chronic.none", lang))


def recording_section(
    statuses: pl.DataFrame, gaps: pl.DataFrame, silent: pl.DataFrame, level: str, day: date, lang: str
) -> None:
    """The day's recording: schools per status, schools that recorded too few classes, silent classes
    (listed at school and class level, counted above)."""
    st.subheader(t("absence.recording.title", lang))
    st.caption(t("absence.recording.rule", lang))
    st.markdown(f"**{t('absence.recording.statuses', lang, day=fmt_day(day, lang))}**")
    show_table(status_table(statuses, lang), "absence_moni_status", lang)
    st.markdown(f"**{t('absence.recording.schools', lang, day=fmt_day(day, lang))}**")
    if gaps.height:
        first_rows(recording_table(gaps, lang), "absence_recording", lang)
    else:
        st.info(t("absence.recording.none", lang))
    if level in ("school", "class"):
        st.markdown(f"**{t('absence.recording.classes', lang, day=fmt_day(day, lang))}**")
        first_rows(silent_table(silent, lang), "absence_silent", lang)
    else:
        silent_total = int(silent["silent_classes"][0]) if silent.height else 0
        st.caption(
            t(
                "absence.recording.classes_count",
                lang,
                count=fmt_int(silent_total, lang),
                day=fmt_day(day, lang),
            )
        )


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    loaded = da.last_loaded_day(year, scope=scope, **where)
    day: date | None = loaded["day"][0]
    if day is None:
        st.warning(t("absence.no_day", lang))
        return
    breadcrumb(scope, filters, lang, hint=False)  # the drill table says how to go down
    st.caption(
        t(
            "absence.caption",
            lang,
            year=isolate_ltr(year, lang),
            day=fmt_day(day, lang),
            week=fmt_day(loaded["week_start"][0], lang),
            version=version,
        )
    )
    units = da.absence_by_unit(year, scope=scope, day=day, **where)
    daily = da.daily_absence(year, scope=scope, **where)
    spikes = da.absence_spikes(year, scope=scope, day_number=loaded["day_number"][0], **where)
    chronic = da.chronic_by_school(year, scope=scope, **where)
    gaps = da.recording_gaps(year, scope=scope, day=day, **where)
    level = str(units["level"][0]) if units.height else "region"
    counts = {
        "spikes_today": spikes.filter(pl.col("calendar_date") == day).height,
        "unrecorded": gaps.height,
        "chronic": int(chronic["chronically_absent"].sum()),
    }
    headline(daily, loaded, counts, lang)

    left, right = st.columns(2)
    with left:
        drill_chart(
            by_unit_chart(units, lang, level),
            "absence_by_unit",
            lang,
            scope,
            filters,
            level=level,  # type: ignore[arg-type]
            config=PLOTLY_CONFIG,
        )
    with right:
        show_chart(daily_chart(daily, lang, year), "absence_daily", lang, config=PLOTLY_CONFIG)
    drill_section(units, level, day, scope, filters, lang)
    spikes_section(spikes, lang)
    chronic_section(chronic, year, scope, filters, lang)
    statuses = da.recording_status_counts(year, scope=scope, day=day, **where)
    silent = da.silent_classes(year, scope=scope, day=day, **where)
    recording_section(statuses, gaps, silent, level, day, lang)
    alerts_section(scope, lang, **where)


run_filtered_page("absence.title", render)
