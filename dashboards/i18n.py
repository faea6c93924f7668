"""User-facing labels in French and Arabic, read from ``dashboards/i18n/``.

One language is ``<lang>.json`` (shared labels) plus one ``<section>.<lang>.json`` per page or subject
(``absence.fr.json``); a key defined twice is an error.

Every label a page shows comes from these files: ``t("kpi.total_pupils", lang)``.
Labels may hold ``{placeholders}``, filled from keyword arguments.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Final, Literal

from babel import dates as babel_dates
from babel import numbers as babel_numbers

Lang = Literal["fr", "ar"]

LANGS: Final[tuple[Lang, ...]] = ("fr", "ar")
DEFAULT_LANG: Final[Lang] = "fr"
RTL_LANGS: Final[frozenset[str]] = frozenset({"ar"})

_I18N_DIR: Final[Path] = Path(__file__).resolve().parent / "i18n"


@cache
def labels(lang: str) -> dict[str, str]:
    """All labels of one language (``fr`` or ``ar``)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    data: dict[str, str] = {}
    for path in (_I18N_DIR / f"{lang}.json", *sorted(_I18N_DIR.glob(f"*.{lang}.json"))):
        with path.open(encoding="utf-8") as f:
            part: dict[str, str] = json.load(f)
        twice = data.keys() & part.keys()
        if twice:
            raise ValueError(f"{path.name} defines labels already defined: {sorted(twice)}")
        data.update(part)
    return data


def normalize_lang(value: object) -> Lang:
    """A supported language code from any value (URL parameter, session state), else the default."""
    return "ar" if value == "ar" else "fr" if value == "fr" else DEFAULT_LANG


def is_rtl(lang: str) -> bool:
    """Whether the language is written right to left."""
    return lang in RTL_LANGS


def t(key: str, lang: str, **kwargs: object) -> str:
    """The label ``key`` in ``lang`` (falling back to French, then to the key itself)."""
    text = labels(normalize_lang(lang)).get(key) or labels(DEFAULT_LANG).get(key) or key
    return text.format(**kwargs) if kwargs else text


def isolate_ltr(text: str, lang: str) -> str:
    """``text`` (a school year, a number) as a left-to-right isolate inside right-to-left text.

    Without it, a school year after Arabic letters reads ``2026-2025``: the bidi algorithm turns its
    digits into Arabic numbers (rule W2), which a hyphen does not join, so the two years swap.
    """
    return f"\u2066{text}\u2069" if is_rtl(lang) else text


#: Babel locale of numbers: French, and Arabic as Morocco writes figures (Latin digits, ``.`` decimal point)
_NUMBER_LOCALE: Final[dict[str, str]] = {"fr": "fr_FR", "ar": "ar"}
#: Babel locale of dates: Moroccan Arabic month names (شتنبر, أكتوبر…), French ones
_DATE_LOCALE: Final[dict[str, str]] = {"fr": "fr_FR", "ar": "ar_MA"}


def _undefined(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number_pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def fmt_decimal(value: float | None, lang: str, digits: int = 1) -> str:
    """A decimal number in the language's format, by Babel (``1 234,5`` in French, ``1,234.5`` in
    Arabic); ``–`` if undefined."""
    if _undefined(value):
        return "–"
    return babel_numbers.format_decimal(
        value,
        format=_number_pattern(digits),
        locale=_NUMBER_LOCALE[normalize_lang(lang)],
        numbering_system="latn",
        decimal_quantization=True,
    )


def fmt_int(value: float | None, lang: str) -> str:
    """A whole number with thousands separators (narrow no-break space in French, comma in Arabic)."""
    return fmt_decimal(round(0 if _undefined(value) else value), lang, 0)  # type: ignore[arg-type]


def fmt_pct(value: float | None, lang: str, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage (``48,7 %`` in French, ``48.7%`` in Arabic), by Babel;
    ``–`` if undefined."""
    if _undefined(value):
        return "–"
    lang = normalize_lang(lang)
    sign = " %" if lang == "fr" else "%"
    return babel_numbers.format_percent(
        value,
        format=_number_pattern(digits) + sign,
        locale=_NUMBER_LOCALE[lang],
        numbering_system="latn",
        decimal_quantization=True,
    )


def percent_share(rate: float | None) -> float | None:
    """A rate in % (0-100), as the marts give it, as the share in [0, 1] that :func:`fmt_pct` expects."""
    return None if rate is None else rate / 100


def label_or_code(row: dict, lang: str, code: str = "code") -> str:
    """A row's label in the language (``label_fr`` / ``label_ar``), or its code where it has no label."""
    return row[f"label_{lang}"] or row[code]


def fmt_date(day: date | datetime | None, lang: str) -> str:
    """A calendar date, without time, as ``18/09/2025`` (read left to right in both languages); ``–``."""
    if day is None:
        return "–"
    if isinstance(day, datetime):
        day = day.date()
    text = babel_dates.format_date(day, "dd/MM/y", locale=_DATE_LOCALE[normalize_lang(lang)])
    return isolate_ltr(text, lang)


def fmt_datetime(moment: datetime | None, lang: str, *, seconds: bool = False) -> str:
    """A date and time to the minute (or second), ``18/09/2025 14:05``; ``–`` if undefined."""
    if moment is None:
        return "–"
    pattern = "dd/MM/y HH:mm:ss" if seconds else "dd/MM/y HH:mm"
    text = babel_dates.format_datetime(moment, pattern, locale=_DATE_LOCALE[normalize_lang(lang)])
    return isolate_ltr(text, lang)


def month_label(day: date, lang: str) -> str:
    """A month and year in words, for chart axes: ``sept. 2025`` / ``شتنبر 2025``."""
    return babel_dates.format_date(day, "MMM y", locale=_DATE_LOCALE[normalize_lang(lang)])


def day_label(day: date, lang: str) -> str:
    """A day and month in words, for chart axes: ``18 sept.`` / ``18 شتنبر``."""
    return babel_dates.format_date(day, "d MMM", locale=_DATE_LOCALE[normalize_lang(lang)])


def plotly_separators(lang: str) -> str:
    """Plotly ``layout.separators`` (decimal then thousands) for the language."""
    return ", " if lang == "fr" else ".,"
