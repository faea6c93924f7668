"""Social support: beneficiaries per programme and the attendance of beneficiaries vs the other pupils
(``marts.agg_social_support_attendance``). Region and province views read the aggregate mart; a school
user is served from the pupil-grain facts narrowed to the school (``fct_attendance_ytd`` joined with
``fct_social_support``). Absence rates are weighted: 100 × Σ absent days / Σ enrolled days."""

from __future__ import annotations

from typing import Literal

import polars as pl

from dashboards.data_access._breakdowns import (
    AGG_TERRITORY_WHERE,
    GEO_GROUPS,
    Group,
    breakdown_sql,
    code_list_group,
    pick,
    school_or_aggregate,
)
from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope

Breakdown = Literal["programme", "region", "province"]

# The cell measures, from the aggregate mart (territory down to the province; no school column there).
_AGG_SOURCE = f"""
    select school_year, region_code, province_code, programme_code, pupils, beneficiaries,
        beneficiary_absent_days, beneficiary_enrolled_days, non_beneficiary_absent_days,
        non_beneficiary_enrolled_days, amount_mad
    from marts.agg_social_support_attendance
    where {AGG_TERRITORY_WHERE}
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
    cross join reference.code_social_programmes as p
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
_YEAR_AND_PROGRAMME = "src.school_year = ? and (cast(? as varchar) is null or src.programme_code = ?)"
_GROUPS: dict[str, Group] = {
    "programme": code_list_group("programme_code", "code_social_programmes"),
    **GEO_GROUPS,
}


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
    group = pick(_GROUPS, by)
    territory = scope.territory(region, province, school)
    source, params = school_or_aggregate(territory, _SCHOOL_SOURCE, _AGG_SOURCE)
    return _run(
        breakdown_sql(source, group, _MEASURES, _YEAR_AND_PROGRAMME),
        *params,
        school_year,
        programme,
        programme,
    )
