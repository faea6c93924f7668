"""Teachers and infrastructure: pupils per teacher, class sizes, classroom occupancy.

Sources: ``marts.agg_school_capacity`` (school x year: pupils enrolled, teachers in service, classes with
pupils, usable classrooms: the one definition of each count, see docs/marts.md) and
``marts.agg_class_sizes`` (school x level x class-size band, bands from seed ``class_size_bands``).
Ratios of a group are ratios of its summed counts (``sum(pupils) / sum(teachers)``), never means of
school ratios; a zero denominator gives null.
"""

from __future__ import annotations

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.data_access._units import UNIT_COLUMN, UNIT_NAMES, unit_level
from dashboards.scope import TERRITORY_WHERE, Scope

_CAPACITY = f"""
    select * from marts.agg_school_capacity
    where school_year = ? and (cast(? as varchar) is null or cycle_code = ?) and {TERRITORY_WHERE}
"""

_RATIOS = """
    count(*) as schools,
    sum(src.pupils)::bigint as pupils,
    sum(src.teachers)::bigint as teachers,
    sum(src.classes)::bigint as classes,
    sum(src.classrooms)::bigint as classrooms,
    sum(src.pupils) / nullif(sum(src.teachers), 0) as pupils_per_teacher,
    sum(src.pupils) / nullif(sum(src.classes), 0) as pupils_per_class,
    sum(src.pupils) / nullif(sum(src.classrooms), 0) as pupils_per_classroom,
    max(src.largest_class) as largest_class
"""


def resources_by_cycle(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Totals of the territory per cycle of the schools, then an all-cycles row (``cycle_code`` null).

    ``cycle_code, cycle_order, cycle_label_fr, cycle_label_ar, schools, pupils, teachers, classes,
    classrooms, pupils_per_teacher, pupils_per_class, pupils_per_classroom, largest_class``.
    """
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as ({_CAPACITY}),
        by_cycle as (
            select src.cycle_code, {_RATIOS}
            from src
            group by rollup (src.cycle_code)
        )
        select
            b.cycle_code,
            c.cycle_order,
            c.label_fr as cycle_label_fr,
            c.label_ar as cycle_label_ar,
            b.* exclude (cycle_code)
        from by_cycle as b
        left join reference.code_cycles as c on b.cycle_code = c.cycle_code
        where b.schools > 0
        order by b.cycle_code is null, c.cycle_order, b.cycle_code
        """,
        school_year,
        None,
        None,
        *territory.params(),
    )


def resources_by_unit(
    school_year: str,
    cycle: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The territory broken down one level (regions, provinces, schools), optionally for one cycle.

    ``level, unit_code, unit_name_fr, unit_name_ar`` and the counts and ratios of
    :func:`resources_by_cycle`; ordered by unit code.
    """
    territory = scope.territory(region, province, school)
    level = unit_level(territory)
    column = UNIT_COLUMN[level]
    return _run(
        f"""
        with src as ({_CAPACITY}),
        names as ({UNIT_NAMES[level]}),
        units as (
            select src.{column} as unit_code, {_RATIOS}
            from src
            group by src.{column}
        )
        select
            ? as level,
            u.unit_code,
            coalesce(n.unit_name_fr, u.unit_code) as unit_name_fr,
            coalesce(n.unit_name_ar, u.unit_code) as unit_name_ar,
            u.* exclude (unit_code)
        from units as u
        left join names as n on u.unit_code = n.unit_code
        order by u.unit_code
        """,
        school_year,
        cycle,
        cycle,
        *territory.params(),
        level,
    )


def class_size_distribution(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Classes per cycle and class-size band in the territory, every band of every cycle with classes.

    ``cycle_code, cycle_order, cycle_label_fr, cycle_label_ar, band_code, band_order, min_pupils,
    max_pupils, classes, pupils, share_of_classes`` (share of the cycle's classes; 0 for an empty band).
    """
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as (
            select * from marts.agg_class_sizes
            where school_year = ? and {TERRITORY_WHERE}
        ),
        cycles_present as (
            select distinct cycle_code from src
        ),
        grid as (
            select p.cycle_code, b.band_code, b.band_order, b.min_pupils, b.max_pupils
            from cycles_present as p cross join reference.class_size_bands as b
        ),
        counted as (
            select
                g.cycle_code,
                g.band_code,
                any_value(g.band_order) as band_order,
                any_value(g.min_pupils) as min_pupils,
                any_value(g.max_pupils) as max_pupils,
                coalesce(sum(src.classes), 0)::bigint as classes,
                coalesce(sum(src.pupils), 0)::bigint as pupils
            from grid as g
            left join src on g.cycle_code = src.cycle_code and g.band_code = src.band_code
            group by g.cycle_code, g.band_code
        )
        select
            k.cycle_code,
            c.cycle_order,
            c.label_fr as cycle_label_fr,
            c.label_ar as cycle_label_ar,
            k.band_code,
            k.band_order,
            k.min_pupils,
            k.max_pupils,
            k.classes,
            k.pupils,
            k.classes / nullif(sum(k.classes) over (partition by k.cycle_code), 0) as share_of_classes
        from counted as k
        left join reference.code_cycles as c on k.cycle_code = c.cycle_code
        order by c.cycle_order, k.cycle_code, k.band_order
        """,
        school_year,
        *territory.params(),
    )
