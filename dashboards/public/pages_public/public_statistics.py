"""Public statistics: aggregated figures anyone may see, small cells suppressed (the rule is on the page)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.i18n import fmt_int, fmt_pct, isolate_ltr, t
from dashboards.public.stats_store import (
    TOTAL,
    PublicStatsStore,
    attendance_table,
    exam_table,
    pupils_by_province,
    pupils_by_region,
    stats_path,
)
from dashboards.public.store import current_version
from dashboards.ui import current_lang, url_selectbox


@st.cache_resource(max_entries=2)
def stats_store(version: str) -> PublicStatsStore:
    """One read-only connection per published version's store (a publish adds a new one)."""
    return PublicStatsStore(version=version)


def _names(frame: pl.DataFrame, code: str, lang: str) -> dict[str, str]:
    pairs = frame.select(code, f"{code.removesuffix('_code')}_name_{lang}").unique().drop_nulls(code).rows()
    return {c: str(n) for c, n in pairs}


def _rows(table: pl.DataFrame, names: dict[str, str], total: str, header: str) -> pl.Series:
    return pl.Series(header, [total if r == TOTAL else names.get(r, r) for r in table["row"]])


lang = current_lang()
st.title(t("public_stats.title", lang))
version = current_version()
if version is None or not stats_path(version).exists():
    st.info(t("public_stats.no_store", lang))
    st.stop()
store = stats_store(version)
threshold = store.threshold()
mark = t("public_stats.suppressed_mark", lang)
st.caption(t("public_stats.intro", lang))
with st.container(border=True):
    st.markdown(f"**{t('public_stats.rule_title', lang)}**")
    st.markdown(
        t("public_stats.rule", lang, threshold=threshold, threshold_minus_one=threshold - 1, mark=mark)
    )


def count(value: object) -> str:
    return mark if value is None else fmt_int(float(value), lang)  # type: ignore[arg-type]


def rate(value: object) -> str:
    return mark if value is None else fmt_pct(float(value), lang)  # type: ignore[arg-type]


years = store.school_years()
year = url_selectbox(
    t("public_stats.year", lang),
    years,
    param="year",
    to_url=lambda y: y,
    format_func=lambda y: isolate_ltr(y, lang),
)
pupils = store.pupils(year)
regions = _names(pupils, "region_code", lang)
provinces = _names(pupils, "province_code", lang)
cycles = {
    c: str(n)
    for c, n in pupils.select("cycle_code", f"cycle_{lang}").unique().drop_nulls("cycle_code").rows()
}
total = t("public_stats.total", lang)


def cycle_columns(table: pl.DataFrame) -> list[pl.Series]:
    return [
        pl.Series(total if c == TOTAL else cycles.get(c, c), [count(v) for v in table[c]])
        for c in table.columns
        if c != "row"
    ]


# Pupils by region x cycle, for one sex or both
st.subheader(t("public_stats.pupils_by_region", lang))
sex = url_selectbox(
    t("public_stats.sex", lang),
    [None, "F", "M"],
    param="sex",
    to_url=lambda s: s,
    format_func=lambda s: t(f"public_stats.sex.{s or 'all'}", lang),
)
by_region = pupils_by_region(pupils, sex)
st.table(
    pl.DataFrame(
        [
            _rows(by_region, regions, t("public_stats.national", lang), t("public_stats.col.region", lang)),
            *cycle_columns(by_region),
        ]
    ),
    hide_index=True,
)

# Pupils by province x cycle, within one region
st.subheader(t("public_stats.pupils_by_province", lang))
region = url_selectbox(
    t("public_stats.region", lang),
    sorted(regions),
    param="region",
    to_url=lambda r: r,
    format_func=lambda r: regions[r],
)
by_province = pupils_by_province(pupils, region)
st.table(
    pl.DataFrame(
        [
            _rows(
                by_province,
                provinces,
                t("public_stats.region_total", lang),
                t("public_stats.col.province", lang),
            ),
            *cycle_columns(by_province),
        ]
    ),
    hide_index=True,
)

# Certificate exams by region x sex
st.subheader(t("public_stats.exams", lang))
results = store.exam_results(year)
certificates = sorted(results["certificate_code"].unique().to_list())
if certificates:
    certificate = url_selectbox(
        t("public_stats.certificate", lang),
        certificates,
        param="exam",
        to_url=lambda c: c,
        format_func=lambda c: t(f"public_stats.cert.{c}", lang),
    )
    exams = exam_table(results, certificate)
    sexes = {"F": "sex.F", "M": "sex.M", TOTAL: "sex.all"}
    st.table(
        pl.DataFrame(
            [
                _rows(exams, regions, t("public_stats.national", lang), t("public_stats.col.region", lang)),
                *(
                    pl.Series(
                        t(f"public_stats.col.{m}", lang, sex=t(f"public_stats.{sexes[s]}", lang)),
                        [(count if m == "candidates" else rate)(v) for v in exams[f"{m}_{s}"]],
                    )
                    for m in ("candidates", "pass_rate")
                    for s in ("F", "M", TOTAL)
                ),
            ]
        ),
        hide_index=True,
    )
    st.caption(t("public_stats.exams_note", lang))

# Attendance by region
st.subheader(t("public_stats.attendance", lang))
attendance = attendance_table(store.attendance(year))
st.table(
    pl.DataFrame(
        [
            _rows(attendance, regions, t("public_stats.national", lang), t("public_stats.col.region", lang)),
            *(
                pl.Series(
                    t(f"public_stats.col.{c}", lang),
                    [
                        (count if c in ("pupils_classified", "chronically_absent") else rate)(v)
                        for v in attendance[c]
                    ],
                )
                for c in (
                    "pupils_classified",
                    "chronically_absent",
                    "chronic_absence_rate",
                    "attendance_rate",
                )
            ),
        ]
    ),
    hide_index=True,
)
st.caption(t("public_stats.attendance_note", lang))
