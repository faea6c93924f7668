"""Inclusive education: pupils with disabilities by type and class setting, their attendance and results
against the other pupils (``marts.agg_inclusive_education``; the comparison group is the rows whose
disability type is null).

Internal pages only: entitled users (ministry, region and province staff, within their scope) see the true
counts, however small. Small-cell suppression protects public outputs, which are built elsewhere
(``warehouse/suppression.py`` feeds the public statistics store); it is not applied here."""

from __future__ import annotations

from typing import Literal

import polars as pl

from dashboards.data_access._breakdowns import GEO_GROUPS, Group, code_list_group, pick
from dashboards.data_access._core import run as _run
from dashboards.scope import Scope

Breakdown = Literal["disability_type", "class_setting", "region", "province"]

_SOURCE = """
    select school_year, region_code, province_code, disability_type, class_setting, pupils,
        with_individual_plan, absent_days, enrolled_school_days, pupils_with_result, pupils_reaching_pass_mark
    from marts.agg_inclusive_education
    where (cast(? as varchar) is null or region_code = ?)
        and (cast(? as varchar) is null or province_code = ?)
"""
_GROUPS: dict[str, Group] = {
    "disability_type": code_list_group("disability_type", "code_disability_types"),
    "class_setting": code_list_group("class_setting", "code_class_settings"),
    **GEO_GROUPS,
}


def inclusion(
    school_year: str,
    by: Breakdown = "disability_type",
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
) -> pl.DataFrame:
    """Pupils with a disability per type, setting, region or province, beside the comparison group:
    ``code, label_fr, label_ar, pupils, with_individual_plan, absence_rate, pass_mark_rate,
    others_absence_rate, others_pass_mark_rate`` (rates in %), true counts however small. School users
    see nothing: the mart has no school grain."""
    territory = scope.territory(region, province)
    if territory.school_code is not None:
        return pl.DataFrame()
    key, join, label = pick(_GROUPS, by)
    others_key = "src.region_code" if by in ("disability_type", "class_setting") else f"src.{key}"
    return _run(
        f"""
        with src as ({_SOURCE}),
        others as (
            select {others_key} as code,
                100.0 * sum(absent_days) / nullif(sum(enrolled_school_days), 0) as absence_rate,
                100.0 * sum(pupils_reaching_pass_mark) / nullif(sum(pupils_with_result), 0) as pass_mark_rate
            from src where school_year = ? and disability_type is null group by 1
        ),
        others_all as (
            select 100.0 * sum(absent_days) / nullif(sum(enrolled_school_days), 0) as absence_rate,
                100.0 * sum(pupils_reaching_pass_mark) / nullif(sum(pupils_with_result), 0) as pass_mark_rate
            from src where school_year = ? and disability_type is null
        ),
        cells as (
            select src.{key} as code, any_value(ref.{label}_fr) as label_fr,
                any_value(ref.{label}_ar) as label_ar,
                sum(pupils)::bigint as pupils,
                sum(with_individual_plan)::bigint as with_individual_plan,
                100.0 * sum(absent_days) / nullif(sum(enrolled_school_days), 0) as absence_rate,
                100.0 * sum(pupils_reaching_pass_mark) / nullif(sum(pupils_with_result), 0) as pass_mark_rate
            from src {join}
            where src.school_year = ? and src.disability_type is not null
            group by src.{key}
        )
        select cells.code, cells.label_fr, cells.label_ar, cells.pupils, cells.with_individual_plan,
            cells.absence_rate, cells.pass_mark_rate,
            coalesce(others.absence_rate, others_all.absence_rate) as others_absence_rate,
            coalesce(others.pass_mark_rate, others_all.pass_mark_rate) as others_pass_mark_rate
        from cells
        cross join others_all
        left join others on {"others.code = cells.code" if by in ("region", "province") else "false"}
        order by cells.code
        """,
        *territory.params()[:4],
        school_year,
        school_year,
        school_year,
    )


def totals(
    school_year: str, *, scope: Scope, region: str | None = None, province: str | None = None
) -> dict[str, float | int | None]:
    """Pupils with a disability in the territory and their rates, beside the other pupils' rates:
    ``pupils, absence_rate, pass_mark_rate, others_absence_rate, others_pass_mark_rate`` (the first three
    null when the territory has no pupil with a disability; everything null for a school user)."""
    territory = scope.territory(region, province)
    if territory.school_code is not None:
        return dict.fromkeys(
            ("pupils", "absence_rate", "pass_mark_rate", "others_absence_rate", "others_pass_mark_rate")
        )
    df = _run(
        f"""
        with src as ({_SOURCE}),
        groups as (
            select disability_type is not null as with_disability,
                sum(pupils)::bigint as pupils,
                100.0 * sum(absent_days) / nullif(sum(enrolled_school_days), 0) as absence_rate,
                100.0 * sum(pupils_reaching_pass_mark) / nullif(sum(pupils_with_result), 0) as pass_mark_rate
            from src where school_year = ? group by 1
        )
        select
            max(case when with_disability then pupils end) as pupils,
            max(case when with_disability then absence_rate end) as absence_rate,
            max(case when with_disability then pass_mark_rate end) as pass_mark_rate,
            max(case when not with_disability then absence_rate end) as others_absence_rate,
            max(case when not with_disability then pass_mark_rate end) as others_pass_mark_rate
        from groups
        """,
        *territory.params()[:4],
        school_year,
    )
    return df.row(0, named=True)
