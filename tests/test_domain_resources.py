"""Resource indicators: one definition each, and plausible synthetic resources (session pipeline).

- one count per indicator: the teachers of ``agg_school_capacity`` are the teachers in service of
  ``agg_teacher_load``; its classrooms are the ``counted_classrooms`` of ``agg_classroom_occupancy``; the
  Human resources page's per-subject ratio is named as such and not summed over a territory;
- the generator's resources are plausible: no school transfers more of a contribution than the warehouse
  counts as collected; the median teacher's weekly hours are near the statutory load of the seed
  ``statutory_loads`` (per teacher, from the staged rows, independent of the marts).
"""

from __future__ import annotations

from pathlib import Path

from domain_support import sql

from dashboards.data_access import human_resources as hr
from dashboards.scope import NATIONAL

# the median teacher's weekly hours over the statutory load: a few points of overtime or a part-time
# service are plausible, 160 % (a week of 48 h in primary) is not
LOAD_BAND = (0.8, 1.2)


def test_transfers_never_exceed_collections(published_db: Path) -> None:
    rows = sql(
        published_db,
        """
        select count(*), count(*) filter (where transferred_mad > collected_mad), sum(transferred_mad),
            sum(collected_mad)
        from marts.agg_fee_collection
        """,
    )[0]
    cells, above, transferred, collected = rows
    assert cells > 0 and transferred > 0
    assert above == 0, f"{above} school x contribution cells transferred more than they collected"
    assert transferred <= collected


def test_median_teaching_load_is_near_the_statutory_load(published_db: Path) -> None:
    per_cycle = sql(
        published_db,
        """
        with hours as (
            select school_year, teacher_code, sum(weekly_hours) as hours
            from staging.stg_massar__teaching_assignments group by all
        ),
        teachers as (
            select t.school_year, s.cycle_code, coalesce(h.hours, 0) / l.statutory_weekly_hours as load
            from staging.stg_massar__teachers as t
            join staging.stg_massar__schools as s using (school_year, school_code)
            join reference.statutory_loads as l using (cycle_code)
            left join hours as h using (school_year, teacher_code)
            left join staging.stg_massar__staff_situations as x using (school_year, teacher_code)
            left join reference.code_staff_statuses as st on st.status_code = x.status_code
            where coalesce(st.in_service, true)
        )
        select cycle_code, count(*), median(load) from teachers group by all order by 1
        """,
    )
    assert per_cycle
    overall = sql(
        published_db,
        """
        select median(coalesce(h.hours, 0) / l.statutory_weekly_hours)
        from staging.stg_massar__teachers as t
        join staging.stg_massar__schools as s using (school_year, school_code)
        join reference.statutory_loads as l using (cycle_code)
        left join (
            select school_year, teacher_code, sum(weekly_hours) as hours
            from staging.stg_massar__teaching_assignments group by all
        ) as h using (school_year, teacher_code)
        """,
    )[0][0]
    low, high = LOAD_BAND
    assert low <= overall <= high, (overall, per_cycle)
    for cycle, teachers, median in per_cycle:
        if teachers >= 20:
            assert 0.6 <= median <= 1.35, (cycle, teachers, median)


def test_one_count_of_teachers_and_classrooms(published_db: Path) -> None:
    teachers = sql(
        published_db,
        """
        select c.school_year, c.n, l.n from
            (select school_year, sum(teachers) as n from marts.agg_school_capacity group by 1) as c
        join (select school_year, sum(teachers_in_service) as n from marts.agg_teacher_load group by 1) as l
            using (school_year)
        """,
    )
    assert teachers and all(capacity == load > 0 for _, capacity, load in teachers), teachers
    rooms = sql(
        published_db,
        """
        select c.school_year, c.n, o.n from
            (select school_year, sum(classrooms) as n from marts.agg_school_capacity group by 1) as c
        join (select school_year, sum(counted_classrooms) as n from marts.agg_classroom_occupancy group by 1)
            as o using (school_year)
        """,
    )
    assert rooms and all(capacity == occupancy > 0 for _, capacity, occupancy in rooms), rooms


def test_pupils_per_teacher_of_a_subject_is_not_a_territory_ratio(published_db: Path) -> None:
    year = sql(published_db, "select max(school_year) from marts.agg_teaching_coverage")[0][0]
    subjects = hr.coverage_by_subject(year, scope=NATIONAL)
    units = hr.coverage_by_unit(year, scope=NATIONAL)
    assert "pupils_per_subject_teacher" in subjects.columns
    assert "pupils_per_teacher" not in subjects.columns
    assert not {"pupils_per_teacher", "pupils_per_subject_teacher", "pupils_taught"} & set(units.columns)
