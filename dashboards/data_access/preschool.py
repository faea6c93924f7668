"""Preschool: pupils by age and sector (``marts.agg_preschool_enrollment``) and the transition into 1AP,
the share of 1AP entrants who attended preschool (``marts.agg_preschool_transition``). Both marts are
aggregates at school grain, so every territory, down to one school, is read from them with
``TERRITORY_WHERE``. Shares are re-aggregated from counts: 100 × Σ attended entrants / Σ entrants."""

from __future__ import annotations

from typing import Literal

import polars as pl

from dashboards.data_access._breakdowns import GEO_GROUPS, SCHOOL_GROUP, Group, code_list_group, pick
from dashboards.data_access._core import run as _run
from dashboards.scope import TERRITORY_WHERE, Scope

Breakdown = Literal["type", "region", "province", "school"]

_GROUPS: dict[str, Group] = {
    "type": code_list_group("preschool_type", "code_preschool_types"),
    **GEO_GROUPS,
    "school": SCHOOL_GROUP,
}


def enrollment_by_age(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Preschool pupils per age and sector: ``age, sector, pupils`` (every age and sector with pupils)."""
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        select age, sector, sum(pupils)::bigint as pupils
        from marts.agg_preschool_enrollment
        where {TERRITORY_WHERE} and school_year = ?
        group by age, sector
        order by age, sector
        """,
        *territory.params(),
        school_year,
    )


def transition(
    school_year: str,
    by: Breakdown = "type",
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """1AP entrants per preschool type (or per region / province / school): ``code, label_fr, label_ar,
    entrants, attended, attended_share`` (share in %: of the row's entrants who attended preschool)."""
    key, join, label = pick(_GROUPS, by)
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as (
            select * from marts.agg_preschool_transition where {TERRITORY_WHERE} and school_year = ?
        ),
        cells as (
            select {key} as code, sum(entrants)::bigint as entrants,
                coalesce(sum(entrants) filter (where attended), 0)::bigint as attended
            from src group by {key}
        ),
        labels as (
            select distinct src.{key} as code, ref.{label}_fr as label_fr, ref.{label}_ar as label_ar
            from src {join}
        )
        select cells.code, labels.label_fr, labels.label_ar, cells.entrants, cells.attended,
            100.0 * cells.attended / nullif(cells.entrants, 0) as attended_share
        from cells left join labels on labels.code = cells.code
        order by cells.code
        """,
        *territory.params(),
        school_year,
    )
