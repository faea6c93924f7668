"""Grades and exams: distribution and means of the subject averages (by subject, level and territory),
end-of-year decisions, and the 3AC and bac results with pass rates by sex."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import grades as da
from dashboards.exports import fmt_decimal, show_chart, show_table
from dashboards.filters import Filters
from dashboards.i18n import fmt_int, fmt_pct, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.scope import Scope
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure, top_legend, url_selectbox

BAR_COLOR = "#2f6fb0"
SEX_COLORS: dict[str, str] = {"F": "#c2417a", "M": "#2f6fb0"}
DECISION_COLORS: dict[str, str] = {"promote": "#3a8f5c", "repeat": "#e8a33d", "none": "#9aa0a6"}
CERTIFICATES: tuple[str, ...] = ("3AC", "BAC")
#: rows shown in a long table (the count of the rest is stated under it)
TABLE_ROWS = 50


def bin_label(row: dict[str, object], lang: str) -> str:
    """A grade bin of the chart as ``8–10`` (lower bound included, upper excluded but for the last bin;
    the chart's caption says so). Plotly draws its text left to right: no bidi isolates needed."""
    lower = fmt_decimal(float(row["lower_bound"]), lang, 0)  # type: ignore[arg-type]
    upper = fmt_decimal(float(row["upper_bound"]), lang, 0)  # type: ignore[arg-type]
    return f"{lower}–{upper}"


def histogram_chart(bins: pl.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=[bin_label(r, lang) for r in bins.iter_rows(named=True)],
            y=bins["pupils"].to_list(),
            marker_color=BAR_COLOR,
            hovertemplate="%{x}<br>%{y:,d}<extra></extra>",
        )
    )
    fig.update_layout(
        height=400,
        bargap=0.05,
        xaxis={"title": {"text": t("grades.chart.mark", lang)}},
        yaxis={"title": {"text": t("grades.chart.averages", lang)}},
    )
    return style_figure(mirror_axes(fig, lang), lang, t("grades.chart.histogram", lang))


def subject_chart(subjects: pl.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            y=subjects[f"label_{lang}"].to_list(),
            x=subjects["mean_average"].to_list(),
            orientation="h",
            marker_color=BAR_COLOR,
            hovertemplate="%{y}<br>%{x:.2f}<extra></extra>",
        )
    )
    fig.update_layout(height=400, xaxis={"range": [0, 20]})
    return style_figure(mirror_axes(fig, lang, horizontal=True), lang, t("grades.chart.subjects", lang))


def decisions_chart(decisions: pl.DataFrame, lang: str) -> go.Figure:
    frame = decisions.with_columns(pl.col("decision").fill_null("none"))
    levels = frame.unique("level_code", maintain_order=True)
    traces = []
    for decision, color in DECISION_COLORS.items():
        part = levels.select("level_code", f"level_label_{lang}").join(
            frame.filter(pl.col("decision") == decision).select("level_code", "share"),
            on="level_code",
            how="left",
        )
        if part["share"].is_null().all():
            continue
        traces.append(
            go.Bar(
                name=t(f"grades.decision.{decision}", lang),
                x=part[f"level_label_{lang}"].to_list(),
                y=part["share"].fill_null(0).to_list(),
                marker_color=color,
                hovertemplate="%{x}<br>%{fullData.name}: %{y:.1%}<extra></extra>",
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        barmode="stack",
        height=420,
        legend=top_legend(lang),
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )
    return style_figure(mirror_axes(fig, lang), lang, t("grades.chart.decisions", lang))


def exam_chart(units: pl.DataFrame, certificate: str, lang: str) -> go.Figure:
    part = units.filter(pl.col("certificate_code") == certificate)
    names = part[f"unit_name_{lang}"].to_list()
    fig = go.Figure(
        [
            go.Bar(
                name=t(f"sex.{sex}", lang),
                x=names,
                y=part[f"pass_rate_{sex.lower()}"].to_list(),
                marker_color=color,
                hovertemplate="%{x}<br>%{fullData.name}: %{y:.1%}<extra></extra>",
            )
            for sex, color in SEX_COLORS.items()
        ]
    )
    fig.update_layout(
        barmode="group",
        height=420,
        legend=top_legend(lang),
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )
    return style_figure(
        mirror_axes(fig, lang),
        lang,
        t("grades.chart.exam", lang, certificate=t(f"grades.cert.{certificate}", lang)),
    )


def level_table(levels: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("grades.col.level", lang): r[f"label_{lang}"],
                t("grades.col.averages", lang): fmt_int(r["pupils"], lang),
                t("grades.col.mean", lang): fmt_decimal(r["mean_average"], lang, 2),
            }
            for r in levels.iter_rows(named=True)
        ]
    )


def unit_table(units: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("grades.col.code", lang): r["unit_code"],
                t(f"grades.col.unit.{r['level']}", lang): r[f"unit_name_{lang}"],
                t("grades.col.averages", lang): fmt_int(r["pupils"], lang),
                t("grades.col.mean", lang): fmt_decimal(r["mean_average"], lang, 2),
            }
            for r in units.iter_rows(named=True)
        ]
    )


def decision_table(decisions: pl.DataFrame, lang: str) -> pl.DataFrame:
    rows = []
    for level in decisions.unique("level_code", maintain_order=True).iter_rows(named=True):
        part = decisions.filter(pl.col("level_code") == level["level_code"])
        shares = {(d or "none"): (s, n) for d, s, n in part.select("decision", "share", "pupils").iter_rows()}
        row = {
            t("grades.col.level", lang): level[f"level_label_{lang}"],
            t("grades.col.pupils", lang): fmt_int(part["pupils"].sum(), lang),
        }
        for decision in DECISION_COLORS:
            share, _ = shares.get(decision, (0.0, 0))
            row[t(f"grades.decision.{decision}", lang)] = fmt_pct(share, lang)
        rows.append(row)
    return pl.DataFrame(rows)


def exam_table(units: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("grades.col.certificate", lang): t(f"grades.cert.{r['certificate_code']}", lang),
                t("grades.col.code", lang): r["unit_code"],
                t(f"grades.col.unit.{r['level']}", lang): r[f"unit_name_{lang}"],
                t("grades.col.candidates", lang): fmt_int(r["candidates"], lang),
                t("grades.col.incomplete", lang): fmt_int(r["candidates_incomplete"], lang),
                t("grades.col.pass_rate", lang): fmt_pct(r["pass_rate"], lang),
                t("grades.col.pass_rate_f", lang): fmt_pct(r["pass_rate_f"], lang),
                t("grades.col.pass_rate_m", lang): fmt_pct(r["pass_rate_m"], lang),
                t("grades.col.gpi", lang): fmt_decimal(r["gpi"], lang, 2),
            }
            for r in units.iter_rows(named=True)
        ]
    )


def incomplete_note(r: dict, lang: str) -> str | None:
    """The candidates left out of the pass rate (a component missing from the data) and why, or None."""
    if not r["candidates_incomplete"]:
        return None
    reasons = [
        t("grades.exams.missing_reason", lang, reason=t(f"grades.missing.{c}", lang), n=fmt_int(n, lang))
        for c in da.MISSING_COMPONENTS
        if (n := r[f"missing_{c}"])
    ]
    return t(
        "grades.exams.incomplete",
        lang,
        n=fmt_int(r["candidates_incomplete"], lang),
        reasons=t("grades.exams.reason_separator", lang).join(reasons),
    )


def long_table(table: pl.DataFrame, key: str, lang: str) -> None:
    show_table(table, key, lang, rows=TABLE_ROWS)
    if table.height > TABLE_ROWS:
        st.caption(
            t("grades.table.first", lang, shown=fmt_int(TABLE_ROWS, lang), total=fmt_int(table.height, lang))
        )


def grades_section(scope: Scope, lang: str, year: str, where: dict[str, str | None]) -> None:
    st.header(t("grades.section.grades", lang))
    levels = da.graded_levels(year, scope=scope, **where)
    if levels.is_empty():
        st.info(t("grades.none", lang), icon=":material/info:")
        return
    level_labels = dict(zip(levels["level_code"].to_list(), levels[f"label_{lang}"].to_list(), strict=True))
    semesters = da.graded_semesters(year, scope=scope, **where)
    c1, c2, c3 = st.columns(3)
    semester: int = url_selectbox(
        t("grades.filter.semester", lang),
        semesters,
        param="semester",
        to_url=str,
        format_func=lambda s: t("grades.semester", lang, n=s),
        default_index=len(semesters) - 1,  # the latest semester with grades
        container=c1,
    )
    level: str | None = url_selectbox(
        t("grades.filter.level", lang),
        [None, *level_labels],
        param="level",
        to_url=lambda c: c,
        format_func=lambda c: t("grades.all_levels", lang) if c is None else level_labels.get(c, c),
        container=c2,
    )
    subjects = da.graded_subjects(year, level, scope=scope, **where)
    subject_labels = dict(
        zip(subjects["subject_code"].to_list(), subjects[f"label_{lang}"].to_list(), strict=True)
    )
    subject: str | None = url_selectbox(
        t("grades.filter.subject", lang),
        [None, *subject_labels],
        param="subject",
        to_url=lambda c: c,
        format_func=lambda c: t("grades.all_subjects", lang) if c is None else subject_labels.get(c, c),
        container=c3,
    )
    summary = da.grade_summary(year, semester, level, subject, scope=scope, **where).row(0, named=True)
    kpi_metrics(
        [
            Kpi("grades.kpi.averages", fmt_int(summary["pupil_averages"], lang)),
            Kpi("grades.kpi.mean", fmt_decimal(summary["mean_average"], lang, 2)),
        ],
        lang,
    )

    left, right = st.columns(2)
    with left:
        bins = da.grade_histogram(year, semester, level, subject, scope=scope, **where)
        show_chart(histogram_chart(bins, lang), "grade_histogram", lang, config=PLOTLY_CONFIG)
        st.caption(t("grades.histogram.note", lang))
    with right:
        by_subject = da.subject_averages(year, semester, level, scope=scope, **where)
        show_chart(subject_chart(by_subject, lang), "subject_means", lang, config=PLOTLY_CONFIG)
    st.subheader(t("grades.table.levels", lang))
    show_table(
        level_table(da.level_averages(year, semester, subject, scope=scope, **where), lang),
        "grades_exams_level",
        lang,
    )
    st.subheader(t("grades.table.units", lang))
    long_table(
        unit_table(da.averages_by_unit(year, semester, level, subject, scope=scope, **where), lang),
        "grades_units",
        lang,
    )


def decisions_section(scope: Scope, lang: str, year: str, where: dict[str, str | None]) -> None:
    st.header(t("grades.section.decisions", lang))
    decisions = da.decisions_by_level(year, scope=scope, **where)
    if decisions.is_empty():
        st.info(t("grades.none", lang), icon=":material/info:")
        return
    show_chart(decisions_chart(decisions, lang), "decisions_chart", lang, config=PLOTLY_CONFIG)
    show_table(decision_table(decisions, lang), "grades_exams_decision", lang)
    st.caption(t("grades.decisions.note", lang))


def exams_section(scope: Scope, lang: str, year: str, where: dict[str, str | None]) -> None:
    st.header(t("grades.section.exams", lang))
    totals = da.exam_results_total(year, scope=scope, **where)
    if totals.is_empty():
        st.info(t("grades.exams.none", lang), icon=":material/info:")
        return
    for r in totals.iter_rows(named=True):
        cert = t(f"grades.cert.{r['certificate_code']}", lang)
        kpi_metrics(
            [
                Kpi(
                    "grades.kpi.candidates",
                    fmt_int(r["candidates"], lang),
                    label=t("grades.kpi.candidates", lang, certificate=cert),
                ),
                Kpi(
                    "grades.kpi.pass_rate",
                    fmt_pct(r["pass_rate"], lang),
                    label=t("grades.kpi.pass_rate", lang, certificate=cert),
                ),
                Kpi(
                    "grades.kpi.pass_rate_f",
                    fmt_pct(r["pass_rate_f"], lang),
                    label=t("grades.kpi.pass_rate_f", lang, certificate=cert),
                ),
                Kpi(
                    "grades.kpi.pass_rate_m",
                    fmt_pct(r["pass_rate_m"], lang),
                    label=t("grades.kpi.pass_rate_m", lang, certificate=cert),
                ),
            ],
            lang,
        )
        note = incomplete_note(r, lang)
        if note:
            st.caption(note)
    units = da.exam_results_by_unit(year, scope=scope, **where)
    columns = st.columns(2)
    for column, certificate in zip(columns, CERTIFICATES, strict=True):
        if units.filter(pl.col("certificate_code") == certificate).is_empty():
            continue
        with column:
            show_chart(
                exam_chart(units, certificate, lang), f"exam_chart_{certificate}", lang, config=PLOTLY_CONFIG
            )
    long_table(exam_table(units, lang), "grades_exams", lang)


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    where = filters.query_kwargs()
    grades_section(scope, lang, year, where)
    decisions_section(scope, lang, year, where)
    exams_section(scope, lang, year, where)


run_filtered_page("grades.title", render, caption="grades.caption")
