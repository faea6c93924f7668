"""Grades and exams: grade distributions and averages, end-of-year decisions, 3AC and bac results.

Sources (aggregate marts):
- ``marts.agg_grade_distribution`` (school x level x subject x semester x grade bin, bins from seed
  ``grade_bins``): histograms, and means as ``sum(grade_sum) / sum(pupils)``;
- ``marts.agg_decisions`` (school x level x sex x decision): promotion decisions;
- ``marts.agg_exam_results`` (province x sector x sex x certificate): 3AC and bac results by region or
  province. Results of single schools (a province broken down by school, or one school) come from the
  candidate-grain facts ``marts.fct_certificate_3ac`` / ``marts.fct_baccalaureate`` narrowed to the
  province or school (a few hundred rows), with the same pass rule (``passed``) and the same rate
  (passed / candidates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.data_access._units import UNIT_COLUMN, UNIT_NAMES, by_unit_sql, unit_level
from dashboards.scope import TERRITORY_WHERE, Scope, Territory

DEFAULT_SEMESTER: Final[int] = 2

_DISTRIBUTION = f"""
    select * from marts.agg_grade_distribution
    where school_year = ? and (cast(? as integer) is null or semester = ?)
        and (cast(? as varchar) is null or level_code = ?)
        and (cast(? as varchar) is null or subject_code = ?)
        and {TERRITORY_WHERE}
"""


# pupils counted and their mean subject average, over the rows of ``src`` (a selection of _DISTRIBUTION)
_MEAN_AVERAGE = "sum(src.pupils)::bigint as pupils, sum(src.grade_sum) / sum(src.pupils) as mean_average"


def _distribution_params(
    school_year: str, semester: int | None, level: str | None, subject: str | None, territory: Territory
) -> tuple[object, ...]:
    return (school_year, semester, semester, level, level, subject, subject, *territory.params())


def _from_distribution(
    select: str,
    school_year: str,
    semester: int | None,
    level: str | None,
    subject: str | None,
    territory: Territory,
    *more: object,
) -> pl.DataFrame:
    """Run ``select`` over ``src``, the rows of _DISTRIBUTION for the year, semester, level, subject and
    territory (all bound as parameters, then ``more``)."""
    return _run(
        f"with src as ({_DISTRIBUTION})\n{select}",
        *_distribution_params(school_year, semester, level, subject, territory),
        *more,
    )


# ------------------------------------------------------------------------------------- SQL builders

Dimension = Literal["level", "subject"]


@dataclass(frozen=True)
class _Reference:
    """A dimension's reference table: its key, the columns it carries besides the labels, which also
    order it before the key."""

    table: str
    key: str
    carried: tuple[str, ...] = ()


#: the only identifiers the builders compose into SQL (an allow-list); every value is a parameter
_REFERENCES: Final[dict[Dimension, _Reference]] = {
    "level": _Reference("reference.code_levels", "level_code", ("level_order",)),
    "subject": _Reference("reference.code_subjects", "subject_code"),
}


def _present_sql(dimension: Dimension) -> str:
    """The reference rows of ``dimension`` that have averages in ``src``: key, carried columns, labels."""
    ref = _REFERENCES[dimension]
    columns = ", ".join(f"r.{c}" for c in (ref.key, *ref.carried, "label_fr", "label_ar"))
    order = ", ".join(f"r.{c}" for c in (*ref.carried, ref.key))
    return f"""
        select {columns}
        from {ref.table} as r
        where r.{ref.key} in (select {ref.key} from src)
        order by {order}
    """


def _mean_by_sql(dimension: Dimension) -> str:
    """The mean subject average per value of ``dimension`` in ``src``, with its carried columns and
    labels."""
    ref = _REFERENCES[dimension]
    carried = "".join(f"any_value(r.{c}) as {c}, " for c in (*ref.carried, "label_fr", "label_ar"))
    order = ", ".join((*ref.carried, f"src.{ref.key}"))
    return f"""
        select src.{ref.key}, {carried}{_MEAN_AVERAGE}
        from src
        left join {ref.table} as r on src.{ref.key} = r.{ref.key}
        group by src.{ref.key}
        order by {order}
    """


# ------------------------------------------------------------------------------------------ choices


def graded_semesters(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> list[int]:
    """Semesters with subject averages in the territory, in order (only 1 in the middle of a year)."""
    territory = scope.territory(region, province, school)
    df = _from_distribution(
        "select distinct semester from src order by semester", school_year, None, None, None, territory
    )
    return [int(v) for v in df["semester"].to_list()]


def graded_levels(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Levels with subject averages in the territory (any semester): ``level_code, level_order, label_fr,
    label_ar``."""
    territory = scope.territory(region, province, school)
    return _from_distribution(_present_sql("level"), school_year, None, None, None, territory)


def graded_subjects(
    school_year: str,
    level: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Subjects with averages in the territory and level (any semester): ``subject_code, label_fr,
    label_ar``."""
    territory = scope.territory(region, province, school)
    return _from_distribution(_present_sql("subject"), school_year, None, level, None, territory)


# ------------------------------------------------------------------------------------ distributions


def grade_histogram(
    school_year: str,
    semester: int = DEFAULT_SEMESTER,
    level: str | None = None,
    subject: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Pupils' subject averages per grade bin (every bin of seed ``grade_bins``, zero when empty).

    ``grade_bin, lower_bound, upper_bound, upper_inclusive, pupils, share``.
    """
    territory = scope.territory(region, province, school)
    return _from_distribution(
        """
        , counted as (
            select
                b.grade_bin,
                any_value(b.lower_bound) as lower_bound,
                any_value(b.upper_bound) as upper_bound,
                any_value(b.upper_inclusive) as upper_inclusive,
                coalesce(sum(src.pupils), 0)::bigint as pupils
            from reference.grade_bins as b
            left join src on b.grade_bin = src.grade_bin
            group by b.grade_bin
        )
        select *, pupils / nullif(sum(pupils) over (), 0) as share
        from counted
        order by grade_bin
        """,
        school_year,
        semester,
        level,
        subject,
        territory,
    )


def grade_summary(
    school_year: str,
    semester: int = DEFAULT_SEMESTER,
    level: str | None = None,
    subject: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """One row: ``pupil_averages`` (subject averages counted) and their ``mean_average`` (null if none)."""
    territory = scope.territory(region, province, school)
    return _from_distribution(
        """
        select
            coalesce(sum(pupils), 0)::bigint as pupil_averages,
            sum(grade_sum) / nullif(sum(pupils), 0) as mean_average
        from src
        """,
        school_year,
        semester,
        level,
        subject,
        territory,
    )


def subject_averages(
    school_year: str,
    semester: int = DEFAULT_SEMESTER,
    level: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Mean subject average per subject: ``subject_code, label_fr, label_ar, pupils, mean_average``."""
    territory = scope.territory(region, province, school)
    return _from_distribution(_mean_by_sql("subject"), school_year, semester, level, None, territory)


def level_averages(
    school_year: str,
    semester: int = DEFAULT_SEMESTER,
    subject: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Mean subject average per level: ``level_code, level_order, label_fr, label_ar, pupils,
    mean_average``."""
    territory = scope.territory(region, province, school)
    return _from_distribution(_mean_by_sql("level"), school_year, semester, None, subject, territory)


def averages_by_unit(
    school_year: str,
    semester: int = DEFAULT_SEMESTER,
    level: str | None = None,
    subject: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Mean subject average per unit one level below the territory (regions, provinces or schools).

    ``level, unit_code, unit_name_fr, unit_name_ar, pupils, mean_average``, ordered by unit code.
    """
    territory = scope.territory(region, province, school)
    unit = unit_level(territory)
    return _run(
        by_unit_sql(_DISTRIBUTION, unit, _MEAN_AVERAGE),
        *_distribution_params(school_year, semester, level, subject, territory),
        unit,
    )


# ---------------------------------------------------------------------------------------- decisions


def decisions_by_level(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """End-of-year decisions per level: counts and shares of the level's pupils.

    ``level_code, level_order, level_label_fr, level_label_ar, cycle_code, decision`` (promote, repeat,
    null = no annual average), ``pupils, girls, boys, share``; ordered by level then decision.
    """
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as (
            select * from marts.agg_decisions
            where school_year = ? and {TERRITORY_WHERE}
        ),
        counted as (
            select
                level_code,
                any_value(cycle_code) as cycle_code,
                decision,
                sum(pupils)::bigint as pupils,
                coalesce(sum(pupils) filter (where sex = 'F'), 0)::bigint as girls,
                coalesce(sum(pupils) filter (where sex = 'M'), 0)::bigint as boys
            from src
            group by level_code, decision
        )
        select
            k.level_code,
            l.level_order,
            l.label_fr as level_label_fr,
            l.label_ar as level_label_ar,
            k.cycle_code,
            k.decision,
            k.pupils,
            k.girls,
            k.boys,
            k.pupils / sum(k.pupils) over (partition by k.level_code) as share
        from counted as k
        left join reference.code_levels as l on k.level_code = l.level_code
        order by l.level_order, k.level_code, k.decision nulls last
        """,
        school_year,
        *territory.params(),
    )


# -------------------------------------------------------------------------------------------- exams

# 3AC and bac candidates of a province or a school (candidate grain, narrowed); constant SQL
_EXAM_FACTS = """
    select region_code, province_code, school_code, sex, '3AC' as certificate_code, is_complete,
        missing_component, passed
    from marts.fct_certificate_3ac
    where school_year = ? and province_code = ? and (cast(? as varchar) is null or school_code = ?)
    union all
    select region_code, province_code, school_code, sex, 'BAC' as certificate_code, is_complete,
        missing_component, passed
    from marts.fct_baccalaureate
    where school_year = ? and province_code = ? and (cast(? as varchar) is null or school_code = ?)
"""
# Rates are on the complete candidates (every certificate component in the data); the incomplete ones
# (passed unknown) are counted beside them, per missing component.
_EXAM_COUNTS = """
    count(*) as candidates,
    count(*) filter (where not is_complete) as candidates_incomplete,
    count(*) filter (where contains(missing_component, 'national_exam')) as missing_national_exam,
    count(*) filter (where contains(missing_component, 'regional_exam')) as missing_regional_exam,
    count(*) filter (where contains(missing_component, 'school_exam')) as missing_school_exam,
    count(*) filter (where contains(missing_component, 'continuous')) as missing_continuous,
    count(*) filter (where is_complete) as complete,
    count(*) filter (where passed) as passed,
    count(*) filter (where sex = 'F' and is_complete) as complete_f,
    count(*) filter (where sex = 'F' and passed) as passed_f,
    count(*) filter (where sex = 'M' and is_complete) as complete_m,
    count(*) filter (where sex = 'M' and passed) as passed_m
"""
_EXAM_AGG_COUNTS = """
    sum(candidates)::bigint as candidates,
    sum(candidates_incomplete)::bigint as candidates_incomplete,
    sum(missing_national_exam)::bigint as missing_national_exam,
    sum(missing_regional_exam)::bigint as missing_regional_exam,
    sum(missing_school_exam)::bigint as missing_school_exam,
    sum(missing_continuous)::bigint as missing_continuous,
    sum(candidates_complete)::bigint as complete,
    sum(passed)::bigint as passed,
    coalesce(sum(candidates_complete) filter (where sex = 'F'), 0)::bigint as complete_f,
    coalesce(sum(passed) filter (where sex = 'F'), 0)::bigint as passed_f,
    coalesce(sum(candidates_complete) filter (where sex = 'M'), 0)::bigint as complete_m,
    coalesce(sum(passed) filter (where sex = 'M'), 0)::bigint as passed_m
"""
_EXAM_RATES = """
    c.passed / nullif(c.complete, 0) as pass_rate,
    c.passed_f / nullif(c.complete_f, 0) as pass_rate_f,
    c.passed_m / nullif(c.complete_m, 0) as pass_rate_m,
    (c.passed_f / nullif(c.complete_f, 0)) / nullif(c.passed_m / nullif(c.complete_m, 0), 0) as gpi
"""
MISSING_COMPONENTS = ("regional_exam", "school_exam", "continuous", "national_exam")


def exam_results_by_unit(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """3AC and bac results per unit one level below the territory (regions, provinces or schools).

    ``certificate_code, level, unit_code, unit_name_fr, unit_name_ar, candidates, candidates_incomplete,
    missing_<component>`` (for each of ``MISSING_COMPONENTS``), ``complete, passed, complete_f, passed_f,
    complete_m, passed_m, pass_rate, pass_rate_f, pass_rate_m, gpi`` (girls' pass rate over boys').
    Rates are on the complete candidates: an incomplete one (a certificate component missing from the
    data) has no result and is counted in ``candidates_incomplete`` instead. Ordered by certificate
    then unit.
    """
    territory = scope.territory(region, province, school)
    unit = unit_level(territory)
    column = UNIT_COLUMN[unit]
    if unit == "school":
        source = f"""
            select {column} as unit_code, certificate_code, {_EXAM_COUNTS}
            from ({_EXAM_FACTS})
            group by all
        """
        params: tuple[object, ...] = _exam_fact_params(school_year, territory)
    else:
        source = f"""
            select {column} as unit_code, certificate_code, {_EXAM_AGG_COUNTS}
            from marts.agg_exam_results
            where school_year = ?
                and (cast(? as varchar) is null or region_code = ?)
                and (cast(? as varchar) is null or province_code = ?)
            group by all
        """
        params = (school_year, *territory.params()[:4])
    return _run(
        f"""
        with c as ({source}),
        names as ({UNIT_NAMES[unit]})
        select
            c.certificate_code,
            ? as level,
            c.unit_code,
            coalesce(n.unit_name_fr, c.unit_code) as unit_name_fr,
            coalesce(n.unit_name_ar, c.unit_code) as unit_name_ar,
            c.* exclude (unit_code, certificate_code),
            {_EXAM_RATES}
        from c
        left join names as n on c.unit_code = n.unit_code
        order by c.certificate_code, c.unit_code
        """,
        *params,
        unit,
    )


def exam_results_total(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """3AC and bac results of the whole territory, one row per certificate (columns as
    :func:`exam_results_by_unit` without the unit)."""
    territory = scope.territory(region, province, school)
    if territory.province_code is not None:
        source = f"select certificate_code, {_EXAM_COUNTS} from ({_EXAM_FACTS}) group by all"
        params: tuple[object, ...] = _exam_fact_params(school_year, territory)
    else:
        source = f"""
            select certificate_code, {_EXAM_AGG_COUNTS}
            from marts.agg_exam_results
            where school_year = ? and (cast(? as varchar) is null or region_code = ?)
            group by all
        """
        params = (school_year, territory.region_code, territory.region_code)
    return _run(
        f"""
        with c as ({source})
        select c.*, {_EXAM_RATES}
        from c
        order by c.certificate_code
        """,
        *params,
    )


def _exam_fact_params(school_year: str, territory: Territory) -> tuple[object, ...]:
    one = (school_year, territory.province_code, territory.school_code, territory.school_code)
    return one + one
