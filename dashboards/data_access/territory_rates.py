"""One indicator per territorial unit (region, province or school), for the maps and bars of the pages.

Every value is read from the mart that defines it, summed over the unit and divided once (a ratio of sums,
never a mean of rates), exactly as the mart's own rule:

- ``pupils``: pupils enrolled (``marts.agg_enrollment_by_province``; ``marts.fct_enrollment`` by school);
- ``dropout_rate``, ``repetition_rate``, ``promotion_rate``: dropped out / repeated / promoted over the
  rate base, the pupils whose next year is known (``marts.agg_flow_rates``, school grain); null for the
  last loaded year (its next year is not loaded);
- ``chronic_absence_rate``: chronically absent pupils over the pupils classified
  (``marts.agg_attendance``; ``marts.fct_attendance_ytd`` narrowed to the province by school);
- ``pass_rate_3ac``, ``pass_rate_bac``: passed over the complete candidates (``marts.agg_exam_results``;
  ``marts.fct_certificate_3ac`` / ``marts.fct_baccalaureate`` narrowed to the province by school).
  Certificates have no cycle: the cycle filter does not apply to them.

Internal figures: true counts, nothing suppressed. Gross and net enrolment rates are not offered: the
warehouse holds no school-age population by territory (the census seeds hold total populations only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from dashboards.data_access._core import run as _run
from dashboards.data_access._units import UnitLevel, by_unit_sql
from dashboards.scope import TERRITORY_WHERE, Scope, Territory

Unit = Literal["count", "share"]


@dataclass(frozen=True)
class Indicator:
    """How an indicator reads: its unit, whether the cycle filter applies, and its rows (constant SQL)
    above the school (``aggregate``) and by school (``by_school``), each with ``school_year, cycle_code,
    region_code, province_code, school_code, numerator, denominator``."""

    unit: Unit
    by_cycle: bool
    aggregate: str
    by_school: str


def _flow(column: str) -> str:
    return f"""
        select school_year, cycle_code, region_code, province_code, school_code,
            {column} as numerator, rate_base as denominator
        from marts.agg_flow_rates
    """


def _exam(certificate: str, fact: str) -> tuple[str, str]:
    aggregate = f"""
        select school_year, cast(null as varchar) as cycle_code, region_code, province_code,
            cast(null as varchar) as school_code, passed as numerator, candidates_complete as denominator
        from marts.agg_exam_results
        where certificate_code = '{certificate}'
    """
    by_school = f"""
        select school_year, cast(null as varchar) as cycle_code, region_code, province_code, school_code,
            cast(coalesce(passed, false) as integer) as numerator,
            cast(is_complete as integer) as denominator
        from marts.{fact}
    """
    return aggregate, by_school


INDICATORS: Final[dict[str, Indicator]] = {
    "pupils": Indicator(
        "count",
        True,
        """
        select school_year, cycle_code, region_code, province_code, cast(null as varchar) as school_code,
            pupils as numerator, cast(null as bigint) as denominator
        from marts.agg_enrollment_by_province
        """,
        """
        select school_year, cycle_code, region_code, province_code, school_code,
            1 as numerator, cast(null as bigint) as denominator
        from marts.fct_enrollment
        """,
    ),
    "dropout_rate": Indicator("share", True, _flow("dropped_out"), _flow("dropped_out")),
    "repetition_rate": Indicator("share", True, _flow("repeated"), _flow("repeated")),
    "promotion_rate": Indicator("share", True, _flow("promoted"), _flow("promoted")),
    "chronic_absence_rate": Indicator(
        "share",
        True,
        """
        select school_year, cycle_code, region_code, province_code, cast(null as varchar) as school_code,
            chronically_absent as numerator, pupils_classified as denominator
        from marts.agg_attendance
        """,
        """
        select school_year, cycle_code, region_code, province_code, school_code,
            cast(is_chronically_absent as integer) as numerator,
            cast(attendance_band is not null as integer) as denominator
        from marts.fct_attendance_ytd
        """,
    ),
    "pass_rate_3ac": Indicator("share", False, *_exam("3AC", "fct_certificate_3ac")),
    "pass_rate_bac": Indicator("share", False, *_exam("BAC", "fct_baccalaureate")),
}

_LEVEL_ORDER: Final[dict[UnitLevel, int]] = {"region": 1, "province": 2, "school": 3}


def _depth(territory: Territory) -> int:
    if territory.school_code is not None:
        return 3
    if territory.province_code is not None:
        return 2
    return 1 if territory.region_code is not None else 0


def rate_by_unit(
    school_year: str,
    indicator: str = "pupils",
    cycle: str | None = None,
    *,
    scope: Scope,
    level: UnitLevel = "region",
    region: str | None = None,
    province: str | None = None,
    school: str | None = None,
) -> pl.DataFrame:
    """``indicator`` (a key of :data:`INDICATORS`) for each unit of ``level`` within the territory.

    ``level, unit_code, unit_name_fr, unit_name_ar, numerator, denominator, value`` (``value``: the count,
    or numerator / denominator, null without a denominator), one row per unit with rows in the mart, by
    unit code. ``level`` may not be coarser than the territory (a province's region total is not the
    province's). School units are read from the pupil-grain facts narrowed to the territory.
    """
    spec = INDICATORS[indicator]
    territory = scope.territory(region, province, school)
    if _LEVEL_ORDER[level] < _depth(territory):
        raise ValueError(f"level {level} is coarser than the territory {territory}")
    rows = spec.by_school if level == "school" or territory.school_code is not None else spec.aggregate
    source = f"""
        select * from ({rows}) as r
        where school_year = ? and (cast(? as varchar) is null or cycle_code = ?) and {TERRITORY_WHERE}
    """
    measures = "sum(src.numerator)::bigint as numerator, sum(src.denominator)::bigint as denominator"
    wanted_cycle = cycle if spec.by_cycle else None
    frame = _run(
        by_unit_sql(source, level, measures),
        school_year,
        wanted_cycle,
        wanted_cycle,
        *territory.params(),
        level,
    )
    value = (
        pl.col("numerator").cast(pl.Float64)
        if spec.unit == "count"
        else pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator"))
    )
    return frame.with_columns(value.alias("value"))


__all__ = ["INDICATORS", "Indicator", "rate_by_unit"]
