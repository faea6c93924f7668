"""User-facing labels in French and Arabic, read from ``dashboards/i18n/``.

One language is ``<lang>.json`` (shared labels) plus one ``<section>.<lang>.json`` per page or subject
(``absence.fr.json``); a key defined twice is an error.

Every label a page shows comes from these files: ``t("kpi.total_pupils", lang)``.
Labels may hold ``{placeholders}``, filled from keyword arguments.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final, Literal

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


def fmt_int(value: float | None, lang: str) -> str:
    """A whole number with thousands separators (narrow no-break space in French, comma in Arabic)."""
    n = round(value or 0)
    text = f"{n:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def fmt_pct(value: float | None, lang: str, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage (``48,7 %`` in French, ``48.7%`` in Arabic); ``–`` if undefined."""
    if value is None:
        return "–"
    text = f"{100 * value:.{digits}f}"
    return f"{text.replace('.', ',')}\u202f%" if lang == "fr" else f"{text}%"


def plotly_separators(lang: str) -> str:
    """Plotly ``layout.separators`` (decimal then thousands) for the language."""
    return ", " if lang == "fr" else ".,"
