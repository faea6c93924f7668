"""Indicators: the UIS table of a cycle (flow rates, survival, pupils per teacher / class / classroom,
gender parity) for the territory and one level below, with CSV and Excel downloads."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import enrollment as enrollment_da
from dashboards.data_access import indicators as da
from dashboards.drill import breadcrumb, drill_table
from dashboards.exports import Kind, fmt_decimal, show_chart
from dashboards.filters import Filters, cycle_filter
from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, t
from dashboards.page_frame import Kpi, kpi_metrics, run_filtered_page
from dashboards.scope import Scope
from dashboards.ui import PLOTLY_CONFIG, mirror_axes, style_figure, top_legend

DEFAULT_CYCLE = "primary"
#: URL parameter of the cycle; not the overview's ``cycle`` (there, no value means every cycle)
CYCLE_PARAM = "uis_cycle"
RECONSTRUCTED_COLOR = "#2f6fb0"
TRUE_COHORT_COLOR = "#c2417a"

RATE_COLUMNS: tuple[str, ...] = (
    "promotion_rate",
    "repetition_rate",
    "dropout_rate",
    "transition_rate",
    "survival_reconstructed",
    "survival_true_cohort",
)
RATIO_COLUMNS: tuple[str, ...] = ("pupils_per_teacher", "pupils_per_class", "pupils_per_classroom")
GPI_COLUMNS: tuple[str, ...] = ("gpi_promotion", "gpi_repetition", "gpi_dropout")


def unit_name(row: dict[str, object], lang: str) -> str:
    if row["territory_level"] == "national":
        return t("indicators.national", lang)
    return str(row[f"name_{lang}"] or row["school_code"] or row["province_code"] or row["region_code"])


def unit_code(row: dict[str, object]) -> str:
    return str(row["school_code"] or row["province_code"] or row["region_code"] or "")


def export_table(table: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The UIS table with raw values (shares in [0, 1]) under the language's headers, for downloads."""
    return pl.DataFrame(
        {
            t("indicators.col.level", lang): [
                t(f"indicators.level.{v}", lang) for v in table["territory_level"].to_list()
            ],
            t("indicators.col.code", lang): [unit_code(r) for r in table.iter_rows(named=True)],
            t("indicators.col.name", lang): [unit_name(r, lang) for r in table.iter_rows(named=True)],
            t("indicators.col.pupils", lang): table["pupils"],
            **{t(f"indicators.col.{c}", lang): table[c].cast(pl.Float64) for c in RATE_COLUMNS[:3]},
            t("indicators.col.not_traced", lang): table["not_traced"],
            **{
                t(f"indicators.col.{c}", lang): table[c].cast(pl.Float64)
                for c in (*RATE_COLUMNS[3:], *RATIO_COLUMNS, *GPI_COLUMNS)
            },
        }
    )


def column_kinds(lang: str) -> dict[str, Kind]:
    """How each numeric column of the UIS table is shown: counts, rates (%), ratios, parity indices."""
    kinds: dict[str, Kind] = {
        t("indicators.col.pupils", lang): "int",
        t("indicators.col.not_traced", lang): "int",
    }
    kinds |= {t(f"indicators.col.{c}", lang): "pct" for c in RATE_COLUMNS}
    kinds |= {t(f"indicators.col.{c}", lang): "dec1" for c in RATIO_COLUMNS}
    kinds |= {t(f"indicators.col.{c}", lang): "dec2" for c in GPI_COLUMNS}
    return kinds


def survival_chart(survival: pl.DataFrame, lang: str, cycle_label: str) -> go.Figure:
    """Survival to each grade: reconstructed cohort and true cohort, side by side."""
    grades = survival[f"level_label_{lang}"].to_list()
    fig = go.Figure(
        [
            go.Bar(
                name=t("indicators.series.reconstructed", lang),
                x=grades,
                y=survival["survival_reconstructed"].to_list(),
                marker_color=RECONSTRUCTED_COLOR,
                hovertemplate="%{x}<br>%{y:.1%}<extra></extra>",
            ),
            go.Bar(
                name=t("indicators.series.true_cohort", lang),
                x=grades,
                y=survival["survival_true_cohort"].to_list(),
                marker_color=TRUE_COHORT_COLOR,
                hovertemplate="%{x}<br>%{y:.1%}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        barmode="group",
        height=420,
        legend=top_legend(lang),
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
    )
    return style_figure(mirror_axes(fig, lang), lang, t("indicators.chart.survival", lang, cycle=cycle_label))


def next_school_year(year: str) -> str:
    """``2025-2026`` -> ``2026-2027``."""
    start = int(year[:4]) + 1
    return f"{start}-{start + 1}"


def no_flows_message(year: str, flow_years: list[str], lang: str) -> str:
    """Why the flow rates of ``year`` are empty: the next year is not loaded (naming the latest year whose
    flows are known, if any), only one year is loaded, or the selection has no pupil with a known path."""
    if not flow_years:
        return t("indicators.no_flows.single_year", lang)
    if year > flow_years[0]:
        return t(
            "indicators.no_flows.last_year",
            lang,
            year=isolate_ltr(year, lang),
            next_year=isolate_ltr(next_school_year(year), lang),
            known=isolate_ltr(flow_years[0], lang),
        )
    return t("indicators.no_flows.selection", lang)


def show_year(year: str) -> None:
    """Button callback: switch the shared school-year filter (widget ``filter_year``) to ``year``."""
    st.session_state["filter_year"] = year


def cycle_choice(lang: str) -> tuple[str, dict[str, str]]:
    """The cycle filter (kept in the URL): the chosen cycle and every cycle's label."""
    cycles = enrollment_da.cycles()
    labels = dict(zip(cycles["cycle_code"].to_list(), cycles[f"label_{lang}"].to_list(), strict=True))
    cycle = cycle_filter(labels, lang, param=CYCLE_PARAM, default=DEFAULT_CYCLE)
    return str(cycle), labels


def headline(head: dict, lang: str) -> None:
    """The territory's rates and ratios as metrics, four a row."""
    rates = ("promotion_rate", "repetition_rate", "dropout_rate", "transition_rate")
    kpi_metrics(
        [
            *(Kpi(f"indicators.col.{key}", fmt_pct(head[key], lang)) for key in rates),
            Kpi("indicators.col.survival_reconstructed", fmt_pct(head["survival_reconstructed"], lang)),
            Kpi("indicators.col.survival_true_cohort", fmt_pct(head["survival_true_cohort"], lang)),
            Kpi("indicators.col.pupils_per_teacher", fmt_decimal(head["pupils_per_teacher"], lang)),
            Kpi("indicators.col.gpi_promotion", fmt_decimal(head["gpi_promotion"], lang, 2)),
        ],
        lang,
        per_row=4,
    )


def flow_notes(head: dict, year: str, flow_years: list[str], lang: str) -> None:
    """What the figures do not say: pupils not traced, a cohort not followed to its end, a year without
    flows (with a button to the latest year that has them)."""
    if head["not_traced"] is not None:  # flows known: say how many pupils could not be traced, even none
        st.caption(t("indicators.not_traced", lang, n=fmt_int(head["not_traced"], lang)))
        if head["dropout_revised"]:
            st.caption(t("indicators.not_traced.revised", lang, n=fmt_int(head["dropout_revised"], lang)))
    if head["survival_true_cohort"] is None and head["survival_reconstructed"] is not None:
        # the cohort has not been followed to the cycle's last grade yet: say so, never a blank alone
        st.caption(t("indicators.true_cohort_censored", lang, years=fmt_int(len(flow_years) + 1, lang)))
    if head["promotion_rate"] is None:
        st.info(no_flows_message(year, flow_years, lang), icon=":material/info:")
        if flow_years and year > flow_years[0]:
            st.button(
                t("indicators.show_year", lang, year=isolate_ltr(flow_years[0], lang)),
                on_click=show_year,
                args=(flow_years[0],),
                key="show_flow_year",
            )


def indicator_drill(table: pl.DataFrame, scope: Scope, filters: Filters, lang: str) -> None:
    """The indicators of the territory and of each unit one level below, a click away from each unit."""
    st.subheader(t("indicators.table.title", lang))
    rows = list(table.iter_rows(named=True))
    drill_table(
        export_table(table, lang),
        "indicators",
        lang,
        scope,
        filters,
        codes=[unit_code(r) or None for r in rows],
        levels=[r["territory_level"] for r in rows],
        kinds=column_kinds(lang),
    )
    st.caption(t("indicators.table.note", lang))


def survival_section(survival: pl.DataFrame, cycle_label: str, lang: str) -> None:
    st.subheader(t("indicators.survival.title", lang))
    if survival.is_empty():
        st.info(t("indicators.survival.none", lang), icon=":material/info:")
        return
    show_chart(survival_chart(survival, lang, cycle_label), "survival_chart", lang, config=PLOTLY_CONFIG)
    st.caption(t("indicators.survival.note", lang, cohort=fmt_int(survival["cohort_size"][0], lang)))


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    cycle, labels = cycle_choice(lang)
    year = filters.school_year
    where = filters.query_kwargs()
    st.caption(
        t(
            "indicators.caption",
            lang,
            year=isolate_ltr(year, lang),
            cycle=labels.get(cycle, cycle),
            version=version,
        )
    )
    breadcrumb(scope, filters, lang)
    table = da.indicator_table(year, cycle, scope=scope, **where)
    if table.is_empty():
        st.warning(t("no_data_for_selection", lang))
        return
    head = table.row(0, named=True)
    st.subheader(t("indicators.kpi.title", lang, unit=unit_name(head, lang)))
    headline(head, lang)
    flow_notes(head, year, da.flow_years(scope=scope), lang)
    indicator_drill(table, scope, filters, lang)
    survival = da.survival_by_grade(year, cycle, scope=scope, **where)
    survival_section(survival, labels.get(cycle, cycle), lang)


# the latest year's flows are censored (its next year is not loaded): open on the latest known one
run_filtered_page("indicators.title", render, default_year=da.latest_flow_year)
