"""The printable profile of a territory (a region, a province or a school) as a one-page PDF, in French
or in Arabic: enrollment, flows, exams, absences and resources of the territory beside its region and
the nation (``dashboards.data_access.profile.territory_profile``), stamped with the published
warehouse version, the date and the source.

Built with the shared PDF machinery (``dashboards.pdf``: fpdf2, HarfBuzz shaping, the shipped DejaVu
fonts). The Arabic profile is Arabic only and runs right to left (the indicator column on the right);
figures are formatted by Babel as on the pages (``dashboards.i18n``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Final

import polars as pl

from dashboards.i18n import fmt_decimal, fmt_int, fmt_pct, t
from dashboards.pdf import Writer, ltr, new_document

SOURCE: Final[str] = (
    "marts.agg_school_capacity, marts.agg_flow_rates, marts.agg_exam_results, marts.fct_certificate_3ac, "
    "marts.fct_baccalaureate, marts.agg_attendance, marts.fct_attendance_ytd"
)

#: (section, [(figure column, format)]) in print order
SECTIONS: Final[tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = (
    ("enrollment", (("schools", "int"), ("pupils", "int"), ("classes", "int"))),
    ("flows", (("promotion_rate", "pct"), ("repetition_rate", "pct"), ("dropout_rate", "pct"))),
    ("exams", (("candidates", "int"), ("passed", "int"), ("pass_rate", "pct"))),
    ("absences", (("absence_rate", "pct"), ("chronic_absence_rate", "pct"), ("chronically_absent", "int"))),
    (
        "resources",
        (
            ("teachers", "int"),
            ("classrooms", "int"),
            ("pupils_per_teacher", "dec1"),
            ("pupils_per_class", "dec1"),
            ("pupils_per_classroom", "dec1"),
        ),
    ),
)

_FORMATS: Final[dict[str, Callable[[object, str], str]]] = {
    "int": lambda v, lang: "–" if v is None else fmt_int(v, lang),  # type: ignore[arg-type]
    "pct": lambda v, lang: fmt_pct(v, lang),  # type: ignore[arg-type]
    "dec1": lambda v, lang: fmt_decimal(v, lang, 1),  # type: ignore[arg-type]
}


def figure(value: object, kind: str, lang: str) -> str:
    """A figure as printed (``–`` when unknown)."""
    return _FORMATS[kind](value, lang)


def column_title(row: dict[str, object], lang: str) -> str:
    """A column's heading: the unit's name, or the nation."""
    if row["territory_level"] == "national":
        return t("profile.national", lang)
    if row["territory_level"] == "school":  # the school's name heads the page; its code heads the column
        return str(row.get("code") or "")
    return str(row.get(f"name_{lang}") or row.get("code") or "")


def profile_pdf(
    profile: pl.DataFrame,
    school_year: str,
    version: str,
    lang: str = "fr",
    today: date | None = None,
) -> bytes:
    """The profile (rows of ``territory_profile``) as a one-page A4 PDF in ``lang``."""
    today = today or datetime.now(UTC).date()
    rtl = lang == "ar"
    rows = profile.to_dicts()
    head = rows[0]
    name = str(head.get(f"name_{lang}") or head.get("code") or t("profile.national", lang))
    level = t(f"profile.level.{head['territory_level']}", lang)
    title = t("profile.pdf.title", lang, name=name)
    pdf = new_document(title)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    w = Writer(pdf, lang)
    w.line(t("profile.pdf.ministry", lang), size=9)
    pdf.ln(2)
    w.line(title, size=16, bold=True)
    code = f" ({ltr(head['code'], rtl)})" if head.get("code") else ""
    w.line(f"{level}{code} — {t('profile.pdf.year', lang, year=ltr(school_year, rtl))}", size=10)
    pdf.ln(3)
    first = 190.0 - 35.0 * len(rows)
    widths = [first, *(35.0 for _ in rows)]
    w.row(
        [t("profile.col.indicator", lang), *(column_title(r, lang) for r in rows)],
        widths,
        bold=True,
        fill=True,
        size=9,
    )
    for section, figures in SECTIONS:
        w.row([t(f"profile.section.{section}", lang), *("" for _ in rows)], widths, bold=True, size=9)
        for column, kind in figures:
            w.row(
                [
                    t(f"profile.fig.{column}", lang),
                    *(ltr(figure(r.get(column), kind, lang), rtl) for r in rows),
                ],
                widths,
                size=9,
            )
    pdf.ln(3)
    for note in ("profile.note.flows", "profile.note.exams", "profile.note.absences"):
        w.paragraph(t(note, lang), size=8)
    pdf.ln(3)
    stamp = t(
        "profile.pdf.stamp",
        lang,
        version=ltr(version, rtl),
        date=ltr(today.isoformat(), rtl),
    )
    w.line(stamp, size=8)
    w.line(f"{t('export.about.source', lang)}:", size=7)
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")  # table names read left to right
    pdf.multi_cell(0, 3.5, SOURCE, align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
