"""Non-formal education: beneficiaries of the second-chance programmes and their return to formal
schooling (``marts.agg_nonformal_education``, an aggregate at the grain of the school the programme's
classes are attached to, so every territory down to one school is read from it with ``TERRITORY_WHERE``).
Return rate = 100 × Σ returns to formal schooling / Σ exits from a programme."""

from __future__ import annotations

from typing import Literal

import polars as pl

from dashboards.data_access._breakdowns import GEO_GROUPS, SCHOOL_GROUP, Group, code_list_group, pick
from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope

Breakdown = Literal["programme", "outcome", "region", "province", "school"]

_GROUPS: dict[str, Group] = {
    "programme": code_list_group("programme_code", "code_nonformal_programmes"),
    "outcome": code_list_group("outcome_code", "code_nonformal_outcomes"),
    **GEO_GROUPS,
    "school": SCHOOL_GROUP,
}


def beneficiaries(
    school_year: str,
    by: Breakdown = "programme",
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Per programme (or outcome, region, province, school): ``code, label_fr, label_ar, beneficiaries,
    girls, former_pupils, exits, returned, return_rate`` (rate in %, null without exit)."""
    key, join, label = pick(_GROUPS, by)
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as (
            select * from marts.agg_nonformal_education where {TERRITORY_WHERE} and school_year = ?
        ),
        cells as (
            select {key} as code,
                sum(beneficiaries)::bigint as beneficiaries,
                coalesce(sum(beneficiaries) filter (where sex = 'F'), 0)::bigint as girls,
                sum(former_pupils)::bigint as former_pupils,
                coalesce(sum(beneficiaries) filter (where is_exit), 0)::bigint as exits,
                coalesce(sum(beneficiaries) filter (where is_return_formal), 0)::bigint as returned
            from src group by {key}
        ),
        labels as (
            select distinct src.{key} as code, ref.{label}_fr as label_fr, ref.{label}_ar as label_ar
            from src {join}
        )
        select cells.code, labels.label_fr, labels.label_ar, cells.* exclude (code),
            100.0 * cells.returned / nullif(cells.exits, 0) as return_rate
        from cells left join labels on labels.code = cells.code
        order by cells.code
        """,
        *territory.params(),
        school_year,
    )
