"""The texts of every internal page, read as a user reads them.

- In Arabic, as the ministry and as a region user: no Latin-script word except an allow-list of codes,
  units and names (a French or English word on an Arabic page is an untranslated label, code or reason).
- In both languages: no ``None``, ``nan``, no time part in a date (``2024-09-18 00:00:00``) and no figure
  with more than two decimals.

Pages run in the real app with AppTest on the session's published warehouse (``published_home``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from page_test_support import pick_territories, run_page, served_like_massar_serve  # noqa: F401
from page_text import Text, page_texts

from dashboards.app import PAGES
from dashboards.auth import DEMO_USERS, User, load_users
from dashboards.scope import NATIONAL, Scope

PAGE_NAMES = [file.removesuffix(".py") for file, *_ in PAGES]

#: Latin-script words an Arabic page may show: file formats and product names, the name of the system,
#: the language switch's own name for French, international codes.
LATIN_ALLOWED: frozenset[str] = frozenset(
    {"csv", "xlsx", "excel", "massar", "analytics", "français", "langue", "pdf", "gx", "uis", "dbt", "duckdb"}
)
#: a word of Latin letters (with accents, apostrophes and hyphens inside)
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:['’-][A-Za-zÀ-ÖØ-öø-ÿ]+)*")
#: a token that holds a digit is a code (school ``A123456``, version ``v2026…Z``, province ``01.011``)
_TOKEN = re.compile(r"[\w'’.-]+")
_PROVINCE_CODE = re.compile(r"\d{2}\.\d{3}")


#: left out of the reading: code spans (a source column ```marts.x```), HTML tags (``<br>``), addresses
_NOT_PROSE = re.compile(r"`[^`]*`|<[^>]+>|https?://\S+")


def latin_words(text: str) -> list[str]:
    """Latin-script words of two letters or more in ``text`` that are not codes or allowed names."""
    words = []
    for token in _TOKEN.findall(_NOT_PROSE.sub(" ", text)):
        if any(c.isdigit() for c in token):
            continue
        for word in _LATIN_WORD.findall(token):
            if len(word) >= 2 and word.lower() not in LATIN_ALLOWED:
                words.append(word)
    return words


_NONE = re.compile(r"\b(None|nan|NaN|NaT|null)\b")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
_MIDNIGHT = re.compile(r"\b00:00(:00)?\b")
_NUMBER = re.compile(r"\d[\d\u202f\u00a0,.]*\d")


def raw_value_problems(text: str, lang: str) -> list[str]:
    """What a user should never read: missing values, dates with a time part, more than two decimals."""
    problems = [f"missing value {m.group(0)!r}" for m in _NONE.finditer(text)]
    if _ISO_DATETIME.search(text) or _MIDNIGHT.search(text):
        problems.append("a date with a time part")
    for match in _NUMBER.finditer(text):
        number = match.group(0)
        start, end = match.span()
        if (start and (text[start - 1].isalpha() or text[start - 1] == "v")) or (
            end < len(text) and text[end].isalpha()
        ):
            continue  # inside a code (v2026…, A12345)
        if _PROVINCE_CODE.fullmatch(number):
            continue
        decimal_marks = ",." if lang == "fr" else "."  # Arabic: ``,`` separates thousands
        for mark in decimal_marks:
            decimals = number.rsplit(mark, 1)[1] if mark in number else ""
            if decimals.isdigit() and len(decimals) > 2:
                problems.append(f"more than two decimals in {number!r}")
    return problems


def _region(home: Path) -> str:
    return pick_territories(home).region


def _report(found: list[tuple[str, str, str]]) -> str:
    return "\n".join(f"{page}: [{kind}] {text!r}" for page, kind, text in found[:60])


# ------------------------------------------------------------------------------- the checkers' own tests


def test_the_checkers_catch_what_they_look_for() -> None:
    assert latin_words("المؤسسة Groupe scolaire A12345") == ["Groupe", "scolaire"]
    assert latin_words("نسخة v20261207T185824Z · CSV · 01.011") == []
    assert latin_words("**المصدر:** `marts.agg_x.pupils` · التعليم<br>الابتدائي") == []
    assert raw_value_problems("10.9375", "ar") and raw_value_problems("10,9375", "fr")
    assert raw_value_problems("2024-09-18 00:00:00", "fr") and raw_value_problems("None", "ar")
    assert raw_value_problems("nan %", "fr")
    assert not raw_value_problems("1,234,567", "ar") and not raw_value_problems("1\u202f234,57", "fr")
    assert not raw_value_problems("48,7\u202f% · 01.011 · v20261207T1858", "fr")


# ------------------------------------------------------------------------------------------ the pages


def _scopes(home: Path) -> dict[str, Scope]:
    return {"ministry": NATIONAL, "region": Scope("region", region_code=_region(home))}


def _demo_users() -> dict[str, User]:
    return {name: user for name, (_, user) in load_users(DEMO_USERS).items()}


#: the demo account each role's pages are read as (its name shows in the sidebar)
DEMO_ACCOUNT = {"ministry": "ministere", "region": "aref_tta"}


def test_every_demo_account_has_an_arabic_name() -> None:
    """A user's name in the sidebar is in the page's language: the accounts' Arabic names hold Arabic
    letters and no Latin word (codes aside)."""
    for name, user in _demo_users().items():
        arabic = user.name_in("ar")
        assert re.search(r"[\u0600-\u06FF]", arabic) and not latin_words(arabic), (name, arabic)
        assert user.name_in("fr") == user.display_name != arabic


@pytest.mark.parametrize("role", ["ministry", "region"])
def test_arabic_pages_show_no_latin_words(published_home: Path, role: str) -> None:
    scope = _scopes(published_home)[role]
    user = _demo_users()[DEMO_ACCOUNT[role]]
    found: list[tuple[str, str, str]] = []
    for page in PAGE_NAMES:
        at = run_page(page, scope, "ar", deep_link=True, user=user)
        texts: list[Text] = page_texts(at)
        assert texts, page
        for kind, text in texts:
            if latin_words(text):
                found.append((page, kind, text))
    assert not found, f"Latin-script words on Arabic pages ({role}):\n{_report(found)}"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_pages_show_no_raw_values(published_home: Path, lang: str) -> None:
    found: list[tuple[str, str, str]] = []
    for page in PAGE_NAMES:
        at = run_page(page, NATIONAL, lang, deep_link=True)
        for kind, text in page_texts(at):
            for problem in raw_value_problems(text, lang):
                found.append((page, kind, f"{problem}: {text}"))
    assert not found, f"raw values on the pages ({lang}):\n{_report(found)}"
