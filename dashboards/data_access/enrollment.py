"""Enrollment counts: pupils by region, cycle and sex; schools; the school years and regions a scope sees."""

from __future__ import annotations

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope

# ------------------------------------------------------------------------------------------ scoping

# Enrollment counts as seen by a scope, down to a territory. Constant SQL fragments; values are always
# bound parameters. Above the school: the province aggregate; for one school: the pupil-year fact.
_ENROLLMENT_ABOVE_SCHOOL = """
    select school_year, region_code, province_code, cycle_code, level_code, sex, sector, area, pupils
    from marts.agg_enrollment_by_province
    where (cast(? as varchar) is null or region_code = ?)
        and (cast(? as varchar) is null or province_code = ?)
"""
_ENROLLMENT_OF_SCHOOL = """
    select school_year, region_code, province_code, cycle_code, level_code, sex, sector, area,
        count(*) as pupils
    from marts.fct_enrollment
    where school_code = ?
        and (cast(? as varchar) is null or region_code = ?)
        and (cast(? as varchar) is null or province_code = ?)
    group by all
"""


def _enrollment_source(
    scope: Scope, region: str | None, province: str | None = None, school: str | None = None
) -> tuple[str, tuple[object, ...]]:
    """The enrollment counts a scope may see (raises ``ScopeError`` for a territory outside it)."""
    territory = scope.territory(region, province, school)
    params = territory.params()
    if territory.school_code is not None:
        return _ENROLLMENT_OF_SCHOOL, (territory.school_code, *params[:4])
    return _ENROLLMENT_ABOVE_SCHOOL, params[:4]


# --------------------------------------------------------------------------------------------- reference


def school_years(*, scope: Scope, region: str | None = None) -> list[str]:
    """School years with enrollment data in the scope, latest first (``2025-2026``)."""
    source, params = _enrollment_source(scope, region)
    df = _run(
        f"with src as ({source}) select distinct school_year from src order by school_year desc", *params
    )
    return [str(y) for y in df["school_year"].to_list()]


def regions(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """The regions the scope sees (all 12, or one): ``region_code, iso_3166_2, name_fr, name_ar``."""
    region_code = scope.region_filter(region)
    return _run(
        """
        select region_code, iso_3166_2, name_fr, name_ar
        from reference.code_regions
        where (cast(? as varchar) is null or region_code = ?)
        order by region_code
        """,
        region_code,
        region_code,
    )


def provinces(*, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """The provinces the scope sees, optionally of one region: ``province_code, region_code, name_fr,
    name_ar`` (reference data, all 75 for the ministry)."""
    territory = scope.territory(region)
    return _run(
        """
        select province_code, region_code, name_fr, name_ar
        from reference.code_provinces
        where (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or province_code = ?)
        order by province_code
        """,
        *territory.params()[:4],
    )


def schools(
    *, scope: Scope, region: str | None = None, province: str | None = None, school: str | None = None
) -> pl.DataFrame:
    """The schools the scope sees within a region/province: ``school_code, province_code, region_code,
    school_name_fr, school_name_ar, cycle_code`` (``marts.dim_school``, latest attributes)."""
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        select school_code, province_code, region_code, school_name_fr, school_name_ar, cycle_code
        from marts.dim_school
        where {TERRITORY_WHERE}
        order by province_code, school_code
        """,
        *territory.params(),
    )


def cycles() -> pl.DataFrame:
    """The cycles in teaching order: ``cycle_code, cycle_order, label_fr, label_ar`` (reference data)."""
    return _run(
        """
        select cycle_code, cycle_order, label_fr, label_ar
        from reference.code_cycles
        order by cycle_order, cycle_code
        """
    )


def levels() -> pl.DataFrame:
    """The levels (grades) in teaching order: ``level_code, cycle_code, level_order, label_fr, label_ar``
    (reference data, from the levels crosswalk seed)."""
    return _run(
        """
        select level_code, cycle_code, level_order, label_fr, label_ar
        from reference.code_levels
        order by level_order, level_code
        """
    )


def level_label(code: str | None, lang: str) -> str:
    """A level code in words of the language (``TC`` → "Tronc commun"); ``–`` if unknown or empty."""
    if not code:
        return "–"
    found = levels().filter(pl.col("level_code") == code)
    return str(found[f"label_{lang}"][0]) if found.height else code


# ------------------------------------------------------------------------------------------- enrollment


#: the rows of an optional cycle and an optional sex (two parameters each, in that order)
_WANTED_CYCLE_SEX = (
    "(cast(? as varchar) is null or a.cycle_code = ?) and (cast(? as varchar) is null or a.sex = ?)"
)


def pupils_by_region(
    school_year: str,
    cycle: str | None = None,
    sex: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Pupils of one school year per region, optionally for one cycle and/or one sex (``F``/``M``).

    One row per region the scope sees (all 12 for national): ``region_code, region_name_fr,
    region_name_ar, data_received, pupils, girls, boys``. ``data_received`` is false when the region has
    no enrollment at all in that year (its export has not arrived): its counts are then null, not 0; a
    region with data but no pupil of the cycle or sex asked counts 0.
    """
    source, params = _enrollment_source(scope, region, province, school)
    region_code = scope.region_filter(region)
    return _run(
        f"""
        with src as ({source})
        select
            r.region_code,
            r.name_fr as region_name_fr,
            r.name_ar as region_name_ar,
            count(a.region_code) > 0 as data_received,
            case when count(a.region_code) > 0
                then coalesce(sum(a.pupils) filter (where {_WANTED_CYCLE_SEX}), 0)
            end::bigint as pupils,
            case when count(a.region_code) > 0
                then coalesce(sum(a.pupils) filter (where {_WANTED_CYCLE_SEX} and a.sex = 'F'), 0)
            end::bigint as girls,
            case when count(a.region_code) > 0
                then coalesce(sum(a.pupils) filter (where {_WANTED_CYCLE_SEX} and a.sex = 'M'), 0)
            end::bigint as boys
        from reference.code_regions as r
        left join src as a
            on a.region_code = r.region_code
            and a.school_year = ?
        where (cast(? as varchar) is null or r.region_code = ?)
        group by r.region_code, r.name_fr, r.name_ar
        order by r.region_code
        """,
        *params,
        cycle,
        cycle,
        sex,
        sex,
        cycle,
        cycle,
        sex,
        sex,
        cycle,
        cycle,
        sex,
        sex,
        school_year,
        region_code,
        region_code,
    )


def pupils_by_region_cycle_sex(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Pupils of one school year per region × cycle × sex (summed over sector and area).

    ``region_code, region_name_fr, region_name_ar, cycle_code, cycle_order, cycle_label_fr,
    cycle_label_ar, sex, pupils``; only combinations that have pupils.
    """
    source, params = _enrollment_source(scope, region, province, school)
    return _run(
        f"""
        with src as ({source})
        select
            a.region_code,
            any_value(r.name_fr) as region_name_fr,
            any_value(r.name_ar) as region_name_ar,
            a.cycle_code,
            any_value(c.cycle_order) as cycle_order,
            coalesce(any_value(c.label_fr), a.cycle_code) as cycle_label_fr,
            coalesce(any_value(c.label_ar), a.cycle_code) as cycle_label_ar,
            a.sex,
            sum(a.pupils)::bigint as pupils
        from src as a
        left join reference.code_regions as r on r.region_code = a.region_code
        left join reference.code_cycles as c on c.cycle_code = a.cycle_code
        where a.school_year = ?
        group by a.region_code, a.cycle_code, a.sex
        order by a.region_code, cycle_order, a.cycle_code, a.sex
        """,
        *params,
        school_year,
    )


def school_count(
    cycle: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> int:
    """Schools in ``marts.dim_school`` (latest known attributes) within the scope, optionally of one cycle."""
    territory = scope.territory(region, province, school)
    df = _run(
        f"""
        select count(*) as schools
        from marts.dim_school
        where (cast(? as varchar) is null or cycle_code = ?)
            and {TERRITORY_WHERE}
        """,
        cycle,
        cycle,
        *territory.params(),
    )
    return int(df["schools"][0])


def pupils_by_province(
    school_year: str,
    cycle: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Pupils of one school year per province the scope sees (zero rows included), optionally of a cycle.

    ``province_code, region_code, province_name_fr, province_name_ar, pupils, girls, boys``.
    """
    territory = scope.territory(region, province, school)
    source, params = _enrollment_source(scope, region, province, school)
    return _run(
        f"""
        with src as ({source})
        select
            p.province_code,
            p.region_code,
            p.name_fr as province_name_fr,
            p.name_ar as province_name_ar,
            coalesce(sum(a.pupils), 0)::bigint as pupils,
            coalesce(sum(a.pupils) filter (where a.sex = 'F'), 0)::bigint as girls,
            coalesce(sum(a.pupils) filter (where a.sex = 'M'), 0)::bigint as boys
        from reference.code_provinces as p
        left join src as a
            on a.province_code = p.province_code
            and a.school_year = ?
            and (cast(? as varchar) is null or a.cycle_code = ?)
        where (cast(? as varchar) is null or p.region_code = ?)
            and (cast(? as varchar) is null or p.province_code = ?)
        group by p.province_code, p.region_code, p.name_fr, p.name_ar
        order by p.province_code
        """,
        *params,
        school_year,
        cycle,
        cycle,
        *territory.params()[:4],
    )


def pupils_by_sector_area(
    school_year: str,
    cycle: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Pupils of one school year per sector (public/private) × area (urban/rural) × sex.

    ``sector, area, sex, pupils``; only combinations that have pupils.
    """
    source, params = _enrollment_source(scope, region, province, school)
    return _run(
        f"""
        with src as ({source})
        select sector, area, sex, sum(pupils)::bigint as pupils
        from src
        where school_year = ? and (cast(? as varchar) is null or cycle_code = ?)
        group by sector, area, sex
        order by sector, area, sex
        """,
        *params,
        school_year,
        cycle,
        cycle,
    )


def pupils_trend(
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Pupils per school year × cycle × sex across all loaded years (trends).

    ``school_year, cycle_code, cycle_order, cycle_label_fr, cycle_label_ar, sex, pupils``.
    """
    source, params = _enrollment_source(scope, region, province, school)
    return _run(
        f"""
        with src as ({source})
        select
            a.school_year,
            a.cycle_code,
            any_value(c.cycle_order) as cycle_order,
            coalesce(any_value(c.label_fr), a.cycle_code) as cycle_label_fr,
            coalesce(any_value(c.label_ar), a.cycle_code) as cycle_label_ar,
            a.sex,
            sum(a.pupils)::bigint as pupils
        from src as a
        left join reference.code_cycles as c on c.cycle_code = a.cycle_code
        group by a.school_year, a.cycle_code, a.sex
        order by a.school_year, cycle_order, a.cycle_code, a.sex
        """,
        *params,
    )
