"""Orientation: stream demand (first wishes) against streams granted, at the end of 3AC and TC
(``marts.agg_orientation``; a school's view reads ``fct_orientation`` narrowed to the school)."""

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

Breakdown = Literal["stream", "region", "province"]

_AGG_SOURCE = f"""
    select school_year, region_code, province_code, level_code, stream_code, first_wishes, streams_granted,
        first_wishes_granted, first_wishes_not_oriented
    from marts.agg_orientation
    where {AGG_TERRITORY_WHERE}
"""
_SCHOOL_SOURCE = f"""
    select f.school_year, f.region_code, f.province_code, f.level_code, o.stream_code,
        count(*) filter (where f.wish_1 = o.stream_code) as first_wishes,
        count(*) filter (where f.stream_granted = o.stream_code) as streams_granted,
        count(*) filter (where f.wish_1 = o.stream_code and f.granted_wish_rank = 1) as first_wishes_granted,
        count(*) filter (where f.wish_1 = o.stream_code and not f.is_oriented) as first_wishes_not_oriented
    from (select * from marts.fct_orientation where {TERRITORY_WHERE} and school_code is not null) as f
    inner join reference.xwalk_orientation_offers as o on o.after_level = f.level_code
    group by f.school_year, f.region_code, f.province_code, f.level_code, o.stream_code
"""
_MEASURES = """
    sum(first_wishes)::bigint as first_wishes,
    sum(streams_granted)::bigint as streams_granted,
    sum(first_wishes_granted)::bigint as first_wishes_granted,
    sum(first_wishes_not_oriented)::bigint as first_wishes_not_oriented,
    100.0 * sum(first_wishes_granted) / nullif(sum(first_wishes), 0) as first_wish_satisfaction_rate
"""
_GROUPS: dict[str, Group] = {
    "stream": code_list_group("stream_code", "code_streams"),
    **GEO_GROUPS,
}


def demand_and_places(
    school_year: str,
    level: str = "3AC",
    by: Breakdown = "stream",
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Per stream (or region / province) for one orientation level: ``code, label_fr, label_ar,
    first_wishes, streams_granted, first_wishes_granted, first_wishes_not_oriented,
    first_wish_satisfaction_rate`` (%)."""
    group = pick(_GROUPS, by)
    territory = scope.territory(region, province, school)
    source, params = school_or_aggregate(territory, _SCHOOL_SOURCE, _AGG_SOURCE)
    return _run(
        breakdown_sql(source, group, _MEASURES, "src.school_year = ? and src.level_code = ?"),
        *params,
        school_year,
        level,
    )
