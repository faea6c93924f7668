"""The Grades & exams page in AppTest, for each role and language.

Expected numbers: SQL on the pupil-grain marts (fct_subject_average, fct_annual_result,
fct_certificate_3ac, fct_baccalaureate), independent of the aggregates the page reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from page_test_support import (
    LANGS,
    ROLE_IDS,
    Territories,
    array_values,
    assert_displayed,
    assert_language,
    chart_titled,
    labels,
    metric,
    pick_territories,
    run_page,
    served_like_massar_serve,
    sql,
    sql_value,
)

__all__ = ["served_like_massar_serve"]  # the autouse fixture, imported to apply here

PAGE = "grades_exams"


@pytest.fixture(scope="module")
def territories(published_home: Path) -> Territories:
    return pick_territories(published_home)


def latest_semester(home: Path, terr: Territories, role: str) -> int:
    """The page's default semester: the latest with grades in the territory."""
    cond, params = terr.where(role, "d")
    return int(
        sql_value(
            home,
            f"select max(a.semester) from marts.fct_subject_average as a join marts.dim_school as d "
            f"using (school_code) where a.school_year = ? and {cond}",
            terr.year,
            *params,
        )
    )


def grade_stats(
    home: Path, terr: Territories, role: str, semester: int, level: str | None = None
) -> tuple[int, float | None]:
    cond, params = terr.where(role, "d")
    return sql(
        home,
        f"""
        select count(*), avg(a.subject_average)
        from marts.fct_subject_average as a join marts.dim_school as d using (school_code)
        where a.school_year = ? and a.semester = ? and a.subject_average is not null
            and (cast(? as varchar) is null or a.level_code = ?) and {cond}
        """,
        terr.year,
        semester,
        level,
        level,
        *params,
    )[0]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLE_IDS)
def test_grades_and_exams(published_home: Path, territories: Territories, role: str, lang: str) -> None:
    at = run_page(PAGE, territories.scope(role), lang)
    text = labels(lang)
    assert_language(at, lang, "grades.title")
    home, year = published_home, territories.year

    # grades: count and mean of the semester's subject averages, histogram over every bin
    semester = latest_semester(home, territories, role)
    assert at.selectbox(key="filter_semester").value == semester
    count, mean = grade_stats(home, territories, role, semester)
    assert count > 0, "the territory has grades"
    assert_displayed(metric(at, text["grades.kpi.averages"]), count, 0, lang)
    assert_displayed(metric(at, text["grades.kpi.mean"]), mean, 2, lang)
    histogram = chart_titled(at, text["grades.chart.histogram"])
    bins = sql_value(home, "select count(*) from reference.grade_bins")
    assert len(histogram["data"][0]["x"]) == bins
    assert sum(array_values(histogram["data"][0]["y"])) == count
    if lang == "ar":
        assert histogram["layout"]["title"]["xanchor"] == "right"
        assert histogram["layout"]["xaxis"]["autorange"] == "reversed"

    # mean per level
    cond, params = territories.where(role, "d")
    by_level = dict(
        sql(
            home,
            f"""
            select l.{"label_" + lang}, avg(a.subject_average)
            from marts.fct_subject_average as a join marts.dim_school as d using (school_code)
            join reference.code_levels as l using (level_code)
            where a.school_year = ? and a.semester = ? and a.subject_average is not null and {cond}
            group by 1
            """,
            year,
            semester,
            *params,
        )
    )
    levels_table = at.dataframe[0].value
    assert sorted(levels_table[text["grades.col.level"]].tolist()) == sorted(by_level)
    for name, shown in zip(
        levels_table[text["grades.col.level"]].tolist(),
        levels_table[text["grades.col.mean"]].tolist(),
        strict=True,
    ):
        assert_displayed(shown, by_level[name], 2, lang)

    # decisions per level, from the pupils' annual results
    decisions = {
        name: (pupils, promoted)
        for name, pupils, promoted in sql(
            home,
            f"""
            select l.{"label_" + lang}, count(*), count(*) filter (where r.decision = 'promote')
            from marts.fct_annual_result as r join marts.dim_school as d using (school_code)
            join reference.code_levels as l on r.level_code = l.level_code
            where r.school_year = ? and {cond}
            group by 1
            """,
            year,
            *params,
        )
    }
    decision_table = next(
        tb.value for tb in at.dataframe if text["grades.decision.promote"] in list(tb.value.columns)
    )
    assert sorted(decision_table[text["grades.col.level"]].tolist()) == sorted(decisions)
    for name, pupils, promoted in zip(
        decision_table[text["grades.col.level"]].tolist(),
        decision_table[text["grades.col.pupils"]].tolist(),
        decision_table[text["grades.decision.promote"]].tolist(),
        strict=True,
    ):
        assert_displayed(pupils, decisions[name][0], 0, lang)
        assert_displayed(promoted, decisions[name][1] / decisions[name][0], 3, lang)

    # exams: candidates and pass rates by sex, from the candidates' results
    exams = sql(
        home,
        f"""
        with c as (
            select '3AC' as cert, sex, passed, region_code, province_code, school_code
            from marts.fct_certificate_3ac where school_year = ?
            union all
            select 'BAC', sex, passed, region_code, province_code, school_code
            from marts.fct_baccalaureate where school_year = ?
        )
        select cert, count(*), avg(passed::int), avg(passed::int) filter (where sex = 'F'),
            avg(passed::int) filter (where sex = 'M')
        from c as d where {cond} group by cert order by cert
        """,
        year,
        year,
        *params,
    )
    if not exams:
        assert text["grades.exams.none"] in [i.value for i in at.info]
    for cert, candidates, rate, rate_f, rate_m in exams:
        name = text[f"grades.cert.{cert}"]
        assert_displayed(
            metric(at, text["grades.kpi.candidates"].format(certificate=name)), candidates, 0, lang
        )
        assert_displayed(metric(at, text["grades.kpi.pass_rate"].format(certificate=name)), rate, 3, lang)
        assert_displayed(metric(at, text["grades.kpi.pass_rate_f"].format(certificate=name)), rate_f, 3, lang)
        assert_displayed(metric(at, text["grades.kpi.pass_rate_m"].format(certificate=name)), rate_m, 3, lang)


def test_filters_from_url(published_home: Path, territories: Territories) -> None:
    level = str(
        sql_value(
            published_home,
            "select level_code from marts.fct_subject_average where school_year = ? and semester = 1 "
            "group by 1 order by count(*) desc, 1 limit 1",
            territories.year,
        )
    )
    at = run_page(PAGE, territories.scope("ministry"), "fr", {"semester": "1", "level": level})
    text = labels("fr")
    assert at.selectbox(key="filter_semester").value == 1
    assert at.selectbox(key="filter_level").value == level
    count, mean = grade_stats(published_home, territories, "ministry", semester=1, level=level)
    assert_displayed(metric(at, text["grades.kpi.averages"]), count, 0, "fr")
    assert_displayed(metric(at, text["grades.kpi.mean"]), mean, 2, "fr")
