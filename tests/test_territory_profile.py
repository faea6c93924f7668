"""The printable territory profile: its figures equal the marts' (recomputed here with SQL on the
published warehouse of the session pipeline, from the pupil- and candidate-grain facts where the profile
reads aggregates), the Arabic PDF is Arabic, and a province user cannot get another province's profile.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import duckdb
import pypdf
import pytest
from page_test_support import Downloads, parse_number, run_page

from dashboards.data_access import clear_caches
from dashboards.data_access import profile as da
from dashboards.profile_pdf import profile_pdf
from dashboards.scope import Scope, ScopeError

ARABIC = re.compile(r"[\u0600-\u06FF]")
ISOLATES = str.maketrans("", "", "\u2066\u2069")


def _rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def place(published_db: Path) -> dict[str, str]:
    """The latest school year with flows, its most populous province, and another province."""
    year = _rows(published_db, "select max(school_year) from marts.agg_flow_rates")[0][0]
    provinces = _rows(
        published_db,
        "select region_code, province_code from marts.agg_school_capacity where school_year = ? "
        "group by all order by sum(pupils) desc, province_code",
        year,
    )
    (region, province), (_, other) = provinces[0], provinces[1]
    return {"year": year, "region": region, "province": province, "other": other}


def _expected(db: Path, year: str, province: str | None) -> dict[str, float | None]:
    """The profile's figures of a province (or the nation: ``None``), from the facts."""
    where = "(cast(? as varchar) is null or province_code = ?)"
    cap = _rows(
        db,
        f"select sum(pupils), sum(teachers), sum(classrooms) from marts.agg_school_capacity "
        f"where school_year = ? and {where}",
        year,
        province,
        province,
    )[0]
    flows = _rows(
        db,
        f"select sum(promoted) / sum(rate_base), sum(dropped_out) / sum(rate_base) "
        f"from marts.agg_flow_rates where school_year = ? and {where}",
        year,
        province,
        province,
    )[0]
    exams = _rows(
        db,
        f"""
        select count(*), count(*) filter (where passed) * 1.0 / count(*) filter (where is_complete)
        from (
            select passed, is_complete from marts.fct_certificate_3ac where school_year = ? and {where}
            union all
            select passed, is_complete from marts.fct_baccalaureate where school_year = ? and {where}
        )
        """,
        year,
        province,
        province,
        year,
        province,
        province,
    )[0]
    absences = _rows(
        db,
        f"""
        select sum(absent_days) * 1.0 / sum(enrolled_school_days),
            count(*) filter (where is_chronically_absent) * 1.0 / count(attendance_band)
        from marts.fct_attendance_ytd where school_year = ? and {where}
        """,
        year,
        province,
        province,
    )[0]
    return {
        "pupils": cap[0],
        "promotion_rate": flows[0],
        "dropout_rate": flows[1],
        "candidates": exams[0],
        "pass_rate": exams[1],
        "absence_rate": absences[0],
        "chronic_absence_rate": absences[1],
        "pupils_per_teacher": cap[0] / cap[1],
        "pupils_per_classroom": cap[0] / cap[2],
    }


# (figure, French label in the PDF, digits shown: percentages at one decimal of a percent)
FIGURES = (
    ("pupils", "Élèves", 0),
    ("promotion_rate", "Taux de promotion", 3),
    ("dropout_rate", "Taux d'abandon", 3),
    ("candidates", "Candidats", 0),
    ("pass_rate", "Taux de réussite", 3),
    ("absence_rate", "Taux d'absence", 3),
    ("chronic_absence_rate", "Absentéisme chronique", 3),
    ("pupils_per_teacher", "Élèves par enseignant", 1),
    ("pupils_per_classroom", "Élèves par salle", 1),
)


def _line_values(text: str, label: str) -> list[float | None]:
    """The figures printed after ``label`` on its line (territory, region, nation), parsed."""
    line = next(ln for ln in text.splitlines() if ln.startswith(f"{label} "))
    cells = re.findall(r"–|[\d\u202f]+(?:,\d+)?(?:\u202f%)?", line[len(label) :])
    return [parse_number(c, "fr") for c in cells]


def _close(got: float | None, expected: float | None, digits: int) -> bool:
    if expected is None:
        return got is None
    return got is not None and abs(got - expected) <= 0.5 * 10**-digits + 1e-9


def test_profile_pdf_figures_equal_the_facts(published_db: Path, place: dict[str, str]) -> None:
    clear_caches()
    scope = Scope("province", region_code=place["region"], province_code=place["province"])
    profile = da.territory_profile(place["year"], scope=scope)
    assert profile["row"].to_list() == ["territory", "region", "national"]
    assert profile["code"].to_list()[:2] == [place["province"], place["region"]]
    text = pypdf.PdfReader(io.BytesIO(profile_pdf(profile, place["year"], "v-test", "fr"))).pages[0]
    text = text.extract_text()
    province = _expected(published_db, place["year"], place["province"])
    nation = _expected(published_db, place["year"], None)
    for key, label, digits in FIGURES:
        shown = _line_values(text, label)
        assert len(shown) == 3, (label, shown)
        assert _close(shown[0], province[key], digits), (label, shown, province[key])
        assert _close(shown[2], nation[key], digits), (label, shown, nation[key])
    assert "v-test" in text and place["year"] in text and "marts.agg_flow_rates" in text


def test_province_user_cannot_get_another_province(published_db: Path, place: dict[str, str]) -> None:
    scope = Scope("province", region_code=place["region"], province_code=place["province"])
    with pytest.raises(ScopeError):
        da.territory_profile(place["year"], scope=scope, province=place["other"])
    other_school = _rows(
        published_db, "select min(school_code) from marts.dim_school where province_code = ?", place["other"]
    )[0][0]
    with pytest.raises(ScopeError):
        da.territory_profile(place["year"], scope=scope, school=other_school)
    own = da.territory_profile(place["year"], scope=scope)
    assert place["other"] not in own["code"].to_list()


def test_page_offers_the_pdf_in_both_languages(
    published_home: Path, place: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = Downloads(monkeypatch)
    scope = Scope("province", region_code=place["region"], province_code=place["province"])
    at = run_page("territory_profile", scope, "ar", {"year": place["year"]})
    assert at.dataframe, "no profile table"
    french = pypdf.PdfReader(io.BytesIO(downloads.content(at, "profile_pdf_fr"))).pages[0].extract_text()
    arabic = pypdf.PdfReader(io.BytesIO(downloads.content(at, "profile_pdf_ar"))).pages[0].extract_text()
    assert "Profil du territoire" in french and not ARABIC.search(french)
    arabic = arabic.translate(ISOLATES)
    assert "بطاقة المجال" in arabic and len(ARABIC.findall(arabic)) > 300
    for _, label, _ in FIGURES:
        assert label not in arabic, label
