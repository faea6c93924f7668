"""Social support: beneficiaries per programme and the attendance of beneficiaries vs the other pupils
(``marts.agg_social_support_attendance``). Region and province views read the aggregate mart; a school
user is served from the pupil-grain facts narrowed to the school (``fct_attendance_ytd`` joined with
``fct_social_support``). Absence rates are weighted: 100 × Σ absent days / Σ enrolled days."""

from __future__ import annotations

from typing import Literal

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope

Breakdown = Literal["programme", "region", "province"]

# The cell measures, from the aggregate mart (territory down to the province; no school column there).
_AGG_SOURCE = """
    select school_year, region_code, province_code, programme_code, pupils, beneficiaries,
        beneficiary_absent_days, beneficiary_enrolled_days, non_beneficiary_absent_days,
        non_beneficiary_enrolled_days, amount_mad
    from marts.agg_social_support_attendance
    where (cast(? as varchar) is null or region_code = ?)
        and (cast(? as varchar) is null or province_code = ?)
        and cast(? as varchar) is null
"""
# The same measures for one school, from the pupil-grain facts narrowed to it.
_SCHOOL_SOURCE = f"""
    select a.school_year, a.region_code, a.province_code, p.programme_code,
        count(*) as pupils,
        count(s.student_key) as beneficiaries,
        coalesce(sum(a.absent_days) filter (where s.student_key is not null), 0) as beneficiary_absent_days,
        coalesce(sum(a.enrolled_school_days) filter (where s.student_key is not null), 0)
            as beneficiary_enrolled_days,
        coalesce(sum(a.absent_days) filter (where s.student_key is null), 0) as non_beneficiary_absent_days,
        coalesce(sum(a.enrolled_school_days) filter (where s.student_key is null), 0)
            as non_beneficiary_enrolled_days,
        coalesce(sum(s.amount_mad), 0) as amount_mad
    from (select * from marts.fct_attendance_ytd where {TERRITORY_WHERE} and school_code is not null) as a
    cross join reference.social_programmes as p
    left join marts.fct_social_support as s
        on s.student_key = a.student_key and s.school_year = a.school_year
        and s.programme_code = p.programme_code
    group by a.school_year, a.region_code, a.province_code, p.programme_code
"""
_MEASURES = """
    sum(pupils)::bigint as pupils,
    sum(beneficiaries)::bigint as beneficiaries,
    100.0 * sum(beneficiaries) / nullif(sum(pupils), 0) as beneficiary_share,
    100.0 * sum(beneficiary_absent_days) / nullif(sum(beneficiary_enrolled_days), 0)
        as beneficiary_absence_rate,
    100.0 * sum(non_beneficiary_absent_days) / nullif(sum(non_beneficiary_enrolled_days), 0)
        as non_beneficiary_absence_rate,
    sum(amount_mad)::double as amount_mad
"""
_GROUPS: dict[str, tuple[str, str, str]] = {  # breakdown -> (key column, labels' join, label prefix)
    "programme": (
        "programme_code",
        "left join reference.social_programmes as ref on ref.programme_code = src.programme_code",
        "label",
    ),
    "region": (
        "region_code",
        "left join reference.regions as ref on ref.region_code = src.region_code",
        "name",
    ),
    "province": (
        "province_code",
        "left join reference.provinces as ref on ref.province_code = src.province_code",
        "name",
    ),
}


def _source(
    scope: Scope, region: str | None, province: str | None, school: str | None
) -> tuple[str, tuple[object, ...]]:
    territory = scope.territory(region, province, school)
    params = territory.params()
    if territory.school_code is not None:
        return _SCHOOL_SOURCE, params
    return _AGG_SOURCE, (*params[:4], territory.school_code)


def by_programme(
    school_year: str,
    by: Breakdown = "programme",
    programme: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Per programme (or per region / province, optionally for one programme): ``code, label_fr,
    label_ar, pupils, beneficiaries, beneficiary_share, beneficiary_absence_rate,
    non_beneficiary_absence_rate, amount_mad`` (shares and rates in %)."""
    if by not in _GROUPS:
        raise ValueError(f"unknown breakdown {by!r}; expected one of {sorted(_GROUPS)}")
    key, join, label = _GROUPS[by]
    source, params = _source(scope, region, province, school)
    return _run(
        f"""
        with src as ({source})
        select src.{key} as code, any_value(ref.{label}_fr) as label_fr,
            any_value(ref.{label}_ar) as label_ar,
            {_MEASURES}
        from src {join}
        where src.school_year = ? and (cast(? as varchar) is null or src.programme_code = ?)
        group by src.{key}
        order by src.{key}
        """,
        *params,
        school_year,
        programme,
        programme,
    )
