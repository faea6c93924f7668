"""Indicators, Grades & exams and Teachers & infrastructure pages: query time per page and role at scale.

Builds a published warehouse with the marts those pages read, at the size of N pupils (default 1,000,000:
N / 240 schools of 8 classes of 30 pupils, each school teaching one cycle, three of its levels graded in
9 subjects over 2 semesters), with the real column layouts (``marts.agg_school_capacity``,
``agg_flow_rates``, ``agg_survival``, ``agg_class_sizes``, ``agg_grade_distribution``, ``agg_decisions``,
``agg_exam_results``, ``fct_certificate_3ac``, ``fct_baccalaureate``, ``dim_school``, ``dim_level``,
``reference.*`` from the seeds), then runs every query of those pages (the shared territory filters
excepted: they are the overview's), through ``dashboards.data_access`` with the cache cleared before each
page run (cold queries), for a ministry, region, province and school user. Prints per-query and per-page
times. Target: < 500 ms per page.

    .venv/bin/python benchmarks/bench_uis_pages.py --pupils 1000000
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import page_timing  # noqa: E402  (benchmarks/ is the script's folder)

SEEDS = REPO_ROOT / "dbt" / "seeds"
YEAR = "2024-2025"  # a year with a next year: flow rates present
PUPILS_PER_SCHOOL = 240
CLASSES_PER_SCHOOL = 8
SUBJECTS = 9
REFERENCE = {
    "code_regions": SEEDS / "geo" / "code_regions.csv",
    "code_provinces": SEEDS / "geo" / "code_provinces.csv",
    "code_levels": SEEDS / "codes" / "code_levels.csv",
    "code_cycles": SEEDS / "codes" / "code_cycles.csv",
    "code_subjects": SEEDS / "codes" / "code_subjects.csv",
    "code_decisions": SEEDS / "codes" / "code_decisions.csv",
    "grade_bins": SEEDS / "rules" / "grade_bins.csv",
    "class_size_bands": SEEDS / "rules" / "class_size_bands.csv",
}


def _schools(con: duckdb.DuckDBPyConnection, schools: int) -> None:
    """Schemas, the reference seeds, levels, schools (one cycle each, provinces round robin) and their
    capacity."""
    for schema in ("reference", "marts"):
        con.execute(f"create schema {schema}")
    for name, path in REFERENCE.items():
        con.execute(f"create table reference.{name} as select * from read_csv('{path}')")
    con.execute(
        "create table reference._province as select row_number() over (order by province_code) - 1 as i, "
        "province_code, region_code from reference.code_provinces"
    )
    con.execute(
        """
        create table marts.dim_level as
        select l.*, c.cycle_order
            from reference.code_levels as l join reference.code_cycles as c using (cycle_code)
        """
    )
    # schools: one cycle each (primary half of them), provinces round robin
    con.execute(
        f"""
        create table marts.dim_school as
        select
            'S' || lpad(s::varchar, 6, '0') as school_code,
            'École ' || s as school_name_fr,
            'مؤسسة ' || s as school_name_ar,
            p.region_code,
            p.province_code,
            ['primary', 'primary', 'lower_secondary', 'upper_secondary', 'preschool', 'primary'][
                s % 6 + 1
            ] as cycle_code,
            if(s % 9 = 0, 'private', 'public') as sector,
            if(s % 3 = 0, 'rural', 'urban') as area
        from range({schools}) as r(s)
        join reference._province as p on p.i = s % (select count(*) from reference._province)
        """
    )
    con.execute(
        """
        create table marts.agg_school_capacity as
        select ? as school_year, region_code, province_code, school_code, sector, area, cycle_code,
            240 as pupils, 9 + hash(school_code) % 4 as teachers, 8 as classes,
            6 + hash(school_code) % 3 as classrooms, 30 + hash(school_code) % 16 as largest_class
        from marts.dim_school
        """,
        [YEAR],
    )


def _flows(con: duckdb.DuckDBPyConnection) -> None:
    """The schools' levels (work table ``_school_level``), flow rates, survival and class sizes."""
    # the school's levels (three per school, of its cycle)
    con.execute(
        """
        create table _school_level as
        select s.*, l.level_code, l.grade_in_cycle
        from marts.dim_school as s join marts.dim_level as l using (cycle_code)
        where l.grade_in_cycle <= 3
        """
    )
    con.execute(
        """
        create table marts.agg_flow_rates as
        select ? as school_year, region_code, province_code, school_code, sector, sex, level_code,
            40 as pupils, 32 as promoted, 5 as repeated, 2 as dropped_out, 1 as transferred_out,
            0 as completed, 0 as not_traced, 0 as dropout_revised, cycle_code, grade_in_cycle,
            39 as rate_base, 32 / 39 as promotion_rate,
            5 / 39 as repetition_rate, 2 / 39 as dropout_rate, null::double as transition_rate
        from _school_level cross join (values ('F'), ('M')) as x(sex)
        """,
        [YEAR],
    )
    con.execute(
        """
        create table marts.agg_survival as
        with t as (
            select distinct 'national' as territory_level, null::varchar as region_code,
                null::varchar as province_code from reference.code_regions
            union all select 'region', region_code, null from reference.code_regions
            union all select 'province', region_code, province_code from reference.code_provinces
        )
        select t.territory_level, ? as school_year, t.region_code, t.province_code, l.cycle_code,
            l.level_code, l.grade_in_cycle, 0.9 ^ (l.grade_in_cycle - 1) as reconstructed_survival_rate,
            1000 as cohort_size, 900 as cohort_reached, 1 as cohort_years_observed,
            0.9 as true_cohort_survival_rate
        from t cross join marts.dim_level as l
        """,
        [YEAR],
    )
    con.execute(
        """
        create table marts.agg_class_sizes as
        select ? as school_year, s.region_code, s.province_code, s.school_code, s.cycle_code,
            s.level_code, b.band_code, b.band_order, 1 + hash(s.school_code, b.band_code) % 3 as classes,
            30 * (1 + hash(s.school_code, b.band_code) % 3) as pupils
        from _school_level as s cross join reference.class_size_bands as b
        """,
        [YEAR],
    )


def _grades(con: duckdb.DuckDBPyConnection) -> None:
    """Grade distributions (per semester, subject and bin) and end-of-year decisions."""
    con.execute(
        f"""
        create table marts.agg_grade_distribution as
        select ? as school_year, sem as semester, s.region_code, s.province_code, s.school_code,
            s.level_code, subj.subject_code, b.grade_bin, b.lower_bound, b.upper_bound,
            1 + hash(s.school_code, subj.subject_code, b.grade_bin, sem) % 15 as pupils,
            (b.lower_bound + 1) * (1 + hash(s.school_code, subj.subject_code, b.grade_bin, sem) % 15)
                as grade_sum
        from _school_level as s
        cross join (select subject_code from reference.code_subjects order by 1 limit {SUBJECTS}) as subj
        cross join reference.grade_bins as b
        cross join (values (1), (2)) as x(sem)
        order by school_year, semester, s.region_code, s.province_code, s.school_code
        """,
        [YEAR],
    )
    con.execute(
        """
        create table marts.agg_decisions as
        select ? as school_year, s.region_code, s.province_code, s.school_code, s.cycle_code,
            s.level_code, sex, decision, if(decision = 'promote', 34, 6) as pupils,
            if(decision = 'promote', 34, 6) as pupils_averaged,
            if(decision = 'promote', 34 * 12.5, 6 * 8.0) as annual_average_sum
        from _school_level as s cross join (values ('F'), ('M')) as x(sex)
        cross join (values ('promote'), ('repeat')) as d(decision)
        """,
        [YEAR],
    )


def _exams(con: duckdb.DuckDBPyConnection) -> None:
    """Certificate and baccalaureate candidates, and the exam results by territory."""
    for table, cycle in (
        ("fct_certificate_3ac", "lower_secondary"),
        ("fct_baccalaureate", "upper_secondary"),
    ):
        con.execute(
            f"""
            create table marts.{table} as
            select ? as school_year, s.school_code, s.region_code, s.province_code, s.sector,
                if(i % 2 = 0, 'F', 'M') as sex, true as is_complete,
                cast(null as varchar) as missing_component, hash(s.school_code, i) % 10 < 7 as passed
            from marts.dim_school as s cross join range(80) as r(i)
            where s.cycle_code = '{cycle}'
            """,
            [YEAR],
        )
    con.execute(
        """
        create table marts.agg_exam_results as
        with c as (
            select *, '3AC' as certificate_code from marts.fct_certificate_3ac
            union all select *, 'BAC' from marts.fct_baccalaureate
        )
        select school_year, region_code, province_code, sector, sex, certificate_code,
            count(*) as candidates, count(*) as candidates_complete, 0 as candidates_incomplete,
            0 as missing_national_exam, 0 as missing_regional_exam, 0 as missing_school_exam,
            0 as missing_continuous, count(*) filter (where passed) as passed,
            count(*) filter (where passed) / count(*) as pass_rate
        from c group by all
        """
    )


def build(db: Path, pupils: int) -> None:
    schools = max(pupils // PUPILS_PER_SCHOOL, 1)
    con = duckdb.connect(str(db))
    try:
        _schools(con, schools)
        _flows(con)
        _grades(con)
        _exams(con)
        con.execute("drop table _school_level")
        con.execute("drop table reference._province")
        con.execute("checkpoint")
        sizes = con.execute(
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
        print("rows: " + ", ".join(f"{name} {n:,}" for name, n in sizes))
    finally:
        con.close()


def main() -> None:
    args = page_timing.arguments(__doc__.splitlines()[0])
    db = page_timing.published_warehouse("bench-uis-", args.pupils, build)

    from dashboards.data_access import grades, indicators, resources
    from dashboards.scope import Scope

    scopes = page_timing.role_scopes(db, "cycle_code = 'lower_secondary'")

    def indicators_page(scope: Scope) -> None:
        indicators.indicator_table(YEAR, "primary", scope=scope)
        indicators.survival_by_grade(YEAR, "primary", scope=scope)

    def grades_page(scope: Scope) -> None:
        grades.graded_levels(YEAR, scope=scope)
        grades.graded_subjects(YEAR, scope=scope)
        grades.grade_summary(YEAR, scope=scope)
        grades.grade_histogram(YEAR, scope=scope)
        grades.subject_averages(YEAR, scope=scope)
        grades.level_averages(YEAR, scope=scope)
        grades.averages_by_unit(YEAR, scope=scope)
        grades.decisions_by_level(YEAR, scope=scope)
        grades.exam_results_total(YEAR, scope=scope)
        grades.exam_results_by_unit(YEAR, scope=scope)

    def resources_page(scope: Scope) -> None:
        resources.resources_by_cycle(YEAR, scope=scope)
        resources.class_size_distribution(YEAR, scope=scope)
        resources.resources_by_unit(YEAR, scope=scope)

    pages: dict[str, Callable[[Scope], None]] = {
        "indicators": indicators_page,
        "grades_exams": grades_page,
        "teachers_infrastructure": resources_page,
    }
    page_timing.time_pages(pages, scopes, args.repeat)


if __name__ == "__main__":
    main()
