"""Human resources: teaching load against the statutory load, vacancies and pupils per teacher of a subject.

Sources: ``marts.agg_teacher_load`` and ``marts.agg_teaching_coverage`` (school x subject), and the list
``marts.fct_teaching_vacancy`` (class x subject) read only when narrowed to one school. Every figure of a
group is a ratio of sums (Σ assigned / Σ statutory hours, Σ vacant / Σ slots, Σ pupils taught /
Σ teachers of a subject), never a mean of school ratios; a zero denominator gives null. Pupils per teacher
of a subject is a per-subject figure only: summed over subjects it counts a pupil once per subject, so the
territory breakdown shows vacancies only (the pupils per teacher of a territory are the resources page's,
``marts.agg_school_capacity``). Subject labels from the seed ``subjects``.
"""

from __future__ import annotations

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.data_access._units import by_unit_sql, unit_level
from dashboards.scope import TERRITORY_WHERE, Scope

_COVERAGE = f"select * from marts.agg_teaching_coverage where school_year = ? and {TERRITORY_WHERE}"
_LOAD = f"select * from marts.agg_teacher_load where school_year = ? and {TERRITORY_WHERE}"
_COVERAGE_MEASURES = """
    sum(src.classes)::bigint as slots,
    sum(src.vacant_classes)::bigint as vacant_slots,
    sum(src.vacant_hours)::double as vacant_hours,
    100.0 * sum(src.vacant_classes) / nullif(sum(src.classes), 0) as vacancy_rate
"""
_SUBJECT_MEASURES = f"""{_COVERAGE_MEASURES},
    sum(src.pupils_taught)::bigint as pupils_taught,
    sum(src.teachers)::bigint as teachers,
    sum(src.pupils_taught) / nullif(sum(src.teachers), 0) as pupils_per_subject_teacher
"""


def load_summary(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Per cycle of the schools, then an all-cycles row (``cycle_code`` null): ``cycle_code,
    cycle_label_fr, cycle_label_ar, teachers, teachers_in_service, teachers_not_in_service,
    statutory_hours, assigned_hours, teachers_above_load, teachers_below_load, load_pct``."""
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as ({_LOAD}),
        by_cycle as (
            select src.cycle_code,
                sum(src.teachers)::bigint as teachers,
                sum(src.teachers_in_service)::bigint as teachers_in_service,
                sum(src.teachers_not_in_service)::bigint as teachers_not_in_service,
                sum(src.statutory_hours)::double as statutory_hours,
                sum(src.assigned_hours)::double as assigned_hours,
                sum(src.teachers_above_load)::bigint as teachers_above_load,
                sum(src.teachers_below_load)::bigint as teachers_below_load,
                100.0 * sum(src.assigned_hours) / nullif(sum(src.statutory_hours), 0) as load_pct
            from src
            group by rollup (src.cycle_code)
        )
        select b.cycle_code, c.label_fr as cycle_label_fr, c.label_ar as cycle_label_ar,
            b.* exclude (cycle_code)
        from by_cycle as b
        left join reference.code_cycles as c on b.cycle_code = c.cycle_code
        where b.teachers > 0
        order by b.cycle_code is null, c.cycle_order, b.cycle_code
        """,
        school_year,
        *territory.params(),
    )


def coverage_by_subject(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Per subject of the territory: ``subject_code, label_fr, label_ar, slots, vacant_slots,
    vacant_hours, vacancy_rate, pupils_taught, teachers, pupils_per_subject_teacher`` (teachers of the
    subject), by subject code."""
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as ({_COVERAGE}),
        by_subject as (select src.subject_code, {_SUBJECT_MEASURES} from src group by src.subject_code)
        select b.subject_code, s.label_fr, s.label_ar, b.* exclude (subject_code)
        from by_subject as b
        left join reference.code_subjects as s on b.subject_code = s.subject_code
        order by b.subject_code
        """,
        school_year,
        *territory.params(),
    )


def coverage_by_unit(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The territory broken down one level (regions, provinces, schools): ``level, unit_code,
    unit_name_fr, unit_name_ar, slots, vacant_slots, vacant_hours, vacancy_rate``, by unit code."""
    territory = scope.territory(region, province, school)
    level = unit_level(territory)
    return _run(
        by_unit_sql(_COVERAGE, level, _COVERAGE_MEASURES),
        school_year,
        *territory.params(),
        level,
    )


def school_vacancies(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The vacant class x subject slots of one school (empty unless the territory is a school):
    ``class_code, level_code, subject_code, subject_label_fr, subject_label_ar, pupils_enrolled,
    weekly_hours, assigned_teachers, status_code, status_label_fr, status_label_ar``."""
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        select v.class_code, v.level_code, v.subject_code, s.label_fr as subject_label_fr,
            s.label_ar as subject_label_ar, v.pupils_enrolled, v.weekly_hours, v.assigned_teachers,
            v.absent_teacher_status as status_code, t.label_fr as status_label_fr,
            t.label_ar as status_label_ar
        from (
            select * from marts.fct_teaching_vacancy
            where school_year = ? and cast(? as varchar) is not null and {TERRITORY_WHERE}
        ) as v
        left join reference.code_subjects as s on v.subject_code = s.subject_code
        left join reference.code_staff_statuses as t on v.absent_teacher_status = t.status_code
        order by v.class_code, v.subject_code
        """,
        school_year,
        territory.school_code,
        *territory.params(),
    )
