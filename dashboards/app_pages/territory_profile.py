"""Territory profile: the figures of a region, a province or a school beside its region and the nation,
on screen and as a printable one-page PDF (French or Arabic, ``dashboards.profile_pdf``)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.auth import current_scope
from dashboards.data_access import indicators as indicators_da
from dashboards.data_access import profile as da
from dashboards.exports import file_stem, show_table
from dashboards.filters import Filters
from dashboards.i18n import t
from dashboards.page_frame import run_filtered_page
from dashboards.profile_pdf import SECTIONS, column_title, figure, profile_pdf


def screen_table(profile: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The profile as the PDF prints it: one row per figure, one column per unit (formatted text)."""
    rows = profile.to_dicts()
    labels, values = [], [[] for _ in rows]
    for section, figures in SECTIONS:
        for column, kind in figures:
            labels.append(f"{t(f'profile.section.{section}', lang)} · {t(f'profile.fig.{column}', lang)}")
            for i, r in enumerate(rows):
                values[i].append(figure(r.get(column), kind, lang))
    data = {t("profile.col.indicator", lang): labels}
    for r, column_values in zip(rows, values, strict=True):
        data[column_title(r, lang)] = column_values
    return pl.DataFrame(data)


#: the headline figures above the table: the territory's own (its first row)
HEADLINES = (
    ("pupils", "int"),
    ("promotion_rate", "pct"),
    ("pass_rate", "pct"),
    ("chronic_absence_rate", "pct"),
)
SOURCE = (
    "marts.agg_school_capacity, marts.agg_flow_rates, marts.agg_exam_results, marts.fct_certificate_3ac, "
    "marts.fct_baccalaureate, marts.agg_attendance, marts.fct_attendance_ytd"
)


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _pdf(profile: pl.DataFrame, year: str, version: str, lang: str) -> bytes:
    return profile_pdf(profile, year, version, lang)


def render(filters: Filters, lang: str, version: str) -> None:
    scope = current_scope()
    year = filters.school_year
    profile = da.territory_profile(year, scope=scope, **filters.query_kwargs())
    show_table(screen_table(profile, lang), "profile", lang, source=SOURCE)
    stem = file_stem("profile")
    left, right = st.columns(2)
    left.download_button(
        t("profile.download", lang),
        data=_pdf(profile, year, version, "fr"),
        file_name=f"{stem}_fr.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key="profile_pdf_fr",
    )
    right.download_button(
        t("profile.download_ar", lang),
        data=_pdf(profile, year, version, "ar"),
        file_name=f"{stem}_ar.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key="profile_pdf_ar",
    )


# the latest year's flows are not known yet (its next year is not loaded): open on the latest known
run_filtered_page(
    "profile.title", render, default_year=indicators_da.latest_flow_year, caption="profile.caption"
)
