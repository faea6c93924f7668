"""Fees and contributions: expected, collected and transferred amounts (``marts.agg_fee_collection``,
school x contribution; labels from seed ``fee_types``).

Every figure of a group is a sum over its schools; the collection rate of a group is
100 × Σ collected / Σ expected over the rows that have an expected amount (a school with a schedule row
for the contribution), never a mean of school rates. Receipts at a school without a schedule row are in
``collected_mad`` but not in the rate.
"""

from __future__ import annotations

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.data_access._units import by_unit_sql, unit_level
from dashboards.scope import TERRITORY_WHERE, Scope

_SOURCE = f"""
    select * from marts.agg_fee_collection
    where school_year = ? and (cast(? as varchar) is null or fee_code = ?) and {TERRITORY_WHERE}
"""
_MEASURES = """
    count(distinct src.school_code)::bigint as schools,
    sum(src.expected_mad)::double as expected_mad,
    coalesce(sum(src.collected_mad) filter (where src.expected_mad is not null), 0)::double
        as collected_against_expected_mad,
    sum(src.collected_mad)::double as collected_mad,
    sum(src.transferred_mad)::double as transferred_mad,
    sum(src.payers)::bigint as payers,
    100.0 * sum(src.collected_mad) filter (where src.expected_mad is not null)
        / nullif(sum(src.expected_mad), 0) as collection_rate
"""


def collection_by_fee(
    school_year: str,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """Per contribution of the territory: ``fee_code, label_fr, label_ar, recipient_code,
    recipient_label_fr, recipient_label_ar, schools, expected_mad, collected_against_expected_mad,
    collected_mad, transferred_mad, payers, collection_rate`` (in %), in the seed's order."""
    territory = scope.territory(region, province, school)
    return _run(
        f"""
        with src as ({_SOURCE}),
        by_fee as (select src.fee_code, {_MEASURES} from src group by src.fee_code)
        select b.fee_code, f.label_fr, f.label_ar, f.recipient_code, f.recipient_label_fr,
            f.recipient_label_ar, b.* exclude (fee_code)
        from by_fee as b
        left join reference.code_fee_types as f on b.fee_code = f.fee_code
        order by f.fee_order, b.fee_code
        """,
        school_year,
        None,
        None,
        *territory.params(),
    )


def collection_by_unit(
    school_year: str,
    fee: str | None = None,
    *,
    scope: Scope,
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """The territory broken down one level (regions, provinces, schools), optionally for one contribution:
    ``level, unit_code, unit_name_fr, unit_name_ar`` and the measures of :func:`collection_by_fee`."""
    territory = scope.territory(region, province, school)
    level = unit_level(territory)
    return _run(
        by_unit_sql(_SOURCE, level, _MEASURES),
        school_year,
        fee,
        fee,
        *territory.params(),
        level,
    )
