"""Data quality: the quality gate's verdicts over runs, the warnings the published version carries,
quarantine counts by reason and region, freshness per region, the published versions, and a link to the
Great Expectations Data Docs (served by the dashboards' own server, ``dashboards.data_docs``, to national
accounts)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import plotly.colors
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import data_docs
from dashboards.data_access import quality as da
from dashboards.exports import show_chart, show_table
from dashboards.i18n import fmt_date, fmt_datetime, fmt_int, is_rtl, t
from dashboards.page_frame import Kpi, kpi_metrics, run_page
from dashboards.scope import Scope
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure, top_legend

SEVERITY_COLORS = {"warning": "#e8a33d", "critical": "#b5452f"}
REASON_COLORS: tuple[str, ...] = tuple(plotly.colors.qualitative.Dark24)  # one colour per reason


def fmt_time(value: datetime | date | str | None, lang: str, seconds: bool = False) -> str:
    """A timestamp (or ISO text) as ``29/11/2026 06:28``, left to right in Arabic text."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return fmt_datetime(value, lang, seconds=seconds)
    return fmt_date(value, lang)


def reason_label(code: str, lang: str) -> str:
    """A quarantine reason in words (the code itself if it has no label yet)."""
    key = f"quality.reason.{code}"
    text = t(key, lang)
    return code if text == key else text


def entity_label(entity: str, lang: str) -> str:
    """An export file's subject in words (``roll_calls`` → "Appels")."""
    key = f"quality.entity.{entity}"
    text = t(key, lang)
    return entity if text == key else text


def suite_label(suite: str | None, lang: str) -> str:
    """A quality suite in words: the lake files of a subject (``raw_<entity>``) or a named warehouse check."""
    name = suite or ""
    if name.startswith("raw_"):
        return t("quality.suite.raw", lang, entity=entity_label(name.removeprefix("raw_"), lang))
    key = f"quality.suite.{name}"
    text = t(key, lang)
    return text if text != key else t("quality.suite.other", lang)


def expectation_text(expectation: str | None, column: str | None, lang: str) -> str:
    """What a Great Expectations check guards, in the language, from its type and column
    (``ExpectColumnValuesToBeBetween`` or ``expect_column_values_to_be_between``)."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", expectation or "").lower()
    key = f"quality.expect.{snake}"
    text = t(key, lang, column=column or "")
    return text if text != key else t("quality.expect.other", lang, column=column or "")


def verdict_label(verdict: str | None, lang: str) -> str:
    return t(f"quality.verdict.{verdict or 'unchecked'}", lang)


def history_chart(runs: pl.DataFrame, lang: str) -> go.Figure:
    """Failed expectations per gate run (warnings and critical, stacked), runs in time order."""
    # one category per run: to the second, so that two runs in the same minute stay apart
    x = [fmt_time(r, "fr", seconds=True) for r in runs["run_at"].to_list()]
    verdicts = [verdict_label(v, lang) for v in runs["verdict"].to_list()]
    top = max(1, int((runs["warnings_count"] + runs["critical_count"]).max() or 0))
    fig = go.Figure(
        [
            go.Bar(
                name=t(f"quality.severity.{severity}", lang),
                x=x,
                y=runs[column].to_list(),
                customdata=verdicts,
                marker_color=SEVERITY_COLORS[severity],
                hovertemplate="%{x}<br>%{customdata}<br>%{fullData.name}: %{y}<extra></extra>",
            )
            for severity, column in (("warning", "warnings_count"), ("critical", "critical_count"))
        ]
    )
    fig.update_layout(
        barmode="stack",
        height=420,
        legend=top_legend(lang),
        xaxis={"type": "category", "title": {"text": t("quality.history.run", lang)}},
        yaxis={
            "range": [0, top + 0.5],
            "dtick": max(1, math.ceil(top / 5)),  # whole numbers of failed expectations
            "tickformat": ",d",
            "title": {"text": t("quality.history.failures", lang)},
        },
    )
    return style_figure(mirror_axes(fig, lang), lang, t("quality.history.chart", lang))


def quarantine_chart(counts: pl.DataFrame, lang: str) -> go.Figure:
    """Quarantined rows per region, stacked by reason."""
    per = counts.group_by("region_code", f"region_name_{lang}", "reason_code").agg(pl.col("rows").sum())
    regions = per.select("region_code", f"region_name_{lang}").unique().sort("region_code")
    names = dict(zip(regions["region_code"].to_list(), regions[f"region_name_{lang}"].to_list(), strict=True))
    reasons = (
        per.group_by("reason_code")
        .agg(pl.col("rows").sum())
        .sort(["rows", "reason_code"], descending=[True, False])
    )
    traces = []
    for i, reason in enumerate(reasons["reason_code"].to_list()):
        rows = dict(per.filter(pl.col("reason_code") == reason).select("region_code", "rows").iter_rows())
        traces.append(
            go.Bar(
                name=reason_label(reason, lang),
                x=[names.get(code) or code for code in names],
                y=[rows.get(code, 0) for code in names],
                marker_color=REASON_COLORS[i % len(REASON_COLORS)],
                hovertemplate="%{x}<br>%{fullData.name}: %{y:,d}<extra></extra>",
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        barmode="stack",
        height=480,
        # outside the plot area: on the right (plotly's default), on the left in Arabic
        legend={"x": -0.08, "xanchor": "right"} if is_rtl(lang) else {},
        yaxis={"tickformat": ",d"},
    )
    return style_figure(mirror_axes(fig, lang), lang, t("quality.quarantine.chart", lang))


def runs_table(runs: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("quality.col.run_at", lang): fmt_time(r["run_at"], lang),
                t("quality.col.verdict", lang): verdict_label(r["verdict"], lang),
                t("quality.col.suites", lang): fmt_int(r["suites"], lang),
                t("quality.col.suites_failed", lang): fmt_int(r["suites_failed"], lang),
                t("quality.col.warnings", lang): fmt_int(r["warnings_count"], lang),
                t("quality.col.critical", lang): fmt_int(r["critical_count"], lang),
            }
            for r in runs.reverse().iter_rows(named=True)
        ]
    )


def warnings_table(warnings: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("quality.col.suite", lang): suite_label(r["suite"], lang),
                t("quality.col.column", lang): r["column_name"] or "",
                t("quality.col.description", lang): expectation_text(
                    r["expectation"], r["column_name"], lang
                ),
                t("quality.col.observed", lang): r["observed"] or "",
                t("quality.col.action", lang): t(f"quality.action.{r['severity']}", lang),
            }
            for r in warnings.iter_rows(named=True)
        ]
    )


def quarantine_table(counts: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("quality.col.reason", lang): reason_label(r["reason_code"], lang),
                t("quality.col.region_code", lang): r["region_code"] or "",
                t("quality.col.region", lang): r[f"region_name_{lang}"] or "",
                t("quality.col.entity", lang): entity_label(r["entity"], lang),
                t("quality.col.rows", lang): fmt_int(r["rows"], lang),
            }
            for r in counts.iter_rows(named=True)
        ]
    )


def freshness_table(fresh: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("quality.col.region_code", lang): r["region_code"],
                t("quality.col.region", lang): r[f"region_name_{lang}"],
                t("quality.col.last_day", lang): t("quality.freshness.no_data", lang)
                if r["last_day_loaded"] is None
                else fmt_time(r["last_day_loaded"], lang),
                t("quality.col.days_behind", lang): "–"
                if r["school_days_behind"] is None
                else fmt_int(r["school_days_behind"], lang),
                t("quality.col.last_load", lang): fmt_time(r["last_loaded_at"], lang),
            }
            for r in fresh.iter_rows(named=True)
        ]
    )


def publications_table(pubs: pl.DataFrame, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("quality.col.version", lang): r["version"],
                t("quality.col.published_at", lang): fmt_time(r["published_at"], lang),
                t("quality.col.verdict", lang): verdict_label(r["gate_verdict"], lang),
                t("quality.col.warnings", lang): fmt_int(r["warnings_count"], lang),
            }
            for r in pubs.iter_rows(named=True)
        ]
    )


def render(scope: Scope, lang: str, version: str) -> None:
    pubs = da.publications(scope=scope)
    runs = da.gate_runs(scope=scope)
    warnings = da.gate_warnings(scope=scope)
    counts = da.quarantine_counts(scope=scope)
    fresh = da.freshness(scope=scope)
    current = pubs.filter(pl.col("version") == version)
    record = current.row(0, named=True) if current.height else {}
    verdict = record.get("gate_verdict")

    st.caption(
        t(
            "quality.caption",
            lang,
            version=version,
            published_at=fmt_time(record.get("published_at"), lang),
            run_at=fmt_time(record.get("gate_run_at"), lang),
        )
    )
    if verdict == "warn":
        st.warning(t("quality.flag.warn", lang, count=fmt_int(record.get("warnings_count"), lang)))
    elif verdict == "pass":
        st.success(t("quality.flag.pass", lang))

    # a region with no data received is late too (its lag is not a number: "–" in the table)
    late = fresh.filter((pl.col("school_days_behind") > 0) | pl.col("last_day_loaded").is_null()).height
    kpi_metrics(
        [
            Kpi("quality.kpi.verdict", verdict_label(verdict, lang)),
            Kpi("quality.kpi.warnings", fmt_int(warnings.height, lang)),
            Kpi("quality.kpi.runs", fmt_int(runs.height, lang)),
            Kpi("quality.kpi.blocked", fmt_int(runs.filter(~pl.col("publishable")).height, lang)),
            Kpi("quality.kpi.quarantined", fmt_int(int(counts["rows"].sum()), lang)),
            Kpi("quality.kpi.late_regions", fmt_int(late, lang)),
        ],
        lang,
        per_row=3,
    )

    # full width, one after the other: the quarantine chart has a long legend (one entry per reason)
    st.subheader(t("quality.history.title", lang))
    if runs.height:
        show_chart(history_chart(runs, lang), "quality_history", lang, config=PLOTLY_CONFIG)
        show_table(runs_table(runs, lang), "data_quality_runs", lang, rows=20)
    else:
        st.info(t("quality.history.none", lang))
    st.subheader(t("quality.quarantine.title", lang))
    if counts.height:
        show_chart(quarantine_chart(counts, lang), "quality_quarantine", lang, config=PLOTLY_CONFIG)
        show_table(quarantine_table(counts, lang), "data_quality_quarantine", lang, rows=30)
    else:
        st.info(t("quality.quarantine.none", lang))

    st.subheader(t("quality.warnings.title", lang))
    if warnings.height:
        show_table(warnings_table(warnings, lang), "data_quality_warnings", lang)
    else:
        st.info(t("quality.warnings.none", lang))

    st.subheader(t("quality.freshness.title", lang))
    st.caption(t("quality.freshness.caption", lang))
    show_table(freshness_table(fresh, lang), "data_quality_freshness", lang)

    st.subheader(t("quality.publications.title", lang))
    show_table(publications_table(pubs, lang), "data_quality_publications", lang)

    if scope.is_national:  # the Data Docs are not filtered by territory: national accounts only
        st.subheader(t("quality.docs.title", lang))
        url = data_docs.link()
        st.link_button(t("quality.docs.link", lang), url, icon=":material/open_in_new:")
        st.caption(t("quality.docs.caption", lang, url=url))  # a code span: read left to right


run_page("quality.title", render)
