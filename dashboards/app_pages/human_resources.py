"""Human resources: weekly teaching hours against the statutory load, vacant class x subject slots and
pupils per teacher by subject; a school's own vacancies listed."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import human_resources as da
from dashboards.exports import fmt_decimal, show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, percent_share, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure


def _label(row: dict, lang: str, code: str) -> str:
    return row[f"label_{lang}"] or row[code]


def subject_chart(
    subjects: pl.DataFrame, lang: str, title: str, column: str, axis: str, color: str
) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=[_label(r, lang, "subject_code") for r in subjects.iter_rows(named=True)],
            y=subjects[column].to_list(),
            marker_color=color,
            hovertemplate="%{x}: %{y:.1f}<extra></extra>",
        )
    )
    fig.update_layout(height=420, yaxis={"title": {"text": axis}})
    return style_figure(mirror_axes(fig, lang), lang, title)


def load_table(load: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("hr.col.cycle", lang): t("hr.all_cycles", lang)
                if r["cycle_code"] is None
                else (r[f"cycle_label_{lang}"] or r["cycle_code"]),
                t("hr.col.teachers", lang): fmt_int(r["teachers"], lang),
                t("hr.col.in_service", lang): fmt_int(r["teachers_in_service"], lang),
                t("hr.col.not_in_service", lang): fmt_int(r["teachers_not_in_service"], lang),
                t("hr.col.statutory", lang): fmt_int(r["statutory_hours"], lang),
                t("hr.col.assigned", lang): fmt_decimal(r["assigned_hours"], lang),
                t("hr.col.load", lang): fmt_pct(percent_share(r["load_pct"]), lang),
                t("hr.col.above", lang): fmt_int(r["teachers_above_load"], lang),
                t("hr.col.below", lang): fmt_int(r["teachers_below_load"], lang),
            }
            for r in load.iter_rows(named=True)
        ]
    )


def _coverage(r: dict, lang: str) -> dict[str, str]:
    return {
        t("hr.col.slots", lang): fmt_int(r["slots"], lang),
        t("hr.col.vacant", lang): fmt_int(r["vacant_slots"], lang),
        t("hr.col.vacant_hours", lang): fmt_decimal(r["vacant_hours"], lang),
        t("hr.col.vacancy_rate", lang): fmt_pct(percent_share(r["vacancy_rate"]), lang),
    }


def subject_table(subjects: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Per subject: vacancies, then the subject's teachers, pupils taught and pupils per teacher of the
    subject (a per-subject figure; the territory breakdown has no such column)."""
    return pl.DataFrame(
        [
            {
                t("hr.col.subject", lang): _label(r, lang, "subject_code"),
                **_coverage(r, lang),
                t("hr.col.subject_teachers", lang): fmt_int(r["teachers"], lang),
                t("hr.col.pupils", lang): fmt_int(r["pupils_taught"], lang),
                t("hr.col.pupils_per_subject_teacher", lang): fmt_decimal(
                    r["pupils_per_subject_teacher"], lang
                ),
            }
            for r in subjects.iter_rows(named=True)
        ]
    )


def unit_table(units: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("hr.col.code", lang): r["unit_code"],
                t("hr.col.name", lang): r[f"unit_name_{lang}"],
                **_coverage(r, lang),
            }
            for r in units.iter_rows(named=True)
        ]
    )


def vacancy_table(vacancies: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("hr.col.class", lang): r["class_code"],
                t("hr.col.level", lang): r["level_code"],
                t("hr.col.subject", lang): r[f"subject_label_{lang}"] or r["subject_code"],
                t("hr.col.pupils", lang): fmt_int(r["pupils_enrolled"], lang),
                t("hr.col.weekly_hours", lang): fmt_decimal(r["weekly_hours"], lang),
                t("hr.col.reason", lang): t("hr.reason.unassigned", lang)
                if r["status_code"] is None
                else (r[f"status_label_{lang}"] or r["status_code"]),
            }
            for r in vacancies.iter_rows(named=True)
        ]
    )


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    load = da.load_summary(year, scope=scope, **where)
    subjects = da.coverage_by_subject(year, scope=scope, **where)
    if load.is_empty() or subjects.is_empty():
        st.warning(t("hr.no_data", lang))
        return
    total = load.filter(pl.col("cycle_code").is_null()).row(0, named=True)
    slots, vacant = int(subjects["slots"].sum()), int(subjects["vacant_slots"].sum())
    kpi_metrics(
        [
            Kpi("hr.kpi.teachers", fmt_int(total["teachers_in_service"], lang)),
            Kpi("hr.kpi.load", fmt_pct(percent_share(total["load_pct"]), lang)),
            Kpi("hr.kpi.vacant", fmt_int(vacant, lang)),
            Kpi("hr.kpi.vacancy_rate", fmt_pct(vacant / slots if slots else None, lang)),
        ],
        lang,
    )
    left, right = st.columns(2)
    y = isolate_ltr(year, lang)
    with left:
        ratio = subject_chart(
            subjects,
            lang,
            t("hr.chart.ratio", lang, year=y),
            "pupils_per_subject_teacher",
            t("hr.chart.ratio_axis", lang),
            "#2f6fb0",
        )
        show_chart(ratio, "hr_ratio", lang, config=PLOTLY_CONFIG)
    with right:
        vacant_chart = subject_chart(
            subjects,
            lang,
            t("hr.chart.vacant", lang, year=y),
            "vacant_hours",
            t("hr.chart.vacant_axis", lang),
            "#b5452f",
        )
        show_chart(vacant_chart, "hr_vacant", lang, config=PLOTLY_CONFIG)
    st.subheader(t("hr.table.load", lang))
    show_table(load_table(load, lang), "human_resour_load", lang)
    st.subheader(t("hr.table.subjects", lang))
    show_table(subject_table(subjects, lang), "human_resour_subject", lang)
    if filters.school is None and scope.school_code is None:
        st.subheader(t("hr.table.units", lang))
        show_table(
            unit_table(da.coverage_by_unit(year, scope=scope, **where), lang), "human_resour_unit", lang
        )
    else:
        st.subheader(t("hr.table.vacancies", lang))
        vacancies = da.school_vacancies(year, scope=scope, **where)
        if vacancies.is_empty():
            st.info(t("hr.no_vacancy", lang), icon=":material/info:")
        else:
            show_table(vacancy_table(vacancies, lang), "human_resour_vacancy", lang)
    st.caption(t("hr.note", lang))


run_filtered_page("hr.title", render, depth="school", caption="hr.caption")
