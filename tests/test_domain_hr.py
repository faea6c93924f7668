"""Human-resources domain: staff situations, teaching load, vacancies, pupils per teacher.

- the source's faults on staff situations are all caught with their declared reason (unknown situation
  code, unknown teacher, unknown school...), no clean line is quarantined, rows in = accepted + quarantined;
- the seeds of the domain are the synthetic source's parameters (curriculum hours, statutory loads);
- ``marts.agg_teacher_load`` and ``marts.agg_teaching_coverage`` equal independent polars computations
  from the clean export rows (teachers, staff situations, teaching assignments, schools) of the session
  pipeline, with the curriculum of the generator's parameters;
- the page renders in French and Arabic for the ministry, a region user and a school user, with its
  figures checked by SQL on the marts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import duckdb
import polars as pl
import pytest
from domain_support import (
    LANGS,
    ROLES,
    DomainIngestion,
    clean_rows,
    number,
    open_page,
    published_file,
    sql,
    user_for,
)

from dashboards.data_access import human_resources as da
from dashboards.i18n import labels
from dashboards.scope import NATIONAL, Scope, ScopeError
from ingestion.codelists import read_seed
from synthetic import parameters as P

ENTITY = "staff_situations"


class TestIngestion(DomainIngestion):
    FAULTS: ClassVar = {ENTITY: {"unknown_staff_status", "unknown_teacher", "unknown_school"}}


def test_seeds_are_the_sources_parameters() -> None:
    seed = {
        (r["level_code"], r["stream_code"], r["subject_code"]): float(r["weekly_hours"])
        for r in read_seed("curriculum_hours")
    }
    params = {(lv, st_, s): h for (lv, st_), hours in P.CURRICULUM.items() for s, h in hours.items()}
    assert seed == params
    loads = {r["cycle_code"]: int(r["statutory_weekly_hours"]) for r in read_seed("statutory_loads")}
    assert loads == P.STATUTORY_HOURS


def _in_service(exports: Path) -> pl.DataFrame:
    """``school_year, teacher_code, in_service`` of the teachers with a clean situation row."""
    flags = {r["status_code"]: r["in_service"] == "true" for r in read_seed("code_staff_statuses")}
    return clean_rows(exports, ENTITY).select(
        "school_year",
        "teacher_code",
        pl.col("status_code").replace_strict(flags, return_dtype=pl.Boolean).alias("in_service"),
    )


def _hours(column: str) -> pl.Expr:
    return pl.col(column).str.replace(",", ".").cast(pl.Float64)


def test_teacher_load_matches_polars(published_db: Path, published_home: Path) -> None:
    exports = published_home / "exports"
    schools = clean_rows(exports, "schools").select("school_year", "school_code", "cycle_code")
    assigned = (
        clean_rows(exports, "teaching_assignments")
        .group_by("school_year", "teacher_code")
        .agg(_hours("weekly_hours").sum().alias("assigned"))
    )
    teachers = (
        clean_rows(exports, "teachers")
        .select("school_year", "teacher_code", "school_code", "subject_code")
        .join(schools, on=["school_year", "school_code"], how="left")
        .join(_in_service(exports), on=["school_year", "teacher_code"], how="left")
        .join(assigned, on=["school_year", "teacher_code"], how="left")
        .with_columns(
            pl.col("in_service").fill_null(True),
            pl.col("assigned").fill_null(0.0),
            pl.col("cycle_code").replace_strict(P.STATUTORY_HOURS, return_dtype=pl.Float64).alias("load"),
        )
    )
    on = pl.col("in_service")
    expected = (
        teachers.group_by("school_year", "school_code", "subject_code")
        .agg(
            pl.len().alias("teachers"),
            on.sum().alias("in_service"),
            pl.col("load").filter(on).sum().alias("statutory"),
            pl.col("assigned").filter(on).sum().alias("assigned"),
            (on & (pl.col("assigned") > pl.col("load"))).sum().alias("above"),
            (on & (pl.col("assigned") < pl.col("load"))).sum().alias("below"),
        )
        .sort("school_year", "school_code", "subject_code")
    )
    got = pl.DataFrame(
        sql(
            published_db,
            """
            select school_year, school_code, subject_code, teachers, teachers_in_service,
                statutory_hours, round(assigned_hours, 6), teachers_above_load, teachers_below_load
            from marts.agg_teacher_load order by 1, 2, 3
            """,
        ),
        schema=expected.columns,
        orient="row",
    )
    assert expected.height > 20 and int(expected["above"].sum()) > 0
    assert got.cast(expected.schema).equals(expected.with_columns(pl.col("assigned").round(6)))


def test_teaching_coverage_matches_polars(published_db: Path, published_home: Path) -> None:
    exports = published_home / "exports"
    curriculum = pl.DataFrame(
        [(lv, st_, s, h) for (lv, st_), hours in P.CURRICULUM.items() for s, h in hours.items()],
        schema=["level_code", "stream", "subject_code", "weekly_hours"],
        orient="row",
    )
    with duckdb.connect(str(published_db), read_only=True) as con:  # pupils per class: an upstream mart
        classes = con.sql(
            "select school_year, class_code, school_code, level_code, coalesce(stream_code, '') as stream,"
            " pupils_enrolled from marts.dim_class where pupils_enrolled > 0"
        ).pl()
    assignments = (
        clean_rows(exports, "teaching_assignments")
        .join(_in_service(exports), on=["school_year", "teacher_code"], how="left")
        .with_columns(pl.col("in_service").fill_null(True))
    )
    covered = (
        assignments.filter("in_service")
        .select("school_year", "class_code", "subject_code")
        .unique()
        .with_columns(pl.lit(True).alias("covered"))
    )
    teachers = (
        assignments.filter("in_service")
        .group_by("school_year", "school_code", "subject_code")
        .agg(pl.col("teacher_code").n_unique().alias("teachers"))
    )
    slots = (
        classes.join(curriculum, on=["level_code", "stream"])
        .join(covered, on=["school_year", "class_code", "subject_code"], how="left")
        .with_columns(pl.col("covered").fill_null(False))
    )
    key = ["school_year", "school_code", "subject_code"]
    expected = (
        slots.group_by(key)
        .agg(
            pl.len().alias("classes"),
            (~pl.col("covered")).sum().alias("vacant"),
            pl.col("pupils_enrolled").filter("covered").sum().alias("pupils_taught"),
        )
        .join(teachers, on=key, how="left")
        .with_columns(pl.col("teachers").fill_null(0), pl.col("pupils_taught").fill_null(0))
        .sort(key)
    )
    got = pl.DataFrame(
        sql(
            published_db,
            "select school_year, school_code, subject_code, classes, vacant_classes, pupils_taught, teachers"
            " from marts.agg_teaching_coverage order by 1, 2, 3",
        ),
        schema=expected.columns,
        orient="row",
    )
    assert expected.height > 20
    assert got.cast(expected.schema).equals(expected)
    vacancies = sql(published_db, "select count(*) from marts.fct_teaching_vacancy")[0][0]
    assert vacancies == int(expected["vacant"].sum()) > 0


def test_data_access_scope(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_teaching_coverage")[0][0]
    region = Scope("region", region_code="01")
    with pytest.raises(ScopeError):
        da.coverage_by_subject(year, scope=region, region="02")
    assert da.coverage_by_unit(year, scope=NATIONAL)["level"].unique().to_list() == ["region"]
    assert da.school_vacancies(year, scope=NATIONAL).is_empty()  # only for one school


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGS)
def test_page(published_home: Path, role: str, lang: str) -> None:
    db = published_file(published_home)
    user = user_for(
        db,
        role,
        "agg_teaching_coverage",
        weight="vacant_classes",
        where="school_code in (select school_code from marts.agg_teacher_load where teachers_in_service > 0)",
        region="04",
    )
    at = open_page("human_resources", user, lang, title="hr.title")
    words = labels(lang)
    scope = user.scope
    year = sql(db, "select max(school_year) from marts.agg_enrollment_by_region")[0][0]
    where = """school_year = ? and (cast(? as varchar) is null or region_code = ?)
        and (cast(? as varchar) is null or school_code = ?)"""
    params = (year, scope.region_code, scope.region_code, scope.school_code, scope.school_code)
    in_service, assigned, statutory = sql(
        db,
        f"select sum(teachers_in_service), sum(assigned_hours), sum(statutory_hours)"
        f" from marts.agg_teacher_load where {where}",
        *params,
    )[0]
    slots, vacant, subjects = sql(
        db,
        f"select sum(classes), sum(vacant_classes), count(distinct subject_code)"
        f" from marts.agg_teaching_coverage where {where}",
        *params,
    )[0]
    metrics = {m.label: m.value for m in at.metric}
    assert int(re.sub(r"\D", "", metrics[words["hr.kpi.teachers"]])) == in_service
    assert int(re.sub(r"\D", "", metrics[words["hr.kpi.vacant"]])) == vacant
    assert abs(number(metrics[words["hr.kpi.load"]]) - round(100 * assigned / statutory, 1)) < 1e-9
    assert abs(number(metrics[words["hr.kpi.vacancy_rate"]]) - round(100 * vacant / slots, 1)) < 1e-9
    assert len(at.get("plotly_chart")) == 2
    assert len(at.dataframe[1].value) == subjects
    if role == "school":
        rows = sql(db, f"select count(*) from marts.fct_teaching_vacancy where {where}", *params)[0][0]
        assert rows == vacant > 0
        assert len(at.dataframe[2].value) == rows
    else:
        column = "region_code" if role == "ministry" else "province_code"
        units = sql(
            db, f"select count(distinct {column}) from marts.agg_teaching_coverage where {where}", *params
        )[0][0]
        assert len(at.dataframe[2].value) == units
