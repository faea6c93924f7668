"""The UIS indicators table: flow rates, survival, pupils per teacher / class / classroom, gender parity.

Sources (aggregate marts only):
- ``marts.agg_flow_rates`` (school x sector x sex x level): promotion, repetition, dropout and transition
  rates, recomputed for any territory from the summed counts, as the mart defines them, with the pupils
  not traced (record of the next year lost: not dropouts, outside the rates' base);
- ``marts.agg_survival`` (national, region and province rows): survival to the cycle's last grade,
  reconstructed cohort and true cohort side by side (not computed for a single school);
- ``marts.agg_school_capacity`` (school): pupils, teachers, classes, classrooms.

Gender parity index (UIS): the girls' rate over the boys' rate, each from the summed counts of one sex
(the rule of ``marts.agg_gender_parity``, applied to the territory's counts).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope, Territory

#: the rows of the table, in display order
TERRITORY_LEVELS: Final[tuple[str, ...]] = ("national", "region", "province", "school")

_INDICATOR_TABLE = f"""
    with
    wanted as (
        select unnest(cast(? as varchar[])) as territory_level
    ),
    cap as (
        select * from marts.agg_school_capacity
        where school_year = ? and cycle_code = ? and {TERRITORY_WHERE}
    ),
    flow_rows as (
        select * from marts.agg_flow_rates
        where school_year = ? and cycle_code = ? and {TERRITORY_WHERE}
    ),
    flows as (
        select
            f.*,
            coalesce(next_level.cycle_code != lvl.cycle_code, false) as is_transition_grade
        from flow_rows as f
        left join marts.dim_level as lvl on f.level_code = lvl.level_code
        left join marts.dim_level as next_level on lvl.next_level_code = next_level.level_code
    ),
    cap_expanded as (
        select
            w.territory_level,
            if(w.territory_level = 'national', null, c.region_code) as unit_region,
            if(w.territory_level in ('province', 'school'), c.province_code, null) as unit_province,
            if(w.territory_level = 'school', c.school_code, null) as unit_school,
            c.pupils,
            c.teachers,
            c.classes,
            c.classrooms
        from cap as c cross join wanted as w
    ),
    flows_expanded as (
        select
            w.territory_level,
            if(w.territory_level = 'national', null, f.region_code) as unit_region,
            if(w.territory_level in ('province', 'school'), f.province_code, null) as unit_province,
            if(w.territory_level = 'school', f.school_code, null) as unit_school,
            f.*
        from flows as f cross join wanted as w
    ),
    cap_units as (
        select
            territory_level, unit_region, unit_province, unit_school,
            count(*) as schools,
            sum(pupils)::bigint as pupils,
            sum(teachers)::bigint as teachers,
            sum(classes)::bigint as classes,
            sum(classrooms)::bigint as classrooms
        from cap_expanded
        group by all
    ),
    flow_units as (
        select
            territory_level, unit_region, unit_province, unit_school,
            sum(promoted) / nullif(sum(rate_base), 0) as promotion_rate,
            sum(repeated) / nullif(sum(rate_base), 0) as repetition_rate,
            sum(dropped_out) / nullif(sum(rate_base), 0) as dropout_rate,
            sum(not_traced)::bigint as not_traced,
            sum(dropout_revised)::bigint as dropout_revised,
            sum(promoted) filter (where is_transition_grade)
                / nullif(sum(rate_base - repeated) filter (where is_transition_grade), 0) as transition_rate,
            sum(promoted) filter (where sex = 'F') / nullif(sum(rate_base) filter (where sex = 'F'), 0)
                as promotion_f,
            sum(promoted) filter (where sex = 'M') / nullif(sum(rate_base) filter (where sex = 'M'), 0)
                as promotion_m,
            sum(repeated) filter (where sex = 'F') / nullif(sum(rate_base) filter (where sex = 'F'), 0)
                as repetition_f,
            sum(repeated) filter (where sex = 'M') / nullif(sum(rate_base) filter (where sex = 'M'), 0)
                as repetition_m,
            sum(dropped_out) filter (where sex = 'F') / nullif(sum(rate_base) filter (where sex = 'F'), 0)
                as dropout_f,
            sum(dropped_out) filter (where sex = 'M') / nullif(sum(rate_base) filter (where sex = 'M'), 0)
                as dropout_m
        from flows_expanded
        group by all
    ),
    survival as (
        select
            s.territory_level,
            s.region_code,
            s.province_code,
            s.reconstructed_survival_rate,
            s.true_cohort_survival_rate
        from marts.agg_survival as s
        where s.school_year = ? and s.cycle_code = ?
            and s.grade_in_cycle = (
                select max(grade_in_cycle) from marts.dim_level where cycle_code = ?
            )
    ),
    units as (
        select
            c.territory_level,
            c.unit_region as region_code,
            c.unit_province as province_code,
            c.unit_school as school_code,
            c.schools,
            c.pupils,
            f.promotion_rate,
            f.repetition_rate,
            f.dropout_rate,
            f.not_traced,
            f.dropout_revised,
            f.transition_rate,
            s.reconstructed_survival_rate as survival_reconstructed,
            s.true_cohort_survival_rate as survival_true_cohort,
            c.pupils / nullif(c.teachers, 0) as pupils_per_teacher,
            c.pupils / nullif(c.classes, 0) as pupils_per_class,
            c.pupils / nullif(c.classrooms, 0) as pupils_per_classroom,
            f.promotion_f / nullif(f.promotion_m, 0) as gpi_promotion,
            f.repetition_f / nullif(f.repetition_m, 0) as gpi_repetition,
            f.dropout_f / nullif(f.dropout_m, 0) as gpi_dropout
        from cap_units as c
        left join flow_units as f
            on c.territory_level = f.territory_level
            and c.unit_region is not distinct from f.unit_region
            and c.unit_province is not distinct from f.unit_province
            and c.unit_school is not distinct from f.unit_school
        left join survival as s
            on c.territory_level = s.territory_level
            and c.unit_region is not distinct from s.region_code
            and c.unit_province is not distinct from s.province_code
    )
    select
        u.territory_level,
        u.region_code,
        u.province_code,
        u.school_code,
        coalesce(d.school_name_fr, p.name_fr, r.name_fr) as name_fr,
        coalesce(d.school_name_ar, p.name_ar, r.name_ar) as name_ar,
        u.* exclude (territory_level, region_code, province_code, school_code)
    from units as u
    left join reference.code_regions as r
        on u.territory_level = 'region' and u.region_code = r.region_code
    left join reference.code_provinces as p
        on u.territory_level = 'province' and u.province_code = p.province_code
    left join marts.dim_school as d
        on u.territory_level = 'school' and u.school_code = d.school_code
    order by
        list_position(cast(? as varchar[]), u.territory_level),
        u.region_code nulls first,
        u.province_code nulls first,
        u.school_code nulls first
"""


def _rows(territory: Territory) -> list[str]:
    """The levels of the table for a territory: the territory itself and one level below.

    Country: national row, regions, provinces. Region: the region and its provinces. Province: the
    province and its schools. School: the school.
    """
    if territory.school_code is not None:
        return ["school"]
    if territory.province_code is not None:
        return ["province", "school"]
    if territory.region_code is not None:
        return ["region", "province"]
    return ["national", "region", "province"]


def indicator_table(
    school_year: str,
    cycle: str = "primary",
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The UIS table of one cycle and school year for a territory, one row per unit.

    ``territory_level`` (national, region, province, school), ``region_code, province_code, school_code,
    name_fr, name_ar`` (null for the national row), ``schools, pupils, promotion_rate, repetition_rate,
    dropout_rate, not_traced, dropout_revised`` (pupils whose next year is unknown because their record of
    that year was lost, outside the rates' base; of them, those seen again in a later year),
    ``transition_rate`` (from the cycle's last grade into the next cycle),
    ``survival_reconstructed, survival_true_cohort`` (to the cycle's last grade; null for schools and when
    censored), ``pupils_per_teacher, pupils_per_class, pupils_per_classroom, gpi_promotion,
    gpi_repetition, gpi_dropout``. Rows: see :func:`_rows`; rates are null when the next year is not
    loaded yet.
    """
    territory = scope.territory(region, province, school)
    levels = _rows(territory)
    return _run(
        _INDICATOR_TABLE,
        levels,
        school_year,
        cycle,
        *territory.params(),
        school_year,
        cycle,
        *territory.params(),
        school_year,
        cycle,
        cycle,
        list(TERRITORY_LEVELS),
    )


def survival_by_grade(
    school_year: str,
    cycle: str = "primary",
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Survival to each grade of a cycle for the territory: reconstructed vs true cohort, side by side.

    ``grade_in_cycle, level_code, level_label_fr, level_label_ar, survival_reconstructed,
    survival_true_cohort, cohort_size, cohort_reached``; the cohort is that of ``school_year``. Empty for a
    school (survival is computed down to the province).
    """
    territory = scope.territory(region, province, school)
    if territory.school_code is not None:
        level = "school"  # no such rows: an empty frame with the columns
    elif territory.province_code is not None:
        level = "province"
    elif territory.region_code is not None:
        level = "region"
    else:
        level = "national"
    return _run(
        """
        select
            s.grade_in_cycle,
            s.level_code,
            l.label_fr as level_label_fr,
            l.label_ar as level_label_ar,
            s.reconstructed_survival_rate as survival_reconstructed,
            s.true_cohort_survival_rate as survival_true_cohort,
            s.cohort_size,
            s.cohort_reached
        from marts.agg_survival as s
        left join reference.code_levels as l on s.level_code = l.level_code
        where s.territory_level = ?
            and s.region_code is not distinct from ?
            and s.province_code is not distinct from ?
            and s.school_year = ?
            and s.cycle_code = ?
        order by s.grade_in_cycle
        """,
        level,
        territory.region_code if level != "national" else None,
        territory.province_code if level == "province" else None,
        school_year,
        cycle,
    )


def flow_years(*, scope: Scope, region: str | None = None) -> list[str]:
    """The school years whose flow rates are known in the scope's territory (a following year is
    loaded), latest first.

    The last loaded year never has any: its flows are measured against a year not loaded yet.
    """
    region_code = scope.region_filter(region)
    frame = _run(
        """
        select distinct school_year from marts.agg_flow_rates
        where cast(? as varchar) is null or region_code = ?
        order by school_year desc
        """,
        region_code,
        region_code,
    )
    return frame["school_year"].to_list()


def latest_flow_year(*, scope: Scope, region: str | None = None) -> str | None:
    """The latest school year whose flow rates are known in the scope (see :func:`flow_years`), if any:
    the year the flow pages open on (the latest loaded year's flows are not known yet)."""
    years = flow_years(scope=scope, region=region)
    return years[0] if years else None
