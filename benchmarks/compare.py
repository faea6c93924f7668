"""Do two computations of the core marts give the same numbers? (ours = the published warehouse; theirs =
the engine floor's tables or the pandas baseline's files.)

The comparison is made on seven aggregate views of the marts, each computed by the same SQL over both
sides (``{t}`` is the side's table prefix), joined on their keys (full outer join: a key on one side only is
a mismatch). Counts must be equal; sums of averages may differ by float rounding only
(``|a - b| <= 1e-6 * max(1, |a|)``, the summation order differs between engines).

Views (key -> measures, from the mart named):
- enrollment: year, region, cycle, sex -> pupils (fct_enrollment rows);
- flows: year, region, level -> pupils, promoted, repeated, dropped_out, transferred_out, completed,
  not_traced, dropout_revised (agg_flow_rates);
- absence_daily: year, region, date -> absent pupil-days, justified absent days (fct_absence_daily);
- attendance_ytd: year, region, cycle, sex -> pupil-years, enrolled school days, absent days, justified
  absent days, chronically absent pupils (fct_attendance_ytd);
- subject_average: year, region, semester, subject -> averages present, their sum, sum of coefficients;
- semester_result: year, region, semester -> general averages present, their sum;
- annual_result: year, region, decision -> pupils, annual averages present, their sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

VIEWS: dict[str, tuple[tuple[str, ...], str]] = {
    "enrollment": (
        ("school_year", "region_code", "cycle_code", "sex"),
        """select school_year, region_code, cycle_code, sex, count(*) as pupils
           from {t}fct_enrollment group by all""",
    ),
    "flows": (
        ("school_year", "region_code", "level_code"),
        """select school_year, region_code, level_code, sum(pupils) as pupils, sum(promoted) as promoted,
               sum(repeated) as repeated, sum(dropped_out) as dropped_out,
               sum(transferred_out) as transferred_out, sum(completed) as completed,
               sum(not_traced) as not_traced, sum(dropout_revised) as dropout_revised
           from {t}agg_flow_rates group by all""",
    ),
    "absence_daily": (
        ("school_year", "region_code", "absence_date"),
        """select school_year, region_code, cast(absence_date as date) as absence_date,
               count(*) filter (where is_absent_day) as absent_days,
               count(*) filter (where is_absent_day and is_justified_day) as justified_days
           from {t}fct_absence_daily group by all""",
    ),
    "attendance_ytd": (
        ("school_year", "region_code", "cycle_code", "sex"),
        """select school_year, region_code, cycle_code, sex, count(*) as pupil_years,
               sum(enrolled_school_days) as enrolled_days, sum(absent_days) as absent_days,
               sum(justified_absent_days) as justified_days,
               count(*) filter (where is_chronically_absent) as chronic
           from {t}fct_attendance_ytd group by all""",
    ),
    "subject_average": (
        ("school_year", "region_code", "semester", "subject_code"),
        """select school_year, region_code, semester, subject_code, count(subject_average) as averages,
               sum(subject_average) as sum_average, sum(coefficient) as sum_coefficient
           from {t}fct_subject_average group by all""",
    ),
    "semester_result": (
        ("school_year", "region_code", "semester"),
        """select school_year, region_code, semester, count(general_average) as averages,
               sum(general_average) as sum_average
           from {t}fct_semester_result group by all""",
    ),
    "annual_result": (
        ("school_year", "region_code", "decision"),
        """select school_year, region_code, decision, count(*) as pupils, count(annual_average) as averages,
               sum(annual_average) as sum_average
           from {t}fct_annual_result group by all""",
    ),
}

RELATIVE_TOLERANCE = 1e-6


@dataclass
class ViewComparison:
    view: str
    keys_ours: int
    keys_theirs: int
    mismatches: int
    example: str = ""

    @property
    def equal(self) -> bool:
        return self.mismatches == 0 and self.keys_ours == self.keys_theirs and self.keys_ours > 0


def view_frame(con: duckdb.DuckDBPyConnection, view: str, prefix: str) -> pl.DataFrame:
    keys, sql = VIEWS[view]
    frame = con.sql(sql.format(t=prefix)).pl()
    return frame.with_columns(pl.col(k).cast(pl.String) for k in keys)


def compare_frames(view: str, ours: pl.DataFrame, theirs: pl.DataFrame) -> ViewComparison:
    """Full outer join on the view's keys; a row mismatches when a key is missing on one side or a measure
    differs (exactly for integers, within the relative tolerance for floats)."""
    keys = list(VIEWS[view][0])
    measures = [c for c in ours.columns if c not in keys]
    joined = ours.join(theirs, on=keys, how="full", coalesce=True, suffix="_theirs", nulls_equal=True)
    bad = pl.lit(False)
    for m in measures:
        a, b = pl.col(m), pl.col(f"{m}_theirs")
        if ours.schema[m].is_float() or theirs.schema[m].is_float():
            a, b = a.cast(pl.Float64), b.cast(pl.Float64)
            differs = (a - b).abs() > RELATIVE_TOLERANCE * pl.max_horizontal(pl.lit(1.0), a.abs())
        else:
            differs = a.cast(pl.Int64) != b.cast(pl.Int64)
        bad = bad | differs.fill_null(False) | (a.is_null() != b.is_null())
    wrong = joined.filter(bad)
    example = str(wrong.head(3).to_dicts()) if wrong.height else ""
    return ViewComparison(view, ours.height, theirs.height, wrong.height, example)


def compare(con: duckdb.DuckDBPyConnection, ours_prefix: str, theirs_prefix: str) -> list[ViewComparison]:
    """Compare every view between two table prefixes reachable from ``con`` (e.g. ``ours.marts.``)."""
    return [
        compare_frames(view, view_frame(con, view, ours_prefix), view_frame(con, view, theirs_prefix))
        for view in VIEWS
    ]
