"""Absence monitoring and Data quality pages: query time per page and role at national scale.

Builds a published warehouse with the tables those pages read, at the size of N pupils (default
1,000,000: N / 30 classes of 30 pupils, 8 classes per school, 180 school days loaded), with the real
column layout (``marts.agg_absence_class_daily``, ``marts.fct_attendance_ytd``, ``marts.dim_class``,
``marts.agg_recording_compliance``, ``marts.dim_school``, ``reference.*``, ``audit.*``), then runs every
query a page run makes, through ``dashboards.data_access`` (the cache cleared before each page run, so
the times are cold queries), for a ministry, region, province and school user. Prints per-query and
per-page times. Target: < 500 ms per page.

    .venv/bin/python benchmarks/bench_absence_pages.py --pupils 1000000
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import page_timing  # noqa: E402  (benchmarks/ is the script's folder)

SEEDS = REPO_ROOT / "dbt" / "seeds" / "geo"
YEAR = "2025-2026"
DAYS = 180
PUPILS_PER_CLASS = 30
CLASSES_PER_SCHOOL = 8


def _scaffold(con: duckdb.DuckDBPyConnection, classes: int) -> None:
    """Schemas, the geography, and the work tables of the classes (8 per school, provinces round robin)
    and of the school days."""
    for schema in ("reference", "marts", "audit"):
        con.execute(f"create schema {schema}")
    con.execute(
        f"create table reference.code_regions as "
        f"select * from read_csv('{SEEDS / 'code_regions.csv'}', all_varchar=true)"
    )
    con.execute(
        f"create table reference.code_provinces as "
        f"select * from read_csv('{SEEDS / 'code_provinces.csv'}', all_varchar=true)"
    )
    con.execute(
        "create table _province as select row_number() over (order by province_code) - 1 as i, "
        "province_code, region_code from reference.code_provinces"
    )
    con.execute(
        f"""
        create table _class as
        select
            c as class_id,
            'C' || lpad(c::varchar, 7, '0') as class_code,
            'S' || lpad((c // {CLASSES_PER_SCHOOL})::varchar, 6, '0') as school_code,
            p.province_code,
            p.region_code,
            ['1AP', '2AP', '3AP', '4AP', '5AP', '6AP', '1AC', '2AC'][c % 8 + 1] as level_code
        from range({classes}) as r(c)
        join _province as p on p.i = (c // {CLASSES_PER_SCHOOL}) % (select count(*) from _province)
        """
    )
    con.execute(
        f"""
        create table _day as
        select
            d as n,
            cast(date '2025-09-08' + to_days(cast(d // 5 * 7 + d % 5 as integer)) as date) as day
        from range({DAYS}) as r(d)
        """
    )


def _absence_marts(con: duckdb.DuckDBPyConnection, pupils: int) -> None:
    """The absence marts: class-days, classes, freshness, each pupil's year to date."""
    con.execute(
        f"""
        create table marts.agg_absence_class_daily as
        select
            '{YEAR}' as school_year, _day.day as calendar_date, c.region_code, c.province_code,
            c.school_code, c.class_code, c.level_code, cast(_day.n + 1 as integer) as school_day_number,
            {PUPILS_PER_CLASS}::bigint as pupils_enrolled,
            (hash(c.class_id, _day.n) % 4)::bigint as pupils_absent,
            0::bigint as pupils_absent_justified,
            (hash(c.class_id, _day.n) % 6)::bigint as pupils_with_missed_session,
            (hash(c.class_id, _day.n) % 20)::bigint as sessions_missed,
            (hash(c.class_id, _day.n) % 4) / {PUPILS_PER_CLASS} as absence_rate,
            2::bigint as half_days_recorded,
            case
                when hash(c.class_id, _day.n) % 50 = 0 then 'not_recorded'
                when hash(c.class_id, _day.n) % 6 > 0 then 'recorded_with_absences'
                else 'recorded_no_absence'
            end as recording_status
        from _class as c cross join _day
        order by school_year, region_code, calendar_date, province_code, school_code, class_code
        """
    )
    con.execute(
        f"""
        create table marts.dim_class as
        select '{YEAR}' as school_year, region_code, province_code, school_code, class_code, level_code,
            {PUPILS_PER_CLASS}::bigint as pupils_enrolled
        from _class
        order by region_code, province_code, school_code, class_code
        """
    )
    con.execute(
        """
        create table marts.agg_absence_freshness as
        select school_year, region_code, max(calendar_date) as last_day_loaded,
            max(school_day_number) as last_day_number, count(distinct calendar_date) as school_days_loaded
        from marts.agg_absence_class_daily
        group by school_year, region_code
        """
    )
    con.execute(
        f"""
        create table marts.fct_attendance_ytd as
        select
            substr(md5(s::varchar), 1, 16) as student_key, '{YEAR}' as school_year,
            c.region_code, c.province_code, c.school_code, c.class_code, c.level_code,
            'primary' as cycle_code, 'F' as sex, 'public' as sector, 'urban' as area,
            {DAYS} as enrolled_school_days, cast(hash(s) % 30 as integer) as absent_days,
            0 as justified_absent_days, cast(hash(s) % 9 as integer) as longest_absence_streak,
            0 as longest_justified_streak, 0 as longest_unjustified_streak,
            (hash(s) % 30) / {DAYS} as absence_rate, 1 - (hash(s) % 30) / {DAYS} as attendance_rate,
            (hash(s) % 30) >= 18 as is_chronically_absent,
            case when (hash(s) % 30) >= 18 then 'moderate' else 'satisfactory' end as attendance_band
        from range({pupils}) as r(s)
        join _class as c on c.class_id = s // {PUPILS_PER_CLASS}
        order by region_code, province_code, school_code
        """
    )


def _recording_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Schools, their daily recording compliance and the recording statuses."""
    con.execute(
        """
        create table marts.dim_school as
        select distinct school_code, 'École ' || school_code as school_name_fr,
            'مدرسة ' || school_code as school_name_ar, region_code, province_code, 'primary' as cycle_code
        from _class
        """
    )
    con.execute(
        """
        create table marts.agg_recording_compliance as
        select '2025-2026' as school_year, s.school_code, s.region_code, s.province_code,
            _day.day as calendar_date, cast(_day.n + 1 as integer) as school_day_number,
            8::bigint as classes, 7::bigint as classes_recorded, 1::bigint as classes_not_recorded,
            2::bigint as classes_with_absence, 3::bigint as absence_sessions,
            87.5 as recorded_class_share,
            case when hash(s.school_code, _day.n) % 50 = 0 then 'partly_recorded'
                else 'recorded_with_absences' end as recording_status
        from marts.dim_school as s cross join _day
        """
    )
    con.execute(
        """
        create table reference.code_recording_statuses as
        select code as status_code, code as label_fr, code as label_ar, n <= 2 as is_recorded,
            n as sort_order
        from (values
            ('recorded_with_absences', 1), ('recorded_no_absence', 2), ('partly_recorded', 3),
            ('not_recorded', 4), ('no_file_received', 5)
        ) as t(code, n)
        """
    )


def _audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The audit tables the data-quality page reads: quarantine, load log, publication, gate runs and
    failures."""
    con.execute(
        """
        create table audit.quarantine as
        select 'b' || (q % 500) as batch_id, ['pupils', 'grades', 'absences'][q % 3 + 1] as entity,
            '2025-2026' as school_year, lpad((q % 12 + 1)::varchar, 2, '0') as region_code,
            'f.csv' as source_file, q as line_number,
            ['invalid_type', 'duplicate_row', 'impossible_date', 'unknown_code'][q % 4 + 1]
                as reason_code,
            '' as message
        from range(50000) as r(q)
        """
    )
    con.execute(
        "create table audit.load_log as select lpad((b % 12 + 1)::varchar, 2, '0') as region_code, "
        "now()::timestamp as loaded_at from range(5000) as r(b)"
    )
    con.execute(
        "create table audit.publication as select ?::varchar as version, "
        "now()::timestamp as published_at, "
        "'warn' as gate_verdict, 1 as warnings_count, 0 as critical_count, "
        "'2026-01-01T00:00:00+00:00' as gate_run_at, '' as data_docs",
        [page_timing.VERSION],
    )
    con.execute(
        "create table audit.gate_run as "
        "select '2026-01-' || lpad((r % 28 + 1)::varchar, 2, '0') as run_at, "
        "'pass' as verdict, true as publishable, 6 as suites, 0 as suites_failed, 0 as warnings_count, "
        "0 as critical_count, '' as candidate, '' as data_docs from range(365) as t(r)"
    )
    con.execute(
        "create table audit.gate_failure as select '2026-01-01T00:00:00+00:00' as run_at, 's' as suite, "
        "'e' as expectation, null::varchar as column_name, 'warning' as severity, 'd' as description, "
        "'' as on_failure, '' as observed"
    )


def build(db: Path, pupils: int) -> None:
    classes = max(pupils // PUPILS_PER_CLASS, 1)
    con = duckdb.connect(str(db))
    try:
        _scaffold(con, classes)
        _absence_marts(con, pupils)
        _recording_tables(con)
        _audit_tables(con)
        for temp in ("_province", "_class", "_day"):
            con.execute(f"drop table {temp}")
        con.execute("checkpoint")
    finally:
        con.close()


def main() -> None:
    args = page_timing.arguments(__doc__.splitlines()[0])
    db = page_timing.published_warehouse("bench-absence-", args.pupils, build)

    from dashboards.data_access import absences, quality
    from dashboards.scope import Scope

    scopes = page_timing.role_scopes(db)

    def absence_page(scope: Scope) -> None:  # the queries of one run of app_pages/absence_monitoring.py
        loaded = absences.last_loaded_day(YEAR, scope=scope)
        day = loaded["day"][0]
        absences.absence_by_unit(YEAR, scope=scope, day=day)
        absences.daily_absence(YEAR, scope=scope)
        absences.absence_spikes(YEAR, scope=scope, day_number=loaded["day_number"][0])
        absences.chronic_by_school(YEAR, scope=scope)
        absences.recording_gaps(YEAR, scope=scope, day=day)
        absences.silent_classes(YEAR, scope=scope, day=day)
        absences.recording_status_counts(YEAR, scope=scope, day=day)
        absences.chronic_absentees(YEAR, scope=scope)

    def quality_page(scope: Scope) -> None:
        quality.publications(scope=scope)
        quality.gate_runs(scope=scope)
        quality.gate_warnings(scope=scope)
        quality.quarantine_counts(scope=scope)
        quality.freshness(scope=scope)

    pages: dict[str, Callable[[Scope], None]] = {
        "absence_monitoring": absence_page,
        "data_quality": quality_page,
    }
    page_timing.time_pages(pages, scopes, args.repeat)


if __name__ == "__main__":
    main()
