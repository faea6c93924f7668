"""The Teachers & infrastructure page in AppTest, for each role and language.

Expected numbers: SQL on the marts' facts and dimensions (fct_enrollment, the staged teachers and
staff situations with seed code_staff_statuses, dim_class, dim_classroom with seeds code_classroom_types and
classroom_statuses, dim_school, seed class_size_bands), independent of the aggregates the page reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
)

__all__ = ["served_like_massar_serve"]  # the autouse fixture, imported to apply here

PAGE = "teachers_infrastructure"


@pytest.fixture(scope="module")
def territories(published_home: Path) -> Territories:
    return pick_territories(published_home)


def by_cycle(home: Path, terr: Territories, role: str, lang: str) -> dict[str, dict[str, Any]]:
    """Per cycle label of the schools: pupils, teachers, classes, classrooms, largest class."""
    cond, params = terr.where(role, "d")
    rows = sql(
        home,
        f"""
        with schools as (select * from marts.dim_school as d where {cond}),
        p as (
            select d.cycle_code, count(*) as n from marts.fct_enrollment as e
            join schools as d using (school_code) where e.school_year = ? group by 1
        ),
        t as (
            select d.cycle_code, count(*) as n from staging.stg_massar__teachers as x
            join schools as d using (school_code)
            left join staging.stg_massar__staff_situations as s
                on s.school_year = x.school_year and s.teacher_code = x.teacher_code
            left join reference.code_staff_statuses as st on st.status_code = s.status_code
            where x.school_year = ? and coalesce(st.in_service, true) group by 1
        ),
        c as (
            select d.cycle_code, count(*) as n, max(x.pupils_enrolled) as largest from marts.dim_class as x
            join schools as d using (school_code) where x.school_year = ? and x.pupils_enrolled > 0 group by 1
        ),
        r as (
            select d.cycle_code, count(*) as n from marts.dim_classroom as x
            join schools as d using (school_code)
            join reference.code_classroom_types as ty on ty.room_type = x.room_type
            join reference.code_classroom_statuses as cs on cs.operating_status = x.operating_status
            where x.school_year = ? and ty.is_classroom and cs.is_usable group by 1
        )
        select
            cy.label_{lang}, coalesce(p.n, 0), coalesce(t.n, 0), coalesce(c.n, 0), coalesce(r.n, 0), c.largest
        from (select distinct cycle_code from schools) as s
        join reference.code_cycles as cy using (cycle_code)
        left join p using (cycle_code) left join t using (cycle_code)
        left join c using (cycle_code) left join r using (cycle_code)
        """,
        *params,
        terr.year,
        terr.year,
        terr.year,
        terr.year,
    )
    return {
        name: {"pupils": p, "teachers": t, "classes": c, "classrooms": r, "largest": largest}
        for name, p, t, c, r, largest in rows
    }


def ratio(a: int, b: int) -> float | None:
    return a / b if b else None


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ROLE_IDS)
def test_teachers_and_infrastructure(
    published_home: Path, territories: Territories, role: str, lang: str
) -> None:
    at = run_page(PAGE, territories.scope(role), lang)
    text = labels(lang)
    assert_language(at, lang, "resources.title")
    cycles = by_cycle(published_home, territories, role, lang)
    total = {k: sum(c[k] for c in cycles.values()) for k in ("pupils", "teachers", "classes", "classrooms")}
    assert total["pupils"] > 0

    # KPIs of the whole territory
    assert_displayed(
        metric(at, text["resources.col.pupils_per_teacher"]),
        ratio(total["pupils"], total["teachers"]),
        1,
        lang,
    )
    assert_displayed(
        metric(at, text["resources.col.pupils_per_class"]), ratio(total["pupils"], total["classes"]), 1, lang
    )
    assert_displayed(
        metric(at, text["resources.col.pupils_per_classroom"]),
        ratio(total["pupils"], total["classrooms"]),
        1,
        lang,
    )
    largest = max((c["largest"] for c in cycles.values() if c["largest"] is not None), default=None)
    assert_displayed(metric(at, text["resources.col.largest_class"]), largest, 0, lang)

    # per cycle table (then the all-cycles row)
    table = at.dataframe[0].value
    names = table[text["resources.col.cycle"]].tolist()
    assert names[-1] == text["resources.all_cycles"]
    assert sorted(names[:-1]) == sorted(cycles)
    for name, pupils, teachers, per_teacher in zip(
        names[:-1],
        table[text["resources.col.pupils"]].tolist(),
        table[text["resources.col.teachers"]].tolist(),
        table[text["resources.col.pupils_per_teacher"]].tolist(),
        strict=False,
    ):
        want = cycles[name]
        assert_displayed(pupils, want["pupils"], 0, lang)
        assert_displayed(teachers, want["teachers"], 0, lang)
        assert_displayed(per_teacher, ratio(want["pupils"], want["teachers"]), 1, lang)

    # class sizes: one bar trace per band, each cycle's shares sum to 1, classes per band as in dim_class
    cond, params = territories.where(role, "d")
    band_classes = dict(
        sql(
            published_home,
            f"""
            select b.band_code, count(x.class_code)
            from reference.class_size_bands as b
            left join marts.dim_class as x
                on x.pupils_enrolled >= b.min_pupils
                and (b.max_pupils is null or x.pupils_enrolled <= b.max_pupils)
                and x.school_year = ?
                and x.school_code in (select school_code from marts.dim_school as d where {cond})
            group by 1
            """,
            territories.year,
            *params,
        )
    )
    chart = chart_titled(at, text["resources.chart.class_sizes"])
    assert len(chart["data"]) == len(band_classes)
    assert sum(sum(array_values(trace["customdata"])) for trace in chart["data"]) == sum(
        band_classes.values()
    )
    shares = [array_values(trace["y"]) for trace in chart["data"]]
    for column in zip(*shares, strict=True):
        assert sum(column) == pytest.approx(1.0)
    if lang == "ar":
        assert chart["layout"]["xaxis"]["autorange"] == "reversed"
        assert chart["layout"]["title"]["xanchor"] == "right"
    assert len(at.get("plotly_chart")) == 2


def test_cycle_filter_from_url(published_home: Path, territories: Territories) -> None:
    at = run_page(PAGE, territories.scope("region"), "fr", {"res_cycle": "primary"})
    text = labels("fr")
    assert at.selectbox(key="filter_res_cycle").value == "primary"
    expected = dict(
        sql(
            published_home,
            "select d.province_code, count(*) from marts.fct_enrollment as e join marts.dim_school as d "
            "using (school_code) where e.school_year = ? and d.region_code = ? and d.cycle_code = 'primary' "
            "group by 1",
            territories.year,
            territories.region,
        )
    )
    units = at.dataframe[-1].value
    codes = units[text["resources.col.code"]].tolist()
    assert sorted(codes) == sorted(expected)
    for code, pupils in zip(codes, units[text["resources.col.pupils"]].tolist(), strict=True):
        assert_displayed(pupils, expected[code], 0, "fr")
