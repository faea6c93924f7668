"""Enrollment counts: pupils by region, cycle and sex; schools; the school years and regions a scope sees."""

from __future__ import annotations

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.scope import Scope

# ------------------------------------------------------------------------------------------ scoping

# Enrollment counts per school year × region × cycle × sex, as seen by a scope. Constant SQL fragments;
# values are always bound parameters.
_ENROLLMENT_BY_REGION = """
    select school_year, region_code, cycle_code, sex, pupils
    from marts.agg_enrollment_by_region
    where (cast(? as varchar) is null or region_code = ?)
"""
_ENROLLMENT_WITHIN_REGION = """
    select school_year, region_code, cycle_code, sex, count(*) as pupils
    from marts.fct_enrollment
    where region_code = ?
        and (cast(? as varchar) is null or province_code = ?)
        and (cast(? as varchar) is null or school_code = ?)
    group by all
"""


def _enrollment_source(scope: Scope, region: str | None) -> tuple[str, tuple[object, ...]]:
    """The enrollment counts a scope may see (raises ``ScopeError`` for a region outside it)."""
    region_code = scope.region_filter(region)
    if scope.finer_than_region:
        params = (region_code, scope.province_code, scope.province_code, scope.school_code, scope.school_code)
        return _ENROLLMENT_WITHIN_REGION, params
    return _ENROLLMENT_BY_REGION, (region_code, region_code)


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
        from reference.regions
        where (cast(? as varchar) is null or region_code = ?)
        order by region_code
        """,
        region_code,
        region_code,
    )


def cycles() -> pl.DataFrame:
    """The cycles in teaching order: ``cycle_code, cycle_order, label_fr, label_ar`` (reference data)."""
    return _run(
        """
        select cycle_code, cycle_order, label_fr, label_ar
        from reference.cycles
        order by cycle_order, cycle_code
        """
    )


# ------------------------------------------------------------------------------------------- enrollment


def pupils_by_region(
    school_year: str,
    cycle: str | None = None,
    sex: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
) -> pl.DataFrame:
    """Pupils of one school year per region, optionally for one cycle and/or one sex (``F``/``M``).

    One row per region the scope sees (all 12 for national, zero when a region has no pupils):
    ``region_code, region_name_fr, region_name_ar, pupils, girls, boys``.
    """
    source, params = _enrollment_source(scope, region)
    region_code = scope.region_filter(region)
    return _run(
        f"""
        with src as ({source})
        select
            r.region_code,
            r.name_fr as region_name_fr,
            r.name_ar as region_name_ar,
            coalesce(sum(a.pupils), 0)::bigint as pupils,
            coalesce(sum(a.pupils) filter (where a.sex = 'F'), 0)::bigint as girls,
            coalesce(sum(a.pupils) filter (where a.sex = 'M'), 0)::bigint as boys
        from reference.regions as r
        left join src as a
            on a.region_code = r.region_code
            and a.school_year = ?
            and (cast(? as varchar) is null or a.cycle_code = ?)
            and (cast(? as varchar) is null or a.sex = ?)
        where (cast(? as varchar) is null or r.region_code = ?)
        group by r.region_code, r.name_fr, r.name_ar
        order by r.region_code
        """,
        *params,
        school_year,
        cycle,
        cycle,
        sex,
        sex,
        region_code,
        region_code,
    )


def pupils_by_region_cycle_sex(school_year: str, *, scope: Scope, region: str | None = None) -> pl.DataFrame:
    """Pupils of one school year per region × cycle × sex (summed over sector and area).

    ``region_code, region_name_fr, region_name_ar, cycle_code, cycle_order, cycle_label_fr,
    cycle_label_ar, sex, pupils``; only combinations that have pupils.
    """
    source, params = _enrollment_source(scope, region)
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
        left join reference.regions as r on r.region_code = a.region_code
        left join reference.cycles as c on c.cycle_code = a.cycle_code
        where a.school_year = ?
        group by a.region_code, a.cycle_code, a.sex
        order by a.region_code, cycle_order, a.cycle_code, a.sex
        """,
        *params,
        school_year,
    )


def school_count(cycle: str | None = None, *, scope: Scope, region: str | None = None) -> int:
    """Schools in ``marts.dim_school`` (latest known attributes) within the scope, optionally of one cycle."""
    region_code = scope.region_filter(region)
    df = _run(
        """
        select count(*) as schools
        from marts.dim_school
        where (cast(? as varchar) is null or cycle_code = ?)
            and (cast(? as varchar) is null or region_code = ?)
            and (cast(? as varchar) is null or province_code = ?)
            and (cast(? as varchar) is null or school_code = ?)
        """,
        cycle,
        cycle,
        region_code,
        region_code,
        scope.province_code,
        scope.province_code,
        scope.school_code,
        scope.school_code,
    )
    return int(df["schools"][0])
